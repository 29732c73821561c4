package server

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/office"
	"github.com/laminate/laminate/staff"
)

// The office mounted as cmd serve mounts it: its pages pass the server's
// middleware (request ID, headers) and keep their own CSP and HTML errors.
func TestOfficeSurface(t *testing.T) {
	f := newFixture(t, 0)
	cfg := f.s.cfg
	cfg.Surfaces = []httpkit.Surface{office.New(office.Config{Params: staff.Params{Memory: 64, Time: 1, Threads: 1}})}
	f.s = New(cfg)
	w := f.do(t, http.MethodGet, "/office/sign-in", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Security-Policy") != office.CSP || w.Header().Get("X-Request-Id") == "" ||
		w.Header().Get("X-Frame-Options") != "DENY" || !strings.Contains(w.Body.String(), "<h1>Sign in</h1>") {
		t.Fatalf("GET /office/sign-in: %d %v\n%s", w.Code, w.Header(), w.Body)
	}
	if w := f.do(t, http.MethodGet, "/office/", ""); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/sign-in" {
		t.Errorf("GET /office/ signed out: %d to %q", w.Code, w.Header().Get("Location"))
	}
	w = f.do(t, http.MethodPost, "/office/sign-in", "username=a&password=b", "Content-Type", "application/x-www-form-urlencoded")
	if w.Code != http.StatusForbidden || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Errorf("POST sign-in without its token: %d %s, want a 403 page", w.Code, w.Header().Get("Content-Type"))
	}
	if w := f.do(t, http.MethodGet, "/verify", ""); w.Header().Get("Content-Security-Policy") != httpkit.PageCSP {
		t.Errorf("the door pages' CSP changed: %q", w.Header().Get("Content-Security-Policy"))
	}
}

// A pass revoked in the office is turned away by this node at once: the
// office hands the revocation to the server's in-memory list
// (httpkit.Revoker), as the API's revoke does.
func TestOfficeRevokeReachesDoors(t *testing.T) {
	f := newFixture(t, 0)
	cheap := staff.Params{Memory: 64, Time: 1, Threads: 1}
	cfg := f.s.cfg
	cfg.Surfaces = []httpkit.Surface{office.New(office.Config{Params: cheap})}
	f.s = New(cfg)
	h, err := staff.HashPassword("correct horse battery", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateUser(context.Background(), &staff.Account{Username: "ida", DisplayName: "Ida", Role: staff.RoleIssuer, PasswordHash: h}, "test"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.s.Handler())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	var tok string
	do := func(method, path string, form url.Values) (int, string) {
		t.Helper()
		var resp *http.Response
		var err error
		if method == http.MethodGet {
			resp, err = c.Get(srv.URL + path)
		} else {
			form.Set("csrf", tok)
			resp, err = c.PostForm(srv.URL+path, form)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if m := csrf.FindSubmatch(b); m != nil {
			tok = string(m[1])
		}
		return resp.StatusCode, string(b)
	}
	do(http.MethodGet, "/office/sign-in", nil)
	if code, body := do(http.MethodPost, "/office/sign-in", url.Values{"username": {"ida"}, "password": {"correct horse battery"}}); code != http.StatusOK || !strings.Contains(body, "Events") {
		t.Fatalf("sign in: %d\n%s", code, body)
	}
	path := "/office/passes/" + f.iss.Serial.String()
	if code, body := do(http.MethodGet, path+"/pdf", nil); code != http.StatusOK || !strings.HasPrefix(body, "%PDF-") {
		t.Fatalf("GET %s/pdf: %d %.200q", path, code, body)
	}
	if prints, err := f.st.Prints(context.Background(), f.iss.Serial); err != nil || len(prints) != 1 || prints[0].Actor != "user:ida (Ida)" {
		t.Fatalf("Prints() = %+v, %v: want one print by user:ida (Ida)", prints, err)
	}
	if code, body := do(http.MethodGet, path, nil); code != http.StatusOK || !strings.Contains(body, "1 time, last") {
		t.Fatalf("pass page after a print: %d\n%s", code, body)
	}
	if _, ok := f.revs.Revoked(f.iss.Serial); ok {
		t.Fatal("revoked before the test revoked it")
	}
	if code, body := do(http.MethodPost, path+"/revoke", url.Values{"reason": {"stolen"}}); code != http.StatusOK || !strings.Contains(body, "Revoked (stolen)") {
		t.Fatalf("revoke: %d\n%s", code, body)
	}
	if r, ok := f.revs.Revoked(f.iss.Serial); !ok || r.By != "user:ida (Ida)" {
		t.Fatalf("the server's revocation list has %+v, %v: want the office's revocation at once", r, ok)
	}
}
