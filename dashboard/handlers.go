package dashboard

import (
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

//go:embed web
var web embed.FS

var pageTmpl = template.Must(template.ParseFS(web, "web/dashboard.html"))

// writeTimeout bounds one write to a stream: a client that takes no
// bytes for this long is gone.
const writeTimeout = 10 * time.Second

func (d *Dashboard) page(c echo.Context) error {
	ev := c.QueryParam("event")
	if ev != "" && !pass.ValidEventID(ev) {
		return httpkit.NewError(http.StatusBadRequest, "bad_request", "bad event id")
	}
	v := pageView{Event: ev}
	if sh, ok := d.host.(httpkit.SessionHost); ok {
		who, ok, err := sh.Person(c)
		if err != nil {
			return err
		}
		if ok {
			v.Person, v.Role, v.Session = who.Name, who.Role, httpkit.HasRole(who.Role, httpkit.WatchRoles...)
		}
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", httpkit.PageCSP)
	h.Set("Cache-Control", "no-store") // it may name the person signed in
	h.Add("Vary", "Cookie")
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return pageTmpl.Execute(c.Response(), v)
}

// pageView is the page's data. Person is the person signed in to the
// office, if any; Session whether their role may watch, so the page
// watches with the session instead of asking for a token.
type pageView struct {
	Event        string
	Person, Role string
	Session      bool
}

// WatchRoleList is the roles that may watch, for the page's words.
func (pageView) WatchRoleList() string { return "admin, " + strings.Join(httpkit.WatchRoles, " or ") }

func (d *Dashboard) asset(c echo.Context) error {
	name := c.Param("file")
	types := map[string]string{"dashboard.js": "text/javascript; charset=utf-8", "dashboard.css": "text/css; charset=utf-8"}
	ct, ok := types[name]
	if !ok {
		return httpkit.NewError(http.StatusNotFound, "not_found", "no such file")
	}
	b, err := web.ReadFile(path.Join("web", name))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Security-Policy", httpkit.PageCSP)
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, ct, b)
}

// event checks the caller may watch event id and that it exists.
func (d *Dashboard) event(c echo.Context) (*pass.Event, error) {
	id := c.Param("id")
	if err := httpkit.CallerOf(c).Allows(id, ""); err != nil {
		return nil, err
	}
	ev, err := d.host.Event(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	if ev == nil {
		return nil, httpkit.NewError(http.StatusNotFound, "not_found", "no event "+id)
	}
	return ev, nil
}

// live is GET /v1/events/{id}/live: the event's snapshots as server-sent
// events.
func (d *Dashboard) live(c echo.Context) error {
	ev, err := d.event(c)
	if err != nil {
		return err
	}
	w := c.Response()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	r, cl := d.join(ev.ID)
	defer d.leave(r, cl)
	write := func(b []byte) bool {
		// The server's WriteTimeout would cut a stream: each write gets
		// its own deadline instead.
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte(": laminate live " + ev.ID + "\nretry: 2000\n\n")) {
		return nil
	}
	hb := time.NewTicker(d.cfg.Heartbeat)
	defer hb.Stop()
	ctx := c.Request().Context()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-d.closing.Done():
			return nil
		case <-cl.gone:
			return nil // too slow: the client reconnects and gets the latest
		case msg := <-cl.ch:
			if !write(msg) {
				return nil
			}
		case <-hb.C:
			if !write([]byte(": keep-alive\n\n")) {
				return nil
			}
		}
	}
}

// ClearResponse is GET /v1/events/{id}/clear?zone=Z.
type ClearResponse struct {
	Event        string      `json:"event"`
	Zone         string      `json:"zone"`
	GraceSeconds int64       `json:"grace_seconds"`
	Passes       []ClearPass `json:"passes"`
	At           time.Time   `json:"at"`
}

func (d *Dashboard) clearList(c echo.Context) error {
	ev, err := d.event(c)
	if err != nil {
		return err
	}
	zone, err := pass.ParseZone(c.QueryParam("zone"))
	if err != nil {
		return httpkit.NewError(http.StatusBadRequest, "bad_request", "zone: "+err.Error())
	}
	if err := ev.CheckZone(zone); err != nil {
		return httpkit.NewError(http.StatusBadRequest, "unknown_zone", err.Error())
	}
	ctx := c.Request().Context()
	present, err := d.reads().Present(ctx, ev.ID)
	if err != nil {
		return err
	}
	now := d.cfg.Now()
	zones, overdue, err := d.clear(ctx, ev, present, now)
	if err != nil {
		return err
	}
	if err := d.raise(ctx, overdue, now); err != nil {
		return err
	}
	resp := ClearResponse{Event: ev.ID, Zone: string(zone), GraceSeconds: int64(ev.EffectivePolicy().ClearGrace() / time.Second),
		Passes: []ClearPass{}, At: now}
	for _, z := range zones {
		if z.Zone == string(zone) {
			resp.Passes = z.Passes
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, resp)
}

// clearPhoto is GET /v1/events/{id}/clear/{serial}/photo: the photo of
// a pass on the event's clear list now, to anyone who may watch the
// event. The stage manager who clears the pit needs the faces; the photo
// route of every pass (/v1/passes/{serial}/photo) is not the stage
// role's, so this one serves only the passes to clear, and only while
// they are on the list.
func (d *Dashboard) clearPhoto(c echo.Context) error {
	ev, err := d.event(c)
	if err != nil {
		return err
	}
	serial, err := pass.ParseSerial(c.Param("serial"))
	if err != nil {
		return httpkit.NewError(http.StatusBadRequest, "bad_request", "bad serial: "+err.Error())
	}
	ps, ok := d.host.(httpkit.PhotoServer)
	if !ok {
		return httpkit.NewError(http.StatusNotImplemented, "not_implemented", "this server does not serve photos")
	}
	ctx := c.Request().Context()
	on, err := d.onClearList(ctx, ev, serial, d.cfg.Now())
	if err != nil {
		return err
	}
	if !on {
		return httpkit.NewError(http.StatusNotFound, "not_on_clear_list", "pass "+serial.String()+" is not on a clear list of event "+ev.ID+
			" now: this route shows only the photos of passes to clear (any other needs a scanner, issuer or printer credential and /v1/passes/{serial}/photo)")
	}
	p, err := d.host.Store().Pass(ctx, serial)
	if err != nil {
		return err
	}
	if p.Event != ev.ID { // presence is per event; this cannot happen
		return httpkit.NewError(http.StatusNotFound, "not_on_clear_list", "pass "+serial.String()+" is not of event "+ev.ID)
	}
	return ps.ServePassPhoto(c, p)
}

// HeartbeatRequest is the body of POST /v1/events/{id}/heartbeat.
type HeartbeatRequest struct {
	Gate string `json:"gate"`
	// RevocationAge is how old the door's revocation data is, in seconds
	// (the server's when it decides online, its bundle's offline).
	RevocationAge int64 `json:"revocation_age_s"`
}

const maxHeartbeat = 4 << 10

func (d *Dashboard) heartbeat(c echo.Context) error {
	var req HeartbeatRequest
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, maxHeartbeat))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return httpkit.NewError(http.StatusBadRequest, "bad_request", `body must be {"gate": "...", "revocation_age_s": N}`)
	}
	if _, err := pass.ParseGate(req.Gate); err != nil {
		return httpkit.NewError(http.StatusBadRequest, "bad_request", "gate: "+err.Error())
	}
	if req.RevocationAge < 0 || req.RevocationAge > 366*24*3600 {
		return httpkit.NewError(http.StatusBadRequest, "bad_request", "revocation_age_s out of range")
	}
	who := httpkit.CallerOf(c)
	if err := who.Allows(c.Param("id"), req.Gate); err != nil {
		return err
	}
	ev, err := d.event(c)
	if err != nil {
		return err
	}
	if err := ev.CheckGate(req.Gate); err != nil {
		return httpkit.NewError(http.StatusBadRequest, "unknown_gate", err.Error())
	}
	if d.beats == nil {
		return httpkit.NewError(http.StatusNotImplemented, "not_implemented", "this server does not keep doors' heartbeats")
	}
	d.beats.NoteDoor(store.DoorSeen{Event: ev.ID, Gate: req.Gate, Token: who.ID, At: d.cfg.Now(), RevocationAge: req.RevocationAge})
	d.Changed(ev.ID)
	return c.NoContent(http.StatusNoContent)
}
