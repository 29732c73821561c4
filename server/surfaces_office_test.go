package server

import (
	"net/http"
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
