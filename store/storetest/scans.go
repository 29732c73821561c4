package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// scanAt is the base time of the scan tests: whole seconds.
var scanAt = time.Date(2026, 11, 20, 19, 0, 0, 0, time.UTC)

// answer returns a decider with a fixed decision that records the last
// admitted scan it was given.
func answer(decision, code string, got **store.Scan, called *int) store.ScanDecider {
	return func(last *store.Scan) (string, string, []byte) {
		*called++
		*got = last
		return decision, code, fmt.Appendf(nil, `{"decision":%q,"code":%q}`, decision, code)
	}
}

// sameScan reports whether two scans are equal, times as instants.
func sameScan(a, b store.Scan) bool {
	return a.ID == b.ID && a.Serial == b.Serial && a.Event == b.Event && a.Gate == b.Gate && a.Zone == b.Zone &&
		a.Direction == b.Direction && a.Decision == b.Decision && a.Code == b.Code && a.At.Equal(b.At) &&
		bytes.Equal(a.Answer, b.Answer)
}

func testRecordScan(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 2, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	serial := ps[0].Serial
	scan := func(id, gate, dir string, at time.Time) *store.Scan {
		return &store.Scan{ID: id, Serial: serial, Event: "ev", Gate: gate, Zone: "backstage", Direction: dir, At: at}
	}
	// Each step records one scan; wantLast is the ID of the last admitted
	// scan its decider must be given ("" for none).
	steps := []struct {
		name     string
		scan     *store.Scan
		decision string
		wantLast string
	}{
		{"ok/first-in", scan("s1", "north", "in", scanAt), "admit", ""},
		{"ok/denied-in", scan("s2", "south", "in", scanAt.Add(time.Minute)), "deny", "s1"},
		{"ok/out", scan("s3", "north", "out", scanAt.Add(2*time.Minute)), "admit", "s1"},
		// A door that was offline uploads an older scan: the newest by
		// scan time stays the last admitted.
		{"ok/late-upload-of-older-scan", scan("s4", "east", "in", scanAt.Add(90*time.Second)), "admit", "s3"},
		{"ok/in-again", scan("s5", "north", "in", scanAt.Add(3*time.Minute)), "admit", "s3"},
		{"ok/after-in-again", scan("s6", "north", "out", scanAt.Add(4*time.Minute)), "attention", "s5"},
	}
	var recorded []store.Scan
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var last *store.Scan
			calls := 0
			in := *st.scan
			rec, dup, err := s.RecordScan(ctx, st.scan, answer(st.decision, "code-"+st.scan.ID, &last, &calls))
			if err != nil || dup || calls != 1 {
				t.Fatalf("RecordScan() = dup %v, %v, decider called %d times; want a new record, decided once", dup, err, calls)
			}
			if last != nil {
				if last.ID != st.wantLast {
					t.Errorf("decider got last admitted %s, want %q", last.ID, st.wantLast)
				}
				i := slices.IndexFunc(recorded, func(r store.Scan) bool { return r.ID == last.ID })
				if i < 0 || !sameScan(*last, recorded[i]) {
					t.Errorf("decider got last = %+v, want the scan as recorded", *last)
				}
			} else if st.wantLast != "" {
				t.Errorf("decider got no last admitted scan, want %s", st.wantLast)
			}
			want := in
			want.Decision, want.Code = st.decision, "code-"+st.scan.ID
			want.Answer = fmt.Appendf(nil, `{"decision":%q,"code":%q}`, want.Decision, want.Code)
			if !sameScan(*rec, want) {
				t.Errorf("RecordScan() = %+v\nwant %+v", *rec, want)
			}
			recorded = append(recorded, *rec)
		})
	}
	t.Run("ok/scans-oldest-first", func(t *testing.T) {
		got, err := s.Scans(ctx, serial)
		if err != nil {
			t.Fatalf("Scans() error = %v", err)
		}
		want := slices.Clone(recorded)
		slices.SortStableFunc(want, func(a, b store.Scan) int { return a.At.Compare(b.At) })
		if len(got) != len(want) {
			t.Fatalf("Scans() = %d scans, want %d", len(got), len(want))
		}
		for i := range got {
			if !sameScan(got[i], want[i]) {
				t.Errorf("Scans()[%d] = %+v\nwant %+v", i, got[i], want[i])
			}
		}
	})
	t.Run("ok/scans-of-other-pass", func(t *testing.T) {
		if got, err := s.Scans(ctx, ps[1].Serial); err != nil || len(got) != 0 {
			t.Errorf("Scans(other pass) = %d, %v; want none", len(got), err)
		}
	})
	t.Run("ok/unknown-serial", func(t *testing.T) {
		// Forged and unknown passes are scanned too: no foreign key.
		ghost, _ := pass.NewSerial(nil)
		var last *store.Scan
		calls := 0
		sc := &store.Scan{ID: "g1", Serial: ghost, Event: "ev", Gate: "north", Zone: "foh", Direction: "in", At: scanAt}
		if _, dup, err := s.RecordScan(ctx, sc, answer("deny", "forged", &last, &calls)); err != nil || dup || last != nil {
			t.Fatalf("RecordScan(unknown serial) = dup %v, %v, last %v", dup, err, last)
		}
		if got, err := s.Scans(ctx, ghost); err != nil || len(got) != 1 {
			t.Errorf("Scans(unknown serial) = %d, %v; want 1", len(got), err)
		}
	})
	t.Run("ok/no-serial", func(t *testing.T) {
		// An unreadable token has no serial: never a last admitted scan.
		for i := range 2 {
			var last *store.Scan
			calls := 0
			sc := &store.Scan{ID: fmt.Sprintf("x%d", i), Gate: "north", Zone: "foh", Direction: "in", At: scanAt}
			if _, dup, err := s.RecordScan(ctx, sc, answer("admit", "odd", &last, &calls)); err != nil || dup || last != nil || calls != 1 {
				t.Fatalf("RecordScan(no serial) = dup %v, %v, last %v", dup, err, last)
			}
		}
	})
}

func testRecordScanIdempotent(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 1, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	first := &store.Scan{ID: "8f14e45f-ceea-4e7a-9b1a-1d2f3a4b5c6d", Serial: ps[0].Serial, Event: "ev", Gate: "north", Zone: "stage", Direction: "in", At: scanAt}
	var last *store.Scan
	calls := 0
	rec, dup, err := s.RecordScan(ctx, first, answer("admit", "ok", &last, &calls))
	if err != nil || dup {
		t.Fatalf("RecordScan() = dup %v, %v", dup, err)
	}
	auditBefore := auditLen(t, s)
	tests := []struct {
		name  string
		retry store.Scan
	}{
		{"ok/same-scan", *first},
		// A retry is the same scan ID: whatever else it says, the first record stands.
		{"ok/changed-retry", store.Scan{ID: first.ID, Serial: ps[0].Serial, Event: "ev", Gate: "south", Zone: "foh", Direction: "out", At: scanAt.Add(time.Hour)}},
		{"ok/retry-without-serial", store.Scan{ID: first.ID, At: scanAt}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			retry := tt.retry
			got, dup, err := s.RecordScan(ctx, &retry, answer("deny", "retried", &last, &calls))
			if err != nil || !dup {
				t.Fatalf("RecordScan(retry) = dup %v, %v; want dup", dup, err)
			}
			if calls != 0 {
				t.Errorf("RecordScan(retry) called the decider %d times, want 0", calls)
			}
			if !sameScan(*got, *rec) {
				t.Errorf("RecordScan(retry) = %+v\nwant the first record %+v", *got, *rec)
			}
		})
	}
	if got, err := s.Scans(ctx, ps[0].Serial); err != nil || len(got) != 1 {
		t.Errorf("Scans() = %d, %v; want the one scan", len(got), err)
	}
	if n := auditLen(t, s); n != auditBefore {
		t.Errorf("retries wrote %d audit rows", n-auditBefore)
	}
	t.Run("ok/concurrent-retries", func(t *testing.T) {
		const n = 20
		var wg sync.WaitGroup
		var decided, dups atomic.Int32
		recs := make([]*store.Scan, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				sc := &store.Scan{ID: "retry-storm", Serial: ps[0].Serial, Event: "ev", Gate: "west", Zone: "stage", Direction: "out", At: scanAt.Add(time.Minute)}
				rec, dup, err := s.RecordScan(ctx, sc, func(*store.Scan) (string, string, []byte) {
					decided.Add(1)
					return "admit", "ok", []byte(`{}`)
				})
				recs[i], errs[i] = rec, err
				if dup {
					dups.Add(1)
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("RecordScan() error = %v", err)
		}
		if dups.Load() != n-1 {
			t.Errorf("%d of %d concurrent retries were dups, want %d", dups.Load(), n, n-1)
		}
		for i := range recs {
			if !sameScan(*recs[i], *recs[0]) {
				t.Errorf("retry %d got %+v, want %+v", i, *recs[i], *recs[0])
			}
		}
		if got, err := s.Scans(ctx, ps[0].Serial); err != nil || len(got) != 2 {
			t.Errorf("Scans() = %d, %v; want 2", len(got), err)
		}
		// A decider whose answer was thrown away (a retry that lost a race
		// on the scan ID) is allowed; what is stored must be decided once.
		if decided.Load() < 1 {
			t.Errorf("decider called %d times, want at least 1", decided.Load())
		}
	})
}

// AdmitOnce is the anti-passback decider of the atomicity tests: "in" is
// admitted only when the pass is not inside already.
func AdmitOnce(last *store.Scan) (string, string, []byte) {
	if last == nil || last.Direction == "out" {
		return "admit", "ok", []byte(`{"decision":"admit"}`)
	}
	return "deny", "already_inside", []byte(`{"decision":"deny"}`)
}

// CheckOneAdmit records n scans "in" of serial at once, through the
// stores in turn (several handles on one database are several nodes), and
// checks that exactly one was admitted.
func CheckOneAdmit(t *testing.T, serial pass.Serial, event string, n int, stores ...store.Store) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, n)
	admits := make([]bool, n)
	start := make(chan struct{})
	for i := range n {
		s := stores[i%len(stores)]
		wg.Go(func() {
			<-start
			sc := &store.Scan{ID: fmt.Sprintf("%s-door-%d", serial, i), Serial: serial, Event: event,
				Gate: fmt.Sprintf("gate-%d", i%4), Zone: "backstage", Direction: "in", At: scanAt}
			rec, dup, err := s.RecordScan(ctx, sc, AdmitOnce)
			if err == nil && dup {
				err = fmt.Errorf("scan %s: dup, want a new record", sc.ID)
			}
			errs[i] = err
			admits[i] = err == nil && rec.Decision == "admit"
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("RecordScan() error = %v", err)
	}
	n1 := 0
	for _, a := range admits {
		if a {
			n1++
		}
	}
	if n1 != 1 {
		t.Errorf("%d of %d simultaneous scans of one pass admitted, want exactly 1", n1, n)
	}
	got, err := stores[0].Scans(ctx, serial)
	if err != nil || len(got) != n {
		t.Errorf("Scans() = %d, %v; want %d", len(got), err, n)
	}
}

func testRecordScanAtomic(t *testing.T, open opener) {
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 3, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	// Several rounds: the first may find a pool still opening connections,
	// which hides a race.
	for _, p := range ps {
		CheckOneAdmit(t, p.Serial, "ev", 40, s)
	}
}

func testInside(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s,
		NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)),
		NewEvent(t, "other", time.Date(2026, 11, 21, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 6, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	o := NewPasses(t, "other", 1, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, append(ps, o...))
	n := 0
	rec := func(serial pass.Serial, event, zone, dir, decision string, at time.Duration) {
		t.Helper()
		n++
		sc := &store.Scan{ID: fmt.Sprintf("s%d", n), Serial: serial, Event: event, Gate: "g", Zone: zone, Direction: dir, At: scanAt.Add(at)}
		if _, _, err := s.RecordScan(ctx, sc, func(*store.Scan) (string, string, []byte) { return decision, "c", nil }); err != nil {
			t.Fatal(err)
		}
	}
	rec(ps[0].Serial, "ev", "stage", "in", "admit", 0)             // inside stage
	rec(ps[1].Serial, "ev", "foh", "in", "admit", 0)               // in, then out
	rec(ps[1].Serial, "ev", "foh", "out", "admit", time.Minute)    //
	rec(ps[2].Serial, "ev", "stage", "in", "deny", 0)              // never admitted
	rec(ps[3].Serial, "ev", "backstage", "in", "admit", 0)         // inside backstage,
	rec(ps[3].Serial, "ev", "stage", "in", "deny", time.Minute)    // a denial does not move it
	rec(ps[4].Serial, "ev", "backstage", "out", "admit", 0)        // out, then in later:
	rec(ps[4].Serial, "ev", "stage", "in", "admit", 2*time.Minute) // inside stage
	rec(ps[5].Serial, "ev", "foh", "in", "admit", 3*time.Minute)   // in late, but an older
	rec(ps[5].Serial, "ev", "foh", "out", "admit", 4*time.Minute)  // "out" uploaded after:
	rec(ps[5].Serial, "ev", "foh", "in", "admit", time.Minute)     // its "out" is the last
	rec(o[0].Serial, "other", "stage", "in", "admit", 0)           // another event
	rec("", "ev", "stage", "in", "admit", 0)                       // no serial
	got, err := s.Inside(ctx, "ev")
	if err != nil {
		t.Fatalf("Inside() error = %v", err)
	}
	stage := []pass.Serial{ps[0].Serial, ps[4].Serial}
	slices.Sort(stage)
	want := map[string][]pass.Serial{"stage": stage, "backstage": {ps[3].Serial}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Inside() = %v, want %v", got, want)
	}
	if got, err := s.Inside(ctx, "nope"); err != nil || len(got) != 0 {
		t.Errorf("Inside(unknown event) = %v, %v; want empty", got, err)
	}
}

func testApplyCue(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	ev := NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet))
	MustCreate(t, s, ev)
	showStarted := time.Date(2026, 11, 20, 20, 17, 42, 123_456_789, cet)
	photoClosed := time.Date(2026, 11, 20, 19, 31, 5, 0, time.UTC)
	tests := []struct {
		name  string
		event string
		cue   pass.Cue
		at    time.Time
		want  error
		check func(c pass.Cues) bool
	}{
		{"ok/show-started", "ev", pass.CueShowStarted, showStarted, nil, func(c pass.Cues) bool {
			return c.ShowStarted.Equal(showStarted) && c.PhotoClosed.IsZero()
		}},
		{"ok/photo-closed-keeps-show-started", "ev", pass.CuePhotoClosed, photoClosed, nil, func(c pass.Cues) bool {
			return c.ShowStarted.Equal(showStarted) && c.PhotoClosed.Equal(photoClosed)
		}},
		{"fail/unknown-event", "nope", pass.CueShowEnded, photoClosed, store.ErrNotFound, nil},
		{"fail/unknown-cue", "ev", pass.Cue("encore"), photoClosed, errors.New("any"), nil},
	}
	t.Run("ok/concurrent-cues-all-kept", func(t *testing.T) {
		// Cues live in one row: nodes applying cues at once must not lose one.
		s := open(t)
		MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
		cues := []pass.Cue{pass.CueDoorsOpen, pass.CueShowStarted, pass.CuePhotoClosed, pass.CueShowEnded, pass.CueAccessClosed}
		var wg sync.WaitGroup
		errs := make([]error, len(cues))
		for i, c := range cues {
			wg.Go(func() {
				_, errs[i] = s.ApplyCue(ctx, "ev", c, showStarted.Add(time.Duration(i)*time.Minute), "stage")
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("ApplyCue() error = %v", err)
		}
		ev, err := s.Event(ctx, "ev")
		if err != nil {
			t.Fatal(err)
		}
		c := ev.Cues
		for i, at := range []time.Time{c.DoorsOpen, c.ShowStarted, c.PhotoClosed, c.ShowEnded, c.AccessClosed} {
			if !at.Equal(showStarted.Add(time.Duration(i) * time.Minute)) {
				t.Errorf("cue %s = %s after concurrent ApplyCue(), want it kept", cues[i], at)
			}
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := s.Audit(ctx, 0)
			stored, _ := s.Event(ctx, "ev")
			got, err := s.ApplyCue(ctx, tt.event, tt.cue, tt.at, "stage-manager")
			after, _ := s.Audit(ctx, 0)
			if tt.want != nil {
				if err == nil || (errors.Is(tt.want, store.ErrNotFound) && !errors.Is(err, store.ErrNotFound)) {
					t.Fatalf("ApplyCue() error = %v, want %v", err, tt.want)
				}
				now, _ := s.Event(ctx, "ev")
				if len(after) != len(before) || mustJSON(t, now) != mustJSON(t, stored) {
					t.Errorf("failed ApplyCue() changed the store")
				}
				return
			}
			if err != nil {
				t.Fatalf("ApplyCue() error = %v", err)
			}
			if got.ID != "ev" || !tt.check(got.Cues) {
				t.Errorf("ApplyCue() = %+v, want the event with the cue", got.Cues)
			}
			reread, err := s.Event(ctx, "ev")
			if err != nil || mustJSON(t, reread) != mustJSON(t, got) {
				t.Errorf("Event() after ApplyCue() = %+v, %v; want %+v", reread, err, got)
			}
			if len(after) != len(before)+1 || after[0].Action != store.ActionEventCue || after[0].Subject != "ev" || after[0].Actor != "stage-manager" {
				t.Errorf("audit after ApplyCue(): %d new rows, newest %+v; want one event.cue", len(after)-len(before), after[0])
			}
		})
	}
}
