package office

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/storetest"
)

// esc is s as html/template writes it in a page.
func esc(s string) string { return strings.ReplaceAll(template.HTMLEscapeString(s), "+", "&#43;") }

func eventForm(kv ...string) url.Values {
	v := url.Values{"id": {"ham"}, "name": {"Hamburg"}, "venue": {"Docks"}, "time_zone": {"+01:00"},
		"show_start": {"2027-03-07T20:00"}, "show_end": {"2027-03-07T23:00"}, "photo_window": {"15m"}, "contact": {"Kim +49 40 1234"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func TestEventCreate(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("ada", staff.RoleAdmin)
	b := e.browser()
	b.mustSignIn("ada")
	wantStatus(t, "home links the form", b.get("/office/"), http.StatusOK, `href="/office/events/new"`)
	wantStatus(t, "form", b.get("/office/events/new"), http.StatusOK, `<label for="f-show_start">Show start</label>`, `type="datetime-local"`)
	tests := []struct {
		name   string
		form   url.Values
		status int
		field  string // the field the error is beside
		msg    string
	}{
		{"bad id", eventForm("id", "a b"), 422, "id", `bad event id "a b" (1 to 32 letters, digits, '.', '_' or '-')`},
		{"no name", eventForm("name", ""), 422, "name", "event name is empty"},
		{"bad zone", eventForm("time_zone", "Berlin"), 422, "time_zone", `bad time zone "Berlin": want an offset from UTC such as +01:00, -05:00 or UTC`},
		{"bad time", eventForm("show_end", "soon"), 422, "show_end", `bad time "soon": want ` + pass.TimeRule},
		{"end before start", eventForm("show_end", "2027-03-07T19:00"), 422, "show_end", "show end 2027-03-07 19:00 +01:00 is not after show start 2027-03-07 20:00 +01:00"},
		{"meet and greet outside", eventForm("meet_greet_from", "2027-03-06T20:00", "meet_greet_until", "2027-03-06T21:00"), 422, "meet_greet_from", "meet & greet window lies outside the access window"},
		{"bad accent", eventForm("accent", "red"), 422, "accent", `accent colour "red": want a hex colour #rrggbb, such as #c8102e`},
		{"created", eventForm(), 303, "", ""},
		{"exists", eventForm(), 409, "id", "There is already an event ham. Choose another id."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.get("/office/events/new")
			a := b.post("/office/events/new", tt.form, "auto")
			if tt.status == 303 {
				wantStatus(t, "create", a, 303)
				if a.location != "/office/events/ham?m=event-created" {
					t.Errorf("redirect to %q", a.location)
				}
				return
			}
			wantStatus(t, "create", a, tt.status, `<p class="error" id="e-`+tt.field+`">`+esc(tt.msg)+`</p>`, `aria-invalid="true"`)
		})
	}
	ev, err := e.st.Event(context.Background(), "ham")
	if err != nil {
		t.Fatal(err)
	}
	if pass.TimeZoneOf(ev) != "+01:00" || ev.Schedule.ShowStart.UTC().Hour() != 19 || ev.Venue != "Docks" || ev.Branding == nil || ev.Branding.Contact != "Kim +49 40 1234" {
		t.Errorf("created %+v (branding %+v)", ev, ev.Branding)
	}
	if a := lastAudit(t, e.st); a.Action != store.ActionEventCreate || !strings.HasPrefix(a.Actor, "user:ada") {
		t.Errorf("audit %+v", a)
	}
}

func officeEvent(t *testing.T, e *env) *pass.Event {
	t.Helper()
	ev := storetest.NewEvent(t, "ber", time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("", 3600)))
	ev.Branding = &pass.Branding{Tour: "World Tour", Contact: "Kim"}
	storetest.MustCreate(t, e.st, ev)
	return ev
}

func TestEventEdit(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("ada", staff.RoleAdmin)
	officeEvent(t, e)
	b := e.browser()
	b.mustSignIn("ada")
	wantStatus(t, "event page links", b.get("/office/events/ber"), http.StatusOK, `href="/office/events/ber/edit"`, `href="/office/events/ber/policy"`, `href="/office/events/ber/clone"`)
	page := b.get("/office/events/ber/edit")
	wantStatus(t, "edit form", page, http.StatusOK, `value="2027-03-05T20:00"`, `value="&#43;01:00"`, `value="World Tour"`)
	f := eventForm("name", "Berlin — Arena", "show_start", "2027-03-05T21:00", "show_end", "2027-03-06T00:00", "access_from", "", "contact", "Sam")
	f.Del("id")
	for k, v := range map[string]string{"tour": "World Tour", "access_until": "", "meet_greet_from": "", "meet_greet_until": ""} {
		f.Set(k, v)
	}
	wantStatus(t, "bad photo window", b.post("/office/events/ber/edit", eventForm("photo_window", "4h"), "auto"), 422, "photo window of 4h0m0s does not fit in the show")
	if ev, _ := e.st.Event(context.Background(), "ber"); ev.Name != "Show ber" {
		t.Fatal("a refused edit was stored")
	}
	b.get("/office/events/ber/edit")
	a := b.post("/office/events/ber/edit", f, "auto")
	wantStatus(t, "save", a, 303)
	ev, _ := e.st.Event(context.Background(), "ber")
	if ev.Name != "Berlin — Arena" || ev.Schedule.ShowStart.In(ev.Location()).Format("15:04") != "21:00" || ev.Branding.Contact != "Sam" || ev.Branding.Tour != "World Tour" {
		t.Errorf("stored %+v, branding %+v", ev, ev.Branding)
	}
	wantStatus(t, "notice", b.get(a.location), 200, "Event saved")
}

func TestEventPolicyTable(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("ada", staff.RoleAdmin)
	officeEvent(t, e)
	b := e.browser()
	b.mustSignIn("ada")
	page := b.get("/office/events/ber/policy")
	wantStatus(t, "table", page, http.StatusOK, `<label class="sr-only" for="c-stage-LOCAL_CREW">Local Crew in stage</label>`,
		`<option value="before&#43;after" selected>before&#43;after</option>`, `name="cap.photo-pit"`, "Staff: catering")
	form := func(kv ...string) url.Values {
		v := url.Values{"zone": {"stage", "photo-pit"}, "role": {"security"},
			"cell.stage.AAA": {"any"}, "cell.photo-pit.AAA": {"any"}, "cell.photo-pit.PHOTO": {"photo"}, "cell.stage.role:security": {"any"},
			"cap.photo-pit": {"30"}, "full.photo-pit": {"attention"}, "full.stage": {"deny"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name  string
		form  url.Values
		field string
		msg   string
	}{
		{"capacity 0", form("cap.stage", "0"), "cap.stage", "bad policy: capacity.stage.max: 0, want 1 to 1000000"},
		{"bad when full", form("full.photo-pit", "warn"), "full.photo-pit", `bad policy: capacity.photo-pit.when_full: "warn", want "deny" (turn away) or "attention" (a person decides)`},
		{"bad new zone", form("new_zone", "Roof Bar"), "new_zone", `bad policy: zones[2]: bad zone name "Roof Bar" (lower-case letters, digits and '-', at most 32)`},
		{"zone twice", form("new_zone", "stage"), "new_zone", `bad policy: zones[2]: zone "stage" listed twice`},
		{"bad role", form("new_role", "Medic!"), "new_role", `bad policy: roles: bad role name "Medic!" (lower-case letters, digits and '-')`},
		{"nothing open", url.Values{"zone": {"stage"}}, "form", "bad policy: rules: no pass type has any rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.get("/office/events/ber/policy")
			wantStatus(t, "save", b.post("/office/events/ber/policy", tt.form, "auto"), 422, `<p class="`+map[bool]string{true: "alert", false: "error"}[tt.field == "form"]+`"`, `id="e-`+tt.field+`">`+esc(tt.msg)+`</p>`)
		})
	}
	if ev, _ := e.st.Event(context.Background(), "ber"); ev.Policy != nil {
		t.Fatal("a refused policy was stored")
	}
	b.get("/office/events/ber/policy")
	wantStatus(t, "save", b.post("/office/events/ber/policy", form("new_zone", "roof", "cell.roof.VIP", "after"), "auto"), 303)
	ev, _ := e.st.Event(context.Background(), "ber")
	p := ev.EffectivePolicy()
	if c, ok := p.CapacityOf("photo-pit"); !ok || c.Max != 30 || c.WhenFull != pass.FullAttention || !p.HasZone("roof") || p.HasZone("foh") {
		t.Fatalf("stored policy %+v", p)
	}
	if got := pass.TableOf(p).Cells["roof"]["VIP"]; got != "after" {
		t.Errorf("VIP on the roof = %q", got)
	}
	if a := lastAudit(t, e.st); a.Action != store.ActionEventUpdate || !strings.Contains(a.Detail, "policy.capacity") {
		t.Errorf("audit %+v", a)
	}
	// Drop a zone.
	b.get("/office/events/ber/policy")
	drop := form("drop.roof", "1")
	drop.Add("zone", "roof")
	wantStatus(t, "drop", b.post("/office/events/ber/policy", drop, "auto"), 303)
	if ev, _ := e.st.Event(context.Background(), "ber"); ev.EffectivePolicy().HasZone("roof") {
		t.Error("the dropped zone stays")
	}
}

func TestEventClone(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("ada", staff.RoleAdmin)
	ev := officeEvent(t, e)
	ctx := context.Background()
	if _, _, err := e.st.UpdateEvent(ctx, "ber", pass.EventChange{Capacity: map[pass.Zone]pass.ZoneCapacity{"stage": {Max: 9, WhenFull: pass.FullDeny}}}, "test"); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.mustSignIn("ada")
	wantStatus(t, "form", b.get("/office/events/ber/clone"), 200, `value="2027-03-06T20:00"`)
	wantStatus(t, "same id", b.post("/office/events/ber/clone", url.Values{"id": {"ber"}, "name": {"Berlin 2"}, "show_start": {"2027-03-06T20:00"}, "show_end": {"2027-03-06T23:00"}}, "auto"),
		409, "There is already an event ber.")
	wantStatus(t, "clone", b.post("/office/events/ber/clone", url.Values{"id": {"ber2"}, "name": {"Berlin 2"}, "show_start": {"2027-03-06T20:00"}, "show_end": {"2027-03-06T23:00"}}, "auto"), 303)
	next, err := e.st.Event(ctx, "ber2")
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := next.EffectivePolicy().CapacityOf("stage"); !ok || c.Max != 9 || next.Venue != ev.Venue || next.Branding == nil || next.Branding.Tour != "World Tour" ||
		!next.Schedule.AccessFrom.Equal(ev.Schedule.AccessFrom.Add(24*time.Hour)) || !next.Cues.DoorsOpen.IsZero() {
		t.Errorf("clone %+v", next)
	}
}

// Only admins edit events; every POST needs the CSRF token.
func TestEventPagesRefused(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("ada", staff.RoleAdmin)
	e.user("ivy", staff.RoleIssuer)
	officeEvent(t, e)
	iv := e.browser()
	iv.mustSignIn("ivy")
	for _, p := range []string{"/office/events/new", "/office/events/ber/edit", "/office/events/ber/policy", "/office/events/ber/clone"} {
		wantStatus(t, "issuer GET "+p, iv.get(p), http.StatusForbidden, "This page needs the admin role; your account has the issuer role.")
		wantStatus(t, "issuer POST "+p, iv.post(p, eventForm(), "auto"), http.StatusForbidden)
	}
	if strings.Contains(iv.get("/office/events/ber").body, "/edit") {
		t.Error("the event page links the edit page for an issuer")
	}
	ad := e.browser()
	ad.mustSignIn("ada")
	for _, p := range []string{"/office/events/new", "/office/events/ber/edit", "/office/events/ber/policy", "/office/events/ber/clone"} {
		ad.get(p)
		wantStatus(t, "no CSRF "+p, ad.post(p, eventForm("id", "x2"), ""), http.StatusForbidden, "security token is missing or wrong")
	}
	if evs, _ := e.st.Events(context.Background()); len(evs) != 1 {
		t.Errorf("%d events after refused POSTs", len(evs))
	}
	if ev, _ := e.st.Event(context.Background(), "ber"); ev.Name != "Show ber" || ev.Policy != nil {
		t.Error("a refused POST changed the event")
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{15 * time.Minute: "15m", 10 * time.Minute: "10m", time.Hour: "1h", 90 * time.Minute: "90m", 90 * time.Second: "1m30s"} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
