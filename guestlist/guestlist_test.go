package guestlist

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

var cet = time.FixedZone("CET", 3600)

var testEvent = func() *pass.Event {
	e := &pass.Event{ID: "tour27-ber01", Name: "Tour", Schedule: pass.Schedule{
		ShowStart: time.Date(2027, 3, 5, 20, 0, 0, 0, cet),
		ShowEnd:   time.Date(2027, 3, 5, 23, 0, 0, 0, cet),
	}}
	if err := e.Validate(); err != nil {
		panic(err)
	}
	return e
}()

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		rows   int    // rows read
		line   int    // of the first error
		column int    // of the first error
		header string // of the first error
		want   string // in the first error; "" for none
	}{
		{name: "ok/minimal", in: "name,type\nAnn,AAA\n", rows: 1},
		{name: "ok/bom-and-case", in: "\ufeffName , TYPE\nAnn,vip\n", rows: 1},
		{name: "ok/crlf", in: "name,type\r\nAnn,AAA\r\nBob,WORKING\r\n", rows: 2},
		{name: "ok/semicolons", in: "name;type;org\nAnn;AAA;Crew, Berlin\n", rows: 1},
		{name: "ok/any-order", in: "role,name,type\ncatering,Ann,STAFF\n", rows: 1},
		{name: "ok/blank-lines-skipped", in: "name,type\n\nAnn,AAA\n,\n", rows: 1},
		{name: "ok/quoted-comma", in: "name,type\n\"Kilmister, Lemmy\",AAA\n", rows: 1},
		{name: "ok/local-time", in: "name,type,valid_from\nAnn,AAA,2027-03-05 18:00\n", rows: 1},
		{name: "ok/local-time-T", in: "name,type,valid_from\nAnn,AAA,2027-03-05T18:00\n", rows: 1},
		{name: "ok/ref", in: "name,type,ref\nAnn,AAA,TIX-1\n", rows: 1},
		{name: "fail/empty", in: "", line: 1, want: "empty file"},
		{name: "fail/header-only", in: "name,type\n", rows: 0, line: 2, want: "no rows"},
		{name: "fail/unknown-column", in: "name,type,mail\nA,AAA,x\n", line: 1, column: 3, want: `unknown column "mail": want name, type`},
		{name: "fail/duplicate-column", in: "name,type,name\nA,AAA,B\n", line: 1, column: 3, want: "appears twice"},
		{name: "fail/missing-name-column", in: "type\nAAA\n", line: 1, want: `missing column "name"`},
		{name: "fail/bad-type", in: "name,type\nA,AAA\nB,ROADIE\n", rows: 2, line: 3, column: 2, header: "type", want: "ROADIE"},
		{name: "fail/empty-name", in: "name,type\n ,AAA\n", rows: 1, line: 2, column: 1, header: "name", want: "name is empty: want"},
		{name: "fail/long-name", in: "name,type\n" + strings.Repeat("x", 161) + ",AAA\n", rows: 1, line: 2, column: 1, want: "longer than 160"},
		{name: "fail/control-char", in: "name,type\n\"A\x07\",AAA\n", rows: 1, line: 2, column: 1, want: "control character"},
		{name: "fail/bad-utf8", in: "name,type\nZo\xeb,AAA\n", rows: 1, line: 2, column: 1, want: "UTF-8"},
		{name: "fail/staff-no-role-column", in: "name,type\nA,STAFF\n", rows: 1, line: 2, want: "add a role column"},
		{name: "fail/staff-empty-role", in: "name,type,role\nA,STAFF,\n", rows: 1, line: 2, column: 3, want: "needs a role"},
		{name: "fail/bad-role", in: "name,type,role\nA,STAFF,Head Chef\n", rows: 1, line: 2, column: 3, want: "bad role"},
		{name: "fail/bad-time", in: "name,type,valid_until\nA,AAA,soon\n", rows: 1, line: 2, column: 3, header: "valid_until", want: `bad time "soon": want RFC 3339`},
		{name: "fail/reversed-validity", in: "name,type,valid_from,valid_until\nA,AAA,2027-03-05 22:00,2027-03-05 20:00\n", rows: 1, line: 2, column: 4, want: "before it becomes valid"},
		{name: "fail/ragged", in: "name,type\nA,AAA,x\n", rows: 1, line: 2, want: "3 fields, but the header has 2"},
		{name: "fail/long-ref", in: "name,type,ref\nA,AAA," + strings.Repeat("r", 65) + "\n", rows: 1, line: 2, column: 3, want: "ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.in), testEvent, nil)
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if len(p.Rows) != tt.rows {
				t.Errorf("rows = %d, want %d", len(p.Rows), tt.rows)
			}
			if tt.want == "" {
				if len(p.Errors) > 0 {
					t.Fatalf("errors = %v", p.Errors)
				}
				reqs, err := p.Requests(Skip)
				if err != nil || len(reqs) != tt.rows {
					t.Fatalf("Requests() = %d, %v", len(reqs), err)
				}
				return
			}
			if len(p.Errors) == 0 {
				t.Fatalf("no error, want %q", tt.want)
			}
			e := p.Errors[0]
			if !strings.Contains(e.Message, tt.want) || e.Line != tt.line || e.Column != tt.column || (tt.header != "" && e.Header != tt.header) {
				t.Errorf("first error = %+v, want line %d column %d header %q with %q", e, tt.line, tt.column, tt.header, tt.want)
			}
			if _, err := p.Requests(Issue); !errors.As(err, new(Errors)) {
				t.Errorf("Requests() error = %v, want Errors: a list with an error issues nothing", err)
			}
		})
	}
}

func TestParseCollectsEveryError(t *testing.T) {
	p, err := Parse([]byte("name,type,role,valid_until\n,ROADIE,Head Chef,soon\nAnn,AAA,,\nBob,VIP,,tomorrow\n"), testEvent, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Error())
	}
	want := []string{
		"line 2, column 1 (name): name is empty: want the holder's name as printed on the pass",
		`line 2, column 2 (type): unknown pass type "ROADIE"`,
		"line 2, column 3 (role): bad role",
		`line 2, column 4 (valid_until): bad time "soon"`,
		`line 4, column 4 (valid_until): bad time "tomorrow"`,
	}
	if len(got) != len(want) {
		t.Fatalf("errors = %q\nwant %d", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
	if p.Counts != (Counts{Rows: 3, Errors: 2, New: 1}) {
		t.Errorf("counts = %+v", p.Counts)
	}
	if s := p.Errors.Error(); !strings.Contains(s, "and 4 more errors") {
		t.Errorf("Errors.Error() = %q", s)
	}
}

func TestParseLimits(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []byte
		want error
	}{
		{"fail/bytes", append([]byte("name,type\n"), bytes.Repeat([]byte("A,AAA\n"), MaxBytes/6+1)...), ErrTooLarge},
		{"fail/rows", append([]byte("name,type\n"), bytes.Repeat([]byte("A,AAA\n"), MaxRows+1)...), ErrTooLarge},
		{"fail/columns", []byte(strings.Repeat("x,", MaxColumns) + "x\n"), ErrTooLarge},
		{"fail/xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), ErrUnreadable},
		{"fail/bad-zip", []byte("PK\x03\x04garbage"), ErrUnreadable},
		{"fail/bare-quote", []byte("name,type\nA \"B\",AAA\n"), ErrUnreadable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.in), testEvent, nil)
			if !errors.Is(err, tt.want) {
				t.Errorf("Read() error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDuplicates(t *testing.T) {
	existing := []store.PassKey{
		{Serial: "AAAAAAAA", Type: pass.AAA, Name: "Björk Guðmundsdóttir"},
		{Serial: "BBBBBBBB", Type: pass.VIP, Name: "Sam Okafor", Ref: "TIX-9"},
		{Serial: "CCCCCCCC", Type: pass.VIP, Name: "Jo Park", Revoked: true},
	}
	in := "name,type,ref\n" +
		"  BJÖRK   guðmundsdóttir ,AAA,\n" + // 2: issued, by name (case and spaces)
		"Björk Guðmundsdóttir,VIP,\n" + // 3: new: another type
		"Samuel Okafor,AAA,TIX-9\n" + // 4: issued, by ref
		"Jo Park,VIP,\n" + // 5: new: the pass was revoked
		"Jo  Park,VIP,\n" + // 6: repeats line 5
		"Zoe,AAA,R1\n" + // 7: new
		"Zoey,AAA,R1\n" + // 8: repeats line 7 by ref
		"Zoë,AAA,\n" // 9: new: Zoe is not Zoë
	p, err := Parse([]byte(in), testEvent, nil)
	if err != nil || len(p.Errors) > 0 {
		t.Fatal(err, p.Errors)
	}
	p.MarkDuplicates(existing)
	want := map[int]Duplicate{
		2: {Of: OfIssued, By: ByName, Serial: "AAAAAAAA"},
		4: {Of: OfIssued, By: ByRef, Serial: "BBBBBBBB"},
		6: {Of: OfFile, By: ByName, Line: 5},
		8: {Of: OfFile, By: ByRef, Line: 7},
	}
	for _, r := range p.Rows {
		w, dup := want[r.Line]
		switch {
		case dup && (r.Duplicate == nil || *r.Duplicate != w):
			t.Errorf("line %d duplicate = %+v, want %+v", r.Line, r.Duplicate, w)
		case !dup && r.Duplicate != nil:
			t.Errorf("line %d duplicate = %+v, want none", r.Line, r.Duplicate)
		}
	}
	if p.Counts != (Counts{Rows: 8, AlreadyIssued: 2, Repeated: 2, New: 4}) {
		t.Errorf("counts = %+v", p.Counts)
	}
	if got := p.Summary(); got != "2 already issued, 4 new, 2 repeated in the list" {
		t.Errorf("Summary() = %q", got)
	}
	for choice, n := range map[string]int{Skip: 4, Issue: 8} {
		reqs, err := p.Requests(choice)
		if err != nil || len(reqs) != n {
			t.Errorf("Requests(%s) = %d, %v; want %d", choice, len(reqs), err, n)
		}
	}
}

func TestTourBerlinTwice(t *testing.T) {
	b, err := os.ReadFile("../testdata/guestlists/tour-berlin.csv")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(b, testEvent, nil)
	if err != nil || len(p.Errors) > 0 {
		t.Fatal(err, p.Errors)
	}
	p.MarkDuplicates(nil)
	if got := p.Summary(); got != "0 already issued, 9 new" {
		t.Errorf("first upload: %q", got)
	}
	var keys []store.PassKey
	reqs, _ := p.Requests(Skip)
	for i, r := range reqs {
		keys = append(keys, store.PassKey{Serial: pass.Serial(strings.Repeat(string(rune('A'+i)), 8)), Type: r.Type, Name: r.Name})
	}
	p.MarkDuplicates(keys)
	if got := p.Summary(); got != "9 already issued, 0 new" {
		t.Errorf("second upload: %q", got)
	}
	if reqs, err := p.Requests(Skip); err != nil || len(reqs) != 0 {
		t.Errorf("second upload issues %d, %v", len(reqs), err)
	}
}

// xlsxBytes makes a workbook whose first sheet holds rows (a time.Time
// cell is stored as an Excel date).
func xlsxBytes(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	date, err := f.NewStyle(&excelize.Style{NumFmt: 22})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if v == nil {
				continue
			}
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
			if _, ok := v.(time.Time); ok {
				f.SetCellStyle("Sheet1", cell, cell, date)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseXLSX(t *testing.T) {
	b := xlsxBytes(t, [][]any{
		{"Name", "Type", "Org", "valid_until", "ref"},
		{"Björk Guðmundsdóttir", "AAA", "Headliner", time.Date(2027, 3, 6, 2, 0, 0, 0, time.UTC), 1001},
		{},
		{"Jo Park", "ROADIE", nil, "2027-03-06 01:30", "T-2"},
		{"Sam Okafor", "VIP", nil, "later", nil},
	})
	p, err := Parse(b, testEvent, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Format != XLSX || len(p.Rows) != 3 {
		t.Fatalf("format %s, %d rows", p.Format, len(p.Rows))
	}
	r := p.Rows[0]
	if r.Line != 2 || r.Name != "Björk Guðmundsdóttir" || r.Ref != "1001" || r.ValidUntil != "2027-03-06 02:00 +01:00" {
		t.Errorf("row 2 = %+v (a date cell is its wall clock in the event's zone)", r)
	}
	if len(p.Errors) != 2 {
		t.Fatalf("errors = %v", p.Errors)
	}
	if e := p.Errors[0]; e.Line != 4 || e.Column != 2 || e.Cell != "B4" || e.Header != "Type" || !strings.Contains(e.Message, "ROADIE") {
		t.Errorf("error 0 = %+v", e)
	}
	if e := p.Errors[1]; e.Line != 5 || e.Cell != "D5" || !strings.Contains(e.Message, `bad time "later"`) {
		t.Errorf("error 1 = %+v", e)
	}
}

func TestParseChoice(t *testing.T) {
	for in, want := range map[string]string{"skip": Skip, " Issue ": Issue, "yes": ""} {
		got, err := ParseChoice(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("ParseChoice(%q) = %q, %v", in, got, err)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	b, _ := os.ReadFile("../testdata/guestlists/tour-berlin.csv")
	f.Add(b)
	f.Add([]byte("name;type\nA;AAA\n"))
	f.Add([]byte("name,type,ref,valid_from\n\"a,b\",STAFF,x,2027-03-05T23:00\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := Parse(in, testEvent, nil)
		if err != nil {
			return
		}
		checkPreview(t, p)
	})
}

func FuzzParseXLSX(f *testing.F) {
	f.Add(xlsxBytes(f, [][]any{{"name", "type"}, {"Ann", "AAA"}, {"Bob", "VIP", 3}}))
	f.Add(xlsxBytes(f, [][]any{{"name", "type", "valid_from"}, {"Ann", "AAA", time.Date(2027, 3, 5, 1, 0, 0, 0, time.UTC)}}))
	f.Fuzz(func(t *testing.T, in []byte) {
		if !bytes.HasPrefix(in, []byte("PK\x03\x04")) {
			in = append([]byte("PK\x03\x04"), in...)
		}
		p, err := Parse(in, testEvent, nil)
		if err != nil {
			if !errors.Is(err, ErrUnreadable) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v is neither unreadable nor too large", err)
			}
			return
		}
		checkPreview(t, p)
	})
}

// checkPreview holds a preview to its invariants: counts add up, every
// row error is in the list's errors, a list with errors issues nothing.
func checkPreview(t *testing.T, p *Preview) {
	t.Helper()
	p.MarkDuplicates(nil)
	c := p.Counts
	if c.Rows != len(p.Rows) || c.Errors+c.New+c.AlreadyIssued+c.Repeated != c.Rows {
		t.Fatalf("counts %+v for %d rows", c, len(p.Rows))
	}
	n := 0
	for _, r := range p.Rows {
		n += len(r.Errors)
	}
	if n > len(p.Errors) {
		t.Fatalf("%d row errors, %d in the list", n, len(p.Errors))
	}
	reqs, err := p.Requests(Issue)
	if (len(p.Errors) > 0) != (err != nil) || (err == nil && len(reqs) != len(p.Rows)) {
		t.Fatalf("Requests() = %d, %v with %d errors", len(reqs), err, len(p.Errors))
	}
}

// noHan is a TextChecker with no font for Chinese.
type noHan struct{}

func (noHan) CheckPrintable(field, s string) error {
	for i, r := range []rune(s) {
		if r >= 0x4E00 && r <= 0x9FFF {
			return fmt.Errorf("%s has the Han character %U %q at character %d, which no font here prints", field, r, string(r), i+1)
		}
	}
	return nil
}

func TestParsePrintable(t *testing.T) {
	for _, tt := range []struct {
		in           string
		line, column int
		want         string
	}{
		{"name,type\nAnn,AAA\n王小明,VIP\n", 3, 1, `name has the Han character U+738B "王" at character 1`},
		{"type,org,name\nAAA,北京音乐,Wang\n", 2, 2, "org has the Han character U+5317"},
	} {
		p, err := Parse([]byte(tt.in), testEvent, noHan{})
		if err != nil || len(p.Errors) != 1 {
			t.Fatalf("Parse(%q) = %v, %v", tt.in, p, err)
		}
		if e := p.Errors[0]; e.Line != tt.line || e.Column != tt.column || !strings.Contains(e.Message, tt.want) {
			t.Errorf("Parse(%q) error = %+v, want line %d column %d saying %q", tt.in, e, tt.line, tt.column, tt.want)
		}
	}
	if p, err := Parse([]byte("name,type\n王小明,VIP\n"), testEvent, nil); err != nil || len(p.Errors) > 0 {
		t.Errorf("without a checker: %v %v", err, p.Errors)
	}
}

func TestDuplicateLines(t *testing.T) {
	p, err := Parse([]byte("name,type\nAnn,AAA\nAnn,AAA\nBob,VIP\nAnn,AAA\n"), testEvent, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.MarkDuplicates([]store.PassKey{{Serial: "7K3MQ9ZD", Type: pass.VIP, Name: "bob"}})
	want := []string{"line 3 (Ann): repeats line 2", "line 4 (Bob): already issued as 7K3M-Q9ZD", "… and 1 more"}
	if got := p.DuplicateLines(2); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("DuplicateLines(2) = %q, want %q", got, want)
	}
}

func TestNotes(t *testing.T) {
	p, err := Parse([]byte("name,type\nAnn,AAA\nAnn,AAA\nBob,VIP\n"), testEvent, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Notes("g.csv", false, 3); got != nil {
		t.Errorf("before MarkDuplicates: Notes = %q, want nil", got)
	}
	p.MarkDuplicates([]store.PassKey{{Serial: "7K3MQ9ZD", Type: pass.VIP, Name: "bob"}})
	for _, c := range []struct {
		allow   bool
		issuing int
		last    string
	}{
		{false, 1, "issuing the 1 new row only (--allow-duplicates issues the others too)"},
		{false, 0, "nothing issued (--allow-duplicates issues them again)"},
		{true, 3, "--allow-duplicates: issuing the 2 duplicates too"},
	} {
		got := p.Notes("g.csv", c.allow, c.issuing)
		want := []string{"g.csv: 1 already issued, 1 new, 1 repeated in the list", "  line 3 (Ann): repeats line 2", "  line 4 (Bob): already issued as 7K3M-Q9ZD", c.last}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("Notes(%v, %d) = %q, want %q", c.allow, c.issuing, got, want)
		}
	}
}
