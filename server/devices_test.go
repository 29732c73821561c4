package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/devices"
	"github.com/laminate/laminate/store"
)

// enrolment asks for an enrolment code as admin.
func (f *fixture) enrolment(t *testing.T, admin, body string) Enrolment {
	t.Helper()
	rec := f.do(t, "POST", "/v1/devices/enrolments", body, "Authorization", "Bearer "+admin, "Content-Type", "application/json")
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /v1/devices/enrolments = %d %s", rec.Code, rec.Body)
	}
	var e Enrolment
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEnrolDevice: a one-time code becomes a scanner token bound to the
// enrolment's event and gate, once, within 10 minutes; the device is
// listed with its last report and stops at its next request once revoked
// (issue 14, item 1).
func TestEnrolDevice(t *testing.T) {
	f := newFixture(t, 0)
	admin := f.apiToken(t, RoleAdmin, "office")
	e := f.enrolment(t, admin, `{"event":"tour27-ber01","gate":"north","zone":"foh","name":"north phone 3"}`)
	if !strings.HasPrefix(e.URL, "http://example.com/scan#enrol=lde_") || !strings.HasSuffix(e.URL, e.Code) ||
		!e.Expires.Equal(f.now.Add(devices.CodeTTL)) || e.Gate != "north" || e.Zone != "foh" {
		t.Fatalf("enrolment = %+v", e)
	}
	audit, _ := f.st.Audit(context.Background(), 0)
	for _, a := range audit {
		if strings.Contains(a.Detail, e.Code) {
			t.Fatal("the audit log holds the enrolment code")
		}
	}

	// The URL as the camera read it: the server redeems it once.
	rec := f.do(t, "POST", "/v1/devices/enroll", `{"code":"`+e.URL+`"}`, "Content-Type", "application/json")
	if rec.Code != http.StatusCreated || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("enroll = %d %s", rec.Code, rec.Body)
	}
	var dev EnrolledDevice
	json.Unmarshal(rec.Body.Bytes(), &dev)
	if dev.Event != "tour27-ber01" || dev.Gate != "north" || dev.Zone != "foh" || dev.Name != "north phone 3" || !strings.HasPrefix(dev.Token, "lam_") {
		t.Fatalf("enrolled device = %+v", dev)
	}
	again := f.do(t, "POST", "/v1/devices/enroll", `{"code":"`+e.Code+`"}`, "Content-Type", "application/json")
	if again.Code != http.StatusNotFound || !strings.Contains(again.Body.String(), `"code":"enrolment_invalid"`) {
		t.Fatalf("second enroll = %d %s, want 404 enrolment_invalid", again.Code, again.Body)
	}

	// The device scans at its gate only, and reports itself.
	at := f.now.Add(9 * time.Hour)
	f.setNow(at)
	code, _, body := f.scanH(t, dev.Token, "north", at, "X-Laminate-App", "scan 2026.12", "X-Laminate-Queued", "4")
	if code != http.StatusOK {
		t.Fatalf("scan with the enrolled token = %d %s", code, body)
	}
	if code, _, _ := f.scanH(t, dev.Token, "south", at); code != http.StatusForbidden {
		t.Fatalf("scan at another gate = %d, want 403", code)
	}
	list := f.devices(t, admin)
	if len(list) != 1 || list[0].Name != "north phone 3" || list[0].Gate != "north" || !list[0].Online || list[0].App != "scan 2026.12" || list[0].Queued != 4 {
		t.Fatalf("devices = %+v", list)
	}
	// Written to the store for other nodes and the CLI.
	if err := f.s.seen.flush(context.Background(), f.st, at, true); err != nil {
		t.Fatal(err)
	}
	if seen, _ := f.st.DevicesSeen(context.Background()); len(seen) != 1 || seen[0].Queued != 4 {
		t.Fatalf("DevicesSeen() = %+v", seen)
	}
	f.setNow(at.Add(devices.OnlineWithin))
	if list := f.devices(t, admin); list[0].Online {
		t.Fatal("a device unheard of for a minute is still online")
	}

	// Revoked: its next request is refused.
	id := list[0].TokenID
	if rec := f.do(t, "POST", "/v1/devices/"+id+"/revoke", "", "Authorization", "Bearer "+admin); rec.Code != http.StatusNoContent {
		t.Fatalf("revoke = %d %s", rec.Code, rec.Body)
	}
	f.s.tokensMu.Lock()
	clear(f.s.tokens) // the cache lasts a second: as if it passed
	f.s.tokensMu.Unlock()
	if code, _, _ := f.scanH(t, dev.Token, "north", at); code != http.StatusUnauthorized {
		t.Fatalf("scan after revoke = %d, want 401", code)
	}
}

func TestEnrolmentRefusals(t *testing.T) {
	f := newFixture(t, 0)
	admin := f.apiToken(t, RoleAdmin, "office")
	scanner := f.apiToken(t, RoleScanner, "door")
	tests := []struct {
		name, auth, body string
		status           int
		want             string
	}{
		{"fail/scanner-cannot-enrol", scanner, `{"event":"tour27-ber01","gate":"north","name":"x"}`, 403, "forbidden"},
		{"fail/no-event", admin, `{"gate":"north","name":"x"}`, 400, "event: required"},
		{"fail/unknown-event", admin, `{"event":"nope","gate":"north","name":"x"}`, 404, "no event nope"},
		{"fail/no-gate", admin, `{"event":"tour27-ber01","name":"x"}`, 400, "needs the gate"},
		{"fail/no-name", admin, `{"event":"tour27-ber01","gate":"north"}`, 400, "needs a name"},
		{"fail/bad-zone", admin, `{"event":"tour27-ber01","gate":"north","zone":"moon","name":"x"}`, 400, "zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "POST", "/v1/devices/enrolments", tt.body, "Authorization", "Bearer "+tt.auth, "Content-Type", "application/json")
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("= %d %s, want %d with %q", rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}

	e := f.enrolment(t, admin, `{"event":"tour27-ber01","gate":"north","name":"late phone"}`)
	f.setNow(f.now.Add(devices.CodeTTL))
	if rec := f.do(t, "POST", "/v1/devices/enroll", `{"code":"`+e.Code+`"}`, "Content-Type", "application/json"); rec.Code != http.StatusNotFound {
		t.Fatalf("enroll after 10 minutes = %d %s, want 404", rec.Code, rec.Body)
	}
	for _, body := range []string{`{"code":"lde_nothing"}`, `{"code":"` + strings.Repeat("a", 3000) + `"}`, `{}`} {
		if rec := f.do(t, "POST", "/v1/devices/enroll", body, "Content-Type", "application/json"); rec.Code != http.StatusNotFound {
			t.Errorf("enroll %s = %d, want 404", body[:min(len(body), 30)], rec.Code)
		}
	}
}

func (f *fixture) scanH(t *testing.T, auth, gate string, at time.Time, hdr ...string) (int, ScanResponse, string) {
	t.Helper()
	body, _ := json.Marshal(ScanRequest{Token: f.token, Gate: gate, Zone: "foh", Direction: "in", ScanID: newUUID(t), At: &at})
	rec := f.do(t, "POST", "/v1/scans", string(body), append([]string{"Authorization", "Bearer " + auth, "Content-Type", "application/json"}, hdr...)...)
	var r ScanResponse
	json.Unmarshal(rec.Body.Bytes(), &r)
	return rec.Code, r, rec.Body.String()
}

func (f *fixture) devices(t *testing.T, admin string) []devices.Status {
	t.Helper()
	rec := f.do(t, "GET", "/v1/devices", "", "Authorization", "Bearer "+admin)
	var out struct{ Devices []devices.Status }
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		t.Fatalf("GET /v1/devices = %d %s", rec.Code, rec.Body)
	}
	return out.Devices
}

// TestEnrolRateLimit: a burst of well-formed but unknown codes from one
// address is answered 404 up to enrollPerMinute, then 429, with
// --verify-rate 0 (the public limiter off): enroll has its own limiter.
func TestEnrolRateLimit(t *testing.T) {
	f := newFixture(t, 0)
	limited := 0
	for i := range 3 * enrollPerMinute {
		code, _, err := devices.NewCode()
		if err != nil {
			t.Fatal(err)
		}
		rec := f.do(t, "POST", "/v1/devices/enroll", `{"code":"`+code+`"}`, "Content-Type", "application/json")
		switch {
		case rec.Code == http.StatusNotFound && limited == 0:
		case rec.Code == http.StatusTooManyRequests && i >= enrollPerMinute:
			limited++
			if !strings.Contains(rec.Body.String(), `"code":"rate_limited"`) || !strings.Contains(rec.Body.String(), "at most 10 a minute") || rec.Header().Get("Retry-After") == "" {
				t.Fatalf("attempt %d = %d %s %v", i+1, rec.Code, rec.Body, rec.Header())
			}
		default:
			t.Fatalf("attempt %d = %d %s (after %d answered 429)", i+1, rec.Code, rec.Body, limited)
		}
	}
	if limited == 0 {
		t.Fatalf("%d bad codes from one address, none answered 429", 3*enrollPerMinute)
	}
}

// Doors' heartbeats wait in memory with the devices' reports, newest
// wins, and go to the store at the flush; DoorsSeen is the store's and
// this node's not written yet, the newest of each door.
func TestDoorBeatsBatched(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	at := f.now
	beat := func(gate string, d time.Duration, age int64) store.DoorSeen {
		return store.DoorSeen{Event: "tour27-ber01", Gate: gate, Token: "tok", At: at.Add(d), RevocationAge: age}
	}
	f.s.NoteDoor(beat("north", 2*time.Second, 2))
	f.s.NoteDoor(beat("north", time.Second, 9)) // older, from a slow request: ignored
	f.s.NoteDoor(beat("south", 0, 4))
	if stored, _ := f.st.DoorsSeen(ctx, "tour27-ber01"); len(stored) != 0 {
		t.Fatalf("a heartbeat was written before the flush: %+v", stored)
	}
	ages := func() map[string]int64 {
		t.Helper()
		got, err := f.s.DoorsSeen(ctx, nil, "tour27-ber01")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int64{}
		for _, b := range got {
			m[b.Gate] = b.RevocationAge
		}
		return m
	}
	if got := ages(); len(got) != 2 || got["north"] != 2 || got["south"] != 4 {
		t.Fatalf("DoorsSeen before the flush = %v, want north 2, south 4", got)
	}
	if err := f.s.seen.flush(ctx, f.st, at, true); err != nil {
		t.Fatal(err)
	}
	if stored, _ := f.st.DoorsSeen(ctx, "tour27-ber01"); len(stored) != 2 {
		t.Fatalf("DoorsSeen in the store after the flush = %+v, want 2 doors", stored)
	}
	f.s.NoteDoor(beat("south", 3*time.Second, 1)) // newer than the store's
	if got := ages(); len(got) != 2 || got["north"] != 2 || got["south"] != 1 {
		t.Fatalf("DoorsSeen with a newer heartbeat unwritten = %v, want north 2, south 1", got)
	}
}
