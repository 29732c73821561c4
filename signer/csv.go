package signer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/laminate/laminate/pass"
)

// Limits on a guest list.
const (
	MaxGuestListBytes = 32 << 20 // 32 MiB
	MaxGuestListRows  = 100_000
)

// Columns of a guest list. name and type are required, the others optional.
var guestColumns = []string{"name", "type", "org", "role", "valid_from", "valid_until", "photo"}

// RowError names the line and column of a bad guest-list cell.
type RowError struct {
	Line   int    // 1-based line of the CSV file
	Column int    // 1-based column, 0 when the whole row is wrong
	Field  string // column name, when known
	Err    error
}

func (e *RowError) Error() string {
	switch {
	case e.Column > 0 && e.Field != "":
		return fmt.Sprintf("line %d, column %d (%s): %v", e.Line, e.Column, e.Field, e.Err)
	case e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// ErrEmptyGuestList is returned for a guest list with a header and no rows.
var ErrEmptyGuestList = errors.New("guest list has no rows")

// ParseGuestList reads a CSV guest list for ev: a header row naming the
// columns (any order, any case; name and type required; org, role,
// valid_from, valid_until and photo optional), then one pass per row. A
// photo cell names a file that [LoadPhotos] reads. Times are
// RFC 3339 or "YYYY-MM-DD HH:MM" in the event's time zone. The first bad
// cell stops the parse with a [*RowError].
func ParseGuestList(r io.Reader, ev *pass.Event) ([]Request, error) {
	return ParseGuestListFor(r, ev, nil)
}

// ParseGuestListFor is [ParseGuestList] that also asks chk (when not nil)
// whether each name and org can be printed, so that a name no font prints
// is refused with its line and column.
func ParseGuestListFor(r io.Reader, ev *pass.Event, chk TextChecker) ([]Request, error) {
	lr := &io.LimitedReader{R: r, N: MaxGuestListBytes + 1}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1 // row length checked below, with a clearer message
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &RowError{Line: 1, Err: errors.New("empty file: want a header row such as name,type,org,role")}
	}
	if err != nil {
		return nil, csvErr(err)
	}
	header = slices.Clone(header) // ReuseRecord would overwrite it
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(guestColumns, name) {
			return nil, &RowError{Line: 1, Column: i + 1, Err: fmt.Errorf("unknown column %q (want %s)", h, strings.Join(guestColumns, ", "))}
		}
		if _, dup := col[name]; dup {
			return nil, &RowError{Line: 1, Column: i + 1, Err: fmt.Errorf("column %q appears twice", name)}
		}
		col[name] = i
	}
	for _, need := range []string{"name", "type"} {
		if _, ok := col[need]; !ok {
			return nil, &RowError{Line: 1, Err: fmt.Errorf("missing column %q (the header needs at least name,type)", need)}
		}
	}
	var reqs []Request
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("guest list larger than %d MiB", MaxGuestListBytes>>20)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, &RowError{Line: line, Err: fmt.Errorf("%d fields, but the header has %d (a comma in a name needs \"quotes\")", len(rec), len(header))}
		}
		if len(reqs) == MaxGuestListRows {
			return nil, &RowError{Line: line, Err: fmt.Errorf("more than %d rows; split the list", MaxGuestListRows)}
		}
		req, rerr := parseRow(rec, col, ev, chk)
		if rerr != nil {
			rerr.Line = line
			if rerr.Column > 0 {
				rerr.Field = header[rerr.Column-1]
			}
			return nil, rerr
		}
		req.Line = line
		reqs = append(reqs, req)
	}
	if len(reqs) == 0 {
		return nil, ErrEmptyGuestList
	}
	return reqs, nil
}

func parseRow(rec []string, col map[string]int, ev *pass.Event, chk TextChecker) (Request, *RowError) {
	get := func(name string) (string, int) {
		i, ok := col[name]
		if !ok {
			return "", 0
		}
		return strings.TrimSpace(rec[i]), i + 1
	}
	var req Request
	name, c := get("name")
	if name == "" {
		return req, &RowError{Column: c, Err: errors.New("name is empty")}
	}
	req.Name = name
	typ, c := get("type")
	t, err := pass.ParseType(typ)
	if err != nil {
		return req, &RowError{Column: c, Err: err}
	}
	req.Type = t
	req.Org, _ = get("org")
	req.PhotoFile, req.PhotoCol = get("photo")
	if role, c := get("role"); role != "" {
		if req.Role, err = pass.ParseRole(role); err != nil {
			return req, &RowError{Column: c, Err: err}
		}
	} else if t == pass.Staff {
		if c == 0 {
			return req, &RowError{Err: errors.New("a STAFF pass needs a role: add a role column")}
		}
		return req, &RowError{Column: c, Err: errors.New("a STAFF pass needs a role (catering, security, publicist, merchandising, …)")}
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"valid_from", &req.ValidFrom}, {"valid_until", &req.ValidUntil}} {
		s, c := get(f.name)
		if s == "" {
			continue
		}
		if *f.dst, err = ParseTime(s, ev.Location()); err != nil {
			return req, &RowError{Column: c, Err: err}
		}
	}
	// Check the rest of the pass now, so the error names this row.
	probe := pass.Pass{Serial: probeSerial, Event: ev.ID, Type: req.Type, Role: req.Role, Name: req.Name,
		Org: req.Org, ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil}
	if probe.ValidUntil.IsZero() {
		probe.ValidUntil = ev.Schedule.AccessUntil
	}
	if err := probe.Validate(); err != nil {
		c := 0
		switch {
		case strings.HasPrefix(err.Error(), "name"):
			_, c = get("name")
		case strings.HasPrefix(err.Error(), "org"):
			_, c = get("org")
		case strings.HasPrefix(err.Error(), "pass valid until"):
			_, c = get("valid_until")
		}
		return req, &RowError{Column: c, Err: err}
	}
	if err := checkPrintable(chk, &req); err != nil {
		_, c := get(err.field)
		return req, &RowError{Column: c, Err: err}
	}
	return req, nil
}

// probeSerial is a well-formed serial used only to validate rows.
var probeSerial = func() pass.Serial {
	s, err := pass.ParseSerial("2222-2222")
	if err != nil {
		panic(err)
	}
	return s
}()

// ParseTime reads a time by the one rule of guest lists, the CLI and the
// API: [pass.ParseTime].
func ParseTime(s string, loc *time.Location) (time.Time, error) { return pass.ParseTime(s, loc) }

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RowError{Line: pe.Line, Column: pe.Column, Err: pe.Err}
	}
	return err
}

// maxBatchPhotos caps the prepared photos of one guest list, in bytes: a
// list cannot hold more in memory than this, however its rows name them.
var maxBatchPhotos = 512 << 20

// LoadPhotos fills in the Photo of every request whose guest-list row
// names one: load reads the named file and prepares it (photo.Open and
// photo.Process, say). Each file is loaded once, however many rows name it,
// and the prepared photos of one list come to at most 512 MiB. The first
// error names the row and the photo column. A list that names photos when
// load is nil is refused: its photos would be silently left out.
func LoadPhotos(reqs []Request, load func(name string) ([]byte, error)) error {
	loaded := map[string][]byte{}
	total := 0
	for i := range reqs {
		r := &reqs[i]
		if r.PhotoFile == "" {
			continue
		}
		if load == nil {
			return &RowError{Line: r.Line, Column: r.PhotoCol, Field: "photo",
				Err: fmt.Errorf("the guest list names photo %q but no photos were given (give a folder or ZIP of photos)", r.PhotoFile)}
		}
		b, ok := loaded[r.PhotoFile]
		if !ok {
			var err error
			if b, err = load(r.PhotoFile); err != nil {
				return &RowError{Line: r.Line, Column: r.PhotoCol, Field: "photo", Err: err}
			}
			if total += len(b); total > maxBatchPhotos {
				return &RowError{Line: r.Line, Column: r.PhotoCol, Field: "photo",
					Err: fmt.Errorf("the photos of this list come to more than %d MiB once prepared: split the list", maxBatchPhotos>>20)}
			}
			loaded[r.PhotoFile] = b
		}
		r.Photo = b
	}
	return nil
}
