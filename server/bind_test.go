package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

func TestNewBoundToken(t *testing.T) {
	now := time.Date(2027, 3, 5, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, role string
		b          Binding
		want       string // error substring; "" for ok
	}{
		{"ok/unbound", RoleScanner, Binding{}, ""},
		{"ok/scanner-event-gate", RoleScanner, Binding{Event: "tour27-ber01", Gate: "stage-door"}, ""},
		{"ok/scanner-event", RoleScanner, Binding{Event: "tour27-ber01"}, ""},
		{"ok/issuer-event", RoleIssuer, Binding{Event: "tour27-ber01"}, ""},
		{"ok/stage-event", RoleStage, Binding{Event: "tour27-ber01"}, ""},
		{"fail/admin-bound", RoleAdmin, Binding{Event: "tour27-ber01"}, "an admin token cannot be bound"},
		{"fail/gate-without-event", RoleScanner, Binding{Gate: "north"}, "a gate needs an event"},
		{"fail/gate-for-issuer", RoleIssuer, Binding{Event: "tour27-ber01", Gate: "north"}, "only a scanner token is bound to a gate"},
		{"fail/bad-event", RoleScanner, Binding{Event: "../etc"}, `bad event id "../etc"`},
		{"fail/bad-gate", RoleScanner, Binding{Event: "tour27-ber01", Gate: "North Gate"}, `bad gate name "North Gate"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, rec, err := NewBoundToken(tt.role, "door", tt.b, now)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("NewBoundToken() error = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil || !strings.HasPrefix(tok, "lam_") || rec.Event != tt.b.Event || rec.Gate != tt.b.Gate {
				t.Fatalf("NewBoundToken() = %q, %+v, %v", tok, rec, err)
			}
		})
	}
}

// boundFixture adds a second event, "tour27-ham02", that declares the
// gates north and south, with a pass of its own.
func boundFixture(t *testing.T) (f *fixture, ham store.Issued) {
	t.Helper()
	f = newFixture(t, 0)
	ctx := context.Background()
	ev := &pass.Event{ID: "tour27-ham02", Name: "Tour Hamburg", Policy: pass.DefaultPolicy(), Schedule: pass.Schedule{
		ShowStart: f.now.Add(8 * time.Hour), ShowEnd: f.now.Add(11 * time.Hour)}}
	ev.Policy.Gates = []string{"north", "south"}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateEvent(ctx, ev, "test"); err != nil {
		t.Fatal(err)
	}
	out, err := issue.Batch(ctx, f.s.cfg.Signer, f.st, ev, []signer.Request{{Type: pass.AAA, Name: "Hanna"}}, "test", issue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	f.setNow(f.now.Add(9 * time.Hour)) // during both shows
	return f, out[0]
}

// boundToken makes and stores a token bound to b.
func (f *fixture) boundToken(t testing.TB, role string, b Binding) string {
	t.Helper()
	tok, rec, err := NewBoundToken(role, role+" "+b.Event+" "+b.Gate, b, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateAPIToken(context.Background(), &rec, "test"); err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

// TestBoundTokens: a token bound to an event (and a scanner's to a gate)
// acts there only; an event that declares its gates is scanned at those
// only (issue 11, item 2).
func TestBoundTokens(t *testing.T) {
	f, ham := boundFixture(t)
	ber := f.iss
	forged := ber.Token[:len(ber.Token)-4] + "AAAA"
	berNorth := f.boundToken(t, RoleScanner, Binding{Event: "tour27-ber01", Gate: "north"})
	berAny := f.boundToken(t, RoleScanner, Binding{Event: "tour27-ber01"})
	hamDoor := f.boundToken(t, RoleScanner, Binding{Event: "tour27-ham02"})
	berIssuer := f.boundToken(t, RoleIssuer, Binding{Event: "tour27-ber01"})
	berStage := f.boundToken(t, RoleStage, Binding{Event: "tour27-ber01"})
	free := "Bearer " + scannerToken(t, f)
	n := 0
	scan := func(tok, gate string) string {
		n++
		return fmt.Sprintf(`{"token":%q,"gate":%q,"zone":"stage","direction":"in","scan_id":"bind-%d"}`, tok, gate, n)
	}
	tests := []struct {
		name, method, path string
		body               func() string
		auth               string
		status             int
		want               string
	}{
		{"scan/ok-own-event-and-gate", "POST", "/v1/scans", func() string { return scan(ber.Token, "north") }, berNorth, 200, `"decision":"admit"`},
		{"scan/fail-other-gate", "POST", "/v1/scans", func() string { return scan(ber.Token, "south") }, berNorth, 403, `bound to gate north`},
		{"scan/fail-forged-other-gate", "POST", "/v1/scans", func() string { return scan(forged, "south") }, berNorth, 403, `bound to gate north`},
		{"scan/fail-pass-of-other-event", "POST", "/v1/scans", func() string { return scan(ham.Token, "north") }, berNorth, 403, `"code":"wrong_event"`},
		{"scan/ok-event-bound-any-gate", "POST", "/v1/scans", func() string { return scan(ber.Token, "east") }, berAny, 200, `"decision"`},
		{"scan/ok-forged-at-bound-door", "POST", "/v1/scans", func() string { return scan(forged, "north") }, berNorth, 200, `"code":"forged"`},
		{"gates/ok-declared", "POST", "/v1/scans", func() string { return scan(ham.Token, "north") }, free, 200, `"decision":"admit"`},
		{"gates/fail-undeclared", "POST", "/v1/scans", func() string { return scan(ham.Token, "west") }, free, 400, `gate \"west\" is not a gate of event tour27-ham02 (its gates: north, south)`},
		{"gates/fail-undeclared-forged-at-bound-door", "POST", "/v1/scans", func() string { return scan(forged, "west") }, hamDoor, 400, `gate \"west\" is not a gate`},
		{"gates/ok-undeclared-event-any-gate", "POST", "/v1/scans", func() string { return scan(ber.Token, "loading-bay") }, free, 200, `"decision"`},
		{"bundle/ok-own", "GET", "/v1/events/tour27-ber01/bundle", nil, berAny, 200, ""},
		{"bundle/fail-other", "GET", "/v1/events/tour27-ham02/bundle", nil, berNorth, 403, `bound to event tour27-ber01`},
		{"status/ok-own", "GET", "/v1/events/tour27-ber01/status", nil, berStage, 200, `"event":"tour27-ber01"`},
		{"status/fail-other-scanner", "GET", "/v1/events/tour27-ham02/status", nil, berAny, 403, `bound to event tour27-ber01`},
		{"status/fail-other-stage", "GET", "/v1/events/tour27-ham02/status", nil, berStage, 403, `bound to event`},
		{"status/fail-other-issuer", "GET", "/v1/events/tour27-ham02/status", nil, berIssuer, 403, `bound to event`},
		{"alerts/ok-gate-implied", "GET", "/v1/alerts", nil, berNorth, 200, `"alerts"`},
		{"alerts/ok-own-gate", "GET", "/v1/alerts?gate=north", nil, berNorth, 200, `"alerts"`},
		{"alerts/ok-event-bound-all-gates", "GET", "/v1/alerts", nil, berAny, 200, `"alerts"`},
		{"alerts/fail-other-gate", "GET", "/v1/alerts?gate=south", nil, berNorth, 403, `bound to gate north`},
		{"alerts/fail-other-event", "GET", "/v1/alerts?event=tour27-ham02", nil, berAny, 403, `bound to event tour27-ber01`},
		{"alerts/fail-unbound-no-gate", "GET", "/v1/alerts", nil, free, 403, `add ?gate=GATE`},
		{"pass/ok-own", "GET", "/v1/passes/" + string(ber.Serial), nil, berAny, 200, `"name":"Zoë"`},
		{"pass/fail-other", "GET", "/v1/passes/" + string(ham.Serial), nil, berAny, 403, `bound to event tour27-ber01`},
		{"pass/fail-other-issuer", "GET", "/v1/passes/" + string(ham.Serial), nil, berIssuer, 403, `bound to event`},
		{"pass/not-found-first", "GET", "/v1/passes/2222-2222", nil, berAny, 404, `no pass`},
		{"artwork/ok-own", "GET", "/v1/passes/" + string(ber.Serial) + "/artwork.svg", nil, berAny, 200, `<svg`},
		{"artwork/fail-other", "GET", "/v1/passes/" + string(ham.Serial) + "/artwork.svg", nil, berAny, 403, `bound to event`},
		{"pdf/fail-other", "GET", "/v1/passes/" + string(ham.Serial) + "/pdf", nil, berIssuer, 403, `bound to event`},
		{"issue/ok-own", "POST", "/v1/passes", func() string { return `{"event":"tour27-ber01","type":"VIP","name":"Vi"}` }, berIssuer, 201, `"event":"tour27-ber01"`},
		{"issue/fail-other", "POST", "/v1/passes", func() string { return `{"event":"tour27-ham02","type":"VIP","name":"Vi"}` }, berIssuer, 403, `bound to event`},
		{"batch/fail-other", "POST", "/v1/passes/batch?event=tour27-ham02", func() string { return "name,type\nAnn,AAA\n" }, berIssuer, 403, `bound to event`},
		{"cue/ok-own", "POST", "/v1/events/tour27-ber01/cues", func() string { return `{"cue":"doors_open"}` }, berStage, 200, `"event":"tour27-ber01"`},
		{"cue/fail-other", "POST", "/v1/events/tour27-ham02/cues", func() string { return `{"cue":"doors_open"}` }, berStage, 403, `bound to event tour27-ber01`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.body != nil {
				body = tt.body()
			}
			rec := f.do(t, tt.method, tt.path, body, "Authorization", tt.auth, "Content-Type", "application/json")
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("%s %s = %d %.400s, want %d with %s", tt.method, tt.path, rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
	// Nothing refused was stored: the pass of the other event has only the
	// scan made at a door of its own event.
	if scans, _ := f.st.Scans(context.Background(), ham.Serial); len(scans) != 1 || scans[0].Gate != "north" {
		t.Errorf("scans of the Hamburg pass = %+v, want the one at its own north gate", scans)
	}
}

// TestBoundTokenRevocations: a token bound to an event gets the
// revocations of its event only, and the list's seq still moves past the
// others, so that the door does not ask for them again.
func TestBoundTokenRevocations(t *testing.T) {
	f, ham := boundFixture(t)
	ctx := context.Background()
	for _, s := range []pass.Serial{f.iss.Serial, ham.Serial} {
		if err := f.st.Revoke(ctx, &store.Revocation{Serial: s, Category: pass.RevokeLost, By: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, auth string
		want       []pass.Serial
	}{
		{"bound/own-event", f.boundToken(t, RoleScanner, Binding{Event: "tour27-ber01", Gate: "north"}), []pass.Serial{f.iss.Serial}},
		{"bound/other-event", f.boundToken(t, RoleScanner, Binding{Event: "tour27-ham02"}), []pass.Serial{ham.Serial}},
		{"unbound/all", "Bearer " + scannerToken(t, f), []pass.Serial{f.iss.Serial, ham.Serial}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "GET", "/v1/revocations?since=0", "", "Authorization", tt.auth)
			var resp RevocationListResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || rec.Code != 200 {
				t.Fatalf("GET /v1/revocations = %d %s", rec.Code, rec.Body)
			}
			var got []pass.Serial
			for _, r := range resp.List.Revoked {
				got = append(got, r.Serial)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || resp.List.Seq != 2 {
				t.Fatalf("list = %v seq %d, want %v seq 2", got, resp.List.Seq, tt.want)
			}
		})
	}
}

// TestBoundTokenOfflineUpload: an upload is refused scan by scan, never
// as a whole, for a gate or event its token is not bound to, a gate the
// event does not declare, or a zone it does not have.
func TestBoundTokenOfflineUpload(t *testing.T) {
	f, ham := boundFixture(t)
	show := f.now.Add(9 * time.Hour)
	berNorth := f.boundToken(t, RoleScanner, Binding{Event: "tour27-ber01", Gate: "north"})
	free := "Bearer " + scannerToken(t, f)
	roof := offline(ham.Token, "north", "in", "o6", Admit, show)
	roof.Zone = "roof"
	tests := []struct {
		name, auth string
		scan       OfflineScan
		refused    string // "" when stored
	}{
		{"ok/own-event-and-gate", berNorth, offline(f.iss.Token, "north", "in", "o1", Admit, show), ""},
		{"fail/other-gate", berNorth, offline(f.iss.Token, "south", "out", "o2", Admit, show), "bound to gate north"},
		{"fail/pass-of-other-event", berNorth, offline(ham.Token, "north", "in", "o3", Admit, show), "for another event (tour27-ham02)"},
		{"ok/declared-gate", free, offline(ham.Token, "south", "in", "o4", Admit, show), ""},
		{"fail/undeclared-gate", free, offline(ham.Token, "west", "in", "o5", Admit, show), `gate "west" is not a gate of event tour27-ham02`},
		{"fail/unknown-zone", free, roof, `zone "roof" is not a zone of event tour27-ham02`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each in an upload with a good scan beside it: one refusal
			// does not refuse the upload.
			good := offline(f.iss.Token, "north", "out", "good-"+tt.scan.ScanID, Deny, show)
			rec := f.do(t, "POST", "/v1/scans/offline", offlineBody(t, tt.scan, good), "Authorization", tt.auth)
			var r OfflineResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || rec.Code != 200 || len(r.Results) != 2 {
				t.Fatalf("upload = %d %s", rec.Code, rec.Body)
			}
			res := r.Results[0]
			if tt.refused == "" {
				if !res.Stored || res.Error != "" {
					t.Fatalf("result %+v, want stored", res)
				}
			} else if res.Stored || !strings.Contains(res.Error, tt.refused) {
				t.Fatalf("result %+v, want refused with %q", res, tt.refused)
			}
			if !r.Results[1].Stored {
				t.Errorf("the good scan beside it: %+v, want stored", r.Results[1])
			}
		})
	}
}
