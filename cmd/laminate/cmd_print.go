package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/laminate/laminate/internal/atomicfile"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/render/typeset"
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

// renderPDF draws passes into memory: nothing reaches the disk unless the
// whole sheet could be drawn.
func (a *app) renderPDF(ctx context.Context, tpl *templates.Template, pf printFlags, issued []store.Issued) ([]byte, error) {
	secret, err := keys.ArtworkSecret(a.g.data, time.Now())
	if err != nil {
		return nil, err
	}
	if err := store.WithPhotos(ctx, a.st, issued); err != nil {
		return nil, err
	}
	events := map[string]*pass.Event{}
	items := make([]render.Item, len(issued))
	for i := range issued {
		ev, ok := events[issued[i].Event]
		if !ok {
			if ev, err = a.event(ctx, issued[i].Event); err != nil {
				return nil, err
			}
			events[ev.ID] = ev
		}
		items[i] = render.Item{Pass: issued[i].Pass, Token: issued[i].Token, Event: ev, Photo: issued[i].PhotoJPEG}
	}
	var buf bytes.Buffer
	lib, err := fontLibrary(*pf.fonts)
	if err != nil {
		return nil, err
	}
	opt := render.Options{Template: tpl, ArtworkSecret: secret, CropMarks: *pf.cropMarks, Duplex: *pf.duplex, Fonts: lib}
	if len(items) > 1 {
		opt.Progress = a.progress("drawing")
	}
	if err := render.WritePDF(&buf, items, opt); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func cmdRender(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("render", a.ui)
	a.g.register(fs.FlagSet)
	eventID := fs.String("event", "", "event id")
	var serials stringList
	fs.Var(&serials, "serial", "a pass to print (repeat for several)")
	all := fs.Bool("all", false, "every pass of the event that is not revoked")
	out := fs.String("out", "", "PDF file to write")
	pf := addPrintFlags(fs)
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	if err := required(fs, "event", "template", "out"); err != nil {
		return err
	}
	if *all == (len(serials) > 0) {
		return usagef("render: give --all or one or more --serial")
	}
	tpl, err := loadTemplate(*pf.template)
	if err != nil {
		return err
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	if _, err := a.event(ctx, *eventID); err != nil {
		return err
	}
	var list []pass.Serial
	for _, s := range serials {
		serial, err := pass.ParseSerial(s)
		if err != nil {
			return fmt.Errorf("%q: %w", s, err)
		}
		list = append(list, serial)
	}
	issued, err := store.ToPrint(ctx, a.st, *eventID, list)
	if err != nil {
		return err
	}
	pdf, err := a.renderPDF(ctx, tpl, pf, issued)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, pdf, 0o644); err != nil {
		return err
	}
	a.infof("wrote %s: %s on %s (%s)", *out, plural(len(issued), "pass", "passes"), plural(pages(len(issued), tpl, *pf.duplex), "page", "pages"), tpl.Name)
	return nil
}

func pages(n int, t *templates.Template, duplex bool) int {
	p := (n + t.PerPage() - 1) / t.PerPage()
	if duplex {
		p *= 2
	}
	return p
}

func cmdTemplates(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return subcommandError("templates", "")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("templates "+sub, a.ui)
	a.g.register(fs.FlagSet)
	switch sub {
	case "list":
		if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
			return err
		}
		var rows [][]string
		for _, t := range templates.List() {
			back := "-"
			if t.Back != nil {
				back = "duplex"
			}
			rows = append(rows, []string{t.Name, fmt.Sprintf("%d", t.PerPage()), fmt.Sprintf("%gx%g mm %s", t.Label.W, t.Label.H, t.Label.Shape), back, t.Description})
		}
		a.table([]string{"NAME", "PER PAGE", "LABEL", "BACK", "DESCRIPTION"}, rows)
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
	fs := newFlagSet("artwork", a.ui)
	a.g.register(fs.FlagSet)
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
