package guestlist

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/laminate/laminate/pass"
)

// Limits of an XLSX workbook once unzipped, checked by [checkZip] on the
// zip's directory and on the bytes themselves before excelize reads the
// file: excelize keeps every part but a worksheet in memory and parses
// sharedStrings.xml into structs several times its size, so a small
// upload that unzips to a lot is refused first.
const (
	maxXLSXUnzip = 128 << 20 // every part together
	maxXLSXPart  = 16 << 20  // one part read into memory (all but worksheets)
	// One worksheet: excelize streams one over maxXLSXPart from a
	// temporary file, and MaxRows and MaxColumns bound what is kept (a
	// list of 100,000 rows is about 30 MiB of XML).
	maxXLSXSheet = 64 << 20
	// A part over maxRatioFrom bytes may be at most maxRatio times its
	// compressed size (a real workbook's XML packs about 5 to 20 to 1).
	maxRatio     = 100
	maxRatioFrom = 1 << 20
	maxXLSXParts = 10000 // entries in the zip
)

// checkZip refuses a workbook that unzips to more than the limits: by the
// sizes its directory declares, then by reading every part (the bytes, not
// the declaration) through a limit.
func checkZip(b []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return fmt.Errorf("%w: not a readable .xlsx workbook (%v); save it again as .xlsx or as CSV UTF-8", ErrUnreadable, err)
	}
	if len(zr.File) > maxXLSXParts {
		return fmt.Errorf("%w: the workbook has more than %d parts", ErrTooLarge, maxXLSXParts)
	}
	var total uint64
	for _, f := range zr.File {
		size, limit := f.UncompressedSize64, partLimit(f.Name)
		if size > limit {
			return fmt.Errorf("%w: the workbook's part %s unzips to %d MiB, over the limit of %d MiB %s; split the list or save it as CSV UTF-8", ErrTooLarge, f.Name, size>>20, limit>>20, partWhat(f.Name))
		}
		if size > maxRatioFrom && size > maxRatio*f.CompressedSize64 {
			return fmt.Errorf("%w: the workbook's part %s unzips to more than %d times its packed size (the limit for a part over %d MiB); save it again as .xlsx or as CSV UTF-8", ErrTooLarge, f.Name, maxRatio, maxRatioFrom>>20)
		}
		if total += size; total > maxXLSXUnzip {
			return fmt.Errorf("%w: the workbook unzips to more than %d MiB in all, over the limit; split the list or save it as CSV UTF-8", ErrTooLarge, maxXLSXUnzip>>20)
		}
	}
	// The declared sizes can lie: read every part through a limit.
	total = 0
	for _, f := range zr.File {
		limit := partLimit(f.Name)
		n, err := readPart(f, limit)
		if err != nil {
			return err
		}
		if uint64(n) > limit {
			return fmt.Errorf("%w: the workbook's part %s unzips to more than %d MiB, over the limit of %d MiB %s; split the list or save it as CSV UTF-8", ErrTooLarge, f.Name, limit>>20, limit>>20, partWhat(f.Name))
		}
		if total += uint64(n); total > maxXLSXUnzip {
			return fmt.Errorf("%w: the workbook unzips to more than %d MiB in all, over the limit; split the list or save it as CSV UTF-8", ErrTooLarge, maxXLSXUnzip>>20)
		}
	}
	return nil
}

// isSheet says whether a part is a worksheet (xl/worksheets/sheet1.xml).
func isSheet(name string) bool {
	return strings.HasPrefix(name, "xl/worksheets/") && strings.HasSuffix(name, ".xml") && !strings.Contains(name[len("xl/worksheets/"):], "/")
}

func partLimit(name string) uint64 {
	if isSheet(name) {
		return maxXLSXSheet
	}
	return maxXLSXPart
}

func partWhat(name string) string {
	if isSheet(name) {
		return "a worksheet"
	}
	return "a part"
}

// readPart counts the bytes of a part, reading at most one more than
// limit.
func readPart(f *zip.File, limit uint64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("%w: the workbook's part %s cannot be read (%v); save it again as .xlsx or as CSV UTF-8", ErrUnreadable, f.Name, err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(rc, int64(limit)+1))
	if err != nil {
		return 0, fmt.Errorf("%w: the workbook's part %s cannot be read (%v); save it again as .xlsx or as CSV UTF-8", ErrUnreadable, f.Name, err)
	}
	return n, nil
}

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
	if err := checkZip(b); err != nil {
		return nil, err
	}
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
