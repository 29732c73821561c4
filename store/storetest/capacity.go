package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// AdmitUpTo is the decider of the capacity tests: anti-passback as
// [AdmitOnce], then "in" is denied when max passes are inside the zone.
func AdmitUpTo(max int) store.ZoneDecider {
	return func(sc, last *store.Scan, inside int, _ pass.ZoneCapacity) {
		AdmitOnce(sc, last)
		if sc.Decision == record.Admit && sc.Direction == record.In && inside >= max {
			sc.Decision, sc.Code, sc.Answer = record.Deny, "zone_full", []byte(`{"decision":"deny"}`)
		}
	}
}

// testCapacity: RecordZoneScan gives the decider the zone's count, and
// the count follows every admitted scan, out, CHECK answer and offline
// scan uploaded late; Present, Inside and Traffic agree with it.
func testCapacity(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)),
		NewEvent(t, "other", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 6, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	o := NewPasses(t, "other", 1, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, append(ps, o...))
	n := 0
	counts := []int{}
	zone := func(p store.Issued, event, z, dir string, at time.Duration) *store.Scan {
		t.Helper()
		n++
		sc := &store.Scan{ID: fmt.Sprintf("z%d", n), Serial: p.Serial, Event: event, Gate: "pit-gate", Zone: z, Direction: dir, At: scanAt.Add(at)}
		rec, dup, err := s.RecordZoneScan(ctx, sc, func(sc, last *store.Scan, inside int, c pass.ZoneCapacity) {
			counts = append(counts, inside)
			AdmitUpTo(2)(sc, last, inside, c)
		})
		if err != nil || dup {
			t.Fatalf("RecordZoneScan(%s) = %v, %v", sc.ID, dup, err)
		}
		return rec
	}
	plain := func(p store.Issued, z, dir string, decision record.Decision, at time.Duration) *store.Scan {
		t.Helper()
		n++
		sc := &store.Scan{ID: fmt.Sprintf("z%d", n), Serial: p.Serial, Event: "ev", Gate: "g", Zone: z, Direction: dir, At: scanAt.Add(at)}
		rec, _, err := s.RecordScan(ctx, sc, func(sc, _ *store.Scan) { sc.Decision, sc.Code = decision, "c" })
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	want := func(name string, z string, serials ...pass.Serial) {
		t.Helper()
		got, err := s.Present(ctx, "ev")
		if err != nil {
			t.Fatalf("%s: Present() error = %v", name, err)
		}
		var in []pass.Serial
		for _, p := range got {
			if p.Zone == z {
				in = append(in, p.Serial)
			}
		}
		slices.Sort(serials)
		if fmt.Sprint(in) != fmt.Sprint(serials) {
			t.Errorf("%s: Present() in %s = %v, want %v", name, z, in, serials)
		}
		inside, err := s.Inside(ctx, "ev")
		if err != nil || fmt.Sprint(inside[z]) != fmt.Sprint(in) {
			t.Errorf("%s: Inside()[%s] = %v, %v; want %v (as Present)", name, z, inside[z], err, in)
		}
		occ, err := s.Occupancy(ctx, "ev")
		if err != nil || occ[z] != len(in) {
			t.Errorf("%s: Occupancy()[%s] = %d, %v; want %d (as Present)", name, z, occ[z], err, len(in))
		}
	}
	if r := zone(ps[0], "ev", "photo-pit", "in", 0); r.Decision != record.Admit {
		t.Fatalf("first in: %s, want admit", r.Decision)
	}
	zone(o[0], "other", "photo-pit", "in", 0) // another event's zone of the same name
	zone(ps[1], "ev", "photo-pit", "in", time.Second)
	if r := zone(ps[2], "ev", "photo-pit", "in", 2*time.Second); r.Decision != record.Deny {
		t.Errorf("third in with 2 inside: %s, want deny", r.Decision)
	}
	want("full", "photo-pit", ps[0].Serial, ps[1].Serial)
	// A retry of a stored scan is not decided again.
	retry := &store.Scan{ID: "z1", Serial: ps[0].Serial, Event: "ev", Gate: "pit-gate", Zone: "photo-pit", Direction: "in", At: scanAt}
	if rec, dup, err := s.RecordZoneScan(ctx, retry, func(*store.Scan, *store.Scan, int, pass.ZoneCapacity) { t.Error("a retry was decided again") }); err != nil || !dup || rec.Decision != record.Admit {
		t.Errorf("RecordZoneScan(retry) = %+v, %v, %v; want the first record, dup", rec, dup, err)
	}
	plain(ps[0], "photo-pit", "out", record.Admit, 3*time.Second) // a scan out frees a place
	if r := zone(ps[2], "ev", "photo-pit", "in", 4*time.Second); r.Decision != record.Admit {
		t.Errorf("in after an out: %s, want admit", r.Decision)
	}
	want("after-out", "photo-pit", ps[1].Serial, ps[2].Serial)
	// An attention let in by a person counts once answered.
	att := plain(ps[3], "photo-pit", "in", record.Attention, 5*time.Second)
	want("attention-unanswered", "photo-pit", ps[1].Serial, ps[2].Serial)
	if _, err := s.ResolveScan(ctx, att.ID, record.Admit, "door", scanAt.Add(6*time.Second)); err != nil {
		t.Fatal(err)
	}
	want("attention-let-in", "photo-pit", ps[1].Serial, ps[2].Serial, ps[3].Serial)
	// An offline "out" made before the pass's last "in" does not take it out.
	plain(ps[2], "photo-pit", "out", record.Admit, -time.Minute)
	want("old-out-uploaded", "photo-pit", ps[1].Serial, ps[2].Serial, ps[3].Serial)
	// Moving to another zone leaves the first.
	plain(ps[1], "photo-pit", "out", record.Admit, 7*time.Second)
	plain(ps[1], "press", "in", record.Admit, 8*time.Second)
	want("moved", "photo-pit", ps[2].Serial, ps[3].Serial)
	want("moved", "press", ps[1].Serial)
	if fmt.Sprint(counts) != "[0 0 1 2 1]" { // the other event counts apart
		t.Errorf("counts given to the decider = %v, want [0 0 1 2 1]", counts)
	}
	got, err := s.Present(ctx, "ev")
	if err != nil || len(got) != 3 || got[0].Zone != "photo-pit" || got[0].ScanID == "" || got[0].Gate == "" || got[0].At.IsZero() {
		t.Errorf("Present() = %+v, %v; want 3 with scan, gate and time", got, err)
	}
	for _, pr := range got { // with the pass's type and role, which say whether its access ended
		if pr.Type != ps[0].Type || pr.Role != ps[0].Role {
			t.Errorf("Present() %s: type %q role %q, want the pass's %q %q", pr.Serial, pr.Type, pr.Role, ps[0].Type, ps[0].Role)
		}
	}
	// Traffic: per zone, gate, credential and direction, since a time.
	tr, err := s.Traffic(ctx, "ev", scanAt.Add(-time.Hour), scanAt.Add(4*time.Second))
	if err != nil {
		t.Fatalf("Traffic() error = %v", err)
	}
	var pitIn *store.Traffic
	for i := range tr {
		if tr[i].Zone == "photo-pit" && tr[i].Gate == "pit-gate" && tr[i].Direction == "in" {
			pitIn = &tr[i]
		}
	}
	// pit-gate "in": admitted at 0, 1 s, 4 s; denied at 2 s.
	if pitIn == nil || pitIn.Admitted != 3 || pitIn.AdmittedRecent != 1 || pitIn.Scans != 4 || !pitIn.Last.Equal(scanAt.Add(4*time.Second)) {
		t.Errorf("Traffic() photo-pit in at pit-gate = %+v, want 3 admitted, 1 recent, 4 scans, last at +4s", pitIn)
	}
	if tr, err := s.Traffic(ctx, "ev", scanAt.Add(time.Hour), scanAt.Add(time.Hour)); err != nil || len(tr) != 0 {
		t.Errorf("Traffic(since later) = %v, %v; want none", tr, err)
	}
}

// CheckCapacityRace fills zone of event up to max-places with passes
// fill, then records one scan "in" for each pass of racers at once,
// through the stores in turn (several handles on one database are
// several nodes), each a door deciding with [AdmitUpTo](max), and checks
// that exactly places were admitted and the zone holds max.
func CheckCapacityRace(t *testing.T, event, zone string, max int, fill, racers []store.Issued, stores ...store.Store) {
	t.Helper()
	ctx := context.Background()
	for i, p := range fill {
		sc := &store.Scan{ID: fmt.Sprintf("fill-%s", p.Serial), Serial: p.Serial, Event: event, Gate: "g", Zone: zone, Direction: "in", At: scanAt}
		if _, _, err := stores[i%len(stores)].RecordZoneScan(ctx, sc, AdmitUpTo(max)); err != nil {
			t.Fatal(err)
		}
	}
	places := max - len(fill)
	var wg sync.WaitGroup
	errs := make([]error, len(racers))
	admits := make([]bool, len(racers))
	start := make(chan struct{})
	for i, p := range racers {
		s := stores[i%len(stores)]
		wg.Go(func() {
			<-start
			sc := &store.Scan{ID: fmt.Sprintf("race-%s", p.Serial), Serial: p.Serial, Event: event,
				Gate: fmt.Sprintf("door-%d", i), Zone: zone, Direction: "in", At: scanAt.Add(time.Second)}
			rec, _, err := s.RecordZoneScan(ctx, sc, AdmitUpTo(max))
			errs[i] = err
			admits[i] = err == nil && rec.Decision == record.Admit
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("RecordZoneScan() error = %v", err)
	}
	got := 0
	for _, a := range admits {
		if a {
			got++
		}
	}
	if got != places {
		t.Errorf("%d doors racing for the last %d places admitted %d, want exactly %d", len(racers), places, got, places)
	}
	inside, err := stores[0].Inside(ctx, event)
	if err != nil || len(inside[zone]) != max {
		t.Errorf("Inside()[%s] = %d passes, %v; want %d", zone, len(inside[zone]), err, max)
	}
}

func testCapacityRace(t *testing.T, open opener) {
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 60, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	CheckCapacityRace(t, "ev", "photo-pit", 20, ps[:10], ps[10:], s)
}
