package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/laminate/laminate/internal/atomicfile"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/printing"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/render/typeset"
	"github.com/laminate/laminate/render/zpl"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/templates"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// printFlags are the flags of every command that prints a sheet.
type printFlags struct {
	template  *string
	cropMarks *bool
	duplex    *bool
	fonts     *string
}

func addPrintFlags(fs *flagSet) printFlags {
	return printFlags{
		template:  fs.String("template", "", "sheet template: a shipped name (laminate templates list) or a JSON file"),
		cropMarks: fs.Bool("crop-marks", false, "corner marks for cutting plain stock"),
		duplex:    fs.Bool("duplex", false, "add back pages (QR again, zones, rules) for double-sided printing"),
		fonts:     fs.String("fonts", "", "folder of extra fonts (Noto) for scripts beyond Latin, Greek and Cyrillic; searched before the system font folders"),
	}
}

// fontLibrary is the fonts of --fonts DIR and the system font folders.
func fontLibrary(dir string) (*typeset.Library, error) {
	if dir == "" {
		return typeset.Default(), nil
	}
	if err := typeset.CheckDir(dir); err != nil {
		return nil, usagef("--fonts: %v", err)
	}
	return typeset.New(dir), nil
}

// loadTemplate loads --template with a friendly error.
func loadTemplate(name string) (*templates.Template, error) {
	t, err := templates.Load(name)
	if errors.Is(err, templates.ErrUnknown) {
		return nil, withHint(err, "\"laminate templates list\" shows them; a custom template is a path to a .json file")
	}
	return t, err
}

// renderPDF draws new passes of ev into memory (printing.Render):
// nothing reaches the disk unless the whole sheet could be drawn.
func (a *app) renderPDF(ctx context.Context, ev *pass.Event, job printing.Job, issued []store.Issued) ([]byte, error) {
	if err := a.pdfJob(&job, len(issued)); err != nil {
		return nil, err
	}
	doc, err := printing.Render(ctx, a.st, ev, issued, job, time.Now())
	if err != nil {
		return nil, err
	}
	return doc.Data, nil
}

// pdfJob adds the artwork secret and, for more than one pass, a progress
// bar to a PDF job.
func (a *app) pdfJob(job *printing.Job, n int) (err error) {
	if n > 1 {
		job.Progress = a.progress("drawing")
	}
	job.ArtworkSecret, err = keys.ArtworkSecret(a.g.data, time.Now())
	return err
}

func cmdRender(ctx context.Context, a *app, args []string) error {
	fs := a.flags("render")
	eventID := fs.String("event", "", "event id")
	var serials stringList
	fs.Var(&serials, "serial", "a pass to print (repeat for several)")
	all := fs.Bool("all", false, "every pass of the event that is not revoked")
	notPrinted := fs.Bool("not-printed", false, "every pass of the event that is not revoked and was never printed")
	out := fs.String("out", "", "file to write: the PDF, or the labels with --format zpl")
	format := fs.String("format", "pdf", "pdf (sheets) or zpl (one label per pass for a Zebra thermal printer)")
	dpi := fs.Int("dpi", 203, "zpl: the printer's resolution, 203 or 300")
	printer := fs.String("printer", "", "zpl: send the labels to this printer's raw port (host:port, usually 9100) instead of --out")
	pf := addPrintFlags(fs)
	if err := parseFlags(fs, args, "event", "template"); err != nil {
		return err
	}
	if (*out == "") == (*printer == "") {
		return usagef("render: give --out FILE, or --printer HOST:PORT with --format zpl")
	}
	job, err := printing.NewJob(*format, *dpi, *printer != "", *pf.duplex, *pf.cropMarks)
	if err != nil {
		return usagef("render: %v", err)
	}
	sel := printing.Selection{Event: *eventID, All: *all, NotPrinted: *notPrinted}
	if sel.Serials, err = pass.ParseSerials(serials); err != nil {
		return err
	}
	if job.Template, err = loadTemplate(*pf.template); err != nil {
		return err
	}
	if job.Format == record.FormatZPL {
		if err := zpl.Supported(job.Template); err != nil {
			return withHint(err, "print it with --format pdf, or choose a template of at most %d mm (laminate templates list)", zpl.MaxWidthMM)
		}
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	ev, err := a.event(ctx, *eventID)
	if err != nil {
		return err
	}
	passes, err := printing.Select(ctx, a.st, sel)
	if errors.Is(err, printing.ErrBadSelection) {
		return usagef("render: give --all, --not-printed or one or more --serial")
	}
	if err != nil {
		return err
	}
	if job.Fonts, err = fontLibrary(*pf.fonts); err != nil {
		return err
	}
	if job.Format == record.FormatPDF {
		if err := a.pdfJob(&job, len(passes)); err != nil {
			return err
		}
	}
	now := time.Now()
	doc, err := printing.Render(ctx, a.st, ev, passes, job, now)
	if err != nil {
		return err
	}
	for _, w := range doc.Warnings {
		a.infof("warning: %s", w)
	}
	what := job.Summary(len(passes), len(doc.Data))
	if *printer != "" {
		if err := zpl.Send(ctx, *printer, doc.Data); err != nil {
			return withHint(err, "check the printer's address and that it is on; write the labels to a file with --out")
		}
		what = "sent to " + *printer + ": " + what
	} else {
		if err := atomicfile.WriteFile(*out, doc.Data, 0o644); err != nil {
			return err
		}
		what = "wrote " + *out + ": " + what
	}
	if err := printing.Log(ctx, a.st, passes, job, a.actor(), now); err != nil {
		return fmt.Errorf("printed, but the print log could not be written: %w", err)
	}
	a.infof("%s (%s)", what, job.Template.Name)
	return nil
}

func cmdTemplates(ctx context.Context, a *app, args []string) error {
	sub, fs, args := a.sub("templates", args)
	switch sub {
	case "list":
		if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
			return err
		}
		a.table(templates.Table())
		return nil
	case "show":
		pos, err := parseArgs(fs, args, 1, 1, "template NAME or FILE")
		if err != nil {
			return err
		}
		t, err := loadTemplate(pos[0])
		if err != nil {
			return err
		}
		return a.jsonPretty(t)
	}
	return subcommandError("templates", sub)
}

func cmdArtwork(ctx context.Context, a *app, args []string) error {
	fs := a.flags("artwork")
	out := fs.String("out", "", "file to write: .svg or .png")
	size := fs.Int("size", 512, "PNG size in pixels (64 to 2048)")
	pos, err := parseArgs(fs, args, 1, 1, "SERIAL")
	if err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	serial, err := pass.ParseSerial(pos[0])
	if err != nil {
		return withHint(fmt.Errorf("%q: %w", pos[0], err), "serials are printed under the QR code as XXXX-XXXX")
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if ext != ".svg" && ext != ".png" {
		return usagef("artwork: --out must end in .svg or .png")
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	secret, err := keys.ArtworkSecret(a.g.data, time.Now())
	if err != nil {
		return err
	}
	art, err := render.NewArtwork(secret, string(serial))
	if err != nil {
		return err
	}
	var data []byte
	if ext == ".svg" {
		data = art.SVG()
	} else if data, err = art.PNG(*size); err != nil {
		return usagef("artwork: %v", err)
	}
	if err := atomicfile.WriteFile(*out, data, 0o644); err != nil {
		return err
	}
	a.infof("wrote %s: artwork of %s (fingerprint %s)", *out, serial, art.Fingerprint)
	return nil
}
