package printing

import (
	"testing"

	"github.com/laminate/laminate/record"
)

func TestNewJob(t *testing.T) {
	for _, c := range []struct {
		format                     string
		dpi                        int
		printer, duplex, cropMarks bool
		err                        string
	}{
		{format: record.FormatPDF, dpi: 203, duplex: true, cropMarks: true}, // dpi is for labels
		{format: record.FormatPDF, printer: true, err: "--printer sends ZPL: add --format zpl"},
		{format: record.FormatZPL, dpi: 300, printer: true},
		{format: record.FormatZPL, dpi: 600, err: "--dpi must be 203 or 300"},
		{format: record.FormatZPL, dpi: 203, duplex: true, err: "--duplex and --crop-marks are for PDF sheets, not labels"},
		{format: "svg", err: "--format must be pdf or zpl"},
	} {
		j, err := NewJob(c.format, c.dpi, c.printer, c.duplex, c.cropMarks)
		switch {
		case c.err != "" && (err == nil || err.Error() != c.err):
			t.Errorf("NewJob(%+v) err = %v, want %q", c, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("NewJob(%+v) err = %v", c, err)
		case c.err == "" && (j.Format != c.format || j.Duplex != c.duplex || j.CropMarks != c.cropMarks ||
			j.DPI != map[bool]int{true: c.dpi}[c.format == record.FormatZPL]):
			t.Errorf("NewJob(%+v) = %+v", c, j)
		}
	}
	if Count(1, "pass", "passes") != "1 pass" || Count(0, "pass", "passes") != "0 passes" {
		t.Error("Count")
	}
}
