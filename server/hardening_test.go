package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/storetest"
)

// issueHere signs and stores a pass of the fixture's event, in the
// fixture's time.
func (f *fixture) issueHere(t testing.TB, name string) store.Issued {
	t.Helper()
	ctx := context.Background()
	ev, err := f.st.Event(ctx, "tour27-ber01")
	if err != nil {
		t.Fatal(err)
	}
	out, err := issue.Batch(ctx, f.s.cfg.Signer, f.st, ev, []signer.Request{{Type: pass.Working, Name: name}}, "test", issue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	return out[0]
}

// scanNoAt posts a scan without "at": the server times it.
func (f *fixture) scanNoAt(t testing.TB, auth, token, gate, zone, dir, id string) (int, ScanResponse, string) {
	body, _ := json.Marshal(ScanRequest{Token: token, Gate: gate, Zone: zone, Direction: dir, ScanID: id})
	rec := f.do(t, "POST", "/v1/scans", string(body), "Authorization", "Bearer "+auth)
	var r ScanResponse
	json.Unmarshal(rec.Body.Bytes(), &r)
	return rec.Code, r, rec.Body.String()
}

// TestScanDecisionOrder is issue 11's reproduction: a scan stamped earlier
// than the pass's last decided scan was decided against a later "out" and
// admitted, and the next "in" was admitted too. Scans are decided in the
// order they reach the pass's lock, each against the one decided before,
// and timed no earlier than it.
func TestScanDecisionOrder(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	now := f.now.Add(9 * time.Hour) // during the show
	f.setNow(now)
	p := f.issueHere(t, "Fresh Worker")
	steps := []struct {
		name     string
		dir      string
		ago      time.Duration // 0: no "at"
		decision record.Decision
		code     string
	}{
		{"admit/in-30s-ago", "in", 30 * time.Second, Admit, "ok"},
		{"admit/out-10s-ago", "out", 10 * time.Second, Admit, "ok"},
		// Stamped before the "out", decided after it: decided against the
		// "out" (admit), and dated no earlier than it.
		{"admit/in-20s-ago", "in", 20 * time.Second, Admit, "ok"},
		{"deny/in-now", "in", 0, Deny, "already_inside"},
		{"deny/in-again", "in", 0, Deny, "already_inside"},
	}
	var prev time.Time
	for i, st := range steps {
		var code int
		var r ScanResponse
		var body string
		if st.ago == 0 {
			code, r, body = f.scanNoAt(t, auth, p.Token, "north", "stage", st.dir, fmt.Sprintf("o%d", i))
		} else {
			code, r, body = f.scan(t, auth, p.Token, "north", "stage", st.dir, fmt.Sprintf("o%d", i), now.Add(-st.ago))
		}
		if code != 200 || r.Decision != st.decision || string(r.Code) != st.code {
			t.Fatalf("%s: %d %s, want %s/%s", st.name, code, body, st.decision, st.code)
		}
		if r.At.Before(prev) {
			t.Errorf("%s: timed %s, before the scan decided before it (%s)", st.name, r.At, prev)
		}
		prev = r.At
	}
	scans, err := f.st.Scans(context.Background(), p.Serial)
	if err != nil {
		t.Fatal(err)
	}
	if byStored, byTime := storetest.DoubleAdmits(scans); byStored != 0 || byTime != 0 {
		t.Errorf("double admits: %d in stored order, %d in time order; want 0", byStored, byTime)
	}
	if sc := scans[2]; sc.ID != "o2" || !sc.DeviceAt.Equal(now.Add(-20*time.Second)) || !sc.At.Equal(now.Add(-10*time.Second)) {
		t.Errorf("o2 stored at %s (device %s), want dated with the out it was decided after, the device's time kept", sc.At, sc.DeviceAt)
	}
}

// TestScanOrderConcurrent: many doors scanning a few passes in and out at
// random, some with clocks a little behind, at once. No pass is ever
// admitted "in" twice without an "out" between, in stored or time order.
func TestScanOrderConcurrent(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	now := f.now.Add(9 * time.Hour)
	f.setNow(now)
	var passes []store.Issued
	for i := range 4 {
		passes = append(passes, f.issueHere(t, fmt.Sprintf("Crew %d", i)))
	}
	const workers, each = 8, 60
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for i := range each {
				p := passes[rng.IntN(len(passes))]
				dir := []string{"in", "out"}[rng.IntN(2)]
				gate := []string{"north", "south"}[rng.IntN(2)]
				id := fmt.Sprintf("w%d-%d", w, i)
				var code int
				var body string
				if rng.IntN(2) == 0 {
					code, _, body = f.scanNoAt(t, auth, p.Token, gate, "stage", dir, id)
				} else {
					code, _, body = f.scan(t, auth, p.Token, gate, "stage", dir, id, now.Add(-time.Duration(rng.IntN(90_000))*time.Millisecond))
				}
				if code != 200 {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s: %d %s", id, code, body))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d scans failed, first: %s", len(failures), failures[0])
	}
	total := 0
	for _, p := range passes {
		scans, err := f.st.Scans(context.Background(), p.Serial)
		if err != nil {
			t.Fatal(err)
		}
		total += len(scans)
		if byStored, byTime := storetest.DoubleAdmits(scans); byStored != 0 || byTime != 0 {
			t.Errorf("pass %s: double admits %d in stored order, %d in time order; want 0", p.Serial, byStored, byTime)
		}
	}
	if total != workers*each {
		t.Errorf("%d scans stored, want %d", total, workers*each)
	}
}

// TestScanClock: an online scan's "at" is bounded to the server's clock on
// both sides (issue 11: a scan dated 20 minutes back was admitted after
// access had closed); older scans belong in the offline upload.
func TestScanClock(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	now := f.now.Add(9 * time.Hour)
	f.setNow(now)
	for _, tt := range []struct {
		name   string
		offset time.Duration
		status int
	}{
		{"fail/20-minutes-back", -20 * time.Minute, 400},
		{"fail/3-minutes-ahead", 3 * time.Minute, 400},
		{"ok/90-seconds-back", -90 * time.Second, 200},
		{"ok/90-seconds-ahead", 90 * time.Second, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := f.scan(t, auth, f.token, "north", "stage", "out", tt.name, now.Add(tt.offset))
			if code != tt.status {
				t.Fatalf("scan at now%+v = %d %s, want %d", tt.offset, code, body, tt.status)
			}
		})
	}
}

// TestScanReplayBinding: a retry gets the first answer only when it is the
// same scan: token, gate, zone and direction (issue 11: a forged token
// under the scan_id of a real admit got "admit" and the holder's name).
func TestScanReplayBinding(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	now := f.now.Add(9 * time.Hour)
	f.setNow(now)
	if code, r, body := f.scan(t, auth, f.token, "north", "stage", "in", "real", now); code != 200 || r.Decision != Admit {
		t.Fatalf("first scan = %d %s", code, body)
	}
	forged := f.token[:len(f.token)-4] + "AAAA"
	for _, tt := range []struct {
		name, token, gate, zone, dir string
		status                       int
	}{
		{"ok/same-scan-retried", f.token, "north", "stage", "in", 200},
		{"ok/same-scan-trailing-newline", f.token + "\r\n", "north", "stage", "in", 200},
		{"fail/forged-token", forged, "north", "stage", "in", 409},
		{"fail/other-gate", f.token, "south", "stage", "in", 409},
		{"fail/other-zone", f.token, "north", "foh", "in", 409},
		{"fail/other-direction", f.token, "north", "stage", "out", 409},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, r, body := f.scan(t, auth, tt.token, tt.gate, tt.zone, tt.dir, "real", now)
			if code != tt.status {
				t.Fatalf("retry = %d %s, want %d", code, body, tt.status)
			}
			if code == 200 && (!r.Replayed || r.Decision != Admit) {
				t.Errorf("retry = %s, want the first answer replayed", body)
			}
			if code == 409 && (strings.Contains(body, "Zoë") || !strings.Contains(body, "scan_id_reused")) {
				t.Errorf("refused retry = %s: want scan_id_reused and no holder", body)
			}
		})
	}
}

// TestScanCredential: a scan records which API token sent it (never its
// secret), so the record says who let someone in.
func TestScanCredential(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	now := f.now.Add(9 * time.Hour)
	f.setNow(now)
	f.scan(t, auth, f.token, "north", "stage", "in", "c1", now)
	f.do(t, "POST", "/v1/scans/offline", offlineBody(t, offline(f.token, "east", "out", "c2", Admit, now.Add(-time.Hour))), "Authorization", "Bearer "+auth)
	id, secret, _ := splitToken(auth)
	for _, sid := range []string{"c1", "c2"} {
		sc, err := f.st.Scan(context.Background(), sid)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Credential != id || strings.Contains(string(sc.Answer), secret) {
			t.Errorf("scan %s credential %q, want the token id %q", sid, sc.Credential, id)
		}
	}
	rec := f.do(t, "GET", "/v1/passes/"+string(f.iss.Serial), "", "Authorization", "Bearer "+auth)
	if !strings.Contains(rec.Body.String(), `"credential":"`+id+`"`) || !strings.Contains(rec.Body.String(), `"source":"offline"`) {
		t.Errorf("pass history = %s, want each scan's credential and source", rec.Body)
	}
}

// TestOfflineVerdicts: an offline door's upload is stored with the
// server's own verdict beside the door's decision, and a pass the door let
// in that the server refuses raises admitted_invalid (issue 11).
func TestOfflineVerdicts(t *testing.T) {
	f := newFixture(t, 0)
	auth := "Bearer " + scannerToken(t, f)
	show := f.now.Add(9 * time.Hour)
	f.setNow(show.Add(time.Hour))
	revoked := f.issueHere(t, "Lost Pass")
	if err := f.st.Revoke(context.Background(), &store.Revocation{Serial: revoked.Serial, Category: pass.RevokeLost, By: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	forged := f.token[:len(f.token)-4] + "AAAA"
	ok := offline(f.token, "north", "in", "v-ok", Admit, show)
	photo := offline(f.issueHere(t, "Rigger").Token, "north", "in", "v-zone", Admit, show.Add(time.Second))
	photo.Zone = "dressing-rooms" // a Working pass never goes there
	up := []OfflineScan{
		ok,
		offline(revoked.Token, "north", "in", "v-revoked", Admit, show),
		offline(forged, "north", "in", "v-forged", Admit, show),
		offline(revoked.Token, "north", "in", "v-revoked-denied", Deny, show.Add(time.Minute)),
		photo,
	}
	up[3].Code = "revoked"
	rec := f.do(t, "POST", "/v1/scans/offline", offlineBody(t, up...), "Authorization", auth)
	var r OfflineResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || rec.Code != 200 {
		t.Fatalf("upload = %d %s", rec.Code, rec.Body)
	}
	got := map[string]string{} // scan -> alert status
	for _, a := range r.Alerts {
		if a.Kind == store.AlertAdmittedInvalid {
			got[a.Scans[0]] = a.Status
		}
	}
	want := map[string]string{"v-revoked": "revoked", "v-forged": "forged", "v-zone": "zone_not_allowed"}
	for id, status := range want {
		if got[id] != status {
			t.Errorf("alert for %s = %q, want admitted_invalid %q (alerts %+v)", id, got[id], status, r.Alerts)
		}
	}
	if len(got) != len(want) {
		t.Errorf("admitted_invalid alerts %v, want %v: none for a pass the server accepts or the door refused", got, want)
	}
	for id, verdict := range map[string]string{"v-ok": "ok", "v-revoked": "revoked", "v-forged": "forged", "v-revoked-denied": "revoked"} {
		sc, err := f.st.Scan(context.Background(), id)
		if err != nil || string(sc.Verdict) != verdict || sc.Source != store.SourceOffline || sc.Decision != map[bool]record.Decision{true: Deny, false: Admit}[id == "v-revoked-denied"] {
			t.Errorf("scan %s = %+v, %v; want the door's decision and the server's verdict %q", id, sc, err, verdict)
		}
	}
	// Sent again: nothing new, no alert twice.
	rec = f.do(t, "POST", "/v1/scans/offline", offlineBody(t, up...), "Authorization", auth)
	r = OfflineResponse{}
	json.Unmarshal(rec.Body.Bytes(), &r)
	if r.Stored != 0 || len(r.Alerts) != 0 {
		t.Errorf("second upload stored %d, raised %d alerts; want 0, 0", r.Stored, len(r.Alerts))
	}
	// The same scan ID with another token is not a retry.
	other := up[0]
	other.Token = revoked.Token
	rec = f.do(t, "POST", "/v1/scans/offline", offlineBody(t, other), "Authorization", auth)
	r = OfflineResponse{}
	json.Unmarshal(rec.Body.Bytes(), &r)
	if len(r.Results) != 1 || r.Results[0].Error == "" || r.Stored != 0 {
		t.Errorf("reused scan_id = %s, want refused", rec.Body)
	}
}

// TestOfflineCodes: an uploaded code must be one a door gives; anything
// else is refused, so nothing per code grows with what devices send.
func TestOfflineCodes(t *testing.T) {
	f := newFixture(t, 0)
	auth := "Bearer " + scannerToken(t, f)
	show := f.now.Add(9 * time.Hour)
	f.setNow(show)
	var up []OfflineScan
	for i, code := range []string{"ok", "bundle_expired", "made_up_code", strings.Repeat("x", 200), ""} {
		o := offline(f.token, "north", "out", fmt.Sprintf("k%d", i), Deny, show)
		o.Code = record.Code(code)
		up = append(up, o)
	}
	rec := f.do(t, "POST", "/v1/scans/offline", offlineBody(t, up...), "Authorization", auth)
	var r OfflineResponse
	json.Unmarshal(rec.Body.Bytes(), &r)
	if r.Stored != 2 || len(r.Results) != 5 || r.Results[2].Error == "" || r.Results[3].Error == "" || r.Results[4].Error == "" {
		t.Fatalf("upload = %s, want the two known codes stored, the rest refused", rec.Body)
	}
}

// TestOfflineClaimsNeverDeny: an offline door's report that a pass went in
// never denies the holder at an online door by itself; the conflict is an
// alert and an "attention" answer (issue 11: a made-up earlier "in" had
// the genuine holder denied already_inside). A claim dated before the
// server's own latest scan of the pass is history and changes nothing.
func TestOfflineClaimsNeverDeny(t *testing.T) {
	f := newFixture(t, 0)
	raw := scannerToken(t, f)
	auth := "Bearer " + raw
	now := f.now.Add(9 * time.Hour)
	f.setNow(now)
	p := f.issueHere(t, "Genuine Holder")
	// Online: in and out.
	f.scan(t, raw, p.Token, "north", "stage", "in", "on1", now.Add(-time.Minute))
	f.scan(t, raw, p.Token, "north", "stage", "out", "on2", now.Add(-30*time.Second))
	// A claimed "in" dated long before: history only.
	f.do(t, "POST", "/v1/scans/offline", offlineBody(t, offline(p.Token, "west", "in", "claim-old", Admit, now.Add(-time.Hour))), "Authorization", auth)
	if _, r, body := f.scanNoAt(t, raw, p.Token, "north", "stage", "in", "on3"); r.Decision != Admit {
		t.Fatalf("in after an old offline claim = %s, want admit", body)
	}
	f.scanNoAt(t, raw, p.Token, "north", "stage", "out", "on4")
	// A claimed "in" dated after the server's latest: attention, and an alert.
	f.setNow(now.Add(time.Minute))
	f.do(t, "POST", "/v1/scans/offline", offlineBody(t, offline(p.Token, "west", "in", "claim-new", Admit, now.Add(40*time.Second))), "Authorization", auth)
	_, r, body := f.scanNoAt(t, raw, p.Token, "north", "stage", "in", "on5")
	if r.Decision != Attention || r.Code != "offline_conflict" {
		t.Fatalf("in after a newer offline claim = %s, want attention/offline_conflict", body)
	}
	as, err := f.st.Alerts(context.Background(), store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range as {
		found = found || a.Kind == store.AlertOfflineConflict && a.Scans == [2]string{"claim-new", "on5"}
	}
	if !found {
		t.Errorf("alerts %+v, want offline_conflict for claim-new and on5", as)
	}
}

// TestResolveScan: a CHECK waits for the door person, whose answer is
// stored with the scan, with who gave it (issue 11).
func TestResolveScan(t *testing.T) {
	f := newFixture(t, 0)
	raw := scannerToken(t, f)
	other := f.apiToken(t, RoleScanner, "south gate phone")
	now := f.now.Add(9 * time.Hour)
	f.setNow(now)
	p := f.issueHere(t, "Checked Holder")
	f.scan(t, raw, p.Token, "north", "stage", "out", "r0", now.Add(-5*time.Second))
	_, r, body := f.scanNoAt(t, raw, p.Token, "south", "stage", "in", "r1") // other gate, 5 s later
	if r.Decision != Attention || r.Code != "possible_clone" {
		t.Fatalf("scan = %s, want attention/possible_clone", body)
	}
	resolve := func(auth, id, decision string) (int, string) {
		rec := f.do(t, "POST", "/v1/scans/"+id+"/resolve", `{"decision":"`+decision+`"}`, "Authorization", "Bearer "+auth)
		return rec.Code, rec.Body.String()
	}
	for _, tt := range []struct {
		name, auth, id, decision string
		status                   int
		want                     string
	}{
		{"fail/bad-decision", raw, "r1", "maybe", 400, "bad_request"},
		{"fail/unknown-scan", raw, "nope", "admit", 404, "not_found"},
		{"fail/other-door", other, "r1", "admit", 403, "forbidden"},
		{"fail/not-a-check", raw, "r0", "admit", 409, "not_attention"},
		{"ok/let-in", raw, "r1", "admit", 200, `"resolution":{"decision":"admit","by":"token:`},
		{"ok/let-in-again", raw, "r1", "admit", 200, `"decision":"admit"`},
		{"fail/turn-away-after", raw, "r1", "deny", 409, "already_resolved"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := resolve(tt.auth, tt.id, tt.decision); code != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("resolve = %d %s, want %d with %s", code, body, tt.status, tt.want)
			}
		})
	}
	// Let in: the pass is inside, so the next "in" is already_inside.
	f.setNow(now.Add(30 * time.Second))
	if _, r, body := f.scanNoAt(t, raw, p.Token, "north", "stage", "in", "r2"); r.Code != "already_inside" {
		t.Errorf("in after a CHECK let in = %s, want already_inside", body)
	}
	inside, err := f.st.Inside(context.Background(), "tour27-ber01")
	if err != nil || len(inside["stage"]) != 1 {
		t.Errorf("Inside = %v, %v; want the pass let in", inside, err)
	}
	// A CHECK not answered before the pass is scanned again cannot be let
	// in afterwards: the door is told to scan again.
	f.setNow(now.Add(time.Minute))
	f.scanNoAt(t, raw, p.Token, "south", "stage", "out", "r3")
	f.setNow(now.Add(2 * time.Minute))
	f.scanNoAt(t, raw, p.Token, "north", "stage", "in", "r4")
	if _, r, body := f.scanNoAt(t, raw, p.Token, "south", "stage", "out", "r5"); r.Decision != Attention { // other gate, same instant
		t.Fatalf("r5 = %s, want attention", body)
	}
	f.setNow(now.Add(3 * time.Minute))
	f.scanNoAt(t, raw, p.Token, "north", "stage", "in", "r6")
	if code, body := resolve(raw, "r5", "admit"); code != 409 || !strings.Contains(body, "scanned_since") {
		t.Errorf("late let-in = %d %s, want 409 scanned_since", code, body)
	}
	if code, body := resolve(raw, "r5", "deny"); code != 200 || !strings.Contains(body, `"decision":"deny","by"`) {
		t.Errorf("late turn-away = %d %s, want 200", code, body)
	}
	entries, _ := f.st.Audit(context.Background(), 0)
	found := false
	for _, e := range entries {
		found = found || e.Action == store.ActionScanResolve && strings.Contains(e.Actor, "north gate phone")
	}
	if !found {
		t.Errorf("no scan.resolve audit row naming the door")
	}
}
