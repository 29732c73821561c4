package office

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// Event pages (issue 13): create, edit, the policy as a table, and clone
// to the next show. Admins only. Every check is the domain's
// (pass.EventText, pass.EventChange, pass.PolicyTable): a message beside a
// field is the one the API, the CLI and a policy file give.

// mountEvents adds the event pages' routes to g, for admins.
func (o *Office) mountEvents(g *echo.Group, admin echo.MiddlewareFunc) {
	g.GET("/events/new", o.newEventPage, admin)
	g.POST("/events/new", o.createEvent, admin)
	g.GET("/events/:id/edit", o.editEventPage, admin)
	g.POST("/events/:id/edit", o.editEvent, admin)
	g.GET("/events/:id/clone", o.cloneEventPage, admin)
	g.POST("/events/:id/clone", o.cloneEvent, admin)
	g.GET("/events/:id/policy", o.policyPage, admin)
	g.POST("/events/:id/policy", o.savePolicy, admin)
}

// The fields of the event form, named as pass.FieldError names them.
var (
	eventTimeFields = []string{"show_start", "show_end", "access_from", "access_until", "meet_greet_from", "meet_greet_until"}
	eventFields     = append([]string{"id", "name", "venue", "time_zone", "photo_window"}, eventTimeFields...)
	brandingFields  = []string{"tour", "short", "accent", "contact"}
)

// localInput is a datetime-local input's value, which pass.ParseTime reads.
const localInput = "2006-01-02T15:04"

type eventFormView struct {
	Mode  string // "new", "edit", "clone"
	Event *pass.Event
	Form  *form
}

// editable loads the event of :id for an admin allowed to act for it.
func (o *Office) editable(c echo.Context) (*pass.Event, error) {
	id := c.Param("id")
	if err := UserOf(c).Allows(id); err != nil {
		return nil, err
	}
	ev, err := o.st.Event(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, httpkit.NewError(http.StatusNotFound, "not_found", "There is no event "+id+".")
	}
	return ev, err
}

// eventValues is a form filled with ev's fields as the form shows them:
// times local to the event's zone.
func eventValues(ev *pass.Event) *form {
	f := newForm()
	loc, s := ev.Location(), ev.Schedule
	f.Values["id"], f.Values["name"], f.Values["venue"], f.Values["time_zone"] = ev.ID, ev.Name, ev.Venue, pass.TimeZoneOf(ev)
	for i, t := range []time.Time{s.ShowStart, s.ShowEnd, s.AccessFrom, s.AccessUntil, s.MeetGreetFrom, s.MeetGreetUntil} {
		if !t.IsZero() {
			f.Values[eventTimeFields[i]] = t.In(loc).Format(localInput)
		}
	}
	f.Values["photo_window"] = shortDuration(s.PhotoDuration)
	if b := ev.Branding; b != nil {
		f.Values["tour"], f.Values["short"], f.Values["accent"], f.Values["contact"] = b.Tour, b.Short, b.Accent, b.Contact
	}
	return f
}

// readEvent reads the event form into f and returns its fields as text.
func readEvent(c echo.Context, f *form) pass.EventText {
	f.read(c, 200, eventFields...)
	f.read(c, 200, brandingFields...)
	v := func(n string) *string { s := f.Values[n]; return &s }
	return pass.EventText{Name: v("name"), Venue: v("venue"), TimeZone: v("time_zone"), ShowStart: v("show_start"), ShowEnd: v("show_end"),
		AccessFrom: v("access_from"), AccessUntil: v("access_until"), MeetGreetFrom: v("meet_greet_from"),
		MeetGreetUntil: v("meet_greet_until"), PhotoWindow: v("photo_window")}
}

// failField puts err beside its field (at the top when it names none),
// in the words of the domain: the API's and the CLI's message.
func failField(f *form, err error, fields ...string) {
	field := pass.ErrorField(err)
	for _, n := range fields {
		if n == field {
			f.fail(n, err.Error())
			return
		}
	}
	f.fail("form", err.Error())
}

// branding reads the branding fields into a change of old, validated.
func brandingOf(f *form, old *pass.Branding) *pass.Branding {
	v := func(n string) *string { s := f.Values[n]; return &s }
	b := pass.BrandingChange{Tour: v("tour"), Short: v("short"), Accent: v("accent"), Contact: v("contact")}.Merge(old)
	if err := b.Validate(); err != nil {
		field := "form"
		for prefix, n := range map[string]string{"tour line": "tour", "short name": "short", "accent": "accent", "contact line": "contact"} {
			if strings.HasPrefix(err.Error(), prefix) {
				field = n
			}
		}
		f.fail(field, err.Error())
		return nil
	}
	if b.IsZero() {
		return nil
	}
	return &b
}

// synced tells this node's doors of a changed event at once (the server
// reloads its copy); other nodes take it at their next sync.
func (o *Office) synced(c echo.Context, id string) error {
	if s, ok := o.host.(httpkit.EventSyncer); ok {
		return s.EventChanged(c.Request().Context(), id)
	}
	return nil
}

func (o *Office) newEventPage(c echo.Context) error {
	f := newForm()
	f.Values["time_zone"], f.Values["photo_window"] = "+00:00", "15m"
	return o.page(c, http.StatusOK, "event-form.html", "New event", eventFormView{Mode: "new", Form: f})
}

// createEvent is POST /office/events/new.
func (o *Office) createEvent(c echo.Context) error {
	f := newForm()
	text := readEvent(c, f)
	id := f.Values["id"]
	if err := UserOf(c).Allows(id); err != nil {
		return err
	}
	var ev *pass.Event
	if f.ok() {
		ch, err := text.Change(nil)
		if err == nil {
			ev, _, err = ch.Apply(&pass.Event{ID: id})
		}
		if err != nil {
			failField(f, err, eventFields...)
		}
	}
	b := brandingOf(f, nil)
	if !f.ok() {
		return o.page(c, http.StatusUnprocessableEntity, "event-form.html", "New event", eventFormView{Mode: "new", Form: f})
	}
	ev.Branding = b
	err := o.st.CreateEvent(c.Request().Context(), ev, UserOf(c).Actor())
	if errors.Is(err, store.ErrExists) {
		f.fail("id", "There is already an event "+id+". Choose another id.")
		return o.page(c, http.StatusConflict, "event-form.html", "New event", eventFormView{Mode: "new", Form: f})
	}
	if err != nil {
		return err
	}
	if err := o.synced(c, ev.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/events/"+ev.ID+"?m=event-created")
}

func (o *Office) editEventPage(c echo.Context) error {
	ev, err := o.editable(c)
	if err != nil {
		return err
	}
	return o.page(c, http.StatusOK, "event-form.html", "Edit "+ev.Name, eventFormView{Mode: "edit", Event: ev, Form: eventValues(ev)})
}

// editEvent is POST /office/events/:id/edit: the event and its branding.
func (o *Office) editEvent(c echo.Context) error {
	ev, err := o.editable(c)
	if err != nil {
		return err
	}
	f := newForm()
	text := readEvent(c, f)
	var ch pass.EventChange
	if f.ok() {
		if ch, err = text.Change(ev.Location()); err == nil {
			_, _, err = ch.Apply(ev) // checked here, so that nothing is stored when the branding is bad
		}
		if err != nil {
			failField(f, err, eventFields...)
		}
	}
	b := brandingOf(f, ev.Branding)
	if !f.ok() {
		return o.page(c, http.StatusUnprocessableEntity, "event-form.html", "Edit "+ev.Name, eventFormView{Mode: "edit", Event: ev, Form: f})
	}
	ctx, actor := c.Request().Context(), UserOf(c).Actor()
	if _, _, err := o.st.UpdateEvent(ctx, ev.ID, ch, actor); err != nil {
		return err
	}
	if brandingChanged(ev.Branding, b) {
		if _, err := o.st.SetBranding(ctx, ev.ID, b, actor); err != nil {
			return err
		}
	}
	if err := o.synced(c, ev.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/events/"+ev.ID+"?m=event-saved")
}

func brandingChanged(a, b *pass.Branding) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() != b.IsZero()
	}
	return a.Tour != b.Tour || a.Short != b.Short || a.Accent != b.Accent || a.Contact != b.Contact || string(a.Logo) != string(b.Logo)
}

func (o *Office) cloneEventPage(c echo.Context) error {
	ev, err := o.editable(c)
	if err != nil {
		return err
	}
	f := eventValues(ev)
	f.Values["id"] = ""
	// The next show: a day later, as a start.
	next := ev.Schedule.ShowStart.Add(24 * time.Hour).In(ev.Location())
	f.Values["show_start"], f.Values["show_end"] = next.Format(localInput), next.Add(ev.Schedule.ShowEnd.Sub(ev.Schedule.ShowStart)).Format(localInput)
	return o.page(c, http.StatusOK, "event-form.html", "Clone "+ev.Name, eventFormView{Mode: "clone", Event: ev, Form: f})
}

// cloneEvent is POST /office/events/:id/clone: a new event with the
// venue, policy and branding of this one and the dates given; the times
// not given keep their distance to the show start.
func (o *Office) cloneEvent(c echo.Context) error {
	ev, err := o.editable(c)
	if err != nil {
		return err
	}
	f := newForm()
	f.read(c, 200, "id", "name", "show_start", "show_end")
	id, name, start, end := f.Values["id"], f.Values["name"], f.Values["show_start"], f.Values["show_end"]
	if err := UserOf(c).Allows(id); err != nil {
		return err
	}
	var next *pass.Event
	if f.ok() {
		ch, err := pass.EventText{Name: &name, ShowStart: &start, ShowEnd: &end}.Change(ev.Location())
		if err == nil {
			next, err = ev.NextShow(id, ch)
		}
		if err != nil {
			failField(f, err, "id", "name", "show_start", "show_end")
		}
	}
	if !f.ok() {
		return o.page(c, http.StatusUnprocessableEntity, "event-form.html", "Clone "+ev.Name, eventFormView{Mode: "clone", Event: ev, Form: f})
	}
	err = o.st.CreateEvent(c.Request().Context(), next, UserOf(c).Actor())
	if errors.Is(err, store.ErrExists) {
		f.fail("id", "There is already an event "+id+". Choose another id.")
		return o.page(c, http.StatusConflict, "event-form.html", "Clone "+ev.Name, eventFormView{Mode: "clone", Event: ev, Form: f})
	}
	if err != nil {
		return err
	}
	if err := o.synced(c, next.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/events/"+next.ID+"?m=event-cloned")
}

// policyView is the policy page: the table, the choices of a cell and
// the form's errors (keys: "form", "new_zone", "new_role", "cap.ZONE",
// "full.ZONE").
type policyView struct {
	Event   *pass.Event
	Table   pass.PolicyTable
	Choices []string
	Form    *form
	Policy  *pass.Policy
}

// Choices are the options of one cell: the usual ones and its own.
func (v policyView) CellChoices(cur string) []string {
	for _, c := range v.Choices {
		if c == cur {
			return v.Choices
		}
	}
	return append(append([]string{}, v.Choices...), cur)
}

func (o *Office) policyPage(c echo.Context) error {
	ev, err := o.editable(c)
	if err != nil {
		return err
	}
	return o.renderPolicy(c, http.StatusOK, ev, pass.TableOf(ev.EffectivePolicy()), newForm())
}

func (o *Office) renderPolicy(c echo.Context, status int, ev *pass.Event, t pass.PolicyTable, f *form) error {
	return o.page(c, status, "event-policy.html", "Policy of "+ev.Name,
		policyView{Event: ev, Table: t, Choices: pass.CellChoices, Form: f, Policy: ev.EffectivePolicy()})
}

// maxPolicyRows bounds the zones and roles one form may add to.
const maxPolicyRows = 64

// savePolicy is POST /office/events/:id/policy: the table as the new
// policy, checked by the rules of policy files.
func (o *Office) savePolicy(c echo.Context) error {
	ev, err := o.editable(c)
	if err != nil {
		return err
	}
	base := ev.EffectivePolicy()
	f := newForm()
	f.read(c, 40, "new_zone", "new_role")
	params, err := c.FormParams()
	if err != nil {
		return err
	}
	t := pass.PolicyTable{Cells: map[pass.Zone]map[string]string{}, Capacity: map[pass.Zone]pass.ZoneCapacity{}}
	zones, roles := params["zone"], params["role"]
	if nz := f.Values["new_zone"]; nz != "" {
		zones = append(zones, nz)
	}
	if nr := f.Values["new_role"]; nr != "" {
		roles = append(roles, nr)
	}
	if len(zones) > maxPolicyRows || len(roles) > maxPolicyRows {
		return httpkit.NewError(http.StatusBadRequest, "bad_request", "Too many zones or roles in one form.")
	}
	for _, ty := range pass.Types {
		if ty != pass.Staff {
			t.Columns = append(t.Columns, pass.PolicyColumn{Key: string(ty), Label: ty.Label(), Type: ty})
		}
	}
	for _, r := range roles {
		t.Columns = append(t.Columns, pass.PolicyColumn{Key: pass.RoleKey(r), Label: "Staff: " + r, Type: pass.Staff, Role: r})
	}
	for _, zs := range zones {
		z := pass.Zone(zs)
		if c.FormValue("drop."+zs) != "" {
			continue
		}
		t.Zones = append(t.Zones, z)
		row := map[string]string{}
		for _, col := range t.Columns {
			row[col.Key] = c.FormValue("cell." + zs + "." + col.Key)
		}
		t.Cells[z] = row
		full := c.FormValue("full." + zs)
		f.Values["cap."+zs], f.Values["full."+zs] = strings.TrimSpace(c.FormValue("cap."+zs)), full
		if v := f.Values["cap."+zs]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				f.fail("cap."+zs, "capacity."+zs+".max: "+strconv.Quote(v)+", want a whole number")
				continue
			}
			t.Capacity[z] = pass.ZoneCapacity{Max: n, WhenFull: full}
		}
	}
	if !f.ok() {
		return o.renderPolicy(c, http.StatusUnprocessableEntity, ev, t, f)
	}
	p, err := t.Policy(base)
	if err == nil {
		_, _, err = o.st.UpdateEvent(c.Request().Context(), ev.ID, pass.EventChange{Policy: p}, UserOf(c).Actor())
	}
	if field := pass.ErrorField(err); field != "" {
		f.fail(policyField(field, len(t.Zones), f.Values["new_zone"] != ""), err.Error())
		return o.renderPolicy(c, http.StatusUnprocessableEntity, ev, t, f)
	}
	if err != nil {
		return err
	}
	if err := o.synced(c, ev.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/events/"+ev.ID+"/policy?m=policy-saved")
}

// policyField is the form field beside which a policy error is shown.
func policyField(field string, zones int, added bool) string {
	switch {
	case strings.HasPrefix(field, "capacity.") && strings.HasSuffix(field, ".when_full"):
		return "full." + strings.TrimSuffix(strings.TrimPrefix(field, "capacity."), ".when_full")
	case strings.HasPrefix(field, "capacity.") && strings.HasSuffix(field, ".max"):
		return "cap." + strings.TrimSuffix(strings.TrimPrefix(field, "capacity."), ".max")
	case added && field == "zones["+strconv.Itoa(zones-1)+"]":
		return "new_zone"
	case field == "roles":
		return "new_role"
	}
	return "form"
}

// shortDuration is d as people type it: 15m, 1h, 90s.
func shortDuration(d time.Duration) string {
	switch {
	case d > 0 && d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d > 0 && d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}
