package signer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
)

var testEvent = func() *pass.Event {
	e := &pass.Event{ID: "tour27-ber01", Name: "Tour", Schedule: pass.Schedule{
		ShowStart: time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("CET", 3600)),
		ShowEnd:   time.Date(2027, 3, 5, 23, 0, 0, 0, time.FixedZone("CET", 3600)),
	}}
	if err := e.Validate(); err != nil {
		panic(err)
	}
	return e
}()

func TestParseGuestList(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		n      int
		line   int
		column int
		want   string
	}{
		{name: "ok/minimal", in: "name,type\nAnn,AAA\n", n: 1},
		{name: "ok/bom-and-case", in: "\ufeffName , TYPE\nAnn,vip\n", n: 1},
		{name: "ok/crlf", in: "name,type\r\nAnn,AAA\r\nBob,WORKING\r\n", n: 2},
		{name: "ok/any-order", in: "role,name,type\ncatering,Ann,STAFF\n", n: 1},
		{name: "ok/blank-lines-skipped", in: "name,type\n\nAnn,AAA\n\n", n: 1},
		{name: "ok/quoted-comma", in: "name,type\n\"Kilmister, Lemmy\",AAA\n", n: 1},
		{name: "ok/local-time", in: "name,type,valid_from\nAnn,AAA,2027-03-05 18:00\n", n: 1},
		{name: "fail/empty", in: "", line: 1, want: "empty file"},
		{name: "fail/header-only", in: "name,type\n", want: "no rows"},
		{name: "fail/unknown-column", in: "name,type,mail\nA,AAA,x\n", line: 1, column: 3, want: `unknown column "mail"`},
		{name: "fail/duplicate-column", in: "name,type,name\nA,AAA,B\n", line: 1, column: 3, want: "appears twice"},
		{name: "fail/missing-name-column", in: "type\nAAA\n", line: 1, want: `missing column "name"`},
		{name: "fail/bad-type", in: "name,type\nA,AAA\nB,ROADIE\n", line: 3, column: 2, want: "ROADIE"},
		{name: "fail/empty-name", in: "name,type\n ,AAA\n", line: 2, column: 1, want: "name is empty"},
		{name: "fail/long-name", in: "name,type\n" + strings.Repeat("x", 161) + ",AAA\n", line: 2, column: 1, want: "longer than 160"},
		{name: "fail/control-char", in: "name,type\n\"A\x07\",AAA\n", line: 2, column: 1, want: "control character"},
		{name: "fail/bad-utf8", in: "name,type\nZo\xeb,AAA\n", line: 2, column: 1, want: "UTF-8"},
		{name: "fail/staff-no-role-column", in: "name,type\nA,STAFF\n", line: 2, want: "add a role column"},
		{name: "fail/staff-empty-role", in: "name,type,role\nA,STAFF,\n", line: 2, column: 3, want: "needs a role"},
		{name: "fail/bad-role", in: "name,type,role\nA,STAFF,Head Chef\n", line: 2, column: 3, want: "bad role"},
		{name: "fail/bad-time", in: "name,type,valid_until\nA,AAA,soon\n", line: 2, column: 3, want: `bad time "soon"`},
		{name: "fail/reversed-validity", in: "name,type,valid_from,valid_until\nA,AAA,2027-03-05 22:00,2027-03-05 20:00\n", line: 2, column: 4, want: "before it becomes valid"},
		{name: "fail/ragged", in: "name,type\nA,AAA,x\n", line: 2, want: "3 fields, but the header has 2"},
		{name: "fail/bare-quote", in: "name,type\nA \"B\",AAA\n", line: 2, column: 3, want: "bare"},
		{name: "ok/persian-zwnj", in: "name,type\nمی\u200cخواهم,AAA\n", n: 1},
		{name: "ok/devanagari-zwj", in: "name,type\nक्\u200dष,AAA\n", n: 1},
		{name: "fail/rlo-name", in: "name,type\nAnn,AAA\n\"Mallory\u202eyxe.exe\",VIP\n", line: 3, column: 1, want: "name has an invisible character U+202E (right-to-left override) at character 8"},
		{name: "fail/rli-org", in: "name,type,org\nA,AAA,Crew\u2067Ltd\n", line: 2, column: 3, want: "org has an invisible character U+2067 (right-to-left isolate)"},
		{name: "fail/latin-zwj-name", in: "type,name\nAAA,Bo\u200db\n", line: 2, column: 2, want: "U+200D (zero-width joiner) at character 3 outside a word"},
		{name: "fail/long-org", in: "name,type,org\nA,AAA," + strings.Repeat("o", 49) + "\n", line: 2, column: 3, want: "org is longer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs, err := ParseGuestList(strings.NewReader(tt.in), testEvent)
			if tt.want == "" {
				if err != nil || len(reqs) != tt.n {
					t.Fatalf("ParseGuestList() = %d rows, %v; want %d rows", len(reqs), err, tt.n)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseGuestList() error = %v, want %q", err, tt.want)
			}
			var re *RowError
			if tt.line > 0 && (!errors.As(err, &re) || re.Line != tt.line || re.Column != tt.column) {
				t.Fatalf("ParseGuestList() error = %#v, want line %d column %d", err, tt.line, tt.column)
			}
		})
	}
}

func TestParseGuestListLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,type\n")
	for i := 0; i <= MaxGuestListRows; i++ {
		b.WriteString("A,AAA\n")
	}
	if _, err := ParseGuestList(strings.NewReader(b.String()), testEvent); err == nil || !strings.Contains(err.Error(), "split the list") {
		t.Fatalf("ParseGuestList(%d rows) error = %v, want too many rows", MaxGuestListRows+1, err)
	}
}

func FuzzParseGuestList(f *testing.F) {
	files, _ := filepath.Glob("../testdata/guestlists/*.csv")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("name,type,org,role,valid_from,valid_until\nAnn,STAFF,Org,catering,2027-03-05 18:00,2027-03-06T02:00:00+01:00\n")
	f.Fuzz(func(t *testing.T, in string) {
		reqs, err := ParseGuestList(strings.NewReader(in), testEvent)
		if err != nil {
			return
		}
		// Every accepted row must make a pass that validates.
		for _, r := range reqs {
			p := pass.Pass{Serial: probeSerial, Event: testEvent.ID, Type: r.Type, Role: r.Role, Name: r.Name, Org: r.Org,
				ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil}
			if p.ValidUntil.IsZero() {
				p.ValidUntil = testEvent.Schedule.AccessUntil
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("row accepted but pass invalid: %v (%+v)", err, r)
			}
		}
	})
}

// noHan is a TextChecker with no font for Chinese.
type noHan struct{}

func (noHan) CheckPrintable(field, s string) error {
	for i, r := range []rune(s) {
		if r >= 0x4E00 && r <= 0x9FFF {
			return fmt.Errorf("%s has the Han character %U %q at character %d, which no font here prints: install fonts-noto-cjk or pass --fonts DIR", field, r, string(r), i+1)
		}
	}
	return nil
}

// A name or org no font prints is refused with its line and column.
func TestParseGuestListPrintable(t *testing.T) {
	for _, tt := range []struct {
		in           string
		line, column int
		want         string
	}{
		{"name,type\nAnn,AAA\n王小明,VIP\n", 3, 1, `name has the Han character U+738B "王" at character 1`},
		{"type,org,name\nAAA,北京音乐,Wang\n", 2, 2, "org has the Han character U+5317"},
	} {
		_, err := ParseGuestListFor(strings.NewReader(tt.in), testEvent, noHan{})
		var re *RowError
		if !errors.As(err, &re) || re.Line != tt.line || re.Column != tt.column || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseGuestListFor(%q) = %v, want line %d column %d saying %q", tt.in, err, tt.line, tt.column, tt.want)
		}
	}
	if _, err := ParseGuestListFor(strings.NewReader("name,type\n王小明,VIP\n"), testEvent, nil); err != nil {
		t.Errorf("without a checker: %v", err)
	}
}

func TestLoadPhotos(t *testing.T) {
	reqs, err := ParseGuestList(strings.NewReader("name,type,photo\nAnn,AAA,ann.jpg\nBob,VIP,\nCid,VIP,missing.jpg\n"), testEvent)
	if err != nil {
		t.Fatal(err)
	}
	if reqs[0].PhotoFile != "ann.jpg" || reqs[1].PhotoFile != "" {
		t.Fatalf("photo cells = %q, %q", reqs[0].PhotoFile, reqs[1].PhotoFile)
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
	err = LoadPhotos(reqs, load)
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
	list := "name,type,photo\nAnn,AAA,same.jpg\nBob,VIP,same.jpg\nCid,VIP,same.jpg\nDee,VIP,other.jpg\n"
	reqs, err := ParseGuestList(strings.NewReader(list), testEvent)
	if err != nil {
		t.Fatal(err)
	}
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
	reqs, _ = ParseGuestList(strings.NewReader(list), testEvent)
	err = LoadPhotos(reqs, load)
	var re *RowError
	if !errors.As(err, &re) || re.Line != 5 || !strings.Contains(err.Error(), "split the list") {
		t.Fatalf("LoadPhotos() over the cap = %v, want line 5 saying to split the list", err)
	}
}
