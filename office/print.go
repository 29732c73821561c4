package office

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// Printer draws and logs print jobs for the print page and the desk.
// printing.Desk is the one "laminate serve" wires: the office is a
// surface and does not import the renderers itself (docs/design.md,
// "What may import what"). An error a person can act on has a
// PersonMessage method.
type Printer interface {
	// Templates names the shipped templates.
	Templates() []string
	// ZPLTemplate reports whether a template has a label size a thermal
	// printer takes.
	ZPLTemplate(name string) bool
	// Select chooses passes of event: these serials, all, or those not
	// printed yet (exactly one).
	Select(ctx context.Context, event string, serials []pass.Serial, all, notPrinted bool) ([]store.Issued, error)
	// Print renders and logs under actor, all or nothing.
	Print(ctx context.Context, ev *pass.Event, passes []store.Issued, template, format string, dpi int, actor string, now time.Time) (data []byte, contentType, ext string, warnings []string, err error)
	// Preview draws one pass on template as a PNG.
	Preview(ev *pass.Event, p *store.Issued, template string, dpi int) ([]byte, error)
}

// DefaultTemplate is the template chosen when none is.
const DefaultTemplate = "badge-4x3-letter"

// maxWarnings is how many reprint warnings the print page lists (the
// rest are counted): the page stays light when a whole event is printed
// again.
const maxWarnings = 50

// maxListed is how many passes the print page lists with a checkbox.
const maxListed = 500

// personMessage is err's message for a person, when it has one.
func personMessage(err error) (string, bool) {
	var pm interface{ PersonMessage() string }
	if errors.As(err, &pm) {
		return message(errors.New(pm.PersonMessage())), true
	}
	return "", false
}

// printEvent reads ?event= (or the form's event), checks the person may
// act for it, and returns it.
func (o *Office) printEvent(c echo.Context) (*pass.Event, error) {
	if o.cfg.Printer == nil {
		return nil, httpkit.NewError(http.StatusNotImplemented, "no_printer", "Printing is not set up on this server.")
	}
	id := c.FormValue("event")
	if id == "" {
		return nil, httpkit.NewError(http.StatusBadRequest, "bad_request", "Choose an event first: open it from the home page.")
	}
	if len(id) > 200 {
		return nil, httpkit.NewError(http.StatusBadRequest, "bad_request", "That event ID is too long.")
	}
	if err := UserOf(c).Allows(id); err != nil {
		return nil, err
	}
	ev, err := o.st.Event(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, httpkit.NewError(http.StatusNotFound, "not_found", "There is no event "+id+".")
	}
	return ev, err
}

// printChoice is what the print form chose.
type printChoice struct {
	Mode     string // "unprinted", "all" or "selected"
	Serials  []pass.Serial
	Template string
	Format   string // "pdf", "zpl203" or "zpl300"
}

func (p printChoice) format() (string, int) {
	switch p.Format {
	case "zpl203":
		return record.FormatZPL, 203
	case "zpl300":
		return record.FormatZPL, 300
	}
	return record.FormatPDF, 0
}

// Query is the choice as a query string, for links.
func (p printChoice) Query() string {
	v := url.Values{"mode": {p.Mode}, "template": {p.Template}, "format": {p.Format}}
	for _, s := range p.Serials {
		v.Add("serial", string(s))
	}
	return v.Encode()
}

// Has reports whether serial s is selected.
func (p printChoice) Has(s pass.Serial) bool {
	for _, x := range p.Serials {
		if x == s {
			return true
		}
	}
	return false
}

// readChoice reads the print form, with an error on each bad field.
func (o *Office) readChoice(c echo.Context, f *form) printChoice {
	f.read(c, 200, "mode", "template", "format")
	p := printChoice{Mode: f.Values["mode"], Template: f.Values["template"], Format: f.Values["format"]}
	if p.Mode == "" {
		p.Mode = "unprinted"
	}
	if p.Template == "" {
		p.Template = DefaultTemplate
	}
	if p.Format == "" {
		p.Format = "pdf"
	}
	switch p.Mode {
	case "unprinted", "all", "selected":
	default:
		f.fail("mode", "Choose which passes to print.")
	}
	known := false
	for _, t := range o.cfg.Printer.Templates() {
		known = known || t == p.Template
	}
	if !known {
		f.fail("template", "Choose one of the templates listed.")
	}
	switch p.Format {
	case "pdf":
	case "zpl203", "zpl300":
		if known && !o.cfg.Printer.ZPLTemplate(p.Template) {
			f.fail("format", "Template "+p.Template+" has no label size for a thermal printer: choose PDF, or a label template.")
		}
	default:
		f.fail("format", "Choose PDF or ZPL.")
	}
	vals, _ := c.FormParams()
	serials := vals["serial"]
	if len(serials) > maxListed {
		f.fail("serial", "At most "+strconv.Itoa(maxListed)+" passes by hand; print the rest with \"all\" or \"not printed yet\".")
		serials = nil
	}
	for _, v := range serials {
		s, err := pass.ParseSerial(v)
		if err != nil {
			f.fail("serial", "Serial "+strconv.Quote(v)+" is not a serial.")
			continue
		}
		p.Serials = append(p.Serials, s)
	}
	if p.Mode == "selected" && len(p.Serials) == 0 && f.Errors["serial"] == "" {
		f.fail("serial", "Tick at least one pass, or choose \"not printed yet\" or \"all\".")
	}
	if p.Mode != "selected" {
		p.Serials = nil
	}
	return p
}

// printRow is a pass in the print page's list.
type printRow struct {
	Serial        pass.Serial
	Name, Type    string
	Printed       int
	Warning       string
	Revoked       bool
	Selected      bool
	CollectedNote string
}

type printView struct {
	Event     *pass.Event
	Templates []string
	Choice    printChoice
	Form      *form
	Rows      []printRow
	More      int      // passes not listed
	Chosen    int      // passes the choice selects; 0 before a choice
	Warnings  []string // at most maxWarnings
	Reprints  int      // passes printed before, all of them
	Preview   string   // the preview image's address; "" for none
	NoPreview string   // why there is no preview
	Problem   string   // why nothing can be printed
}

// printPage is GET /office/print?event=ID[&mode=…&template=…&format=…&serial=…]:
// the choice, and once made, what it selects, its warnings and a
// preview of the first pass, with the download button.
func (o *Office) printPage(c echo.Context) error {
	if c.QueryParam("event") == "" {
		return o.pickEvent(c, "Print passes", Prefix+"/print")
	}
	ev, err := o.printEvent(c)
	if err != nil {
		return err
	}
	f := newForm()
	ch := o.readChoice(c, f)
	chosen := c.QueryParam("mode") != ""
	return o.renderPrint(c, ev, ch, f, chosen)
}

func (o *Office) renderPrint(c echo.Context, ev *pass.Event, ch printChoice, f *form, chosen bool) error {
	ctx := c.Request().Context()
	status, err := o.st.PrintStatus(ctx, ev.ID)
	if err != nil {
		return err
	}
	ps, err := o.st.Passes(ctx, store.PassFilter{Event: ev.ID})
	if err != nil {
		return err
	}
	now := o.cfg.Now()
	v := printView{Event: ev, Templates: o.cfg.Printer.Templates(), Choice: ch, Form: f}
	for i, p := range ps {
		if i == maxListed {
			v.More = len(ps) - maxListed
			break
		}
		st := status[p.Serial]
		v.Rows = append(v.Rows, printRow{Serial: p.Serial, Name: p.Name, Type: p.Type.Label(), Printed: st.Count,
			Warning: st.ReprintWarning(ev.Location(), now), Selected: ch.Has(p.Serial)})
	}
	code := http.StatusOK
	if !f.ok() {
		code = http.StatusUnprocessableEntity
	} else if chosen {
		sel, err := o.cfg.Printer.Select(ctx, ev.ID, ch.Serials, ch.Mode == "all", ch.Mode == "unprinted")
		if msg, ok := personMessage(err); ok {
			v.Problem, code = msg, http.StatusUnprocessableEntity
		} else if err != nil {
			return err
		} else {
			v.Chosen = len(sel)
			for i := range sel {
				if w := status[sel[i].Serial].ReprintWarning(ev.Location(), now); w != "" {
					if v.Reprints++; v.Reprints > maxWarnings {
						continue
					}
					v.Warnings = append(v.Warnings, "Pass "+sel[i].Serial.String()+" ("+sel[i].Name+"): "+w+".")
				}
			}
			if o.cfg.Printer.ZPLTemplate(ch.Template) {
				_, dpi := ch.format()
				v.Preview = Prefix + "/print/preview?" + url.Values{"event": {ev.ID}, "serial": {string(sel[0].Serial)}, "template": {ch.Template}, "dpi": {strconv.Itoa(max(dpi, 203))}}.Encode()
			} else {
				v.NoPreview = "Template " + ch.Template + " is a sheet for an office printer: no picture of it here. Choose a label template to see one, or download the PDF."
			}
		}
	}
	return o.page(c, code, "print.html", "Print · "+ev.Name, v)
}

// download is POST /office/print: renders the choice, logs every pass
// under the person's name and answers the file.
func (o *Office) download(c echo.Context) error {
	ev, err := o.printEvent(c)
	if err != nil {
		return err
	}
	f := newForm()
	ch := o.readChoice(c, f)
	if !f.ok() {
		return o.renderPrint(c, ev, ch, f, false)
	}
	ctx := c.Request().Context()
	sel, err := o.cfg.Printer.Select(ctx, ev.ID, ch.Serials, ch.Mode == "all", ch.Mode == "unprinted")
	if err != nil {
		if _, ok := personMessage(err); ok {
			return o.renderPrint(c, ev, ch, f, true)
		}
		return err
	}
	return o.sendPrint(c, ev, sel, ch, ev.ID+"-passes")
}

// sendPrint renders, logs and answers the document.
func (o *Office) sendPrint(c echo.Context, ev *pass.Event, sel []store.Issued, ch printChoice, name string) error {
	format, dpi := ch.format()
	data, ct, ext, warnings, err := o.cfg.Printer.Print(c.Request().Context(), ev, sel, ch.Template, format, dpi, httpkit.CallerOf(c).Actor(), o.cfg.Now())
	if msg, ok := personMessage(err); ok {
		return httpkit.NewError(http.StatusUnprocessableEntity, "not_printed", msg+" Nothing was printed.")
	}
	if err != nil {
		return err
	}
	h := c.Response().Header()
	for i, w := range warnings {
		if i == maxWarnings {
			h.Add("Laminate-Warning", strconv.Itoa(len(warnings)-i)+" more passes were printed before")
			break
		}
		h.Add("Laminate-Warning", asciiOnly(w))
	}
	h.Set("Content-Disposition", `attachment; filename="`+name+ext+`"`)
	return c.Blob(http.StatusOK, ct, data)
}

// asciiOnly percent-encodes what a header cannot carry.
func asciiOnly(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x20 || ch > 0x7e || ch == '%' {
			b.WriteString("%" + string(hex[ch>>4]) + string(hex[ch&15]))
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// eventPass reads ?serial= (or the form's) as a pass of ev.
func (o *Office) eventPass(c echo.Context, ev *pass.Event) (*store.Issued, error) {
	v := c.FormValue("serial")
	s, err := pass.ParseSerial(v)
	if err != nil {
		return nil, httpkit.NewError(http.StatusBadRequest, "bad_request", "That is not a serial.")
	}
	p, err := o.st.Pass(c.Request().Context(), s)
	if errors.Is(err, store.ErrNotFound) || err == nil && p.Event != ev.ID {
		return nil, httpkit.NewError(http.StatusNotFound, "not_found", "There is no pass "+s.String()+" for "+ev.Name+".")
	}
	return p, err
}

// preview is GET /office/print/preview?event&serial&template&dpi: one
// pass drawn as its label, PNG.
func (o *Office) preview(c echo.Context) error {
	ev, err := o.printEvent(c)
	if err != nil {
		return err
	}
	p, err := o.eventPass(c, ev)
	if err != nil {
		return err
	}
	dpi, _ := strconv.Atoi(c.QueryParam("dpi"))
	if dpi != 300 {
		dpi = 203
	}
	b, err := o.cfg.Printer.Preview(ev, p, c.QueryParam("template"), dpi)
	if msg, ok := personMessage(err); ok {
		return httpkit.NewError(http.StatusUnprocessableEntity, "no_preview", msg)
	}
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "image/png", b)
}

type pickView struct {
	Heading, Path string
	Events        []eventRow
}

// pickEvent lists the events the person may act for, each linking to path.
func (o *Office) pickEvent(c echo.Context, heading, path string) error {
	u := UserOf(c)
	evs, err := o.st.Events(c.Request().Context())
	if err != nil {
		return err
	}
	v := pickView{Heading: heading, Path: path}
	for _, ev := range evs {
		if u.MayActFor(ev.ID) {
			v.Events = append(v.Events, eventRow{ID: ev.ID, Name: ev.Name, Venue: ev.Venue})
		}
	}
	return o.page(c, http.StatusOK, "pick-event.html", heading, v)
}
