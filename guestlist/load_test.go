package guestlist

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/laminate/laminate/store"
)

type keysFunc func() []store.PassKey

func (f keysFunc) PassKeys(context.Context, string) ([]store.PassKey, error) { return f(), nil }

func TestLoad(t *testing.T) {
	ctx := context.Background()
	issued := keysFunc(func() []store.PassKey { return []store.PassKey{{Serial: "AAAAAAAA", Type: "AAA", Name: "Ann"}} })
	in := "name,type\nAnn,AAA\nBo,VIP\n"
	reqs, lines, err := Load(ctx, strings.NewReader(in), "g.csv", testEvent, nil, issued, false)
	if err != nil || len(reqs) != 1 || reqs[0].Name != "Bo" {
		t.Fatalf("Load = %v, %v", reqs, err)
	}
	if len(lines) == 0 || lines[0] != "g.csv: 1 already issued, 1 new" {
		t.Errorf("lines = %q", lines)
	}
	if reqs, _, err = Load(ctx, strings.NewReader(in), "g.csv", testEvent, nil, issued, true); err != nil || len(reqs) != 2 {
		t.Errorf("Load with duplicates = %d, %v; want 2", len(reqs), err)
	}
	bad := "name,type\nAnn,BOSS\nBo,KING\nCy,QUEEN\n"
	_, lines, err = Load(ctx, strings.NewReader(bad), "g.csv", testEvent, nil, issued, false)
	if err == nil || !strings.HasPrefix(err.Error(), "g.csv: ") {
		t.Errorf("Load of bad rows err = %v", err)
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "g.csv: ") {
		t.Errorf("lines of bad rows = %q, want the 2 errors after the first", lines)
	}
	if _, _, err := Load(ctx, strings.NewReader(""), "-", testEvent, nil, issued, false); err == nil {
		t.Error("empty list accepted")
	}
}

func TestOpen(t *testing.T) {
	r, name, err := Open("-", strings.NewReader("x"))
	if err != nil || name != "standard input" {
		t.Fatalf("Open(-) = %q, %v", name, err)
	}
	if b, _ := io.ReadAll(r); string(b) != "x" {
		t.Errorf("Open(-) read %q", b)
	}
	p := filepath.Join(t.TempDir(), "g.csv")
	if err := os.WriteFile(p, []byte("y"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r, name, err = Open(p, nil); err != nil || name != p {
		t.Fatalf("Open(%s) = %q, %v", p, name, err)
	}
	r.Close()
	if _, _, err := Open(p+"x", nil); err == nil || !strings.HasPrefix(err.Error(), "guest list: ") {
		t.Errorf("Open of no file err = %v", err)
	}
}
