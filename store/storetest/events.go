package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// testUpdateEvent: UpdateEvent applies a change in one transaction with
// an event.update audit row naming the fields changed; a bad change is a
// FieldError and writes nothing; a cue given before stays; an unknown
// event is ErrNotFound.
func testUpdateEvent(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	start := time.Date(2026, 11, 20, 20, 0, 0, 0, cet)
	MustCreate(t, s, NewEvent(t, "ed", start))
	if _, err := s.ApplyCue(ctx, "ed", pass.CueDoorsOpen, start.Add(-time.Hour), "stage"); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	at := func(t time.Time) *time.Time { return &t }
	small := pass.DefaultPolicy()
	small.Zones = []pass.Zone{"stage", "photo-pit"}
	small.Rules = map[pass.Type][]pass.Grant{pass.AAA: {{Zones: []pass.Zone{"*"}, When: []pass.Window{pass.Any}}}}
	small.Roles = nil
	tests := []struct {
		name      string
		change    pass.EventChange
		want      []string // fields changed
		wantField string   // of the error
	}{
		{"name and venue", pass.EventChange{Name: str("Renamed"), Venue: str("Arena")}, []string{"name", "venue"}, ""},
		{"same again", pass.EventChange{Name: str("Renamed")}, nil, ""},
		{"move the show a day", pass.EventChange{ShowStart: at(start.Add(24 * time.Hour))},
			[]string{"show_start", "show_end", "access_from", "access_until", "meet_greet_from", "meet_greet_until"}, ""},
		{"time zone", pass.EventChange{TimeZone: time.FixedZone("", 0)}, []string{"time_zone"}, ""},
		{"policy", pass.EventChange{Policy: small}, []string{"policy.zones", "policy.rules", "policy.roles"}, ""},
		{"capacity", pass.EventChange{Capacity: map[pass.Zone]pass.ZoneCapacity{"photo-pit": {Max: 3, WhenFull: pass.FullDeny}}}, []string{"policy.capacity"}, ""},
		{"bad capacity", pass.EventChange{Capacity: map[pass.Zone]pass.ZoneCapacity{"photo-pit": {Max: 3, WhenFull: "warn"}}}, nil, "capacity.photo-pit.when_full"},
		{"capacity of no zone", pass.EventChange{Capacity: map[pass.Zone]pass.ZoneCapacity{"roof": {Max: 3, WhenFull: pass.FullDeny}}}, nil, "capacity"},
		{"end before start", pass.EventChange{ShowEnd: at(start)}, nil, "show_end"},
		{"empty name", pass.EventChange{Name: str("")}, nil, "name"},
	}
	wantAudits := 0
	for _, tt := range tests {
		before, err := s.Event(ctx, "ed")
		if err != nil {
			t.Fatal(err)
		}
		got, changed, err := s.UpdateEvent(ctx, "ed", tt.change, "admin")
		if tt.wantField != "" {
			if pass.ErrorField(err) != tt.wantField {
				t.Errorf("%s: UpdateEvent() = %v (field %q), want an error about %s", tt.name, err, pass.ErrorField(err), tt.wantField)
			}
			if after, _ := s.Event(ctx, "ed"); !sameEvent(before, after) {
				t.Errorf("%s: a refused change was stored", tt.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: UpdateEvent() = %v", tt.name, err)
		}
		if !slices.Equal(changed, tt.want) {
			t.Errorf("%s: changed %v, want %v", tt.name, changed, tt.want)
		}
		if len(tt.want) > 0 {
			wantAudits++
		}
		stored, err := s.Event(ctx, "ed")
		if err != nil {
			t.Fatal(err)
		}
		if !sameEvent(got, stored) {
			t.Errorf("%s: UpdateEvent returned %+v, stored %+v", tt.name, got, stored)
		}
		if stored.Cues.DoorsOpen.IsZero() {
			t.Errorf("%s: the doors_open cue was lost", tt.name)
		}
	}
	ev, _ := s.Event(ctx, "ed")
	if ev.Name != "Renamed" || ev.Venue != "Arena" || !ev.Schedule.ShowStart.Equal(start.Add(24*time.Hour)) || pass.TimeZoneOf(ev) != "+00:00" {
		t.Errorf("stored %+v", ev)
	}
	if c, ok := ev.EffectivePolicy().CapacityOf("photo-pit"); !ok || c.Max != 3 || !ev.EffectivePolicy().HasZone("stage") || ev.EffectivePolicy().HasZone("foh") {
		t.Errorf("stored policy %+v", ev.Policy)
	}
	// The event list (what servers cache) has the new policy too.
	evs, _ := s.Events(ctx)
	if len(evs) != 1 || evs[0].Policy == nil || len(evs[0].Policy.Capacity) != 1 {
		t.Errorf("Events() = %+v", evs)
	}
	// A scan into the zone is decided by the cap as stored now, read in
	// its own transaction: a node's older copy of the event does not
	// matter.
	ps := NewPasses(t, "ed", 1, scanAt.Add(-time.Hour))
	MustInsert(t, s, ps)
	for i, max := range []int{3, 7, 0} {
		if _, _, err := s.UpdateEvent(ctx, "ed", pass.EventChange{Capacity: map[pass.Zone]pass.ZoneCapacity{"photo-pit": {Max: max, WhenFull: pass.FullAttention}}}, "admin"); err != nil {
			t.Fatal(err)
		}
		sc := &store.Scan{ID: fmt.Sprintf("cap-%d", i), Serial: ps[0].Serial, Event: "ed", Gate: "g", Zone: "photo-pit", Direction: "out", At: scanAt.Add(time.Duration(i) * time.Minute)}
		var got pass.ZoneCapacity
		if _, _, err := s.RecordZoneScan(ctx, sc, func(sc, last *store.Scan, inside int, c pass.ZoneCapacity) { got = c; AdmitOnce(sc, last) }); err != nil {
			t.Fatal(err)
		}
		if got.Max != max || max > 0 && got.WhenFull != pass.FullAttention {
			t.Errorf("RecordZoneScan after a cap of %d gave the decider %+v", max, got)
		}
	}
	wantAudits += 3 // each changes the cap: when_full, then max, then none
	if _, _, err := s.UpdateEvent(ctx, "nope", pass.EventChange{Name: str("x")}, "admin"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateEvent(unknown) = %v, want ErrNotFound", err)
	}
	audit, err := s.Audit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit {
		if a.Action == store.ActionEventUpdate {
			n++
			if a.Subject != "ed" || a.Actor != "admin" || !strings.Contains(a.Detail, `"changed"`) {
				t.Errorf("audit row %+v", a)
			}
		}
	}
	if n != wantAudits {
		t.Errorf("%d %s audit rows, want %d (one per change that changed something)", n, store.ActionEventUpdate, wantAudits)
	}
}

func sameEvent(a, b *pass.Event) bool {
	x, _, _ := store.EventJSON(a)
	y, _, _ := store.EventJSON(b)
	pa, pb := "", ""
	if a.Policy != nil {
		_, p, _ := store.EventJSON(a)
		pa = *p
	}
	if b.Policy != nil {
		_, p, _ := store.EventJSON(b)
		pb = *p
	}
	return x == y && pa == pb && a.Name == b.Name && a.Venue == b.Venue
}
