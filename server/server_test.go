package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
	"github.com/laminate/laminate/verifier"
)

type fixture struct {
	s      *Server
	st     store.Store
	revs   *verifier.RevocationSet
	token  string
	iss    store.Issued
	now    time.Time
	clock  atomic.Int64 // the server's clock, unix nanoseconds; starts at now
	dbPath string       // the SQLite file behind st
}

// setNow moves the server's clock, e.g. to the show, so that scans dated
// then are not in the server's future.
func (f *fixture) setNow(t time.Time) { f.clock.Store(t.UnixNano()) }

func newFixture(t testing.TB, verifyRate float64) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2027, 3, 5, 12, 0, 0, 0, time.UTC)
	ring, err := keys.Init(dir, keys.EdDSA, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, dir+"/laminate.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ev := &pass.Event{ID: "tour27-ber01", Name: "Tour", Schedule: pass.Schedule{
		ShowStart: now.Add(8 * time.Hour), ShowEnd: now.Add(11 * time.Hour)}}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateEvent(ctx, ev, "test"); err != nil {
		t.Fatal(err)
	}
	js, key, _ := ring.Signer(nil)
	sg := signer.New(js, key.KID, "lam")
	sg.Now = func() time.Time { return now }
	issued, err := issue.Batch(ctx, sg, st, ev, []signer.Request{{Type: pass.AAA, Name: "Zoë"}}, "test", issue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	revs := verifier.NewRevocationSet()
	v, _ := verifier.New(verifier.Config{Keys: ring, Revocations: revs})
	f := &fixture{st: st, revs: revs, token: issued[0].Token, iss: issued[0], now: now, dbPath: dir + "/laminate.db"}
	f.setNow(now)
	f.s = New(Config{Store: st, Keys: ring, Verifier: v, Revocations: revs, VerifyRate: verifyRate,
		Now:           func() time.Time { return time.Unix(0, f.clock.Load()).UTC() },
		ArtworkSecret: []byte("0123456789abcdef0123456789abcdef"), Signer: sg})
	return f
}

func (f *fixture) do(t testing.TB, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.7:5555"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, req)
	return rec
}

func decode(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
	}
	return m
}

func TestEndpoints(t *testing.T) {
	f := newFixture(t, 0)
	big := `{"token":"` + strings.Repeat("a", 70<<10) + `"}`
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     []string // substrings of the body
	}{
		{"ok/healthz", "GET", "/healthz", "", 200, []string{`"status":"ok"`}},
		{"ok/readyz", "GET", "/readyz", "", 200, []string{`"status":"ready"`}},
		{"ok/jwks", "GET", "/.well-known/jwks.json", "", 200, []string{`"kty":"OKP"`, `"kid":"` + f.iss.KID + `"`, `"use":"sig"`}},
		{"ok/verify-valid", "POST", "/v1/verify", `{"token":"` + f.token + `"}`, 200,
			[]string{`"authentic":true`, `"status":"valid"`, `"serial":"` + string(f.iss.Serial) + `"`, `"name":"Zoë"`, `"issued_at":"2027-03-05T12:00:00Z"`, `"expires_at"`}},
		{"ok/verify-numeric-form", "POST", "/v1/verify", `{"token":"` + numeric(f.token) + `"}`, 200, []string{`"status":"valid"`}},
		{"ok/verify-compact-form", "POST", "/v1/verify", `{"token":"` + compactForm(f.token) + `"}`, 200, []string{`"status":"valid"`}},
		{"ok/verify-get", "GET", "/v1/verify?token=" + f.token, "", 200, []string{`"status":"valid"`}},
		{"ok/verify-forged", "POST", "/v1/verify", `{"token":"` + f.token[:len(f.token)-4] + `AAAA"}`, 200, []string{`"authentic":false`, `"status":"forged"`}},
		{"ok/verify-garbage", "POST", "/v1/verify", `{"token":"hello"}`, 200, []string{`"status":"malformed"`}},
		{"fail/verify-no-token", "POST", "/v1/verify", `{}`, 400, []string{`"code":"bad_request"`, `"request_id":"`}},
		{"fail/verify-not-json", "POST", "/v1/verify", `token=abc`, 400, []string{`"code":"bad_request"`}},
		{"fail/verify-unknown-field", "POST", "/v1/verify", `{"token":"x","admin":true}`, 400, []string{`"code":"bad_request"`}},
		{"fail/verify-two-objects", "POST", "/v1/verify", `{"token":"x"}{"token":"y"}`, 400, []string{`one JSON object`}},
		{"fail/verify-too-large", "POST", "/v1/verify", big, 413, []string{`"code":"too_large"`}},
		{"fail/get-no-token", "GET", "/v1/verify", "", 400, []string{`no token`}},
		{"fail/not-found", "GET", "/v1/nosuch", "", 404, []string{`"code":"not_found"`}},
		{"fail/method", "DELETE", "/v1/verify", "", 405, []string{`"code":"method_not_allowed"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, tt.method, tt.path, tt.body, "Content-Type", "application/json")
			if rec.Code != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, rec.Code, rec.Body, tt.status)
			}
			decode(t, rec)
			for _, w := range tt.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("body %s lacks %s", rec.Body, w)
				}
			}
			if rec.Header().Get(echo.HeaderXRequestID) == "" {
				t.Error("no X-Request-Id")
			}
			if tt.status >= 400 && strings.Contains(rec.Body.String(), "go-jose") {
				t.Errorf("error body leaks an internal error: %s", rec.Body)
			}
		})
	}
	if cc := f.do(t, "GET", "/.well-known/jwks.json", "").Header().Get("Cache-Control"); !strings.Contains(cc, "max-age") {
		t.Errorf("JWKS Cache-Control = %q", cc)
	}
}

func TestVerifyRateLimit(t *testing.T) {
	f := newFixture(t, 1) // 1/s, burst 3
	limited := 0
	for range 10 {
		if f.do(t, "POST", "/v1/verify", `{"token":"x"}`).Code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("10 quick verifications from one address: none rate limited")
	}
	rec := f.do(t, "POST", "/v1/verify", `{"token":"x"}`)
	if m := decode(t, rec); rec.Code != 429 || m["error"].(map[string]any)["code"] != "rate_limited" {
		t.Fatalf("rate-limited answer = %d %s", rec.Code, rec.Body)
	}
	if f.do(t, "GET", "/healthz", "").Code != 200 {
		t.Fatal("healthz is rate limited")
	}
}

// A revocation written to the store by another process is honoured by the
// running server after its next sync (every 250 ms).
func TestRevocationReachesServer(t *testing.T) {
	f := newFixture(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.s.Sync(ctx)
	if err := f.st.Revoke(ctx, &store.Revocation{Serial: f.iss.Serial, Category: pass.RevokeLost, By: "cli:test"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second) // a bound against hanging, not a speed assertion
	for {
		m := decode(t, f.do(t, "POST", "/v1/verify", `{"token":"`+f.token+`"}`))
		if m["status"] == "revoked" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revocation not seen: %v", m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	f.s.e.GET("/test/issuer-only", func(c echo.Context) error { return c.String(200, c.Get("caller").(caller).Name) }, f.s.require(RoleIssuer))
	mk := func(role string) string { return f.apiToken(t, role, role+" holder") }
	issuer, scanner, admin, revoked := mk(RoleIssuer), mk(RoleScanner), mk(RoleAdmin), mk(RoleIssuer)
	id, _, _ := splitToken(revoked)
	if err := f.st.RevokeAPIToken(ctx, id, "test"); err != nil {
		t.Fatal(err)
	}
	wrongSecret := issuer[:len(issuer)-3] + "xyz"
	tests := []struct {
		name, auth string
		status     int
	}{
		{"ok/issuer", "Bearer " + issuer, 200},
		{"ok/admin-may-all", "Bearer " + admin, 200},
		{"fail/scanner-role", "Bearer " + scanner, 403},
		{"fail/no-header", "", 401},
		{"fail/basic-auth", "Basic dXNlcjpwYXNz", 401},
		{"fail/not-ours", "Bearer eyJhbGciOi", 401},
		{"fail/wrong-secret", "Bearer " + wrongSecret, 401},
		{"fail/revoked", "Bearer " + revoked, 401},
		{"fail/unknown-id", "Bearer lam_aaaaaaaa_" + strings.Repeat("A", 43), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "GET", "/test/issuer-only", "", "Authorization", tt.auth)
			if rec.Code != tt.status {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tt.status)
			}
			if secret, ok := strings.CutPrefix(tt.auth, "Bearer "); ok && tt.status != 200 && strings.Contains(rec.Body.String(), secret) {
				t.Fatalf("error body echoes a token: %s", rec.Body)
			}
		})
	}
	if _, _, err := NewToken("root", "x", f.now); err == nil {
		t.Fatal("NewToken(root) succeeded")
	}
}

func compactForm(tok string) string {
	c, _ := pass.EncodeCompact(tok)
	return c
}

func numeric(tok string) string {
	n, _ := pass.EncodeNumeric(tok)
	return n
}

// ListenAndServe serves until its context ends, then shuts down cleanly.
func TestListenAndServeShutdown(t *testing.T) {
	f := newFixture(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(ctx, "127.0.0.1:0", "", "", f.s.Handler(), f.s.log, func(a net.Addr) { addrc <- a.String() })
	}()
	addr := <-addrc
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz = %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ListenAndServe after cancel = %v, want nil", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, 0)
	f.do(t, "POST", "/v1/verify", `{"token":"`+f.token+`"}`)
	f.do(t, "POST", "/v1/verify", `{"token":"junk"}`)
	f.do(t, "GET", "/v1/passes/2222-2222", "")
	body := f.do(t, "GET", "/metrics", "").Body.String()
	for _, want := range []string{
		`laminate_verdicts_total{status="valid"} 1`,
		`laminate_verdicts_total{status="malformed"} 1`,
		`laminate_http_requests_total{method="POST",route="/v1/verify",status="200"} 2`,
		`laminate_http_requests_total{method="GET",route="/v1/passes/:serial",status="401"} 1`,
		`laminate_http_request_seconds_bucket`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
