package office

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/accounts"
	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
	"github.com/laminate/laminate/store/storetest"
)

// cheap argon2id parameters: the tests sign in many times.
var cheap = staff.Params{Memory: 64, Time: 1, Threads: 1}

// host is the httpkit.Host of the tests: a store and nothing else.
type host struct {
	st   store.Store
	sg   *signer.Signer      // nil: the node cannot sign
	revs *[]store.Revocation // what the office handed over (httpkit.Revoker); nil: not kept
	tc   signer.TextChecker
}

func (h host) Revoked(rs ...store.Revocation) {
	if h.revs != nil {
		*h.revs = append(*h.revs, rs...)
	}
}
func (h host) Printable() signer.TextChecker { return h.tc }

// ServePassPDF stands in for server's printing (httpkit.PassPrinter).
func (h host) ServePassPDF(c echo.Context, p *store.Issued) error {
	return c.Blob(http.StatusOK, "application/pdf", []byte("%PDF- "+p.Serial.String()))
}

func (h host) Require(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
}
func (h host) Event(ctx context.Context, id string) (*pass.Event, error) { return h.st.Event(ctx, id) }
func (h host) Signer() *signer.Signer                                    { return h.sg }
func (h host) Store() store.Store                                        { return h.st }

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func newClock(t time.Time) *clock    { return &clock{now: t} }

// env is an office on a fresh SQLite store, served over HTTP.
type env struct {
	t    testing.TB
	st   *sqlite.Store
	clk  *clock
	srv  *httptest.Server
	o    *Office
	revs []store.Revocation // handed to the host (httpkit.Revoker)
}

var t0 = time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)

func newEnv(t testing.TB, cfg Config, tlsServer bool) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/laminate.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := newClock(t0)
	st.Now = clk.Now
	cfg.Now, cfg.Params = clk.Now, cheap
	o := New(cfg)
	e := echo.New()
	o.Mount(e, host{st: st})
	var srv *httptest.Server
	if tlsServer {
		srv = httptest.NewTLSServer(e)
	} else {
		srv = httptest.NewServer(e)
	}
	t.Cleanup(srv.Close)
	return &env{t: t, st: st, clk: clk, srv: srv, o: o}
}

const goodPassword = "correct horse battery"

// user makes an account straight in the store.
func (e *env) user(name, role string, events ...string) {
	e.t.Helper()
	h, err := staff.HashPassword(goodPassword, cheap)
	if err != nil {
		e.t.Fatal(err)
	}
	a := &staff.Account{Username: name, DisplayName: strings.ToUpper(name[:1]) + name[1:] + " Example", Role: role, Events: events, PasswordHash: h}
	if err := e.st.CreateUser(context.Background(), a, "cli:test"); err != nil {
		e.t.Fatal(err)
	}
}

// browser is one browser: its own cookies, no redirects followed.
type browser struct {
	e    *env
	c    *http.Client
	csrf string // of the last page fetched
	addr string // the client address it claims (X-Real-IP); "" for none
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	return &browser{e: e, c: c}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type answer struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(req *http.Request) answer {
	b.e.t.Helper()
	if b.addr != "" {
		req.Header.Set("X-Real-IP", b.addr)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(body), "no value>") {
		b.e.t.Fatalf("a template printed a missing value:\n%s", body)
	}
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return answer{resp.StatusCode, string(body), resp.Header.Get("Location"), resp.Header}
}

func (b *browser) get(path string) answer {
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form; csrf "" leaves the token out, "auto" uses the last page's.
func (b *browser) post(path string, form url.Values, csrf string) answer {
	if csrf == "auto" {
		csrf = b.csrf
	}
	if csrf != "" {
		form.Set("csrf", csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) signIn(user, pw string) answer {
	b.e.t.Helper()
	if a := b.get("/office/sign-in"); a.status != http.StatusOK {
		b.e.t.Fatalf("GET sign-in = %d", a.status)
	}
	return b.post("/office/sign-in", url.Values{"username": {user}, "password": {pw}}, "auto")
}

func (b *browser) mustSignIn(user string) {
	b.e.t.Helper()
	if a := b.signIn(user, goodPassword); a.status != http.StatusSeeOther || a.location != "/office/" {
		b.e.t.Fatalf("sign in as %s = %d to %q: %s", user, a.status, a.location, a.body)
	}
}

func wantStatus(t *testing.T, what string, a answer, status int, contains ...string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status %d, want %d (location %q)\n%s", what, a.status, status, a.location, a.body)
	}
	for _, s := range contains {
		if !strings.Contains(a.body, s) {
			t.Fatalf("%s: the page does not say %q:\n%s", what, s, a.body)
		}
	}
}

func lastAudit(t *testing.T, st store.Store) store.AuditEntry {
	t.Helper()
	rows, err := st.Audit(context.Background(), 1)
	if err != nil || len(rows) != 1 {
		t.Fatalf("Audit() = %v, %v", rows, err)
	}
	return rows[0]
}

func TestSignIn(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("alice", staff.RoleIssuer)
	b := e.browser()
	// Not signed in: the home page sends to the sign-in page.
	a := b.get("/office/")
	if a.status != http.StatusSeeOther || a.location != "/office/sign-in" {
		t.Fatalf("GET /office/ signed out = %d to %q, want 303 to the sign-in page", a.status, a.location)
	}
	b.mustSignIn("ALICE ") // usernames are lower case, trimmed
	wantStatus(t, "home", b.get("/office/"), http.StatusOK, "Alice Example", "Events")
	if a, _ := e.st.User(context.Background(), "alice"); accounts.Actor(a) != (&User{Account: *a}).Actor() {
		t.Errorf("accounts.Actor %q and httpkit's %q differ", accounts.Actor(a), (&User{Account: *a}).Actor())
	}
	if r := lastAudit(t, e.st); r.Action != store.ActionUserSignIn || r.Actor != "user:alice (Alice Example)" || r.Subject != "alice" {
		t.Fatalf("audit of the sign-in = %+v", r)
	}
	// Signed in, the sign-in page sends home.
	if a := b.get("/office/sign-in"); a.status != http.StatusSeeOther {
		t.Errorf("GET sign-in while signed in = %d, want 303", a.status)
	}
	// Sign out: the session is gone from the store.
	b.get("/office/")
	a = b.post("/office/sign-out", url.Values{}, "auto")
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/office/sign-in?m=signed-out") {
		t.Fatalf("sign out = %d to %q", a.status, a.location)
	}
	if a := b.get("/office/"); a.status != http.StatusSeeOther {
		t.Fatalf("after sign-out GET /office/ = %d, want a redirect to sign in", a.status)
	}
	if r := lastAudit(t, e.st); r.Action != store.ActionUserSignOut || r.Actor != "user:alice (Alice Example)" {
		t.Fatalf("audit of the sign-out = %+v", r)
	}
}

func TestSignInNext(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("alice", staff.RoleAdmin)
	b := e.browser()
	a := b.get("/office/users")
	if a.location != "/office/sign-in?next=%2Foffice%2Fusers" {
		t.Fatalf("redirect to %q, want the sign-in page with next", a.location)
	}
	b.get(a.location)
	a = b.post("/office/sign-in", url.Values{"username": {"alice"}, "password": {goodPassword}, "next": {"/office/users"}}, "auto")
	if a.location != "/office/users" {
		t.Fatalf("after sign-in: to %q, want /office/users", a.location)
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/office/", "/office//evil.example", "/v1/passes", "/office/../v1/passes"} {
		if got := safeNext(next); got != "/office/" {
			t.Errorf("safeNext(%q) = %q, want the home page", next, got)
		}
	}
}

func TestSignInBadPassword(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("alice", staff.RoleIssuer)
	b := e.browser()
	wantStatus(t, "wrong password", b.signIn("alice", "wrong password!"), http.StatusUnauthorized, "Wrong username or password.")
	if r := lastAudit(t, e.st); r.Action != store.ActionUserSignInFailed || r.Subject != "alice" {
		t.Fatalf("audit of a failed sign-in = %+v", r)
	}
	wantStatus(t, "unknown user", b.signIn("nosuch", goodPassword), http.StatusUnauthorized, "Wrong username or password.")
	wantStatus(t, "empty", b.signIn("alice", ""), http.StatusBadRequest, "Enter your username and your password.")
	a := b.signIn("alice", "wrong password!")
	if !strings.Contains(a.body, `value="alice"`) {
		t.Error("the form forgot the username")
	}
	if strings.Contains(a.body, "wrong password!") {
		t.Error("the page echoes the password")
	}
}

func TestLockout(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("alice", staff.RoleIssuer)
	b := e.browser()
	for i := 1; i < 5; i++ {
		wantStatus(t, "failure", b.signIn("alice", "wrong password!"), http.StatusUnauthorized, "Wrong username or password.")
	}
	const locked = "Too many wrong passwords for this username from your address. Try again after 18:15 UTC on 2 December"
	wantStatus(t, "fifth failure", b.signIn("alice", "wrong password!"), http.StatusUnauthorized, locked)
	wantStatus(t, "good password while locked", b.signIn("alice", goodPassword), http.StatusUnauthorized, locked)
	e.clk.Add(15 * time.Minute)
	b.mustSignIn("alice")
}

// Review finding 2: a guesser elsewhere neither locks the owner out nor
// learns which usernames exist.
func TestLockoutIsPerAddress(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("alice", staff.RoleIssuer)
	attacker, other, owner := e.browser(), e.browser(), e.browser()
	attacker.addr, other.addr, owner.addr = "2001:db8:1:2::1", "2001:db8:9:9::1", "192.0.2.7"
	for range 5 {
		attacker.signIn("alice", "wrong password!")
		other.signIn("alice", "wrong password!")
	}
	const locked = "Too many wrong passwords for this username from your address"
	wantStatus(t, "attacker, good password", attacker.signIn("alice", goodPassword), http.StatusUnauthorized, locked)
	owner.mustSignIn("alice")
	// An unknown username answers the same.
	attacker.addr = "2001:db8:5:5::1"
	for range 5 {
		attacker.signIn("nosuch", "wrong password!")
	}
	wantStatus(t, "unknown username", attacker.signIn("nosuch", "wrong password!"), http.StatusUnauthorized, locked)
}

func TestSignInRateLimit(t *testing.T) {
	e := newEnv(t, Config{AddressRate: 3, AccountRate: 100}, false)
	e.user("alice", staff.RoleIssuer)
	b := e.browser()
	for range 3 {
		b.signIn("nosuch", "wrong password!")
	}
	wantStatus(t, "fourth from one address", b.signIn("alice", goodPassword), http.StatusTooManyRequests, "Too many sign-in attempts from your address")
	e.clk.Add(time.Minute)
	b.mustSignIn("alice")

	e = newEnv(t, Config{AddressRate: 100, AccountRate: 2}, false)
	e.user("alice", staff.RoleIssuer)
	e.user("bob", staff.RoleIssuer)
	b = e.browser()
	b.signIn("alice", "wrong password!")
	b.signIn("alice", "wrong password!")
	wantStatus(t, "third for one account", b.signIn("alice", goodPassword), http.StatusTooManyRequests, "Too many sign-in attempts for this account")
	b.mustSignIn("bob")
}

// Review finding 4: every sign-in on the node is limited too, whatever
// its address.
func TestSignInGlobalLimit(t *testing.T) {
	e := newEnv(t, Config{GlobalRate: 2}, false)
	e.user("alice", staff.RoleIssuer)
	for i, addr := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		b := e.browser()
		b.addr = addr
		a := b.signIn("alice", "wrong password!")
		if i < 2 {
			wantStatus(t, "within the limit", a, http.StatusUnauthorized, "Wrong username or password.")
		} else {
			wantStatus(t, "past the limit", a, http.StatusServiceUnavailable, "Signing in is busy right now. Try again in a moment.")
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("alice", staff.RoleAdmin)
	e.user("bob", staff.RoleAdmin)
	other := e.browser()
	other.mustSignIn("bob")
	other.get("/office/users")
	b := e.browser()
	b.mustSignIn("alice")
	b.get("/office/users")
	form := func() url.Values {
		return url.Values{"username": {"carol"}, "display_name": {"Carol"}, "role": {"printer"}, "password": {goodPassword}, "confirm": {goodPassword}}
	}
	for name, tok := range map[string]string{
		"missing":       "",
		"wrong":         "not-a-token",
		"other-session": other.csrf,
	} {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, "POST /office/users", b.post("/office/users", form(), tok), http.StatusForbidden, "security token is missing or wrong")
		})
	}
	if _, err := e.st.User(context.Background(), "carol"); err == nil {
		t.Fatal("a POST without the right CSRF token made an account")
	}
	wantStatus(t, "sign out without token", b.post("/office/sign-out", url.Values{}, ""), http.StatusForbidden)
	wantStatus(t, "with the token", b.post("/office/users", form(), "auto"), http.StatusSeeOther)

	// The sign-in form has its own token.
	c := e.browser()
	c.get("/office/sign-in")
	wantStatus(t, "sign-in without token", c.post("/office/sign-in", url.Values{"username": {"alice"}, "password": {goodPassword}}, ""), http.StatusForbidden)
	wantStatus(t, "sign-in with another browser's token", c.post("/office/sign-in", url.Values{"username": {"alice"}, "password": {goodPassword}}, b.csrf), http.StatusForbidden)
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, Config{Sessions: staff.SessionPolicy{Idle: time.Hour, Absolute: 3 * time.Hour}}, false)
	e.user("alice", staff.RoleIssuer)
	b := e.browser()
	b.mustSignIn("alice")
	for range 4 { // active: 50 minutes apart, under the idle limit
		e.clk.Add(50 * time.Minute)
		if a := b.get("/office/"); a.status != http.StatusOK && e.clk.Now().Sub(t0) < 3*time.Hour {
			t.Fatalf("at +%v: %d, want the page", e.clk.Now().Sub(t0), a.status)
		} else if e.clk.Now().Sub(t0) >= 3*time.Hour && a.location != "/office/sign-in?m=expired" {
			t.Fatalf("at +%v: to %q, want the sign-in page (absolute limit)", e.clk.Now().Sub(t0), a.location)
		}
	}
	b.mustSignIn("alice")
	e.clk.Add(time.Hour)
	if a := b.get("/office/account"); a.location != "/office/sign-in?m=expired&next=%2Foffice%2Faccount" {
		t.Fatalf("idle an hour: to %q, want the sign-in page", a.location)
	}
	if r := lastAudit(t, e.st); r.Action != store.ActionUserExpired {
		t.Errorf("audit = %+v, want %s", r, store.ActionUserExpired)
	}
	wantStatus(t, "notice", b.get("/office/sign-in?m=expired"), http.StatusOK, "Your session ended. Sign in again.")
}

func TestDisabledUserSignedOut(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("admin", staff.RoleAdmin)
	e.user("bob", staff.RolePrinter)
	bob := e.browser()
	bob.mustSignIn("bob")
	wantStatus(t, "bob home", bob.get("/office/"), http.StatusOK)
	adm := e.browser()
	adm.mustSignIn("admin")
	adm.get("/office/users/bob")
	wantStatus(t, "disable", adm.post("/office/users/bob/disable", url.Values{}, "auto"), http.StatusSeeOther)
	if r := lastAudit(t, e.st); r.Action != store.ActionUserDisable || r.Actor != "user:admin (Admin Example)" || r.Subject != "bob" {
		t.Fatalf("audit of disable = %+v", r)
	}
	if a := bob.get("/office/"); a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/office/sign-in") {
		t.Fatalf("bob after being disabled: %d to %q, want the sign-in page", a.status, a.location)
	}
	wantStatus(t, "bob signs in again", bob.signIn("bob", goodPassword), http.StatusForbidden, "This account is disabled")
	// Enabled again, bob signs in.
	adm.get("/office/users/bob")
	wantStatus(t, "enable", adm.post("/office/users/bob/enable", url.Values{}, "auto"), http.StatusSeeOther)
	bob.mustSignIn("bob")
	// An admin cannot disable themself.
	adm.get("/office/users/admin")
	wantStatus(t, "disable self", adm.post("/office/users/admin/disable", url.Values{}, "auto"), http.StatusForbidden, "cannot disable your own account")
}

// A session that outlived its account's disabling (made by another node in
// the same instant, say) ends at its next request all the same.
func TestDisabledAccountSessionRefused(t *testing.T) {
	e := newEnv(t, Config{}, false)
	ctx := context.Background()
	e.user("bob", staff.RolePrinter)
	if _, err := e.st.UpdateUser(ctx, "bob", store.ActionUserDisable, "cli:test", func(a *staff.Account) (map[string]any, error) {
		a.Disabled = true
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	tok, ss := staff.NewSession("bob", t0)
	if err := e.st.CreateSession(ctx, &ss, "cli:test"); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	u, _ := url.Parse(e.srv.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: tok, Path: "/"}})
	if a := b.get("/office/"); a.location != "/office/sign-in?m=disabled" {
		t.Fatalf("a disabled account's session: %d to %q, want the sign-in page", a.status, a.location)
	}
	if _, err := e.st.Session(ctx, ss.Hash); err == nil {
		t.Error("the session of the disabled account is still stored")
	}
	wantStatus(t, "notice", b.get("/office/sign-in?m=disabled"), http.StatusOK, "Your account has been disabled. Ask an admin.")
}

func TestSignOutEverywhere(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("alice", staff.RoleScanner)
	e.user("bob", staff.RoleScanner)
	phone, laptop, bob := e.browser(), e.browser(), e.browser()
	phone.mustSignIn("alice")
	laptop.mustSignIn("alice")
	bob.mustSignIn("bob")
	laptop.get("/office/account")
	a := laptop.post("/office/sign-out-everywhere", url.Values{}, "auto")
	if a.status != http.StatusSeeOther || a.location != "/office/sign-in?m=everywhere" {
		t.Fatalf("sign out everywhere = %d to %q", a.status, a.location)
	}
	for name, br := range map[string]*browser{"phone": phone, "laptop": laptop} {
		if a := br.get("/office/"); a.status != http.StatusSeeOther {
			t.Errorf("%s still signed in (%d)", name, a.status)
		}
	}
	wantStatus(t, "bob is not affected", bob.get("/office/"), http.StatusOK)
	if r := lastAudit(t, e.st); r.Action != store.ActionUserSignOutAll || r.Actor != "user:alice (Alice Example)" {
		t.Errorf("audit = %+v", r)
	}
}

func TestRoles(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("pat", staff.RolePrinter)
	b := e.browser()
	b.mustSignIn("pat")
	wantStatus(t, "printer on users", b.get("/office/users"), http.StatusForbidden, "This page needs the admin role; your account has the printer role.")
	home := b.get("/office/")
	if strings.Contains(home.body, `href="/office/users"`) {
		t.Error("the navigation links a page the printer may not open")
	}
	// The roles of accounts are those of httpkit, one list.
	kit := []string{httpkit.RoleAdmin, httpkit.RoleIssuer, httpkit.RolePrinter, httpkit.RoleScanner, httpkit.RoleStage}
	if !slices.Equal(staff.Roles, kit) || !slices.Equal(httpkit.Roles, kit) {
		t.Errorf("staff.Roles = %v, httpkit.Roles = %v: they must agree", staff.Roles, httpkit.Roles)
	}
}

func TestEventLimits(t *testing.T) {
	e := newEnv(t, Config{}, false)
	ctx := context.Background()
	for _, id := range []string{"ber", "ams", "par"} {
		storetest.MustCreate(t, e.st, storetest.NewEvent(t, id, time.Date(2026, 12, 5, 20, 0, 0, 0, time.FixedZone("", 3600))))
	}
	e.user("lim", staff.RoleIssuer, "ber", "ams")
	b := e.browser()
	b.mustSignIn("lim")
	home := b.get("/office/")
	wantStatus(t, "home", home, http.StatusOK, `href="/office/events/ber"`, `href="/office/events/ams"`, "Sat 5 Dec 2026 20:00 &#43;01:00")
	if strings.Contains(home.body, "/office/events/par") {
		t.Error("the home page lists an event the account is not limited to")
	}
	wantStatus(t, "own event", b.get("/office/events/ber"), http.StatusOK, "Show start")
	wantStatus(t, "other event", b.get("/office/events/par"), http.StatusForbidden, "limited to events ams, ber: it cannot see or act for event par")
	_ = ctx
}

func TestUsersAdmin(t *testing.T) {
	e := newEnv(t, Config{}, false)
	ctx := context.Background()
	storetest.MustCreate(t, e.st, storetest.NewEvent(t, "ber", time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)))
	e.user("admin", staff.RoleAdmin)
	b := e.browser()
	b.mustSignIn("admin")
	b.get("/office/users")
	// Errors next to their fields, and nothing stored.
	a := b.post("/office/users", url.Values{"username": {"Carol Smith"}, "display_name": {""}, "role": {"root"}, "events": {"ber, nosuch"},
		"password": {"short"}, "confirm": {"short"}}, "auto")
	wantStatus(t, "bad form", a, http.StatusUnprocessableEntity,
		`id="e-username"`, "The username may hold only lower-case letters",
		`id="e-display_name"`, `id="e-role"`, `id="e-events"`, "No such event: nosuch.",
		`id="e-password"`, "The password must be at least 12 characters long (it has 5)", `aria-invalid="true"`)
	if strings.Contains(a.body, `value="short"`) {
		t.Error("the form echoes a password")
	}
	a = b.post("/office/users", url.Values{"username": {"carol"}, "display_name": {"Carol Smith"}, "role": {"printer"}, "events": {"ber"},
		"password": {goodPassword}, "confirm": {goodPassword + "x"}}, "auto")
	wantStatus(t, "confirm differs", a, http.StatusUnprocessableEntity, "The two passwords differ.")
	a = b.post("/office/users", url.Values{"username": {"carol"}, "display_name": {"Carol Smith"}, "role": {"printer"}, "events": {"ber"},
		"password": {goodPassword}, "confirm": {goodPassword}}, "auto")
	if a.status != http.StatusSeeOther || a.location != "/office/users/carol?m=created" {
		t.Fatalf("create = %d to %q: %s", a.status, a.location, a.body)
	}
	if r := lastAudit(t, e.st); r.Action != store.ActionUserCreate || r.Actor != "user:admin (Admin Example)" || strings.Contains(r.Detail, "argon2") {
		t.Fatalf("audit of create = %+v", r)
	}
	wantStatus(t, "user page", b.get(a.location), http.StatusOK, "Account created.", "Carol Smith", "printer")
	wantStatus(t, "twice", b.post("/office/users", url.Values{"username": {"carol"}, "display_name": {"Carol"}, "role": {"printer"},
		"password": {goodPassword}, "confirm": {goodPassword}}, "auto"), http.StatusConflict, "There is already an account carol.")
	// Edit, reset: carol's session ends with the reset.
	carol := e.browser()
	carol.mustSignIn("carol")
	b.get("/office/users/carol")
	wantStatus(t, "edit", b.post("/office/users/carol", url.Values{"display_name": {"Carol B. Smith"}, "role": {"issuer"}, "events": {""}}, "auto"), http.StatusSeeOther)
	got, _ := e.st.User(ctx, "carol")
	if got.DisplayName != "Carol B. Smith" || got.Role != "issuer" || len(got.Events) != 0 {
		t.Fatalf("after edit: %+v", got)
	}
	b.get("/office/users/carol")
	wantStatus(t, "reset short", b.post("/office/users/carol/reset-password", url.Values{"password": {"carol"}, "confirm": {"carol"}}, "auto"),
		http.StatusUnprocessableEntity, "at least 12 characters")
	wantStatus(t, "reset", b.post("/office/users/carol/reset-password", url.Values{"password": {"a new one for carol"}, "confirm": {"a new one for carol"}}, "auto"), http.StatusSeeOther)
	if a := carol.get("/office/"); a.status != http.StatusSeeOther {
		t.Error("carol is still signed in after her password was reset")
	}
	if a := carol.signIn("carol", "a new one for carol"); a.status != http.StatusSeeOther {
		t.Fatalf("carol with her new password: %d", a.status)
	}
	wantStatus(t, "no such user", b.get("/office/users/nosuch"), http.StatusNotFound, "There is no account nosuch.")
	wantStatus(t, "no such page", b.get("/office/nosuch"), http.StatusNotFound, "There is no such page in the office.")
	big := url.Values{"display_name": {strings.Repeat("x", 70<<10)}, "role": {"issuer"}}
	if a := b.post("/office/users/carol", big, "auto"); a.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 70 KB form: %d, want 413", a.status)
	}
}

// Review finding 7: an admin manages every event, so an admin account
// with event limits is refused, made or edited.
func TestAdminNoEventLimits(t *testing.T) {
	e := newEnv(t, Config{}, false)
	storetest.MustCreate(t, e.st, storetest.NewEvent(t, "ber", time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)))
	e.user("admin", staff.RoleAdmin)
	e.user("carol", staff.RolePrinter, "ber")
	b := e.browser()
	b.mustSignIn("admin")
	b.get("/office/users")
	const msg = "An admin manages every event: remove the event limits or choose another role."
	wantStatus(t, "create", b.post("/office/users", url.Values{"username": {"dan"}, "display_name": {"Dan"}, "role": {"admin"}, "events": {"ber"},
		"password": {goodPassword}, "confirm": {goodPassword}}, "auto"), http.StatusUnprocessableEntity, `id="e-events"`, msg)
	b.get("/office/users/carol")
	wantStatus(t, "edit", b.post("/office/users/carol", url.Values{"display_name": {"Carol"}, "role": {"admin"}, "events": {"ber"}}, "auto"),
		http.StatusUnprocessableEntity, `id="e-events"`, msg)
	if got, _ := e.st.User(context.Background(), "carol"); got.Role != staff.RolePrinter {
		t.Fatalf("carol became %s", got.Role)
	}
}

func TestChangeOwnPassword(t *testing.T) {
	e := newEnv(t, Config{}, false)
	e.user("alice", staff.RoleStage)
	b, other := e.browser(), e.browser()
	b.mustSignIn("alice")
	other.mustSignIn("alice")
	b.get("/office/account")
	wantStatus(t, "wrong current", b.post("/office/account/password", url.Values{"current": {"nope"}, "password": {"a brand new secret"}, "confirm": {"a brand new secret"}}, "auto"),
		http.StatusUnprocessableEntity, "This is not your current password.")
	wantStatus(t, "username as password", b.post("/office/account/password", url.Values{"current": {goodPassword}, "password": {"alice       "}, "confirm": {"alice       "}}, "auto"),
		http.StatusUnprocessableEntity, "must not be the username")
	a := b.post("/office/account/password", url.Values{"current": {goodPassword}, "password": {"a brand new secret"}, "confirm": {"a brand new secret"}}, "auto")
	if a.status != http.StatusSeeOther {
		t.Fatalf("change = %d: %s", a.status, a.body)
	}
	wantStatus(t, "this session stays", b.get("/office/account?m=password"), http.StatusOK, "Your password is changed")
	if a := other.get("/office/"); a.status != http.StatusSeeOther {
		t.Error("the other session survived the password change")
	}
	// Guessing the current password is rate limited like a sign-in.
	b.get("/office/account")
	for range 3 {
		b.post("/office/account/password", url.Values{"current": {"guess"}, "password": {"x"}, "confirm": {"x"}}, "auto")
	}
	wantStatus(t, "guessing", b.post("/office/account/password", url.Values{"current": {"guess"}}, "auto"), http.StatusTooManyRequests, "Too many attempts for this account")
	if r, _ := e.st.Audit(context.Background(), 2); r[1].Action != store.ActionUserPassword || r[1].Actor != "user:alice (Alice Example)" {
		t.Errorf("audit = %+v", r)
	}
}

func TestCookiesAndHeaders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tls    bool
		cookie string
	}{
		{"plain", false, "laminate_office="},
		{"tls", true, "__Host-laminate_office="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{}, tc.tls)
			e.user("alice", staff.RoleIssuer)
			b := e.browser()
			a := b.signIn("alice", goodPassword)
			var set string
			for _, v := range a.header.Values("Set-Cookie") {
				if strings.HasPrefix(v, tc.cookie) {
					set = v
				}
			}
			if set == "" {
				t.Fatalf("no %s cookie in %q", tc.cookie, a.header.Values("Set-Cookie"))
			}
			for _, want := range []string{"Path=/", "HttpOnly", "SameSite=Strict"} {
				if !strings.Contains(set, want) {
					t.Errorf("cookie %q lacks %s", set, want)
				}
			}
			if strings.Contains(set, "Secure") != tc.tls || strings.Contains(set, "Domain") {
				t.Errorf("cookie %q: Secure must be set exactly under TLS, Domain never", set)
			}
			h := b.get("/office/")
			if got := h.header.Get("Content-Security-Policy"); got != CSP || !strings.Contains(got, "form-action 'self'") || strings.Contains(got, "unsafe-inline") {
				t.Errorf("CSP = %q", got)
			}
			if h.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", h.header.Get("Cache-Control"))
			}
			if regexp.MustCompile(`<script>|<script [^>]*>[^<]|style=|<style`).MatchString(h.body) {
				t.Error("inline script or style in the page")
			}
		})
	}
}
