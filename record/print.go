package record

import (
	"fmt"
	"time"

	"github.com/laminate/laminate/pass"
)

// Print formats.
const (
	FormatPDF = "pdf"
	FormatZPL = "zpl"
)

// Print is one printing of a pass: a PDF or ZPL of it made for a printer
// (issue 13). Printing is not entry: a print is no scan.
type Print struct {
	Serial   pass.Serial
	At       time.Time
	Actor    string // who printed it, as the audit log names them
	Template string // the template's name
	Format   string // FormatPDF or FormatZPL
}

// Collection is a pass handed to its holder at the accreditation desk.
type Collection struct {
	Serial pass.Serial
	At     time.Time
	Actor  string
}

// PrintStatus is what the print log says of one pass.
type PrintStatus struct {
	Count     int
	Last      Print       // the latest print; zero when Count is 0
	Collected *Collection // nil: not collected
}

// Printed reports whether the pass was printed at least once.
func (s PrintStatus) Printed() bool { return s.Count > 0 }

// ReprintWarning is the warning shown before a pass is printed again, ""
// when it was never printed: "already printed 2 times, last at 18:04
// +01:00 by NAME". The time is in the event's zone loc with its offset;
// the date is added when the last print was not on now's day there.
func (s PrintStatus) ReprintWarning(loc *time.Location, now time.Time) string {
	if s.Count == 0 {
		return ""
	}
	times := "times"
	if s.Count == 1 {
		times = "time"
	}
	at := s.Last.At.In(loc)
	layout := "15:04 -07:00"
	if y, m, d := now.In(loc).Date(); y != at.Year() || m != at.Month() || d != at.Day() {
		layout = "2 Jan 2006 15:04 -07:00"
	}
	return fmt.Sprintf("already printed %d %s, last at %s by %s", s.Count, times, at.Format(layout), s.Last.Actor)
}
