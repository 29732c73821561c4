package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/printing"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/render/zpl"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/templates"
)

// HeaderWarning carries, once per pass printed before, the warning of a
// print download: "pass 7K2M-9QX4: already printed 2 times, last at 18:04
// +01:00 by NAME" (the event's time zone, with its offset). Header values
// are ASCII: bytes outside printable ASCII, and '%', are percent-encoded
// (decodeURIComponent reads them back).
const HeaderWarning = "Laminate-Warning"

// maxWarningHeaders bounds the warning headers of one answer; the rest
// are counted in a last one.
const maxWarningHeaders = 50

// PrintRequest is the body of POST /v1/print: one of serials, all or
// not_printed chooses the passes of event.
type PrintRequest struct {
	Event      string   `json:"event"`
	Serials    []string `json:"serials,omitempty"`
	All        bool     `json:"all,omitempty"`
	NotPrinted bool     `json:"not_printed,omitempty"`
	Template   string   `json:"template,omitempty"` // a shipped template; default badge-4x3-letter
	Format     string   `json:"format,omitempty"`   // pdf (default) or zpl
	DPI        int      `json:"dpi,omitempty"`      // zpl: 203 (default) or 300
	Duplex     bool     `json:"duplex,omitempty"`   // pdf: back pages
	// Send sends the ZPL to the server's configured printer instead of
	// answering with it.
	Send bool `json:"send,omitempty"`
}

// PrintSent is the answer of POST /v1/print with "send".
type PrintSent struct {
	Sent     int      `json:"sent"`
	Printer  string   `json:"printer"`
	Bytes    int      `json:"bytes"`
	Warnings []string `json:"warnings"`
}

// printJob checks a template, format and resolution from the network:
// shipped templates only, never a file path.
func (s *Server) printJob(name, format string, dpi int, duplex bool) (printing.Job, error) {
	if name == "" {
		name = "badge-4x3-letter"
	}
	tpl, err := templates.Get(name)
	if err != nil {
		return printing.Job{}, apiError(http.StatusBadRequest, "bad_request", "template: "+err.Error())
	}
	job := printing.Job{Template: tpl, Format: format, ArtworkSecret: s.cfg.ArtworkSecret, Fonts: s.cfg.Fonts}
	switch format {
	case "", record.FormatPDF:
		job.Format = record.FormatPDF
		job.Duplex = duplex && tpl.Back != nil
	case record.FormatZPL:
		if dpi == 0 {
			dpi = 203
		}
		if _, err := zpl.DotsPerMM(dpi); err != nil {
			return job, apiError(http.StatusBadRequest, "bad_request", "dpi: must be 203 or 300, not "+strconv.Itoa(dpi))
		}
		if err := zpl.Supported(tpl); err != nil {
			return job, apiError(http.StatusBadRequest, "bad_request", "template: "+strings.TrimPrefix(err.Error(), "zpl: "))
		}
		job.DPI = dpi
	default:
		return job, apiError(http.StatusBadRequest, "bad_request", `format: must be "pdf" or "zpl", not "`+format+`"`)
	}
	return job, nil
}

// renderError maps what the renderers refuse to answers a person can act on.
func renderError(err error) error {
	switch {
	case errors.Is(err, render.ErrModuleTooSmall), errors.Is(err, zpl.ErrModuleTooSmall):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "too_small", Message: err.Error(), Err: err}
	case errors.Is(err, render.ErrNameTooLong), errors.Is(err, zpl.ErrNameTooLong):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "name_too_long", Message: err.Error(), Err: err}
	case errors.Is(err, render.ErrPhotoMismatch):
		return &Error{Status: http.StatusConflict, Code: "photo_mismatch", Message: "a stored photo does not match its signed pass: nothing printed", Err: err}
	}
	return err
}

// print renders passes of ev, logs the prints under the caller's name
// and answers with the document and its warnings.
func (s *Server) print(c echo.Context, ev *pass.Event, passes []store.Issued, job printing.Job, name string) error {
	ctx := c.Request().Context()
	now := s.cfg.Now()
	out, err := printing.Render(ctx, s.cfg.Store, ev, passes, job, now)
	if err != nil {
		return renderError(err)
	}
	if err := printing.Log(ctx, s.cfg.Store, passes, job, c.Get("caller").(caller).Actor(), now); err != nil {
		return err
	}
	setWarnings(c.Response().Header(), out.Warnings)
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+out.Ext+`"`)
	return c.Blob(http.StatusOK, out.ContentType, out.Data)
}

// setWarnings adds one Laminate-Warning header per warning.
func setWarnings(h http.Header, ws []string) {
	for i, w := range ws {
		if i == maxWarningHeaders {
			w = strconv.Itoa(len(ws)-i) + " more passes were printed before"
		}
		h.Add(HeaderWarning, headerSafe(w))
		if i == maxWarningHeaders {
			break
		}
	}
}

// headerSafe percent-encodes the bytes of s outside printable ASCII, and '%'.
func headerSafe(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '%' {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// getPDF prints one pass: GET /v1/passes/{serial}/pdf?template=NAME
// [&duplex=1] [&format=zpl&dpi=203|300]. The print is logged; a pass
// printed before comes with a Laminate-Warning header.
func (s *Server) getPDF(c echo.Context) error {
	p, err := s.passParam(c)
	if err != nil {
		return err
	}
	dpi := 0
	if v := c.QueryParam("dpi"); v != "" {
		if dpi, err = strconv.Atoi(v); err != nil {
			return apiError(http.StatusBadRequest, "bad_request", "dpi: must be 203 or 300, not "+strconv.Quote(v))
		}
	}
	job, err := s.printJob(c.QueryParam("template"), c.QueryParam("format"), dpi, c.QueryParam("duplex") == "1")
	if err != nil {
		return err
	}
	return s.printOne(c, p, job)
}

// printOne prints one pass that is not revoked.
func (s *Server) printOne(c echo.Context, p *store.Issued, job printing.Job) error {
	ctx := c.Request().Context()
	if _, err := s.cfg.Store.Revocation(ctx, p.Serial); err == nil {
		return apiError(http.StatusConflict, "revoked", "pass "+p.Serial.String()+" is revoked: it is not printed")
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	ev, err := s.eventOr404(c, p.Event)
	if err != nil {
		return err
	}
	return s.print(c, ev, []store.Issued{*p}, job, "pass-"+string(p.Serial))
}

// ServePassPDF prints one pass for a surface (httpkit.PassPrinter): the
// default template, as GET /v1/passes/{serial}/pdf with no parameters.
func (s *Server) ServePassPDF(c echo.Context, p *store.Issued) error {
	job, err := s.printJob("", "", 0, false)
	if err != nil {
		return err
	}
	return s.printOne(c, p, job)
}

// postPrint prints a selection of one event's passes: POST /v1/print.
func (s *Server) postPrint(c echo.Context) error {
	var req PrintRequest
	if err := jsonDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, maxBody)).Decode(&req); err != nil {
		return apiError(http.StatusBadRequest, "bad_request", "body: "+err.Error()+` (expected {"event", "serials" | "all" | "not_printed", "template", "format", "dpi", "duplex", "send"})`)
	}
	if req.Event == "" {
		return apiError(http.StatusBadRequest, "bad_request", "event: required")
	}
	if err := c.Get("caller").(caller).Allows(req.Event, ""); err != nil {
		return err
	}
	job, err := s.printJob(req.Template, req.Format, req.DPI, req.Duplex)
	if err != nil {
		return err
	}
	if req.Send && (job.Format != record.FormatZPL || s.cfg.Printer == "") {
		if s.cfg.Printer == "" {
			return apiError(http.StatusBadRequest, "no_printer", "send: this server has no printer (laminate serve --printer host:9100)")
		}
		return apiError(http.StatusBadRequest, "bad_request", `send: only ZPL is sent to a printer ("format": "zpl")`)
	}
	ev, err := s.eventOr404(c, req.Event)
	if err != nil {
		return err
	}
	sel := printing.Selection{Event: req.Event, All: req.All, NotPrinted: req.NotPrinted, Max: printing.MaxPasses}
	for i, v := range req.Serials {
		sr, err := pass.ParseSerial(v)
		if err != nil {
			return apiError(http.StatusBadRequest, "bad_request", "serials["+strconv.Itoa(i)+"]: "+err.Error())
		}
		sel.Serials = append(sel.Serials, sr)
	}
	passes, err := printing.Select(c.Request().Context(), s.cfg.Store, sel)
	switch {
	case errors.Is(err, printing.ErrBadSelection):
		return apiError(http.StatusBadRequest, "bad_request", `give exactly one of "serials", "all": true or "not_printed": true`)
	case errors.Is(err, printing.ErrTooMany):
		return apiError(http.StatusRequestEntityTooLarge, "too_large", err.Error())
	case errors.Is(err, printing.ErrNoPass):
		return apiError(http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, printing.ErrRevoked):
		return apiError(http.StatusConflict, "revoked", err.Error())
	case errors.Is(err, printing.ErrOtherEvent), errors.Is(err, printing.ErrNothing):
		return apiError(http.StatusUnprocessableEntity, "nothing_to_print", err.Error())
	case err != nil:
		return err
	}
	if !req.Send {
		return s.print(c, ev, passes, job, ev.ID+"-passes")
	}
	ctx := c.Request().Context()
	now := s.cfg.Now()
	out, err := printing.Render(ctx, s.cfg.Store, ev, passes, job, now)
	if err != nil {
		return renderError(err)
	}
	if err := zpl.Send(ctx, s.cfg.Printer, out.Data); err != nil {
		return &Error{Status: http.StatusBadGateway, Code: "printer_unreachable", Message: "the printer " + s.cfg.Printer + " did not take the labels: nothing was logged as printed", Err: err}
	}
	if err := printing.Log(ctx, s.cfg.Store, passes, job, c.Get("caller").(caller).Actor(), now); err != nil {
		return err
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	return c.JSON(http.StatusOK, PrintSent{Sent: len(passes), Printer: s.cfg.Printer, Bytes: len(out.Data), Warnings: out.Warnings})
}

// PrintInfo is one print of a pass.
type PrintInfo struct {
	At       time.Time `json:"at"` // in the event's time zone
	By       string    `json:"by"`
	Template string    `json:"template"`
	Format   string    `json:"format"`
}

// getPrints is a pass's print log: GET /v1/passes/{serial}/prints.
func (s *Server) getPrints(c echo.Context) error {
	p, err := s.passParam(c)
	if err != nil {
		return err
	}
	ev, err := s.eventOr404(c, p.Event)
	if err != nil {
		return err
	}
	log, err := s.cfg.Store.Prints(c.Request().Context(), p.Serial)
	if err != nil {
		return err
	}
	out := make([]PrintInfo, len(log))
	for i, pr := range log {
		out[i] = PrintInfo{At: pr.At.In(ev.Location()), By: pr.Actor, Template: pr.Template, Format: pr.Format}
	}
	return c.JSON(http.StatusOK, map[string]any{"serial": p.Serial, "count": len(out), "prints": out})
}

// CollectedResponse answers POST /v1/passes/{serial}/collected.
type CollectedResponse struct {
	Serial      pass.Serial `json:"serial"`
	CollectedAt time.Time   `json:"collected_at"` // in the event's time zone
	CollectedBy string      `json:"collected_by"`
	// Already is true when the pass had been collected before: the first
	// collection is kept and shown.
	Already bool `json:"already"`
}

// postCollected marks a pass handed to its holder at the desk. It is
// audited, and is not a scan: it lets nobody in.
func (s *Server) postCollected(c echo.Context) error {
	p, err := s.passParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.cfg.Store.Revocation(ctx, p.Serial); err == nil {
		return apiError(http.StatusConflict, "revoked", "pass "+p.Serial.String()+" is revoked: do not hand it out")
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	ev, err := s.eventOr404(c, p.Event)
	if err != nil {
		return err
	}
	col, already, err := s.cfg.Store.MarkCollected(ctx, p.Serial, s.cfg.Now(), c.Get("caller").(caller).Actor())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, CollectedResponse{Serial: p.Serial, CollectedAt: col.At.In(ev.Location()), CollectedBy: col.Actor, Already: already})
}
