package printing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/render/typeset"
	"github.com/laminate/laminate/render/zpl"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/templates"
)

// Desk is the print service as the office's pages use it (office.Printer):
// the office is a surface and may not import the renderers (gofpdf), so
// "laminate serve" hands it a Desk. Its methods take names and numbers,
// and its errors a person can act on carry [Refusal].
type Desk struct {
	Store         store.Store
	ArtworkSecret []byte
	Fonts         *typeset.Library
}

// Refusal is an error whose Message a person can act on (a bad choice,
// an unknown or revoked serial, a name too long for the label), as
// opposed to a fault of the server.
type Refusal struct {
	Message string
	Err     error
}

func (r *Refusal) Error() string { return r.Message }
func (r *Refusal) Unwrap() error { return r.Err }

// PersonMessage is the message for the person who asked.
func (r *Refusal) PersonMessage() string { return r.Message }

func refuse(err error) error {
	if err == nil {
		return nil
	}
	for _, e := range []error{ErrNoPass, ErrRevoked, ErrOtherEvent, ErrNothing, ErrTooMany, ErrBadSelection, ErrUnknownFormat,
		render.ErrModuleTooSmall, zpl.ErrModuleTooSmall, render.ErrNameTooLong, zpl.ErrNameTooLong, render.ErrPhotoMismatch} {
		if errors.Is(err, e) {
			return &Refusal{Message: err.Error(), Err: err}
		}
	}
	return err
}

// Templates names the shipped templates.
func (d Desk) Templates() []string {
	var out []string
	for _, t := range templates.List() {
		out = append(out, t.Name)
	}
	return out
}

// ZPLTemplate reports whether the shipped template name has a label size
// a thermal printer takes.
func (d Desk) ZPLTemplate(name string) bool {
	t, err := templates.Get(name)
	return err == nil && zpl.Supported(t) == nil
}

// job checks a shipped template, a format and a resolution.
func (d Desk) job(name, format string, dpi int) (Job, error) {
	tpl, err := templates.Get(name)
	if err != nil {
		return Job{}, &Refusal{Message: "template: " + err.Error(), Err: err}
	}
	job := Job{Template: tpl, Format: format, ArtworkSecret: d.ArtworkSecret, Fonts: d.Fonts}
	switch format {
	case "", record.FormatPDF:
		job.Format = record.FormatPDF
	case record.FormatZPL:
		if _, err := zpl.DotsPerMM(dpi); err != nil {
			return job, &Refusal{Message: fmt.Sprintf("ZPL is printed at 203 or 300 dpi, not %d.", dpi), Err: err}
		}
		if err := zpl.Supported(tpl); err != nil {
			return job, &Refusal{Message: "Template " + name + " has no label size for a thermal printer: choose PDF or another template.", Err: err}
		}
		job.DPI = dpi
	default:
		return job, &Refusal{Message: "Choose PDF or ZPL.", Err: ErrUnknownFormat}
	}
	return job, nil
}

// Select is [Select] with at most [MaxPasses] passes.
func (d Desk) Select(ctx context.Context, event string, serials []pass.Serial, all, notPrinted bool) ([]store.Issued, error) {
	ps, err := Select(ctx, d.Store, Selection{Event: event, Serials: serials, All: all, NotPrinted: notPrinted, Max: MaxPasses})
	return ps, refuse(err)
}

// Print renders passes of ev on template in format (pdf, or zpl at dpi)
// and logs the prints under actor, all or nothing: it answers the
// document, its content type and file extension, and a warning per pass
// printed before.
func (d Desk) Print(ctx context.Context, ev *pass.Event, passes []store.Issued, template, format string, dpi int, actor string, now time.Time) (data []byte, contentType, ext string, warnings []string, err error) {
	job, err := d.job(template, format, dpi)
	if err != nil {
		return nil, "", "", nil, err
	}
	out, err := Render(ctx, d.Store, ev, passes, job, now)
	if err != nil {
		return nil, "", "", nil, refuse(err)
	}
	if err := Log(ctx, d.Store, passes, job, actor, now); err != nil {
		return nil, "", "", nil, err
	}
	return out.Data, out.ContentType, out.Ext, out.Warnings, nil
}

// Preview draws one pass on template as a black-and-white PNG, the
// label as a thermal printer prints it (package render/zpl, pure Go; the
// PDF is not rasterised). dpi 0 is 203. A template without a label size
// gives a [Refusal].
func (d Desk) Preview(ev *pass.Event, p *store.Issued, template string, dpi int) ([]byte, error) {
	if dpi == 0 {
		dpi = 203
	}
	tpl, err := templates.Get(template)
	if err != nil {
		return nil, &Refusal{Message: "template: " + err.Error(), Err: err}
	}
	if err := zpl.Supported(tpl); err != nil {
		return nil, &Refusal{Message: "No picture of template " + template + ": only templates with a label size are drawn here.", Err: err}
	}
	bm, err := zpl.Label(zpl.Item{Pass: p.Pass, Token: p.Token, Event: ev}, zpl.Options{Template: tpl, DPI: dpi, Fonts: d.Fonts})
	if err != nil {
		return nil, refuse(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, bm.Image()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
