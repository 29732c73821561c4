package guestlist

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/laminate/laminate/pass"
)

// Limits of an XLSX workbook once unzipped: excelize refuses a file
// over them before it is read.
const (
	maxXLSXUnzip = 256 << 20 // every part
	maxXLSXPart  = 64 << 20  // one worksheet's XML kept in memory
)

// xlsxSource reads the first worksheet of a workbook, cells as stored
// (no number format applied), so a date cell reads as its serial number.
type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	line int
}

func openXLSX(b []byte) (src *xlsxSource, err error) {
	defer func() {
		if r := recover(); r != nil { // a hostile workbook must not take the server down
			src, err = nil, fmt.Errorf("%w: not a readable .xlsx workbook", ErrUnreadable)
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{
		UnzipSizeLimit: maxXLSXUnzip, UnzipXMLSizeLimit: maxXLSXPart, RawCellValue: true,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: not a readable .xlsx workbook (%v); save it again as .xlsx or as CSV UTF-8", ErrUnreadable, err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, fmt.Errorf("%w: the workbook has no worksheet", ErrUnreadable)
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: worksheet %q cannot be read (%v)", ErrUnreadable, sheets[0], err)
	}
	return &xlsxSource{f: f, rows: rows}, nil
}

func (s *xlsxSource) next() (line int, rec []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			line, rec, err = 0, nil, fmt.Errorf("%w: not a readable .xlsx workbook", ErrUnreadable)
		}
	}()
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
		}
		return 0, nil, io.EOF
	}
	s.line++
	if s.line > MaxRows+1 {
		return 0, nil, fmt.Errorf("%w: more than %d rows; split the list", ErrTooLarge, MaxRows)
	}
	rec, err = s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return 0, nil, fmt.Errorf("%w: row %d: %v", ErrUnreadable, s.line, err)
	}
	if len(rec) > MaxColumns {
		// Cells far right of the header are ignored only when empty.
		for _, c := range rec[MaxColumns:] {
			if c != "" {
				return 0, nil, fmt.Errorf("%w: row %d has cells beyond column %d", ErrTooLarge, s.line, MaxColumns)
			}
		}
		rec = rec[:MaxColumns]
	}
	return s.line, rec, nil
}

func (s *xlsxSource) cell(line, column int) string {
	n, err := excelize.CoordinatesToCellName(column, line)
	if err != nil {
		return ""
	}
	return n
}

// time reads a text cell by the one rule, and a date cell (a number:
// days since 1900) as the wall clock it shows, in loc.
func (s *xlsxSource) time(v string, loc *time.Location) (time.Time, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 1 || f > 2958465 { // 2958465: 9999-12-31
		return pass.ParseTime(v, loc)
	}
	t, err := excelize.ExcelDateToTime(f, false)
	if err != nil {
		return pass.ParseTime(v, loc)
	}
	t = t.Round(time.Second)
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc), nil
}

func (s *xlsxSource) close() {
	s.rows.Close()
	s.f.Close()
}
