package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// bodies is the data objects of the deliveries of webhook id, newest first.
func bodies(t *testing.T, s store.Store, id string) []map[string]any {
	t.Helper()
	ds, err := s.Deliveries(context.Background(), id, 0)
	if err != nil {
		t.Fatalf("Deliveries(%s) error = %v", id, err)
	}
	var out []map[string]any
	for _, d := range ds {
		var b struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(d.Body, &b); err != nil {
			t.Fatalf("delivery %d body %s: %v", d.ID, d.Body, err)
		}
		if b.Type != d.Type {
			t.Errorf("delivery %d: body type %q, row type %q", d.ID, b.Type, d.Type)
		}
		out = append(out, b.Data)
	}
	return out
}

// testWebhookReissued: a reissue enqueues pass.reissued in its own
// transaction, naming the old and new serials, the reason, when and by
// whom, never a token; a second reissue of the same pass is refused and
// enqueues nothing, and a refused reissue (unknown pass) enqueues nothing.
func testWebhookReissued(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	if err := s.CreateWebhook(ctx, newWebhook("wh_re", store.WebhookPassReissued), "admin"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateWebhook(ctx, newWebhook("wh_rev", store.WebhookPassRevoked), "admin"); err != nil {
		t.Fatal(err)
	}
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	issued := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	ps := NewPasses(t, "ev", 2, issued)
	MustInsert(t, s, ps)
	at := time.Date(2026, 11, 20, 18, 30, 0, 0, time.UTC)
	next := NewPasses(t, "ev", 2, issued.Add(time.Hour))
	if err := s.Reissue(ctx, next[0], &store.Revocation{Serial: ps[0].Serial, Note: "staff-only note", By: "desk", At: at}, pass.ReissueLost); err != nil {
		t.Fatalf("Reissue() error = %v", err)
	}
	// The same pass again: refused, nothing more enqueued.
	if err := s.Reissue(ctx, next[1], &store.Revocation{Serial: ps[0].Serial, By: "desk", At: at}, pass.ReissueLost); err == nil {
		t.Fatal("Reissue(again) succeeded")
	}
	got := bodies(t, s, "wh_re")
	if len(got) != 1 {
		t.Fatalf("pass.reissued deliveries = %d, want 1", len(got))
	}
	want := map[string]any{"event": "ev", "old_serial": string(ps[0].Serial), "new_serial": string(next[0].Serial),
		"reason": string(pass.ReissueLost), "by": "desk", "at": at.Format(time.RFC3339Nano)}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("pass.reissued data[%s] = %v, want %v", k, got[0][k], v)
		}
	}
	ds, _ := s.Deliveries(ctx, "wh_re", 0)
	if bytes.Contains(ds[0].Body, []byte("secret-token")) || bytes.Contains(ds[0].Body, []byte("staff-only")) {
		t.Errorf("pass.reissued body %s holds a token or the staff note", ds[0].Body)
	}
	if n := len(bodies(t, s, "wh_rev")); n != 0 {
		t.Errorf("a reissue enqueued %d pass.revoked, want 0 (it is pass.reissued)", n)
	}
}

// testWebhookZoneFull: a scan "in" answered zone_full enqueues zone.full
// in the scan's transaction, once per full episode: more refused scans
// add nothing; once someone leaves and another fills the zone again, the
// next refused scan enqueues a new event. A zone without a capacity, and
// a zone_full code from RecordScan, enqueue nothing.
func testWebhookZoneFull(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	if err := s.CreateWebhook(ctx, newWebhook("wh_zone", store.WebhookZoneFull), "admin"); err != nil {
		t.Fatal(err)
	}
	ev := NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet))
	pol := pass.DefaultPolicy()
	if err := pol.SetCapacity("stage", pass.ZoneCapacity{Max: 2, WhenFull: pass.FullDeny}); err != nil {
		t.Fatal(err)
	}
	ev.Policy = pol
	MustCreate(t, s, ev)
	ps := NewPasses(t, "ev", 6, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	n := 0
	scan := func(p store.Issued, zone, dir string) *store.Scan {
		t.Helper()
		n++
		sc := &store.Scan{ID: fmt.Sprintf("zf%d", n), Serial: p.Serial, Event: "ev", Gate: "g", Zone: zone, Direction: dir, At: scanAt.Add(time.Duration(n) * time.Minute)}
		var rec *store.Scan
		var err error
		if dir == record.In {
			rec, _, err = s.RecordZoneScan(ctx, sc, AdmitUpTo(2))
		} else {
			rec, _, err = s.RecordScan(ctx, sc, func(sc, _ *store.Scan) { sc.Decision, sc.Code = record.Admit, "ok" })
		}
		if err != nil {
			t.Fatalf("scan %s: %v", sc.ID, err)
		}
		return rec
	}
	count := func(name string, want int) []map[string]any {
		t.Helper()
		got := bodies(t, s, "wh_zone")
		if len(got) != want {
			t.Fatalf("%s: zone.full deliveries = %d, want %d", name, len(got), want)
		}
		return got
	}
	scan(ps[0], "stage", record.In)
	scan(ps[1], "stage", record.In)
	count("filled, nobody refused", 0)
	if rec := scan(ps[2], "stage", record.In); rec.Code != record.CodeZoneFull {
		t.Fatalf("third scan in: %s %s, want zone_full", rec.Decision, rec.Code)
	}
	got := count("first refusal", 1)
	want := map[string]any{"event": "ev", "zone": "stage", "inside": float64(2), "capacity": float64(2),
		"at": scanAt.Add(3 * time.Minute).Format(time.RFC3339Nano), "full_since": scanAt.Add(2 * time.Minute).Format(time.RFC3339Nano)}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("zone.full data[%s] = %v, want %v", k, got[0][k], v)
		}
	}
	scan(ps[3], "stage", record.In)
	scan(ps[2], "stage", record.In)
	count("refused again in the same episode", 1)
	// Someone leaves, another takes the place: a new episode.
	scan(ps[0], "stage", record.Out)
	scan(ps[4], "stage", record.In)
	count("refilled, nobody refused yet", 1)
	scan(ps[5], "stage", record.In)
	scan(ps[3], "stage", record.In)
	count("refused in the second episode", 2)
	// Capacity only where the event sets one: another zone's zone_full
	// code (a decider's own) is not a capacity's.
	n++
	if _, _, err := s.RecordZoneScan(ctx, &store.Scan{ID: "zf-other", Serial: ps[0].Serial, Event: "ev", Gate: "g", Zone: "foh", Direction: record.In, At: scanAt.Add(time.Hour)},
		func(sc, _ *store.Scan, _ int, _ pass.ZoneCapacity) {
			sc.Decision, sc.Code = record.Deny, record.CodeZoneFull
		}); err != nil {
		t.Fatal(err)
	}
	count("zone without a capacity", 2)
}
