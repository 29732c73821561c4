package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

func scannerToken(t testing.TB, f *fixture) string {
	t.Helper()
	return f.apiToken(t, RoleScanner, "north gate phone")
}

// apiToken makes and stores an API token for role.
func (f *fixture) apiToken(t testing.TB, role, name string) string {
	t.Helper()
	tok, rec, err := NewToken(role, name, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateAPIToken(context.Background(), &rec, "test"); err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) scan(t testing.TB, auth, token, gate, zone, dir, id string, at time.Time) (int, ScanResponse, string) {
	body, _ := json.Marshal(ScanRequest{Token: token, Gate: gate, Zone: zone, Direction: dir, ScanID: id, At: &at})
	rec := f.do(t, "POST", "/v1/scans", string(body), "Authorization", "Bearer "+auth)
	var r ScanResponse
	json.Unmarshal(rec.Body.Bytes(), &r)
	return rec.Code, r, rec.Body.String()
}

func TestScans(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	show := f.now.Add(9 * time.Hour) // during the show
	steps := []struct {
		name, token, gate, zone, dir, id string
		at                               time.Time
		decision                         record.Decision
		code                             string
		replayed                         bool
	}{
		{"admit/first-in", f.token, "north", "stage", "in", "s1", show, Admit, "ok", false},
		{"replay/same-scan-id", f.token, "north", "stage", "in", "s1", show.Add(time.Minute), Admit, "ok", true},
		// In again at another gate moments later: the pass is inside, so
		// deny (issue 11: a CHECK let in would be a second "in").
		{"deny/other-gate-within-window", f.token, "south", "stage", "in", "s2", show.Add(3 * time.Second), Deny, "possible_clone", false},
		{"deny/already-inside", f.token, "north", "stage", "in", "s3", show.Add(time.Minute), Deny, "already_inside", false},
		{"admit/out", f.token, "north", "stage", "out", "s4", show.Add(2 * time.Minute), Admit, "ok", false},
		{"admit/in-again", f.token, "north", "stage", "in", "s5", show.Add(3 * time.Minute), Admit, "ok", false},
		{"deny/forged", f.token[:len(f.token)-4] + "AAAA", "north", "stage", "in", "s6", show, Deny, "forged", false},
		{"deny/unknown-zone", f.token, "north", "roof", "in", "s7", show, Deny, "unknown_zone", false},
		{"deny/garbage", "hello", "north", "stage", "in", "s8", show, Deny, "malformed", false},
	}
	for _, st := range steps {
		f.setNow(st.at)
		code, r, body := f.scan(t, auth, st.token, st.gate, st.zone, st.dir, st.id, st.at)
		if code != 200 || r.Decision != st.decision || string(r.Code) != st.code || r.Replayed != st.replayed || r.Reason == "" {
			t.Fatalf("%s: %d %s, want %s/%s replayed=%v", st.name, code, body, st.decision, st.code, st.replayed)
		}
		if st.decision != Deny || st.code == "already_inside" || st.code == "possible_clone" {
			if r.Pass == nil || r.Pass.Name != "Zoë" || !strings.HasSuffix(r.ArtworkURL, "/artwork.svg") {
				t.Fatalf("%s: pass details missing: %s", st.name, body)
			}
		}
	}
	scans, err := f.st.Scans(context.Background(), f.iss.Serial)
	if err != nil || len(scans) != 6 { // s1..s5 and s7; the replay stored nothing
		t.Fatalf("stored %d scans of the pass, want 6 (err %v)", len(scans), err)
	}
}

func TestScanRequestErrors(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	for _, body := range []string{
		`{}`,
		`{"token":"x","gate":"north","zone":"stage","direction":"sideways","scan_id":"a"}`,
		`{"token":"x","gate":"North Gate","zone":"stage","direction":"in","scan_id":"a"}`,
		`{"token":"x","gate":"north","zone":"stage","direction":"in","scan_id":""}`,
		`{"token":"x","gate":"north","zone":"stage","direction":"in","scan_id":"` + strings.Repeat("a", 65) + `"}`,
		`not json`,
	} {
		if rec := f.do(t, "POST", "/v1/scans", body, "Authorization", "Bearer "+auth); rec.Code != 400 {
			t.Errorf("POST /v1/scans %s = %d %s, want 400", body, rec.Code, rec.Body)
		}
	}
	if rec := f.do(t, "POST", "/v1/scans", `{}`); rec.Code != 401 {
		t.Errorf("POST /v1/scans without a token = %d, want 401", rec.Code)
	}
}

// Many doors scanning one pass "in" at the same instant: exactly one admit.
func TestScanAntiPassbackConcurrent(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	show := f.now.Add(9 * time.Hour)
	f.setNow(show)
	var wg sync.WaitGroup
	results := make([]ScanResponse, 40)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gate := []string{"north", "south"}[i%2]
			_, results[i], _ = f.scan(t, auth, f.token, gate, "stage", "in", fmt.Sprintf("c%d", i), show)
		}()
	}
	wg.Wait()
	admits := 0
	for _, r := range results {
		if r.Decision == Admit {
			admits++
		}
		if r.Decision == "" {
			t.Fatalf("a scan got no decision: %+v", r)
		}
	}
	if admits != 1 {
		t.Fatalf("%d admits of one pass scanned 40 times at once, want 1", admits)
	}
	// Retries of every scan at once: nothing new stored, same answers.
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gate := []string{"north", "south"}[i%2]
			_, r, _ := f.scan(t, auth, f.token, gate, "stage", "in", fmt.Sprintf("c%d", i), show)
			if !r.Replayed || r.Decision != results[i].Decision {
				t.Errorf("retry of c%d = %+v, want the first answer %s", i, r, results[i].Decision)
			}
		}()
	}
	wg.Wait()
	scans, _ := f.st.Scans(context.Background(), f.iss.Serial)
	if len(scans) != 40 {
		t.Fatalf("stored %d scans, want 40", len(scans))
	}
}

func TestPassAndArtwork(t *testing.T) {
	f := newFixture(t, 0)
	scanner := scannerToken(t, f)
	tok := f.apiToken(t, RoleIssuer, "office")
	f.setNow(f.now.Add(9 * time.Hour))
	f.scan(t, scanner, f.token, "north", "stage", "in", "p1", f.now.Add(9*time.Hour))
	serial := string(f.iss.Serial)
	tests := []struct {
		name, path, auth string
		status           int
		want             string
	}{
		{"ok/pass-scanner", "/v1/passes/" + serial, scanner, 200, `"scans":[{"scan_id":"p1","gate":"north"`},
		{"ok/pass-issuer-typed-lowercase", "/v1/passes/" + strings.ToLower(f.iss.Serial.String()), tok, 200, `"status":"issued"`},
		{"ok/artwork", "/v1/passes/" + serial + "/artwork.svg", scanner, 200, `<svg`},
		{"fail/artwork-issuer", "/v1/passes/" + serial + "/artwork.svg", tok, 403, `"forbidden"`},
		{"fail/no-such-pass", "/v1/passes/2222-2222", scanner, 404, `no pass 2222-2222`},
		{"fail/artwork-made-up-serial", "/v1/passes/2222-2222/artwork.svg", scanner, 404, `no pass`},
		{"fail/bad-serial", "/v1/passes/2222-2223", scanner, 400, `check character`},
		{"fail/no-auth", "/v1/passes/" + serial, "", 401, `unauthorized`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "GET", tt.path, "", "Authorization", "Bearer "+tt.auth)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("GET %s = %d %.200s, want %d with %s", tt.path, rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
	if err := f.st.Revoke(context.Background(), &store.Revocation{Serial: f.iss.Serial, Category: pass.RevokeLost, By: "test"}); err != nil {
		t.Fatal(err)
	}
	if rec := f.do(t, "GET", "/v1/passes/"+serial, "", "Authorization", "Bearer "+scanner); !strings.Contains(rec.Body.String(), `"status":"revoked","revocation":{"reason":"lost"`) {
		t.Fatalf("revoked pass: %s", rec.Body)
	}
}

func TestRevokeEndpoints(t *testing.T) {
	f := newFixture(t, 0)
	mk := func(role string) string { return f.apiToken(t, role, role) }
	admin, issuer := mk(RoleAdmin), mk(RoleIssuer)
	serial := string(f.iss.Serial)
	tests := []struct {
		name, path, body, auth string
		status                 int
		want                   string
	}{
		{"fail/issuer-cannot-revoke", "/v1/passes/" + serial + "/revoke", `{"reason":"lost"}`, issuer, 403, "forbidden"},
		{"fail/no-reason", "/v1/passes/" + serial + "/revoke", `{}`, admin, 400, "reason"},
		{"fail/unknown-pass", "/v1/passes/2222-2222/revoke", `{"reason":"lost"}`, admin, 404, "no pass"},
		{"ok/revoke", "/v1/passes/" + serial + "/revoke", `{"reason":"lost"}`, admin, 200, `"reason":"lost"`},
		{"fail/again", "/v1/passes/" + serial + "/revoke", `{"reason":"lost"}`, admin, 409, "already_revoked"},
		{"fail/mass-unscoped", "/v1/revocations", `{"event":"tour27-ber01","reason":"x"}`, admin, 400, "at least one"},
		{"fail/mass-unknown-event", "/v1/revocations", `{"event":"nope","type":"AAA","reason":"x"}`, admin, 404, "no event"},
		{"fail/mass-bad-type", "/v1/revocations", `{"event":"tour27-ber01","type":"ROADIE","reason":"x"}`, admin, 400, "unknown pass type"},
		{"ok/mass-none-left", "/v1/revocations", `{"event":"tour27-ber01","type":"AAA","reason":"x"}`, admin, 200, `"revoked":0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "POST", tt.path, tt.body, "Authorization", "Bearer "+tt.auth)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("POST %s = %d %s, want %d with %s", tt.path, rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
	// The revoking node honours its revocation at once, before any sync.
	if m := decode(t, f.do(t, "POST", "/v1/verify", `{"token":"`+f.token+`"}`)); m["status"] != "revoked" {
		t.Fatalf("verify after revoke = %v", m["status"])
	}
}

func TestCuesAndStatus(t *testing.T) {
	f := newFixture(t, 0)
	mk := func(role string) string { return f.apiToken(t, role, role) }
	stage, scanner := mk(RoleStage), mk(RoleScanner)
	// The show was planned for 20:00 (now + 8 h); at 20:05 it has not started.
	before := f.now.Add(8*time.Hour + 5*time.Minute)
	f.s.cfg.Now = func() time.Time { return before }
	f.scan(t, scanner, f.token, "north", "stage", "in", "x1", before)
	rec := f.do(t, "GET", "/v1/events/tour27-ber01/status", "", "Authorization", "Bearer "+scanner)
	if !strings.Contains(rec.Body.String(), `"phase":"during"`) || !strings.Contains(rec.Body.String(), `"counts":{"stage":1}`) {
		t.Fatalf("status = %s", rec.Body)
	}
	// Doors are late: the show really starts at 20:25, and the stage
	// manager cues it then.
	start := f.now.Add(8*time.Hour + 25*time.Minute)
	f.s.cfg.Now = func() time.Time { return start }
	body := fmt.Sprintf(`{"cue":"show_started","at":"%s"}`, start.Add(-30*time.Second).Format(time.RFC3339))
	rec = f.do(t, "POST", "/v1/events/tour27-ber01/cues", body, "Authorization", "Bearer "+stage)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"phase":"during"`) || !strings.Contains(rec.Body.String(), `"show_started"`) {
		t.Fatalf("cue = %d %s", rec.Code, rec.Body)
	}
	at := func(d time.Duration) string { return start.Add(d).Format(time.RFC3339) }
	for _, tt := range []struct {
		name, body, auth string
		status           int
	}{
		{"fail/unknown-cue", `{"cue":"encore"}`, stage, 400},
		{"fail/scanner", `{"cue":"show_ended"}`, scanner, 403},
		// A cue moves the phases of every door: it is dated now, give or
		// take a clock's error (issue 11: doors_open dated 2000 let an AAA
		// pass of a later show in).
		{"fail/dated-long-ago", `{"cue":"doors_open","at":"2000-01-01T00:00:00Z"}`, stage, 400},
		{"fail/dated-3-minutes-ago", `{"cue":"show_ended","at":"` + at(-3*time.Minute) + `"}`, stage, 400},
		{"fail/dated-ahead", `{"cue":"show_ended","at":"` + at(20*time.Minute) + `"}`, stage, 400},
	} {
		if rec := f.do(t, "POST", "/v1/events/tour27-ber01/cues", tt.body, "Authorization", "Bearer "+tt.auth); rec.Code != tt.status {
			t.Errorf("%s: cue %s = %d %s, want %d", tt.name, tt.body, rec.Code, rec.Body, tt.status)
		}
	}
	if rec := f.do(t, "GET", "/v1/events/tour27-ber01/status", "", "Authorization", "Bearer "+scanner); strings.Contains(rec.Body.String(), "doors_open") ||
		strings.Contains(rec.Body.String(), "show_ended") {
		t.Errorf("a refused cue was applied: %s", rec.Body)
	}
	if rec := f.do(t, "POST", "/v1/events/nope/cues", `{"cue":"show_ended"}`, "Authorization", "Bearer "+stage); rec.Code != 404 {
		t.Errorf("cue on unknown event = %d", rec.Code)
	}
}
