// Package printing is the print desk's service (issue 13): it chooses
// the passes to print (a list of serials, every pass of an event, or
// those not printed yet), draws them as a PDF sheet (package render) or
// as ZPL labels for a thermal printer (package render/zpl), warns about
// passes printed before, and writes the print log. The server's print
// endpoints and "laminate render" call it, so both choose, warn and log
// alike.
//
// Printing is not entry: a print is logged and audited, never a scan.
//
// It sits beside package issue: it knows nothing of HTTP, the CLI or a
// particular database (docs/design.md, "Layers and packages").
package printing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/render/typeset"
	"github.com/laminate/laminate/render/zpl"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/templates"
)

// MaxPasses is the cap the server puts on one print job ([Selection].Max):
// a sheet of this many passes is a minute of drawing and tens of
// megabytes of PDF in one answer.
const MaxPasses = 2000

// Errors a caller can act on; each is wrapped with detail.
var (
	ErrNoPass        = errors.New("no such pass")
	ErrRevoked       = errors.New("it is not printed")
	ErrOtherEvent    = errors.New("one print job prints one event")
	ErrNothing       = errors.New("nothing to print")
	ErrTooMany       = errors.New("too many passes in one print job")
	ErrBadSelection  = errors.New("give serials, all, or not printed")
	ErrUnknownFormat = errors.New("format must be pdf or zpl")
)

// Selection says which passes to print.
type Selection struct {
	Event      string        // required
	Serials    []pass.Serial // these passes, in this order
	All        bool          // every pass of Event that is not revoked
	NotPrinted bool          // every pass of Event not revoked and never printed
	Max        int           // the most passes to print (ErrTooMany beyond); 0: no limit
}

// Select returns the passes of sel. A serial that is unknown, of another
// event or revoked is an error; the filters leave revoked passes out.
func Select(ctx context.Context, st store.Store, sel Selection) ([]store.Issued, error) {
	n := 0
	for _, b := range []bool{len(sel.Serials) > 0, sel.All, sel.NotPrinted} {
		if b {
			n++
		}
	}
	if n != 1 {
		return nil, ErrBadSelection
	}
	if sel.Max > 0 && len(sel.Serials) > sel.Max {
		return nil, fmt.Errorf("%w: %d serials, at most %d", ErrTooMany, len(sel.Serials), sel.Max)
	}
	var out []store.Issued
	if len(sel.Serials) > 0 {
		for _, s := range sel.Serials {
			p, err := st.Pass(ctx, s)
			if errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("%w: %s", ErrNoPass, s)
			}
			if err != nil {
				return nil, err
			}
			if p.Event != sel.Event {
				return nil, fmt.Errorf("pass %s is for event %s, not %s: %w", s, p.Event, sel.Event, ErrOtherEvent)
			}
			if r, err := st.Revocation(ctx, s); err == nil {
				return nil, fmt.Errorf("pass %s is revoked (%s): %w", s, r.Category, ErrRevoked)
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			out = append(out, *p)
		}
		return out, nil
	}
	ps, err := st.Passes(ctx, store.PassFilter{Event: sel.Event})
	if err != nil {
		return nil, err
	}
	var printed map[pass.Serial]record.PrintStatus
	if sel.NotPrinted {
		if printed, err = st.PrintStatus(ctx, sel.Event); err != nil {
			return nil, err
		}
	}
	for _, p := range ps {
		if printed[p.Serial].Printed() {
			continue
		}
		if _, err := st.Revocation(ctx, p.Serial); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		out = append(out, *p)
	}
	if len(out) == 0 {
		what := "no passes"
		if sel.NotPrinted {
			what = "no passes left unprinted"
		}
		return nil, fmt.Errorf("%w: event %s has %s", ErrNothing, sel.Event, what)
	}
	if sel.Max > 0 && len(out) > sel.Max {
		return nil, fmt.Errorf("%w: %d selected, at most %d: print them in parts, by serial", ErrTooMany, len(out), sel.Max)
	}
	return out, nil
}

// Job says how to print.
type Job struct {
	Template      *templates.Template
	Format        string // record.FormatPDF or record.FormatZPL
	DPI           int    // ZPL: 203 or 300
	Duplex        bool   // PDF: back pages
	CropMarks     bool   // PDF
	ArtworkSecret []byte // PDF
	Fonts         *typeset.Library
	Progress      func(done, total int) // PDF, optional
}

// Output is a print job's document.
type Output struct {
	Data        []byte
	ContentType string // application/pdf or application/x-zpl
	Ext         string // ".pdf" or ".zpl"
	// Warnings name each pass printed before: "pass 7K2M-9QX4: already
	// printed 2 times, last at 18:04 +01:00 by NAME".
	Warnings []string
}

// Render draws passes (all of one event, ev) as job says, with a warning
// for each pass printed before. It writes nothing to the store: call
// [Log] once the document is handed over.
func Render(ctx context.Context, st store.Store, ev *pass.Event, passes []store.Issued, job Job, now time.Time) (*Output, error) {
	if job.Template == nil {
		return nil, errors.New("printing: no template")
	}
	status, err := st.PrintStatus(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	out := &Output{Warnings: Warnings(status, passes, ev.Location(), now)}
	var buf bytes.Buffer
	switch job.Format {
	case record.FormatPDF, "":
		if err := store.WithPhotos(ctx, st, passes); err != nil {
			return nil, err
		}
		items := make([]render.Item, len(passes))
		for i := range passes {
			items[i] = render.Item{Pass: passes[i].Pass, Token: passes[i].Token, Event: ev, Photo: passes[i].PhotoJPEG}
		}
		err = render.WritePDF(&buf, items, render.Options{Template: job.Template, ArtworkSecret: job.ArtworkSecret,
			CropMarks: job.CropMarks, Duplex: job.Duplex, Fonts: job.Fonts, Progress: job.Progress})
		out.ContentType, out.Ext = "application/pdf", ".pdf"
	case record.FormatZPL:
		items := make([]zpl.Item, len(passes))
		for i := range passes {
			items[i] = zpl.Item{Pass: passes[i].Pass, Token: passes[i].Token, Event: ev}
		}
		err = zpl.Write(&buf, items, zpl.Options{Template: job.Template, DPI: job.DPI, Fonts: job.Fonts})
		out.ContentType, out.Ext = "application/x-zpl", ".zpl"
	default:
		return nil, fmt.Errorf("%w, not %q", ErrUnknownFormat, job.Format)
	}
	if err != nil {
		return nil, err
	}
	out.Data = buf.Bytes()
	return out, nil
}

// Warnings lists the passes that status says were printed before, in the
// order of passes, each with its count, its last print's time in loc and
// who printed it.
func Warnings(status map[pass.Serial]record.PrintStatus, passes []store.Issued, loc *time.Location, now time.Time) []string {
	var out []string
	for i := range passes {
		if w := status[passes[i].Serial].ReprintWarning(loc, now); w != "" {
			out = append(out, "pass "+passes[i].Serial.String()+": "+w)
		}
	}
	return out
}

// Log writes one print per pass to the print log, with its audit rows,
// all or nothing.
func Log(ctx context.Context, st store.Store, passes []store.Issued, job Job, actor string, at time.Time) error {
	format := job.Format
	if format == "" {
		format = record.FormatPDF
	}
	prints := make([]record.Print, len(passes))
	for i := range passes {
		prints[i] = record.Print{Serial: passes[i].Serial, At: at, Actor: actor, Template: job.Template.Name, Format: format}
	}
	return st.RecordPrints(ctx, prints)
}

// Pages is the number of sheets' sides n passes take on the job's
// template: twice the sheets with Duplex.
func (j Job) Pages(n int) int {
	p := (n + j.Template.PerPage() - 1) / j.Template.PerPage()
	if j.Duplex {
		p *= 2
	}
	return p
}

// Summary says what the job made of n passes: "3 passes on 1 page", or
// for labels "3 labels at 203 dpi, 1234 bytes" (size is the output's).
func (j Job) Summary(n, size int) string {
	if j.Format == record.FormatZPL {
		return fmt.Sprintf("%s at %d dpi, %d bytes", Count(n, "label", "labels"), j.DPI, size)
	}
	return fmt.Sprintf("%s on %s", Count(n, "pass", "passes"), Count(j.Pages(n), "page", "pages"))
}

// Count is n with its noun: "1 pass", "2 passes".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
