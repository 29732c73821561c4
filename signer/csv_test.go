package signer

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/laminate/laminate/pass"
)

func TestLoadPhotos(t *testing.T) {
	// The requests of the list "name,type,photo\nAnn,AAA,ann.jpg\nBob,VIP,\nCid,VIP,missing.jpg\n".
	reqs := []Request{
		{Type: pass.AAA, Name: "Ann", PhotoFile: "ann.jpg", PhotoCol: 3, Line: 2},
		{Type: pass.VIP, Name: "Bob", PhotoCol: 3, Line: 3},
		{Type: pass.VIP, Name: "Cid", PhotoFile: "missing.jpg", PhotoCol: 3, Line: 4},
	}
	if err := LoadPhotos(reqs[:2], nil); err == nil || !strings.Contains(err.Error(), "line 2, column 3 (photo)") || !strings.Contains(err.Error(), "no photos were given") {
		t.Fatalf("LoadPhotos(no source) error = %v, want one naming line 2, column 3", err)
	}
	load := func(name string) ([]byte, error) {
		if name == "ann.jpg" {
			return []byte("jpeg of ann"), nil
		}
		return nil, errors.New("photo " + name + ": no such file")
	}
	err := LoadPhotos(reqs, load)
	var re *RowError
	if !errors.As(err, &re) || re.Line != 4 || re.Column != 3 || !strings.Contains(err.Error(), "missing.jpg") {
		t.Fatalf("LoadPhotos() error = %v, want line 4, column 3 naming missing.jpg", err)
	}
	if string(reqs[0].Photo) != "jpeg of ann" || reqs[1].Photo != nil {
		t.Fatalf("photos = %q, %q", reqs[0].Photo, reqs[1].Photo)
	}
}

// A photo named on many rows is loaded once, and the prepared photos of a
// list are capped.
func TestLoadPhotosOnceAndCapped(t *testing.T) {
	list := func() []Request {
		var reqs []Request
		for i, f := range []string{"same.jpg", "same.jpg", "same.jpg", "other.jpg"} {
			reqs = append(reqs, Request{Type: pass.VIP, Name: fmt.Sprint("Guest ", i), PhotoFile: f, PhotoCol: 3, Line: i + 2})
		}
		return reqs
	}
	reqs := list()
	calls := map[string]int{}
	load := func(name string) ([]byte, error) {
		calls[name]++
		return make([]byte, 600), nil
	}
	if err := LoadPhotos(reqs, load); err != nil {
		t.Fatal(err)
	}
	if calls["same.jpg"] != 1 || calls["other.jpg"] != 1 {
		t.Fatalf("loads = %v, want each file once", calls)
	}
	defer func(m int) { maxBatchPhotos = m }(maxBatchPhotos)
	maxBatchPhotos = 1000
	reqs = list()
	err := LoadPhotos(reqs, load)
	var re *RowError
	if !errors.As(err, &re) || re.Line != 5 || !strings.Contains(err.Error(), "split the list") {
		t.Fatalf("LoadPhotos() over the cap = %v, want line 5 saying to split the list", err)
	}
}
