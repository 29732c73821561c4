package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// capEvent stores an event whose stage holds 1 pass (hard) and whose foh
// holds 1 (soft), and issues n AAA passes of it.
func capEvent(t *testing.T, f *fixture, n int) (*pass.Event, []string) {
	t.Helper()
	ctx := context.Background()
	pol := pass.DefaultPolicy()
	if err := pol.SetCapacity("stage", pass.ZoneCapacity{Max: 1, WhenFull: pass.FullDeny}); err != nil {
		t.Fatal(err)
	}
	if err := pol.SetCapacity("foh", pass.ZoneCapacity{Max: 1, WhenFull: pass.FullAttention}); err != nil {
		t.Fatal(err)
	}
	ev := &pass.Event{ID: "cap", Name: "Capped", Policy: pol, Schedule: pass.Schedule{
		ShowStart: f.now.Add(8 * time.Hour), ShowEnd: f.now.Add(11 * time.Hour)}}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateEvent(ctx, ev, "test"); err != nil {
		t.Fatal(err)
	}
	reqs := make([]signer.Request, n)
	for i := range reqs {
		reqs[i] = signer.Request{Type: pass.AAA, Name: fmt.Sprintf("Guest %d", i)}
	}
	issued, err := issue.Batch(ctx, f.s.Signer(), f.st, ev, reqs, "test", issue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	toks := make([]string, n)
	for i, p := range issued {
		toks[i] = p.Token
	}
	return ev, toks
}

func TestScanZoneCapacity(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	_, toks := capEvent(t, f, 3)
	show := f.now.Add(9 * time.Hour)
	f.setNow(show)
	steps := []struct {
		name, zone, dir string
		tok             int
		decision        record.Decision
		code            record.Code
	}{
		{"admit/stage-empty", "stage", "in", 0, Admit, "ok"},
		{"deny/stage-full", "stage", "in", 1, Deny, "zone_full"},
		{"admit/out-frees-place", "stage", "out", 0, Admit, "ok"},
		{"admit/stage-place-freed", "stage", "in", 1, Admit, "ok"},
		{"admit/foh-empty", "foh", "in", 2, Admit, "ok"},
		{"attention/foh-full-soft", "foh", "in", 0, Attention, "zone_full"},
		{"deny/already-inside-not-full", "stage", "in", 1, Deny, "already_inside"},
	}
	for i, st := range steps {
		at := show.Add(time.Duration(i) * time.Minute)
		f.setNow(at)
		code, r, body := f.scan(t, auth, toks[st.tok], "north", st.zone, st.dir, fmt.Sprintf("c%d", i), at)
		if code != 200 || r.Decision != st.decision || r.Code != st.code {
			t.Fatalf("%s: %d %s, want %s/%s", st.name, code, body, st.decision, st.code)
		}
		if st.code == "zone_full" && (r.Reason == "" || r.NextStep == "") {
			t.Errorf("%s: no reason or next step: %s", st.name, body)
		}
	}
}

// Offline doors cannot count: what they let in is stored, and a zone
// then over capacity raises over_capacity for each pass they let in that
// is still inside; once, however often the queue is sent.
func TestOfflineOverCapacity(t *testing.T) {
	f := newFixture(t, 0)
	auth := "Bearer " + scannerToken(t, f)
	_, toks := capEvent(t, f, 3)
	show := f.now.Add(9 * time.Hour)
	f.setNow(show.Add(time.Minute))
	body := offlineBody(t, offline(toks[0], "north", "in", "o1", Admit, show), offline(toks[1], "south", "in", "o2", Admit, show.Add(time.Second)))
	for range 2 {
		rec := f.do(t, "POST", "/v1/scans/offline", body, "Authorization", auth)
		if rec.Code != 200 {
			t.Fatalf("upload: %d %s", rec.Code, rec.Body)
		}
	}
	as, err := f.st.Alerts(context.Background(), store.AlertFilter{Event: "cap"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range as {
		if a.Kind == record.AlertOverCapacity {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d over_capacity alerts, want 2 (one per pass let in, stored once): %+v", n, as)
	}
	// Online, the zone is over capacity: the third is refused.
	code, r, _ := f.scan(t, auth[len("Bearer "):], toks[2], "north", "stage", "in", "o3", show.Add(2*time.Minute))
	if code != 200 || r.Decision != Deny || r.Code != "zone_full" {
		t.Errorf("online in with 2 inside a zone of 1: %d %+v, want deny zone_full", code, r)
	}
}
