package signer

import (
	"fmt"
	"time"

	"github.com/laminate/laminate/pass"
)

// RowError names the line and column of a guest-list row whose photo
// cannot be loaded ([LoadPhotos]). Package guestlist reads guest lists.
type RowError struct {
	Line   int    // 1-based line of the guest list
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

// ParseTime reads a time by the one rule of guest lists, the CLI and the
// API: [pass.ParseTime].
func ParseTime(s string, loc *time.Location) (time.Time, error) { return pass.ParseTime(s, loc) }

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
