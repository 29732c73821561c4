package server

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/dashboard"
	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/office"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/staff"
)

// officeNode is the server with the office and the dashboard mounted, as
// serve mounts them, over HTTP, with accounts made in its store.
type officeNode struct {
	f   *fixture
	srv *httptest.Server
}

func newOfficeNode(t *testing.T) *officeNode {
	t.Helper()
	f := newFixture(t, 0)
	cheap := staff.Params{Memory: 64, Time: 1, Threads: 1}
	cfg := f.s.cfg
	cfg.Surfaces = []httpkit.Surface{office.New(office.Config{Params: cheap}), dashboard.New(dashboard.Config{})}
	f.s = New(cfg)
	other := &pass.Event{ID: "tour27-ham02", Name: "Hamburg", Schedule: pass.Schedule{ShowStart: f.now.Add(32 * time.Hour), ShowEnd: f.now.Add(35 * time.Hour)}}
	if err := f.st.CreateEvent(context.Background(), other, "test"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		name, role string
		events     []string
	}{{"ada", staff.RoleAdmin, nil}, {"sam", staff.RoleStage, []string{"tour27-ber01"}}, {"pia", staff.RolePrinter, nil}} {
		h, err := staff.HashPassword("correct horse battery", cheap)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.CreateUser(context.Background(), &staff.Account{Username: a.name, DisplayName: a.name, Role: a.role, Events: a.events, PasswordHash: h}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(f.s.Handler())
	t.Cleanup(srv.Close)
	return &officeNode{f: f, srv: srv}
}

// person is a browser signed in to the office.
type person struct {
	t    *testing.T
	n    *officeNode
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (n *officeNode) signIn(t *testing.T, user string) *person {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	p := &person{t: t, n: n, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	p.get("/office/sign-in")
	if code, _ := p.post("/office/sign-in", url.Values{"username": {user}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", user, code)
	}
	return p
}

func (p *person) read(resp *http.Response) (int, string) {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(b); m != nil {
		p.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}

func (p *person) get(path string, hdr ...string) (int, string) {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.n.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.read(resp)
}

func (p *person) post(path string, form url.Values) (int, string) {
	p.t.Helper()
	form.Set("csrf", p.csrf)
	resp, err := p.c.PostForm(p.n.srv.URL+path, form)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.read(resp)
}

// live opens the event's stream with p's cookies (nil: none) and hdr,
// and returns its status and, on 200, its first line.
func (n *officeNode) live(t *testing.T, p *person, event string, hdr ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.srv.URL+"/v1/events/"+event+"/live", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := http.DefaultClient
	if p != nil {
		c = p.c
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	return resp.StatusCode, line
}

// The live dashboard with an office session: no token pasted, the
// account's roles and event limits hold, nothing without a session or
// from another site, and tokens work as before.
func TestDashboardOfficeSession(t *testing.T) {
	n := newOfficeNode(t)
	sam := n.signIn(t, "sam") // stage, limited to tour27-ber01
	if code, body := sam.get("/dashboard?event=tour27-ber01"); code != http.StatusOK || !strings.Contains(body, `data-session="1"`) || !strings.Contains(body, "Signed in to the") {
		t.Fatalf("GET /dashboard with a stage session: %d\n%s", code, body)
	}
	for _, tc := range []struct {
		what   string
		p      *person
		event  string
		hdr    []string
		status int
		says   string
	}{
		{"stage session", sam, "tour27-ber01", []string{"Sec-Fetch-Site", "same-origin"}, http.StatusOK, ": laminate live tour27-ber01"},
		{"no Sec-Fetch-Site (an older browser)", sam, "tour27-ber01", nil, http.StatusOK, ": laminate live"},
		{"same Origin", sam, "tour27-ber01", []string{"Origin", n.srv.URL}, http.StatusOK, ": laminate live"},
		{"event outside the account's limits", sam, "tour27-ham02", nil, http.StatusForbidden, "limited to events tour27-ber01"},
		{"from another site", sam, "tour27-ber01", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden, "cross_site"},
		{"from a sibling site", sam, "tour27-ber01", []string{"Sec-Fetch-Site", "same-site"}, http.StatusForbidden, "cross_site"},
		{"another Origin", sam, "tour27-ber01", []string{"Origin", "https://evil.example"}, http.StatusForbidden, "cross_site"},
		{"no session", nil, "tour27-ber01", nil, http.StatusUnauthorized, "office session"},
		{"a printer's session", n.signIn(t, "pia"), "tour27-ber01", nil, http.StatusForbidden, "role admin or scanner or stage; yours has the printer role"},
		{"admin session, any event", n.signIn(t, "ada"), "tour27-ham02", nil, http.StatusOK, ": laminate live tour27-ham02"},
		{"a bad token beats the session", sam, "tour27-ber01", []string{"Authorization", "Bearer lam_nope"}, http.StatusUnauthorized, "not a Laminate API token"},
	} {
		code, body := n.live(t, tc.p, tc.event, tc.hdr...)
		if code != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %q, want %d with %q", tc.what, code, body, tc.status, tc.says)
		}
	}

	// A token still works, without a session.
	tok, rec, err := NewToken(RoleStage, "stage desk", n.f.now)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.f.st.CreateAPIToken(context.Background(), &rec, "test"); err != nil {
		t.Fatal(err)
	}
	if code, body := n.live(t, nil, "tour27-ham02", "Authorization", "Bearer "+tok); code != http.StatusOK {
		t.Errorf("a stage token: %d %s", code, body)
	}

	// Signed out: the same cookie jar gets nothing.
	sam.get("/office/")
	sam.post("/office/sign-out", url.Values{})
	if code, _ := n.live(t, sam, "tour27-ber01"); code != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d, want 401", code)
	}
	if _, body := sam.get("/dashboard?event=tour27-ber01"); strings.Contains(body, "data-session") {
		t.Error("the page offers a session after sign-out")
	}
}

// A door device revoked in the office is refused at its very next
// request on this node, though its token was cached a moment before.
func TestOfficeRevokeDeviceRefusedAtOnce(t *testing.T) {
	n := newOfficeNode(t)
	tok, rec, err := NewBoundToken(RoleScanner, "north phone", Binding{Event: "tour27-ber01", Gate: "north"}, n.f.now)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.f.st.CreateAPIToken(context.Background(), &rec, "test"); err != nil {
		t.Fatal(err)
	}
	door := func() int {
		req, _ := http.NewRequest(http.MethodGet, n.srv.URL+"/v1/revocations?event=tour27-ber01", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Laminate-App", "scan-7")
		req.Header.Set("X-Laminate-Queued", "3")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := door(); code != http.StatusOK {
		t.Fatalf("the device before the revoke: %d", code)
	}
	ada := n.signIn(t, "ada")
	// The list shows this node's report of the device at once (not yet flushed to the store).
	if code, body := ada.get("/office/devices"); code != http.StatusOK || !strings.Contains(body, "north phone") || !strings.Contains(body, "scan-7") || !strings.Contains(body, ">online<") {
		t.Fatalf("devices page: %d\n%s", code, body)
	}
	if code, _ := ada.post("/office/devices/"+rec.ID+"/revoke", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	if code := door(); code != http.StatusUnauthorized {
		t.Fatalf("the device's next request after the revoke: %d, want 401", code)
	}
}
