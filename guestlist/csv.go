package guestlist

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"time"

	"github.com/laminate/laminate/pass"
)

// csvSource reads a CSV list: comma-separated, or semicolon-separated when
// the header has semicolons and no comma (what a spreadsheet saves in
// much of Europe); an UTF-8 byte order mark is dropped.
type csvSource struct {
	r *csv.Reader
}

func openCSV(b []byte) *csvSource {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(b))
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if bytes.IndexByte(first, ';') >= 0 && bytes.IndexByte(first, ',') < 0 {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1 // row length checked with a clearer message
	r.LazyQuotes = false
	return &csvSource{r: r}
}

func (s *csvSource) next() (int, []string, error) {
	rec, err := s.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return 0, nil, fmt.Errorf("%w: line %d, column %d: %v (a quote in a cell needs the whole cell in \"quotes\" and the quote doubled)", ErrUnreadable, pe.Line, pe.Column, pe.Err)
		}
		return 0, nil, err
	}
	line, _ := s.r.FieldPos(0)
	return line, rec, nil
}

func (s *csvSource) cell(int, int) string { return "" }

func (s *csvSource) time(v string, loc *time.Location) (time.Time, error) {
	return pass.ParseTime(v, loc)
}

func (s *csvSource) close() {}
