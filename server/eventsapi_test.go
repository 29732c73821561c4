package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
)

// A capacity lowered through the API takes effect at this node's doors at
// once: the place that admitted a pass before is zone_full after.
func TestPutEventCapacityAtTheDoor(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	admin := "Bearer " + f.apiToken(t, RoleAdmin, "office")
	_, toks := capEvent(t, f, 3)
	show := f.now.Add(9 * time.Hour)
	put := func(body string) {
		t.Helper()
		if rec := f.do(t, "PUT", "/v1/events/cap", body, "Authorization", admin, "Content-Type", "application/json"); rec.Code != 200 {
			t.Fatalf("PUT /v1/events/cap = %d %s", rec.Code, rec.Body)
		}
	}
	put(`{"capacity": {"stage": {"max": 3, "when_full": "deny"}}}`)
	steps := []struct {
		change string // before the scan
		tok    int
		code   string
	}{
		{"", 0, "ok"},
		{"", 1, "ok"}, // the old cap of 1 would have turned it away
		{`{"capacity": {"stage": {"max": 2, "when_full": "deny"}}}`, 2, "zone_full"},
		{`{"capacity": {"stage": {"max": 2, "when_full": "attention"}}}`, 2, "zone_full"},
		{`{"capacity": {"stage": {"max": 0}}}`, 2, "ok"}, // the cap removed
	}
	for i, st := range steps {
		if st.change != "" {
			put(st.change)
		}
		at := show.Add(time.Duration(i) * time.Minute)
		f.setNow(at)
		code, r, body := f.scan(t, auth, toks[st.tok], "north", "stage", "in", fmt.Sprintf("cap%d", i), at)
		if code != 200 || string(r.Code) != st.code && !(st.code == "ok" && r.Code == "") {
			t.Fatalf("step %d: %d %s, want %s", i, code, body, st.code)
		}
		if i == 3 && r.Decision != Attention {
			t.Errorf("step %d: decision %s, want attention (when_full attention)", i, r.Decision)
		}
	}
}

// The bundle a door fetches after an edit carries the new policy.
func TestPutEventBundleCarriesPolicy(t *testing.T) {
	f := newFixture(t, 0)
	scanner := "Bearer " + scannerToken(t, f)
	admin := "Bearer " + f.apiToken(t, RoleAdmin, "office")
	if b, _ := f.getBundle(t, scanner); b.Event.EffectivePolicy().HasZone("roof") {
		t.Fatal("roof before the edit")
	}
	body := `{"name": "Tour — Berlin", "venue": "Arena", "policy": {"zones": ["stage", "roof"], "rules": {"AAA": [{"zones": ["*"], "when": ["any"]}]},
		"capacity": {"roof": {"max": 40, "when_full": "attention"}}}}`
	rec := f.do(t, "PUT", "/v1/events/tour27-ber01", body, "Authorization", admin, "Content-Type", "application/json")
	if rec.Code != 200 {
		t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
	}
	var v EventView
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if strings.Join(v.Changed, ",") != "name,venue,policy.zones,policy.rules,policy.roles,policy.capacity" {
		t.Errorf("changed %v", v.Changed)
	}
	b, _ := f.getBundle(t, scanner)
	p := b.Event.EffectivePolicy()
	if c, ok := p.CapacityOf("roof"); !ok || c.Max != 40 || p.HasZone("foh") || b.Event.Name != "Tour — Berlin" {
		t.Errorf("bundle event %+v, policy %+v", b.Event, p)
	}
}

func TestEventAPIErrors(t *testing.T) {
	f := newFixture(t, 0)
	admin := "Bearer " + f.apiToken(t, RoleAdmin, "office")
	issuer := "Bearer " + f.apiToken(t, RoleIssuer, "desk")
	good := `{"id": "tour27-ham02", "name": "Hamburg", "time_zone": "+01:00", "show_start": "2027-03-07 20:00", "show_end": "2027-03-07 23:00"}`
	tests := []struct {
		name, method, path, auth, body string
		status                         int
		code, field, msg               string
	}{
		{"create", "POST", "/v1/events", admin, good, 201, "", "", ""},
		{"create twice", "POST", "/v1/events", admin, good, 409, "exists", "id", "id: event tour27-ham02 already exists"},
		{"create without name", "POST", "/v1/events", admin, `{"id": "x", "show_start": "2027-03-07T20:00:00Z", "show_end": "2027-03-07T23:00:00Z"}`, 400, "bad_event", "name", "name: missing"},
		{"create bad id", "POST", "/v1/events", admin, `{"id": "a b", "name": "X", "show_start": "2027-03-07T20:00:00Z", "show_end": "2027-03-07T23:00:00Z"}`, 400, "bad_event", "id", ""},
		{"bad time", "PUT", "/v1/events/tour27-ber01", admin, `{"show_end": "23:00"}`, 400, "bad_event", "show_end", `show_end: bad time "23:00": want ` + pass.TimeRule},
		{"end before start", "PUT", "/v1/events/tour27-ber01", admin, `{"show_end": "2027-03-05T19:00:00Z"}`, 400, "bad_event", "show_end", ""},
		{"bad zone", "PUT", "/v1/events/tour27-ber01", admin, `{"time_zone": "Berlin"}`, 400, "bad_event", "time_zone", ""},
		{"bad capacity", "PUT", "/v1/events/tour27-ber01", admin, `{"capacity": {"stage": {"max": 5, "when_full": "warn"}}}`, 400, "bad_event", "capacity.stage.when_full",
			`bad policy: capacity.stage.when_full: "warn", want "deny" (turn away) or "attention" (a person decides)`},
		{"capacity of no zone", "PUT", "/v1/events/tour27-ber01", admin, `{"capacity": {"roof": {"max": 5, "when_full": "deny"}}}`, 400, "bad_event", "capacity", `bad policy: capacity: unknown zone "roof"`},
		{"bad policy", "PUT", "/v1/events/tour27-ber01", admin, `{"policy": {"zones": ["stage"], "rules": {"AAA": [{"zones": ["roof"], "when": ["any"]}]}}}`, 400, "bad_event", "policy.rules.AAA[0].zones[0]",
			`bad policy: rules.AAA[0].zones[0]: unknown zone "roof"`},
		{"policy not JSON object", "PUT", "/v1/events/tour27-ber01", admin, `{"policy": 5}`, 400, "bad_event", "policy", ""},
		{"unknown field", "PUT", "/v1/events/tour27-ber01", admin, `{"nmae": "x"}`, 400, "", "", ""},
		{"id cannot change", "PUT", "/v1/events/tour27-ber01", admin, `{"id": "other"}`, 400, "bad_event", "", ""},
		{"no such event", "PUT", "/v1/events/nosuch", admin, `{"name": "x"}`, 404, "not_found", "", ""},
		{"issuer refused", "PUT", "/v1/events/tour27-ber01", issuer, `{"name": "x"}`, 403, "forbidden", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, tt.method, tt.path, tt.body, "Authorization", tt.auth, "Content-Type", "application/json")
			if rec.Code != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, rec.Code, rec.Body, tt.status)
			}
			if tt.status < 400 {
				return
			}
			var body errorBody
			json.Unmarshal(rec.Body.Bytes(), &body)
			if tt.code != "" && body.Error.Code != tt.code || tt.msg != "" && body.Error.Message != tt.msg {
				t.Errorf("error %+v, want %s %q", body.Error, tt.code, tt.msg)
			}
			if tt.field != "" && fmt.Sprint(body.Error.Details) != "map[field:"+tt.field+"]" {
				t.Errorf("details %v, want field %s", body.Error.Details, tt.field)
			}
		})
	}
	ev, err := f.st.Event(context.Background(), "tour27-ham02")
	if err != nil || pass.TimeZoneOf(ev) != "+01:00" || ev.Schedule.ShowStart.UTC().Hour() != 19 {
		t.Errorf("created %+v, %v", ev, err)
	}
}

// A cap lowered on one node holds at once on another whose copy of the
// event is older: the scan's transaction reads the cap as stored.
func TestCapacityChangeOtherNode(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	admin := "Bearer " + f.apiToken(t, RoleAdmin, "office")
	_, toks := capEvent(t, f, 2)
	put := func(body string) {
		t.Helper()
		if rec := f.do(t, "PUT", "/v1/events/cap", body, "Authorization", admin, "Content-Type", "application/json"); rec.Code != 200 {
			t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
		}
	}
	put(`{"capacity": {"stage": {"max": 3, "when_full": "deny"}}}`)
	other := New(f.s.cfg) // a second node on the same store
	if err := other.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	scan := func(i int) ScanResponse {
		at := f.now.Add(9*time.Hour + time.Duration(i)*time.Minute)
		f.setNow(at)
		body, _ := json.Marshal(ScanRequest{Token: toks[i], Gate: "north", Zone: "stage", Direction: "in", ScanID: fmt.Sprintf("o%d", i), At: &at})
		req := httptest.NewRequest("POST", "/v1/scans", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+auth)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		other.Handler().ServeHTTP(rec, req)
		var r ScanResponse
		json.Unmarshal(rec.Body.Bytes(), &r)
		if rec.Code != 200 {
			t.Fatalf("scan on the other node = %d %s", rec.Code, rec.Body)
		}
		return r
	}
	if r := scan(0); r.Decision != Admit {
		t.Fatalf("first scan %+v", r)
	}
	put(`{"capacity": {"stage": {"max": 1, "when_full": "deny"}}}`) // on the first node; the other has not synced
	if r := scan(1); r.Decision != Deny || r.Code != "zone_full" {
		t.Fatalf("scan on the other node after the cap was lowered: %s %s, want deny zone_full", r.Decision, r.Code)
	}
}
