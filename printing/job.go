package printing

import (
	"errors"

	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/render/zpl"
)

// NewJob is the job of "laminate render"'s flags, checked: format is pdf or
// zpl, a printer (toPrinter) takes ZPL, dpi is for labels only and one the
// printers have, duplex and crop marks are for sheets. Its errors are
// usage errors, worded for the flags.
func NewJob(format string, dpi int, toPrinter, duplex, cropMarks bool) (Job, error) {
	job := Job{Format: format, Duplex: duplex, CropMarks: cropMarks}
	switch format {
	case record.FormatPDF:
		if toPrinter {
			return Job{}, errors.New("--printer sends ZPL: add --format zpl")
		}
	case record.FormatZPL:
		if _, err := zpl.DotsPerMM(dpi); err != nil {
			return Job{}, errors.New("--dpi must be 203 or 300")
		}
		if duplex || cropMarks {
			return Job{}, errors.New("--duplex and --crop-marks are for PDF sheets, not labels")
		}
		job.DPI = dpi
	default:
		return Job{}, errors.New("--format must be pdf or zpl")
	}
	return job, nil
}
