package office

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/devices"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/storetest"
)

// withGatedEvent makes event ber-2027 with gates north and south.
func (e *env) withGatedEvent() {
	e.t.Helper()
	ev := storetest.NewEvent(e.t, "ber-2027", time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("", 3600)))
	ev.Name = "Berlin, Velodrom"
	p := *ev.EffectivePolicy()
	p.Gates = []string{"north", "south"}
	ev.Policy = &p
	storetest.MustCreate(e.t, e.st, ev)
	other := storetest.NewEvent(e.t, "ams-2027", time.Date(2027, 3, 7, 20, 0, 0, 0, time.FixedZone("", 3600)))
	storetest.MustCreate(e.t, e.st, other)
}

// scannerToken stores a door device's token (a scanner token bound to
// event and gate) and returns its ID.
func (e *env) scannerToken(id, name, event, gate string) {
	e.t.Helper()
	if err := e.st.CreateAPIToken(context.Background(), &store.APIToken{ID: id, Name: name, Role: staff.RoleScanner, Event: event, Gate: gate,
		Hash: make([]byte, 32), Created: e.clk.Now()}, "cli:test"); err != nil {
		e.t.Fatal(err)
	}
}

// Door devices and webhooks are an admin's: every other role is refused
// with the role it needs, and a person signed out is sent to sign in.
func TestShowControlPagesRoles(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.withGatedEvent()
	e.user("admin", staff.RoleAdmin)
	e.user("stage", staff.RoleStage, "ber-2027")
	e.user("ida", staff.RoleIssuer)
	pages := []string{"/office/devices", "/office/webhooks", "/office/devices/enrolment/x", "/office/webhooks/wh_x"}
	anon := e.browser()
	for _, p := range pages {
		if a := anon.get(p); a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/office/sign-in") {
			t.Errorf("GET %s signed out = %d to %q, want 303 to sign in", p, a.status, a.location)
		}
	}
	for _, who := range []string{"stage", "ida"} {
		b := e.browser()
		b.mustSignIn(who)
		for _, p := range pages {
			wantStatus(t, who+" GET "+p, b.get(p), http.StatusForbidden, "needs the admin role")
		}
		b.get("/office/")
		wantStatus(t, who+" revoke", b.post("/office/devices/abc/revoke", url.Values{}, "auto"), http.StatusForbidden, "needs the admin role")
		wantStatus(t, who+" add webhook", b.post("/office/webhooks", url.Values{"url": {"https://93.184.216.34/h"}}, "auto"), http.StatusForbidden, "needs the admin role")
		if strings.Contains(b.get("/office/").body, `href="/office/devices"`) {
			t.Errorf("%s's navigation links to the devices page", who)
		}
	}
	// The live dashboard is linked for the roles that may watch.
	b := e.browser()
	b.mustSignIn("stage")
	wantStatus(t, "stage home", b.get("/office/"), http.StatusOK, `href="/dashboard?event=ber-2027"`)
	wantStatus(t, "stage event", b.get("/office/events/ber-2027"), http.StatusOK, `href="/dashboard?event=ber-2027"`)
	b = e.browser()
	b.mustSignIn("ida")
	if a := b.get("/office/"); strings.Contains(a.body, "/dashboard?") {
		t.Error("an issuer's home page links to the live dashboard, which refuses the issuer role")
	}
	b = e.browser()
	b.mustSignIn("admin")
	wantStatus(t, "admin home", b.get("/office/"), http.StatusOK, `href="/office/devices"`, `href="/office/webhooks"`, `href="/dashboard?event=ams-2027"`)
}

var ticketRE = regexp.MustCompile(`^/office/devices/enrolment/([A-Za-z0-9_-]+)$`)

// The enrolment: a form with mistakes, then a QR code that decodes to the
// door page with the code, shown only to the session that made it and
// only until it is used.
func TestEnrolDevice(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.withGatedEvent()
	e.user("admin", staff.RoleAdmin)
	e.user("root", staff.RoleAdmin)
	b := e.browser()
	b.mustSignIn("admin")
	wantStatus(t, "devices", b.get("/office/devices"), http.StatusOK, "No door devices yet", `<option value="ber-2027"`)
	wantStatus(t, "choose event", b.get("/office/devices?event=ber-2027"), http.StatusOK, `<option value="north"`, `<option value="south"`, "2. Door of Berlin, Velodrom")
	wantStatus(t, "no such event", b.get("/office/devices?event=nosuch-1"), http.StatusOK, "There is no event nosuch-1")

	// The form: CSRF first, then its mistakes by field.
	form := url.Values{"event": {"ber-2027"}, "gate": {"north"}, "zone": {""}, "name": {"north phone 1"}}
	wantStatus(t, "enrol without CSRF", b.post("/office/devices/enrol", form, ""), http.StatusForbidden, "security token")
	b.get("/office/devices?event=ber-2027")
	bad := url.Values{"event": {"ber-2027"}, "gate": {"west"}, "name": {"x"}}
	a := b.post("/office/devices/enrol", bad, "auto")
	wantStatus(t, "unknown gate", a, http.StatusBadRequest, `id="e-gate"`, "not a gate of event ber-2027")
	a = b.post("/office/devices/enrol", url.Values{"event": {"ber-2027"}, "gate": {"north"}, "zone": {"moon"}, "name": {"x"}}, "auto")
	wantStatus(t, "unknown zone", a, http.StatusBadRequest, `id="e-zone"`)
	a = b.post("/office/devices/enrol", url.Values{"event": {"ber-2027"}, "gate": {"north"}}, "auto")
	wantStatus(t, "no name", a, http.StatusBadRequest, `id="e-name"`)

	a = b.post("/office/devices/enrol", form, "auto")
	m := ticketRE.FindStringSubmatch(a.location)
	if a.status != http.StatusSeeOther || m == nil {
		t.Fatalf("enrol = %d to %q", a.status, a.location)
	}
	if strings.Contains(a.location, "lde_") {
		t.Fatalf("the enrolment code is in the page's address %q", a.location)
	}
	page := a.location
	wantStatus(t, "enrolment page", b.get(page), http.StatusOK, `src="`+page+`/qr.png"`, "north phone 1", "works <strong>once</strong>", "19:10 &#43;01:00", "10 min 00 s left") // expiry in the event's zone
	if r := lastAudit(t, e.st); r.Actor != "user:admin (Admin Example)" {
		t.Errorf("audit of the enrolment: %+v", r)
	}

	// The image: a PNG, never cached, holding the door page's address.
	png := b.get(page + "/qr.png")
	if png.status != http.StatusOK || png.header.Get("Content-Type") != "image/png" || png.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("qr.png: %d %v", png.status, png.header)
	}
	got := zbar(t, []byte(png.body))
	code, err := devices.ParseCode(got)
	if err != nil || got != e.srv.URL+"/scan#enrol="+code {
		t.Fatalf("the QR code holds %q (%v), want %s/scan#enrol=CODE", got, err, e.srv.URL)
	}
	enr, err := e.st.Enrolment(context.Background(), devices.Hash(code))
	if err != nil || enr.Event != "ber-2027" || enr.Gate != "north" || enr.Name != "north phone 1" {
		t.Fatalf("the QR's code is enrolment %+v, %v", enr, err)
	}
	if s := b.get(page + "/state"); s.status != http.StatusOK || !strings.Contains(s.body, `"waiting"`) {
		t.Fatalf("state: %d %s", s.status, s.body)
	}

	// Another admin's session cannot open the ticket.
	other := e.browser()
	other.mustSignIn("root")
	wantStatus(t, "another session", other.get(page), http.StatusNotFound, "only in the session that made it")
	wantStatus(t, "another session's qr", other.get(page+"/qr.png"), http.StatusNotFound)
	wantStatus(t, "a forged ticket", b.get("/office/devices/enrolment/"+strings.Repeat("A", 90)), http.StatusNotFound)

	// Used: the page says which device took it and shows no code.
	if _, err := e.st.RedeemEnrolment(context.Background(), devices.Hash(code), e.clk.Now(), func(en store.Enrolment) (*store.APIToken, error) {
		return &store.APIToken{ID: "dev23456", Name: en.Name, Role: staff.RoleScanner, Event: en.Event, Gate: en.Gate, Hash: make([]byte, 32), Created: e.clk.Now()}, nil
	}); err != nil {
		t.Fatal(err)
	}
	a = b.get(page)
	wantStatus(t, "used", a, http.StatusOK, "Enrolled at", "dev23456", "no longer shown")
	if strings.Contains(a.body, "qr.png") {
		t.Error("the page still shows the QR code after it was used")
	}
	wantStatus(t, "used qr", b.get(page+"/qr.png"), http.StatusGone)
	if s := b.get(page + "/state"); !strings.Contains(s.body, `"used"`) {
		t.Errorf("state after use: %s", s.body)
	}
	wantStatus(t, "list", b.get("/office/devices"), http.StatusOK, "north phone 1", "dev23456", "offline", "never")

	// Expired unused: no code either.
	b.get("/office/devices?event=ber-2027")
	a = b.post("/office/devices/enrol", form, "auto")
	e.clk.Add(devices.CodeTTL)
	a = b.get(a.location)
	wantStatus(t, "expired", a, http.StatusOK, "expired unused")
	if strings.Contains(a.body, "qr.png") {
		t.Error("the page shows an expired code")
	}
}

// zbar decodes a QR image with zbarimg (Debian package zbar-tools).
func zbar(t *testing.T, png []byte) string {
	t.Helper()
	path, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("LAMINATE_CI") != "" {
			t.Fatal("zbarimg not installed (Debian package zbar-tools)")
		}
		t.Skip("zbarimg not installed: apt-get install zbar-tools")
	}
	f := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(f, png, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "--raw", "-q", f).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// Revoking: CSRF, then the token is revoked under the person's name, and
// the page says so; a second revoke says it was revoked already.
func TestRevokeDevice(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.withGatedEvent()
	e.user("admin", staff.RoleAdmin)
	e.scannerToken("dev23456", "north phone 1", "ber-2027", "north")
	if err := e.st.CreateAPIToken(context.Background(), &store.APIToken{ID: "iss23456", Name: "desk", Role: staff.RoleIssuer, Hash: make([]byte, 32), Created: e.clk.Now()}, "cli:test"); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.mustSignIn("admin")
	wantStatus(t, "list", b.get("/office/devices"), http.StatusOK, `action="/office/devices/dev23456/revoke"`, `data-confirm="Revoke door device north phone 1?`)
	wantStatus(t, "revoke without CSRF", b.post("/office/devices/dev23456/revoke", url.Values{}, ""), http.StatusForbidden)
	if tok, _ := e.st.APIToken(context.Background(), "dev23456"); !tok.Revoked.IsZero() {
		t.Fatal("revoked without a CSRF token")
	}
	a := b.post("/office/devices/dev23456/revoke", url.Values{}, "auto")
	if a.status != http.StatusSeeOther || a.location != "/office/devices?m=device-revoked" {
		t.Fatalf("revoke = %d to %q", a.status, a.location)
	}
	if tok, _ := e.st.APIToken(context.Background(), "dev23456"); tok.Revoked.IsZero() {
		t.Fatal("the device's token is not revoked")
	}
	if r := lastAudit(t, e.st); r.Actor != "user:admin (Admin Example)" || r.Subject != "dev23456" {
		t.Errorf("audit of the revoke: %+v", r)
	}
	a = b.get(a.location)
	wantStatus(t, "after revoke", a, http.StatusOK, "Door device revoked", "revoked")
	if strings.Contains(a.body, `action="/office/devices/dev23456/revoke"`) {
		t.Error("a revoked device still has a Revoke button")
	}
	if a := b.post("/office/devices/dev23456/revoke", url.Values{}, "auto"); a.location != "/office/devices?m=device-already-revoked" {
		t.Errorf("second revoke to %q", a.location)
	}
	wantStatus(t, "an issuer token is no device", b.post("/office/devices/iss23456/revoke", url.Values{}, "auto"), http.StatusNotFound, "no door device iss23456")
	wantStatus(t, "no such device", b.post("/office/devices/nosuch/revoke", url.Values{}, "auto"), http.StatusNotFound)
}
