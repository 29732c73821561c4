package storetest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// scanAt is the base time of the scan tests: whole seconds.
var scanAt = time.Date(2026, 11, 20, 19, 0, 0, 0, time.UTC)

// answer returns a decider with a fixed decision that records the last
// admitted scan it was given.
func answer(decision record.Decision, code record.Code, got **store.Scan, called *int) store.ScanDecider {
	return func(sc, last *store.Scan) {
		*called++
		*got = last
		sc.Decision, sc.Code, sc.Answer = decision, code, fmt.Appendf(nil, `{"decision":%q,"code":%q}`, decision, code)
	}
}

// sameScan reports whether two scans are equal, times as instants. Seq is
// compared when both know it.
func sameScan(a, b store.Scan) bool {
	return a.ID == b.ID && a.Serial == b.Serial && a.Event == b.Event && a.Gate == b.Gate && a.Zone == b.Zone &&
		a.Direction == b.Direction && a.Decision == b.Decision && a.Code == b.Code && a.At.Equal(b.At) &&
		bytes.Equal(a.Answer, b.Answer) && source(a) == source(b) && a.Credential == b.Credential &&
		a.DeviceAt.Equal(b.DeviceAt) && a.Verdict == b.Verdict && bytes.Equal(a.TokenHash, b.TokenHash) &&
		a.Resolution == b.Resolution && a.ResolvedBy == b.ResolvedBy && a.ResolvedAt.Equal(b.ResolvedAt) &&
		(a.Seq == 0 || b.Seq == 0 || a.Seq == b.Seq)
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
		decision record.Decision
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
			rec, dup, err := s.RecordScan(ctx, st.scan, answer(st.decision, record.Code("code-"+st.scan.ID), &last, &calls))
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
			want.Decision, want.Code = st.decision, record.Code("code-"+st.scan.ID)
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
	first := &store.Scan{ID: "8f14e45f-ceea-4e7a-9b1a-1d2f3a4b5c6d", Serial: ps[0].Serial, Event: "ev", Gate: "north", Zone: "stage", Direction: "in", At: scanAt,
		TokenHash: []byte("0123456789abcdef0123456789abcdef")}
	var last *store.Scan
	calls := 0
	rec, dup, err := s.RecordScan(ctx, first, answer("admit", "ok", &last, &calls))
	if err != nil || dup {
		t.Fatalf("RecordScan() = dup %v, %v", dup, err)
	}
	auditBefore := auditLen(t, s)
	changed := func(f func(*store.Scan)) store.Scan {
		sc := *first
		sc.TokenHash = slices.Clone(first.TokenHash)
		f(&sc)
		return sc
	}
	tests := []struct {
		name  string
		retry store.Scan
		err   error
	}{
		{"ok/same-scan", *first, nil},
		// A retry is the same request under the same scan ID; its time
		// may differ (sent again later), and the first record stands.
		{"ok/retry-later", changed(func(sc *store.Scan) { sc.At = scanAt.Add(time.Hour) }), nil},
		// The same scan ID with another token, gate, zone or direction is
		// not a retry: it must not get the first answer (issue 11: a forged
		// token under the scan ID of a real admit got "admit" and the
		// holder's name back).
		{"fail/other-token", changed(func(sc *store.Scan) { sc.TokenHash[0] ^= 1; sc.Serial = "" }), store.ErrScanMismatch},
		{"fail/other-gate", changed(func(sc *store.Scan) { sc.Gate = "south" }), store.ErrScanMismatch},
		{"fail/other-zone", changed(func(sc *store.Scan) { sc.Zone = "foh" }), store.ErrScanMismatch},
		{"fail/other-direction", changed(func(sc *store.Scan) { sc.Direction = "out" }), store.ErrScanMismatch},
		{"fail/no-token", store.Scan{ID: first.ID, At: scanAt}, store.ErrScanMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			retry := tt.retry
			got, dup, err := s.RecordScan(ctx, &retry, answer("deny", "retried", &last, &calls))
			if tt.err != nil {
				if !errors.Is(err, tt.err) || got != nil {
					t.Fatalf("RecordScan(retry) = %v, %v; want %v", got, err, tt.err)
				}
			} else if err != nil || !dup {
				t.Fatalf("RecordScan(retry) = dup %v, %v; want dup", dup, err)
			}
			if calls != 0 {
				t.Errorf("RecordScan(retry) called the decider %d times, want 0", calls)
			}
			if tt.err == nil && !sameScan(*got, *rec) {
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
				rec, dup, err := s.RecordScan(ctx, sc, func(sc, _ *store.Scan) {
					decided.Add(1)
					sc.Decision, sc.Code, sc.Answer = "admit", "ok", []byte(`{}`)
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
func AdmitOnce(sc, last *store.Scan) {
	if last == nil || last.Direction == "out" {
		sc.Decision, sc.Code, sc.Answer = "admit", "ok", []byte(`{"decision":"admit"}`)
		return
	}
	sc.Decision, sc.Code, sc.Answer = "deny", "already_inside", []byte(`{"decision":"deny"}`)
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
	rec := func(serial pass.Serial, event, zone, dir string, decision record.Decision, at time.Duration) {
		t.Helper()
		n++
		sc := &store.Scan{ID: fmt.Sprintf("s%d", n), Serial: serial, Event: event, Gate: "g", Zone: zone, Direction: dir, At: scanAt.Add(at)}
		if _, _, err := s.RecordScan(ctx, sc, func(sc, _ *store.Scan) { sc.Decision, sc.Code = decision, "c" }); err != nil {
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

// source is a scan's source; a scan recorded without one is online.
func source(sc store.Scan) record.Source {
	if sc.Source == "" {
		return store.SourceOnline
	}
	return sc.Source
}

// testScanFields: what a scan records besides its decision comes back as
// stored, and the stored order (Seq) is the order of recording.
func testScanFields(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 1, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	in := []store.Scan{
		{ID: "f1", Serial: ps[0].Serial, Event: "ev", Gate: "north", Zone: "stage", Direction: "in", At: scanAt,
			Source: store.SourceOnline, Credential: "tok12345", DeviceAt: scanAt.Add(-time.Minute), Verdict: "ok",
			TokenHash: []byte("hash-of-the-token-0123456789abcd"), Decision: "admit", Code: "ok", Answer: []byte(`{"a":1}`)},
		// Recorded later, dated earlier (an offline door's upload).
		{ID: "f2", Serial: ps[0].Serial, Event: "ev", Gate: "east", Zone: "stage", Direction: "out", At: scanAt.Add(-time.Hour),
			Source: store.SourceOffline, Credential: "tok67890", Verdict: "revoked", TokenHash: []byte{1, 2, 3},
			Decision: "attention", Code: "possible_clone", Resolution: "admit", ResolvedBy: "token:tok67890 (east)",
			ResolvedAt: scanAt.Add(time.Minute), Answer: []byte(`{}`)},
	}
	var recs []store.Scan
	for i := range in {
		want := in[i]
		sc := in[i]
		sc.Decision, sc.Code, sc.Answer = "", "", nil
		rec, dup, err := s.RecordScan(ctx, &sc, func(out, _ *store.Scan) { out.Decision, out.Code, out.Answer = want.Decision, want.Code, want.Answer })
		if err != nil || dup {
			t.Fatalf("RecordScan(%s) = dup %v, %v", want.ID, dup, err)
		}
		if rec.Seq <= 0 || !sameScan(*rec, want) {
			t.Errorf("RecordScan(%s) = %+v\nwant %+v with Seq > 0", want.ID, *rec, want)
		}
		got, err := s.Scan(ctx, want.ID)
		if err != nil || !sameScan(*got, *rec) {
			t.Errorf("Scan(%s) = %+v, %v\nwant %+v", want.ID, got, err, *rec)
		}
		recs = append(recs, *rec)
	}
	if recs[1].Seq <= recs[0].Seq {
		t.Errorf("Seq %d then %d: want the order of recording", recs[0].Seq, recs[1].Seq)
	}
	if _, err := s.Scan(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Scan(unknown) error = %v, want ErrNotFound", err)
	}
	// By time, then stored order: f2 is dated first.
	got, err := s.Scans(ctx, ps[0].Serial)
	if err != nil || len(got) != 2 || !sameScan(got[0], recs[1]) || !sameScan(got[1], recs[0]) {
		t.Errorf("Scans() = %+v, %v; want f2 then f1", got, err)
	}
	// An attention answer let in counts as admitted: the next decision is
	// given it as the last admitted scan (it is the latest by time? no: f1
	// is; so f1).
	var last *store.Scan
	calls := 0
	if _, _, err := s.RecordScan(ctx, &store.Scan{ID: "f3", Serial: ps[0].Serial, Event: "ev", Gate: "north", Zone: "stage", Direction: "in", At: scanAt.Add(time.Second)},
		answer("deny", "already_inside", &last, &calls)); err != nil || last == nil || last.ID != "f1" {
		t.Errorf("RecordScan(f3) gave last %+v, %v; want f1", last, err)
	}
}

// testResolveScan: a person's answer to "attention" is recorded once, with
// who gave it; letting in is refused once the pass was scanned again.
func testResolveScan(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 2, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	n := 0
	rec := func(serial pass.Serial, dir string, decision record.Decision) string {
		t.Helper()
		n++
		id := fmt.Sprintf("r%d", n)
		sc := &store.Scan{ID: id, Serial: serial, Event: "ev", Gate: "north", Zone: "stage", Direction: dir, At: scanAt.Add(time.Duration(n) * time.Second)}
		if _, _, err := s.RecordScan(ctx, sc, func(out, _ *store.Scan) { out.Decision, out.Code = decision, "c" }); err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := ps[0].Serial
	admitted := rec(a, "in", "admit")
	check := rec(a, "out", "attention")
	at := scanAt.Add(time.Hour)
	steps := []struct {
		name, id   string
		resolution record.Decision
		err        error
	}{
		{"fail/unknown-scan", "nope", "admit", store.ErrNotFound},
		{"fail/not-attention", admitted, "admit", store.ErrNotAttention},
		{"fail/bad-resolution", check, "maybe", nil},
		{"ok/let-in", check, "admit", nil},
		{"ok/same-again", check, "admit", nil},
		{"fail/other-way", check, "deny", store.ErrAlreadyResolved},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got, err := s.ResolveScan(ctx, st.id, st.resolution, "token:abc (north)", at)
			switch {
			case st.name == "fail/bad-resolution":
				if err == nil {
					t.Fatalf("ResolveScan(%q) = nil error", st.resolution)
				}
			case st.err != nil:
				if !errors.Is(err, st.err) {
					t.Fatalf("ResolveScan() error = %v, want %v", err, st.err)
				}
			case err != nil || got.Resolution != "admit" || got.ResolvedBy != "token:abc (north)" || !got.ResolvedAt.Equal(at):
				t.Fatalf("ResolveScan() = %+v, %v; want admit by token:abc at %s", got, err, at)
			}
		})
	}
	if got, err := s.Scan(ctx, check); err != nil || got.Resolution != "admit" || !got.Admitted() {
		t.Errorf("Scan(resolved) = %+v, %v; want admitted", got, err)
	}
	// The resolved scan is now the last admitted: an "in" is decided against it.
	var last *store.Scan
	calls := 0
	if _, _, err := s.RecordScan(ctx, &store.Scan{ID: "next", Serial: a, Event: "ev", Gate: "north", Zone: "stage", Direction: "in", At: at},
		answer("admit", "ok", &last, &calls)); err != nil || last == nil || last.ID != check {
		t.Errorf("decider got last %+v, %v; want the resolved scan %s", last, err, check)
	}

	// Letting in after the pass was scanned again would put the admission
	// before a scan decided without it: refused. Turning away is not.
	b := ps[1].Serial
	stale := rec(b, "in", "attention")
	rec(b, "in", "deny")
	if _, err := s.ResolveScan(ctx, stale, "admit", "x", at); !errors.Is(err, store.ErrScannedSince) {
		t.Errorf("ResolveScan(admit, scanned since) error = %v, want ErrScannedSince", err)
	}
	if got, err := s.ResolveScan(ctx, stale, "deny", "x", at); err != nil || got.Resolution != "deny" || got.Admitted() {
		t.Errorf("ResolveScan(deny, scanned since) = %+v, %v; want turned away", got, err)
	}
	entries, err := s.Audit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	resolves := 0
	for _, e := range entries {
		if e.Action == store.ActionScanResolve {
			resolves++
		}
	}
	if resolves != 2 { // let in once (the same answer again is no change), turned away once
		t.Errorf("%d scan.resolve audit rows, want 2", resolves)
	}
}

// DoubleAdmits counts, in the scans of one pass, the "in"s the server
// admitted (decision admit, online) while the pass was inside: the
// admitted scan before it was an "in", with no admitted "out" between.
// It reads them in stored order (Seq) and in time order (At, then Seq);
// both are 0 when anti-passback holds (issue 11).
//
// Every admitted scan counts as a step of the pass's history (an offline
// door's, and an "attention" a person let in), but only the server's own
// admits are judged: an offline door decides on its own, a person who
// lets in after a CHECK decides knowingly, and alerts report both. In
// stored order an offline scan dated before the pass's latest admitted
// scan at the time it was stored is history, not a step: it arrived late.
func DoubleAdmits(scans []store.Scan) (byStored, byTime int) {
	var admitted []store.Scan
	for _, sc := range scans {
		if sc.Admitted() {
			admitted = append(admitted, sc)
		}
	}
	count := func(skipLate bool) int {
		n, inside := 0, false
		var latest time.Time
		for _, sc := range admitted {
			if skipLate && source(sc) == store.SourceOffline && sc.At.Before(latest) {
				continue
			}
			if sc.At.After(latest) {
				latest = sc.At
			}
			if sc.Direction == "in" && inside && sc.Decision == "admit" && source(sc) == store.SourceOnline {
				n++
			}
			inside = sc.Direction == "in"
		}
		return n
	}
	slices.SortStableFunc(admitted, func(a, b store.Scan) int { return cmp.Compare(a.Seq, b.Seq) })
	byStored = count(true)
	slices.SortStableFunc(admitted, func(a, b store.Scan) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	return byStored, count(false)
}
