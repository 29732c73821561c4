package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/record"
)

func offlineBody(t testing.TB, scans ...OfflineScan) string {
	t.Helper()
	b, err := json.Marshal(OfflineUpload{Scans: scans})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func offline(token, gate, dir, id string, decision record.Decision, at time.Time) OfflineScan {
	return OfflineScan{ScanRequest: ScanRequest{Token: token, Gate: gate, Zone: "stage", Direction: dir, ScanID: id, At: &at},
		Decision: decision, Code: "ok"}
}

// TestOfflineUpload: scans decided by doors while offline are stored as
// decided, each once however often the queue is sent, and a pass admitted
// at two doors raises one alert, seen by admins, by the doors involved and
// on the event status.
func TestOfflineUpload(t *testing.T) {
	f := newFixture(t, 0)
	auth := "Bearer " + scannerToken(t, f)
	admin := "Bearer " + f.apiToken(t, RoleAdmin, "office")
	show := f.now.Add(9 * time.Hour)
	f.setNow(show.Add(time.Hour)) // the doors upload after the show
	north := []OfflineScan{
		offline(f.token, "north", "in", "n1", Admit, show),
		offline(f.token[:len(f.token)-4]+"AAAA", "north", "in", "n2", Deny, show.Add(time.Minute)), // forged: stored, no alert
	}
	south := []OfflineScan{offline(f.token, "south", "in", "s1", Admit, show.Add(20*time.Minute))}

	rec := f.do(t, "POST", "/v1/scans/offline", offlineBody(t, north...), "Authorization", auth)
	if rec.Code != 200 {
		t.Fatalf("upload north = %d %s", rec.Code, rec.Body)
	}
	var r OfflineResponse
	json.Unmarshal(rec.Body.Bytes(), &r)
	if r.Stored != 2 || r.Duplicates != 0 || len(r.Alerts) != 0 {
		t.Fatalf("north: %+v", r)
	}
	for round := range 2 { // the south queue twice: the second is all duplicates
		rec = f.do(t, "POST", "/v1/scans/offline", offlineBody(t, append(south, north...)...), "Authorization", auth)
		if rec.Code != 200 {
			t.Fatalf("upload south = %d %s", rec.Code, rec.Body)
		}
		r = OfflineResponse{}
		json.Unmarshal(rec.Body.Bytes(), &r)
		wantStored, wantAlerts := 1, 1
		if round == 1 {
			wantStored, wantAlerts = 0, 0
		}
		if r.Stored != wantStored || r.Duplicates != 3-wantStored || len(r.Alerts) != wantAlerts {
			t.Fatalf("round %d: %+v", round, r)
		}
		if round == 0 {
			a := r.Alerts[0]
			if a.Kind != "double_entry" || a.Serial != f.iss.Serial || a.Scans != [2]string{"n1", "s1"} || a.Gates != [2]string{"north", "south"} {
				t.Errorf("alert %+v", a)
			}
		}
	}
	scans, err := f.st.Scans(t.Context(), f.iss.Serial)
	if err != nil {
		t.Fatal(err)
	}
	if len(scans) != 2 {
		t.Fatalf("%d scans of the pass stored, want 2", len(scans))
	}

	for _, tc := range []struct {
		path, auth string
		code, n    int
	}{
		{"/v1/alerts", admin, 200, 1},
		{"/v1/alerts?event=nope", admin, 200, 0},
		{"/v1/alerts?gate=south", auth, 200, 1},
		{"/v1/alerts?gate=east", auth, 200, 0},
		{"/v1/alerts", auth, 403, 0},
		{"/v1/alerts?gate=south", "", 401, 0},
	} {
		rec := f.do(t, "GET", tc.path, "", "Authorization", tc.auth)
		var body struct{ Alerts []AlertView }
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != tc.code || len(body.Alerts) != tc.n {
			t.Errorf("GET %s = %d with %d alerts, want %d with %d: %s", tc.path, rec.Code, len(body.Alerts), tc.code, tc.n, rec.Body)
		}
	}
	rec = f.do(t, "GET", "/v1/events/"+f.iss.Event+"/status", "", "Authorization", auth)
	var st EventStatus
	json.Unmarshal(rec.Body.Bytes(), &st)
	if rec.Code != 200 || len(st.Alerts) != 1 {
		t.Errorf("status = %d with %d alerts: %s", rec.Code, len(st.Alerts), rec.Body)
	}
}

func TestOfflineUploadErrors(t *testing.T) {
	f := newFixture(t, 0)
	auth := "Bearer " + scannerToken(t, f)
	show := f.now.Add(9 * time.Hour)
	noAt := offline(f.token, "north", "in", "x1", Admit, show)
	noAt.At = nil
	badDecision := offline(f.token, "north", "in", "x2", "maybe", show)
	many := make([]OfflineScan, maxOfflineScans+1)
	for i := range many {
		many[i] = offline(f.token, "north", "in", fmt.Sprint("m", i), Admit, show)
	}
	for _, tc := range []struct {
		name, body string
		code       int
		want       string
	}{
		{"not json", "scans", 400, "bad_request"},
		{"unknown field", `{"scans":[],"extra":1}`, 400, "bad_request"},
		{"too many", offlineBody(t, many...), 413, "too_large"},
		{"too big", `{"scans":[` + strings.Repeat(" ", maxOfflineBody) + `]}`, 413, "too_large"},
		{"per-scan errors", offlineBody(t, noAt, badDecision), 200, `"error":"at is required`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(t, "POST", "/v1/scans/offline", tc.body, "Authorization", auth)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("= %d %s, want %d %s", rec.Code, rec.Body, tc.code, tc.want)
			}
		})
	}
}

// TestOfflineUploadClockAhead: a door whose clock runs ahead keeps its
// scan, dated when it arrived, so it cannot lock the pass out until then.
func TestOfflineUploadClockAhead(t *testing.T) {
	f := newFixture(t, 0)
	auth := "Bearer " + scannerToken(t, f)
	show := f.now.Add(9 * time.Hour)
	f.setNow(show)
	ahead := offline(f.token, "north", "in", "a1", Admit, show.Add(24*time.Hour))
	rec := f.do(t, "POST", "/v1/scans/offline", offlineBody(t, ahead), "Authorization", auth)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"stored":1`) {
		t.Fatalf("upload = %d %s", rec.Code, rec.Body)
	}
	scans, _ := f.st.Scans(t.Context(), f.iss.Serial)
	if len(scans) != 1 || !scans[0].At.Equal(show) || !strings.Contains(string(scans[0].Answer), "door_clock") {
		t.Fatalf("stored %+v, want one scan dated %s with the door's clock kept", scans, show)
	}
	// Online, a scan dated ahead is refused.
	code, _, body := f.scan(t, strings.TrimPrefix(auth, "Bearer "), f.token, "north", "stage", "out", "o1", show.Add(time.Hour))
	if code != 400 || !strings.Contains(body, "future") {
		t.Fatalf("online scan an hour ahead = %d %s", code, body)
	}
}
