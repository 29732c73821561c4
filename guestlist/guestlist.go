// Package guestlist reads a guest list (CSV or XLSX) into a [Preview]:
// every row parsed into a pass request, every bad cell named by line,
// column and header with what was expected, and the rows that repeat a
// pass already issued for the event (same type and name, or the same
// external reference) or an earlier row of the same list.
//
// Nothing is stored here: the caller shows the preview, then issues the
// requests it chooses ([Preview.Requests]) with package issue. The
// package is domain-level (docs/design.md, "Layers and packages"): it
// knows no HTTP, SQL or PDF.
package guestlist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// Limits on one guest list, checked before and while it is read.
const (
	MaxBytes     = 32 << 20 // the file as uploaded
	MaxRows      = 100_000  // rows after the header
	MaxColumns   = 32       // cells in the header
	MaxCells     = 1_000_000
	MaxCellBytes = 4 << 10
)

// Formats of a guest list file.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// Columns are the header names a guest list may use, in any order and any
// case: name and type are required, the others optional.
var Columns = []string{"name", "type", "org", "role", "valid_from", "valid_until", "photo", "ref"}

// ErrTooLarge is a list over one of the limits; nothing of it is used.
var ErrTooLarge = errors.New("guest list too large")

// ErrUnreadable is a file that is neither a CSV nor an XLSX workbook
// that can be read; nothing of it is used.
var ErrUnreadable = errors.New("guest list cannot be read")

// ErrRead wraps an error of the reader a list came from (a connection
// reset mid-upload, say): the machine's, not the list's.
var ErrRead = errors.New("guest list could not be read")

// A CellError is one problem of a guest list, for the person who fixes the
// spreadsheet: the line (the spreadsheet's row number, 1 for the header),
// the column and its header when the problem is one cell, and what was
// expected.
type CellError struct {
	Line    int    `json:"line"`
	Column  int    `json:"column,omitempty"` // 1-based; 0: the whole row
	Cell    string `json:"cell,omitempty"`   // spreadsheet name of the cell (C7), XLSX only
	Header  string `json:"header,omitempty"` // the column's header as written
	Message string `json:"message"`
}

func (e *CellError) Error() string {
	// The form of signer.RowError, which photo errors of the same list have.
	return (&signer.RowError{Line: e.Line, Column: e.Column, Field: e.Header, Err: errors.New(e.Message)}).Error()
}

// Errors are the problems of a list that cannot be issued: nothing of it
// is stored until every one is fixed.
type Errors []CellError

func (es Errors) Error() string {
	if len(es) == 0 {
		return "no errors"
	}
	s := es[0].Error()
	if n := len(es) - 1; n > 0 {
		s += fmt.Sprintf(" (and %d more %s: fix them all, nothing was issued)", n, plural(n, "error", "errors"))
	}
	return s
}

// Kinds of duplicate.
const (
	OfIssued = "issued" // a pass already issued for the event
	OfFile   = "file"   // an earlier row of the same list
	ByRef    = "ref"    // the same external reference
	ByName   = "name"   // the same type and name (compared as [NameKey])
)

// Duplicate says what a row repeats.
type Duplicate struct {
	Of     string      `json:"of"`               // OfIssued or OfFile
	By     string      `json:"by"`               // ByRef or ByName
	Serial pass.Serial `json:"serial,omitempty"` // the pass it repeats (OfIssued)
	Line   int         `json:"line,omitempty"`   // the row it repeats (OfFile)
}

// Row is one row of a guest list, as written and as understood.
type Row struct {
	Line       int         `json:"line"`
	Name       string      `json:"name"`
	Type       string      `json:"type"`
	Org        string      `json:"org,omitempty"`
	Role       string      `json:"role,omitempty"`
	ValidFrom  string      `json:"valid_from,omitempty"`  // as read, in the event's time zone (pass.TimeLayout)
	ValidUntil string      `json:"valid_until,omitempty"` // as read, in the event's time zone (pass.TimeLayout)
	Photo      string      `json:"photo,omitempty"`
	Ref        string      `json:"ref,omitempty"`
	Errors     []CellError `json:"errors,omitempty"`
	Duplicate  *Duplicate  `json:"duplicate,omitempty"`

	req signer.Request
}

// OK reports whether the row can be issued.
func (r *Row) OK() bool { return len(r.Errors) == 0 }

// Counts sum up a preview.
type Counts struct {
	Rows          int `json:"rows"`           // rows after the header
	Errors        int `json:"errors"`         // rows with at least one error
	AlreadyIssued int `json:"already_issued"` // good rows repeating a pass already issued
	Repeated      int `json:"repeated"`       // good rows repeating an earlier row
	New           int `json:"new"`            // good rows repeating nothing
}

// Preview is a guest list read and checked, nothing stored.
type Preview struct {
	Event   string   `json:"event"`
	Format  string   `json:"format"` // CSV or XLSX
	Columns []string `json:"columns"`
	Rows    []Row    `json:"rows"`
	// Errors are every problem of the list in order: the header's, then
	// each row's (also found in the row).
	Errors Errors `json:"errors"`
	Counts Counts `json:"counts"`
}

// Read reads a guest list for ev, CSV or XLSX (told apart by content),
// and checks every row; chk (nil: no check) says whether names and orgs
// can be printed. Problems of the list are in the preview; the error is
// for a list that could not be read at all ([ErrTooLarge],
// [ErrUnreadable]). Duplicates are not marked yet: see [Preview.MarkDuplicates].
func Read(r io.Reader, ev *pass.Event, chk signer.TextChecker) (*Preview, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRead, err)
	}
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("%w: larger than %d MiB; split the list", ErrTooLarge, MaxBytes>>20)
	}
	return Parse(b, ev, chk)
}

// Parse is [Read] of a list already in memory.
func Parse(b []byte, ev *pass.Event, chk signer.TextChecker) (*Preview, error) {
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("%w: larger than %d MiB; split the list", ErrTooLarge, MaxBytes>>20)
	}
	var src source
	format := CSV
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		format = XLSX
		var err error
		if src, err = openXLSX(b); err != nil {
			return nil, err
		}
	case bytes.HasPrefix(b, []byte("\xd0\xcf\x11\xe0")):
		return nil, fmt.Errorf("%w: an old .xls workbook or a password-protected one; save it as .xlsx (no password) or as CSV UTF-8", ErrUnreadable)
	default:
		src = openCSV(b)
	}
	defer src.close()
	p := &Preview{Event: ev.ID, Format: format, Errors: Errors{}}
	if err := p.read(src, ev, chk); err != nil {
		return nil, err
	}
	return p, nil
}

// A source gives the records of a list one at a time; line is the
// spreadsheet's row number of rec, and io.EOF ends it.
type source interface {
	next() (line int, rec []string, err error)
	cell(line, column int) string // "C7" for XLSX, "" for CSV
	// time reads a time cell by the one rule ([pass.ParseTime]); an XLSX
	// date cell is also read as its wall clock in loc.
	time(s string, loc *time.Location) (time.Time, error)
	close()
}

func (p *Preview) fail(e CellError) { p.Errors = append(p.Errors, e) }

func (p *Preview) read(src source, ev *pass.Event, chk signer.TextChecker) error {
	line, header, err := src.next()
	if err == io.EOF {
		p.fail(CellError{Line: 1, Message: "empty file: want a header row such as name,type,org,role"})
		return nil
	}
	if err != nil {
		return err
	}
	if len(header) > MaxColumns {
		return fmt.Errorf("%w: %d columns in the header, at most %d", ErrTooLarge, len(header), MaxColumns)
	}
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		p.Columns = append(p.Columns, name)
		switch {
		case name == "":
			// An empty header cell names no column: its cells are not read.
		case !slices.Contains(Columns, name):
			p.fail(CellError{Line: line, Column: i + 1, Cell: src.cell(line, i+1),
				Message: fmt.Sprintf("unknown column %q: want %s", clip(header[i]), strings.Join(Columns, ", "))})
		case col[name] != 0:
			p.fail(CellError{Line: line, Column: i + 1, Cell: src.cell(line, i+1),
				Message: fmt.Sprintf("column %q appears twice", name)})
		default:
			col[name] = i + 1
		}
	}
	for _, need := range []string{"name", "type"} {
		if col[need] == 0 {
			p.fail(CellError{Line: line, Message: fmt.Sprintf("missing column %q: the header needs at least name and type", need)})
		}
	}
	if len(p.Errors) > 0 {
		return nil // a header that is wrong makes every row wrong
	}
	cells := len(header)
	for {
		line, rec, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if blank(rec) {
			continue
		}
		if len(p.Rows) == MaxRows {
			return fmt.Errorf("%w: more than %d rows; split the list", ErrTooLarge, MaxRows)
		}
		if cells += len(rec); cells > MaxCells {
			return fmt.Errorf("%w: more than %d cells; split the list", ErrTooLarge, MaxCells)
		}
		row := parseRow(src, line, rec, header, col, ev, chk)
		p.Errors = append(p.Errors, row.Errors...)
		p.Rows = append(p.Rows, row)
	}
	if len(p.Rows) == 0 {
		p.fail(CellError{Line: line + 1, Message: "guest list has no rows (only a header)"})
	}
	p.count()
	return nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parseRow reads one row, collecting every error of it.
func parseRow(src source, line int, rec, header []string, col map[string]int, ev *pass.Event, chk signer.TextChecker) Row {
	row := Row{Line: line}
	bad := func(c int, format string, args ...any) {
		e := CellError{Line: line, Column: c, Message: fmt.Sprintf(format, args...)}
		if c > 0 {
			e.Header, e.Cell = header[c-1], src.cell(line, c)
		}
		row.Errors = append(row.Errors, e)
	}
	if len(rec) > len(header) {
		for i := len(header); i < len(rec); i++ {
			if strings.TrimSpace(rec[i]) != "" {
				bad(0, "%d fields, but the header has %d (a comma in a name needs \"quotes\")", len(rec), len(header))
				return row
			}
		}
	}
	get := func(name string) (string, int) {
		c := col[name]
		if c == 0 || c > len(rec) {
			return "", c
		}
		v := strings.TrimSpace(rec[c-1])
		switch {
		case len(v) > MaxCellBytes:
			bad(c, "longer than %d bytes", MaxCellBytes)
			return "", -c
		case !utf8.ValidString(v):
			bad(c, "not UTF-8 text: save the sheet as \"CSV UTF-8\" or as .xlsx")
			return "", -c
		}
		return v, c
	}
	req := &row.req
	var c int
	row.Name, c = get("name")
	req.Name = row.Name
	if row.Name == "" && c > 0 {
		bad(c, "name is empty: want the holder's name as printed on the pass")
	}
	row.Type, c = get("type")
	if c > 0 {
		t, err := pass.ParseType(row.Type)
		if err != nil {
			bad(c, "%v", err)
		}
		req.Type = t
	}
	row.Org, _ = get("org")
	req.Org = row.Org
	row.Photo, req.PhotoCol = get("photo")
	req.PhotoFile = row.Photo
	if ref, c := get("ref"); ref != "" {
		if err := pass.CheckText("ref", ref, record.MaxRefLen, false); err != nil {
			bad(c, "%v", err)
		}
		row.Ref, req.Ref = ref, ref
	}
	role, c := get("role")
	switch {
	case role != "":
		r, err := pass.ParseRole(role)
		if err != nil {
			bad(c, "%v", err)
		}
		row.Role, req.Role = r, r
	case req.Type == pass.Staff && c == 0:
		bad(0, "a STAFF pass needs a role: add a role column (catering, security, publicist, merchandising, …)")
	case req.Type == pass.Staff && c > 0:
		bad(c, "a STAFF pass needs a role: want catering, security, publicist, merchandising or another role")
	}
	for _, f := range []struct {
		name  string
		shown *string
		dst   *time.Time
	}{{"valid_from", &row.ValidFrom, &req.ValidFrom}, {"valid_until", &row.ValidUntil, &req.ValidUntil}} {
		s, c := get(f.name)
		if s == "" {
			continue
		}
		t, err := src.time(s, ev.Location())
		if err != nil {
			bad(c, "%v", err)
			continue
		}
		*f.dst, *f.shown = t, pass.FormatTime(t, ev.Location())
	}
	if len(row.Errors) > 0 {
		return row
	}
	// Check the rest of the pass now, so that the error names this row.
	probe := pass.Pass{Serial: probeSerial, Event: ev.ID, Type: req.Type, Role: req.Role, Name: req.Name,
		Org: req.Org, ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil}
	if probe.ValidUntil.IsZero() {
		probe.ValidUntil = ev.Schedule.AccessUntil
	}
	if err := probe.Validate(); err != nil {
		msg := err.Error()
		switch {
		case strings.HasPrefix(msg, "name"):
			bad(col["name"], "%s", msg)
		case strings.HasPrefix(msg, "org"):
			bad(col["org"], "%s", msg)
		case strings.HasPrefix(msg, "pass valid until"):
			bad(col["valid_until"], "%s", msg)
		default:
			bad(0, "%s", msg)
		}
		return row
	}
	if err := signer.CheckPrintable(chk, req); err != nil {
		c := col["name"]
		if strings.HasPrefix(err.Error(), "org") {
			c = col["org"]
		}
		bad(c, "%v", err)
	}
	return row
}

// probeSerial is a well-formed serial used only to validate rows.
var probeSerial = func() pass.Serial {
	s, err := pass.ParseSerial("2222-2222")
	if err != nil {
		panic(err)
	}
	return s
}()

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// NameKey is a name as duplicates are found by: Unicode NFKC, lower case,
// spaces collapsed. "  BJÖRK  Guðmundsdóttir" and "Björk Guðmundsdóttir"
// are the same guest; "Zoe" and "Zoë" are not.
func NameKey(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFKC.String(name))), " ")
}

type nameKey struct {
	t    pass.Type
	name string
}

// MarkDuplicates marks the good rows that repeat one of existing (the
// event's passes, [store.Store.PassKeys]; revoked passes repeat nothing,
// so a list issues again for a guest whose pass was revoked) or an
// earlier row, by external reference first, then by type and name.
func (p *Preview) MarkDuplicates(existing []store.PassKey) {
	byRef := map[string]pass.Serial{}
	byName := map[nameKey]pass.Serial{}
	for _, k := range existing {
		if k.Revoked {
			continue
		}
		if k.Ref != "" {
			if _, ok := byRef[k.Ref]; !ok {
				byRef[k.Ref] = k.Serial
			}
		}
		nk := nameKey{k.Type, NameKey(k.Name)}
		if _, ok := byName[nk]; !ok {
			byName[nk] = k.Serial
		}
	}
	rowRef := map[string]int{}
	rowName := map[nameKey]int{}
	for i := range p.Rows {
		r := &p.Rows[i]
		r.Duplicate = nil
		if !r.OK() {
			continue
		}
		nk := nameKey{r.req.Type, NameKey(r.req.Name)}
		switch s, okRef := byRef[r.Ref]; {
		case r.Ref != "" && okRef:
			r.Duplicate = &Duplicate{Of: OfIssued, By: ByRef, Serial: s}
		case byName[nk] != "":
			r.Duplicate = &Duplicate{Of: OfIssued, By: ByName, Serial: byName[nk]}
		case r.Ref != "" && rowRef[r.Ref] != 0:
			r.Duplicate = &Duplicate{Of: OfFile, By: ByRef, Line: rowRef[r.Ref]}
		case rowName[nk] != 0:
			r.Duplicate = &Duplicate{Of: OfFile, By: ByName, Line: rowName[nk]}
		}
		if r.Ref != "" && rowRef[r.Ref] == 0 {
			rowRef[r.Ref] = r.Line
		}
		if rowName[nk] == 0 {
			rowName[nk] = r.Line
		}
	}
	p.count()
}

func (p *Preview) count() {
	c := Counts{Rows: len(p.Rows)}
	for i := range p.Rows {
		r := &p.Rows[i]
		switch {
		case !r.OK():
			c.Errors++
		case r.Duplicate == nil:
			c.New++
		case r.Duplicate.Of == OfIssued:
			c.AlreadyIssued++
		default:
			c.Repeated++
		}
	}
	p.Counts = c
}

// Choices for the rows that repeat a pass or a row.
const (
	Skip  = "skip"  // issue only the new rows
	Issue = "issue" // issue every row, duplicates too
)

// ParseChoice reads a duplicates choice: "skip" or "issue".
func ParseChoice(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case Skip:
		return Skip, nil
	case Issue:
		return Issue, nil
	}
	return "", fmt.Errorf("duplicates %q: want skip (issue only the new rows) or issue (issue duplicates too)", clip(s))
}

// Requests are the passes to issue by choice ([Skip] or [Issue]), in the
// list's order. A list with any error gives its [Errors] and nothing: a
// list is issued all or nothing.
func (p *Preview) Requests(choice string) ([]signer.Request, error) {
	if len(p.Errors) > 0 {
		return nil, p.Errors
	}
	var out []signer.Request
	for i := range p.Rows {
		r := &p.Rows[i]
		if r.Duplicate != nil && choice != Issue {
			continue
		}
		req := r.req
		req.Line = r.Line
		out = append(out, req)
	}
	return out, nil
}

// Summary says what issuing by choice does: "9 already issued, 0 new",
// with the rows repeated inside the list when there are any.
func (p *Preview) Summary() string {
	s := fmt.Sprintf("%d already issued, %d new", p.Counts.AlreadyIssued, p.Counts.New)
	if p.Counts.Repeated > 0 {
		s += fmt.Sprintf(", %d repeated in the list", p.Counts.Repeated)
	}
	return s
}

// plural is one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Keys finds the passes already issued for an event; a store.Store is one.
type Keys interface {
	PassKeys(ctx context.Context, event string) ([]store.PassKey, error)
}

// Check reads a guest list for ev ([Read]) and marks the rows that repeat
// a pass already issued for it, found in st: the preview a person
// confirms, and the check every batch passes before it is issued.
func Check(ctx context.Context, r io.Reader, ev *pass.Event, chk signer.TextChecker, st Keys) (*Preview, error) {
	p, err := Read(r, ev, chk)
	if err != nil {
		return nil, err
	}
	keys, err := st.PassKeys(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	p.MarkDuplicates(keys)
	return p, nil
}

// DuplicateLines says, for at most max duplicate rows, what each repeats
// ("line 2 (Björk): already issued as 7K3M-Q9ZD", "line 5 (Ann): repeats
// line 3"), and how many more there are.
func (p *Preview) DuplicateLines(max int) []string {
	var out []string
	n := 0
	for _, r := range p.Rows {
		if r.Duplicate == nil {
			continue
		}
		if n++; n > max {
			continue
		}
		if r.Duplicate.Of == OfIssued {
			out = append(out, fmt.Sprintf("line %d (%s): already issued as %s", r.Line, r.Name, r.Duplicate.Serial))
		} else {
			out = append(out, fmt.Sprintf("line %d (%s): repeats line %d", r.Line, r.Name, r.Duplicate.Line))
		}
	}
	if n > max {
		out = append(out, fmt.Sprintf("… and %d more", n-max))
	}
	return out
}

// Notes are what a command line says about p once the duplicates are
// skipped or, with allowDups, issued too (issuing is how many rows that
// leaves): what was found, the duplicate rows, and what becomes of them.
// Each note is prefixed with name (the file); nil when nothing repeats.
func (p *Preview) Notes(name string, allowDups bool, issuing int) []string {
	dups := p.Counts.AlreadyIssued + p.Counts.Repeated
	if dups == 0 {
		return nil
	}
	out := []string{name + ": " + p.Summary()}
	for _, l := range p.DuplicateLines(20) {
		out = append(out, "  "+l)
	}
	switch {
	case allowDups:
		out = append(out, fmt.Sprintf("--allow-duplicates: issuing the %d %s too", dups, plural(dups, "duplicate", "duplicates")))
	case issuing == 0:
		out = append(out, "nothing issued (--allow-duplicates issues them again)")
	default:
		out = append(out, fmt.Sprintf("issuing the %d %s only (--allow-duplicates issues the others too)", issuing, plural(issuing, "new row", "new rows")))
	}
	return out
}

// Load is how a command line reads a guest list named name from r for ev:
// [Check], then the requests to issue (rows that repeat a pass or an
// earlier row only with allowDups). lines are what to tell the operator,
// even when err is set: the errors after the first (which err carries),
// at most 49, then the [Preview.Notes]. Errors are prefixed with name.
func Load(ctx context.Context, r io.Reader, name string, ev *pass.Event, chk signer.TextChecker, st Keys, allowDups bool) (reqs []signer.Request, lines []string, err error) {
	p, err := Check(ctx, r, ev, chk, st)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(p.Errors) > 1 {
		for _, e := range p.Errors[1:min(len(p.Errors), 50)] {
			lines = append(lines, name+": "+e.Error())
		}
	}
	choice := Skip
	if allowDups {
		choice = Issue
	}
	if reqs, err = p.Requests(choice); err != nil {
		return nil, lines, fmt.Errorf("%s: %w", name, err)
	}
	return reqs, append(lines, p.Notes(name, allowDups, len(reqs))...), nil
}

// Open opens the guest list at path for [Load], or stdin for "-"; name is
// what errors call it (the path, or "standard input").
func Open(path string, stdin io.Reader) (r io.ReadCloser, name string, err error) {
	if path == "-" {
		return io.NopCloser(stdin), "standard input", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("guest list: %w", err)
	}
	return f, path, nil
}
