package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/laminate/laminate/store"
)

// testAlerts: alerts are stored once (the same kind and scans again is a
// no-op, so re-uploading a queue raises nothing new), listed newest first,
// and filtered by event and by either gate.
func testAlerts(t *testing.T, open opener) {
	s := open(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC)
	a1 := store.Alert{Event: "ev1", Serial: "CAT5NA3G", Kind: store.AlertDoubleEntry, Scans: [2]string{"s1", "s2"},
		Gates: [2]string{"north", "south"}, At: at, Reason: "in twice"}
	a2 := store.Alert{Event: "ev1", Serial: "CAT5NA3G", Kind: store.AlertTwoGates, Scans: [2]string{"s1", "s2"},
		Gates: [2]string{"north", "south"}, At: at, Reason: "two gates"}
	a3 := store.Alert{Event: "ev2", Serial: "7K2M9QX4", Kind: store.AlertDoubleEntry, Scans: [2]string{"s7", "s8"},
		Gates: [2]string{"east", "east"}, At: at.Add(time.Minute), Reason: "in twice"}
	added, err := s.AddAlerts(ctx, []store.Alert{a1, a2})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 || added[0].ID == 0 || added[0].Detected.IsZero() {
		t.Fatalf("added %+v, want 2 with ID and Detected", added)
	}
	added, err = s.AddAlerts(ctx, []store.Alert{a1, a3, a2})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 1 || added[0].Scans != a3.Scans {
		t.Fatalf("second add: %+v, want only the new alert", added)
	}
	all, err := s.Alerts(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].Scans != a3.Scans || all[2].Kind != a1.Kind {
		t.Fatalf("alerts %+v, want 3, newest first", all)
	}
	got := all[2]
	if got.Event != "ev1" || got.Serial != "CAT5NA3G" || got.Gates != a1.Gates || !got.At.Equal(at) || got.Reason != "in twice" {
		t.Errorf("round trip: %+v, want %+v", got, a1)
	}
	for _, tc := range []struct {
		f    store.AlertFilter
		want int
	}{
		{store.AlertFilter{Event: "ev1"}, 2},
		{store.AlertFilter{Event: "ev2"}, 1},
		{store.AlertFilter{Gate: "south"}, 2},
		{store.AlertFilter{Gate: "east"}, 1},
		{store.AlertFilter{Event: "ev2", Gate: "north"}, 0},
		{store.AlertFilter{Event: "nope"}, 0},
		{store.AlertFilter{Limit: 2}, 2},
		{store.AlertFilter{Gate: "south", Limit: 1}, 1},
	} {
		got, err := s.Alerts(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want {
			t.Errorf("Alerts(%+v) = %d alerts, want %d", tc.f, len(got), tc.want)
		}
	}
}
