package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// testPrints: the print log keeps every print, oldest first; PrintStatus
// counts them per pass of one event with the latest; a batch with an
// unknown serial writes nothing; each print has its audit row.
func testPrints(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	start := time.Date(2026, 11, 20, 20, 0, 0, 0, cet)
	MustCreate(t, s, NewEvent(t, "ev1", start), NewEvent(t, "ev2", start.Add(24*time.Hour)))
	a := NewPasses(t, "ev1", 3, start.Add(-48*time.Hour))
	b := NewPasses(t, "ev2", 1, start.Add(-48*time.Hour))
	MustInsert(t, s, a)
	MustInsert(t, s, b)

	if st, err := s.PrintStatus(ctx, "ev1"); err != nil || len(st) != 0 {
		t.Fatalf("PrintStatus() before printing = %v, %v; want empty", st, err)
	}
	t0 := time.Date(2026, 11, 20, 17, 4, 0, 0, time.UTC)
	first := []record.Print{
		{Serial: a[0].Serial, At: t0, Actor: "token:aaaa1111 (desk 1)", Template: "badge-cr80-letter", Format: record.FormatPDF},
		{Serial: a[1].Serial, At: t0, Actor: "token:aaaa1111 (desk 1)", Template: "badge-cr80-letter", Format: record.FormatPDF},
		{Serial: b[0].Serial, At: t0, Actor: "Ana", Template: "sticker-round-50mm-a4", Format: record.FormatZPL},
	}
	before := auditLen(t, s)
	if err := s.RecordPrints(ctx, first); err != nil {
		t.Fatalf("RecordPrints() = %v", err)
	}
	if n := auditLen(t, s) - before; n != 3 {
		t.Errorf("RecordPrints of 3 wrote %d audit rows, want 3", n)
	}
	again := record.Print{Serial: a[0].Serial, At: t0.Add(time.Hour), Actor: "Ana Lucía", Template: "badge-4x3-letter", Format: record.FormatZPL}
	if err := s.RecordPrints(ctx, []record.Print{again}); err != nil {
		t.Fatal(err)
	}

	log, err := s.Prints(ctx, a[0].Serial)
	if err != nil || len(log) != 2 {
		t.Fatalf("Prints() = %v, %v; want 2", log, err)
	}
	if !log[0].At.Equal(t0) || log[0].Format != record.FormatPDF || log[1].Actor != "Ana Lucía" || log[1].Template != "badge-4x3-letter" ||
		log[1].Format != record.FormatZPL || !log[1].At.Equal(again.At) || log[1].Serial != a[0].Serial {
		t.Errorf("Prints() = %+v", log)
	}
	if log, err := s.Prints(ctx, a[2].Serial); err != nil || len(log) != 0 {
		t.Errorf("Prints(never printed) = %v, %v", log, err)
	}

	st, err := s.PrintStatus(ctx, "ev1")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 {
		t.Fatalf("PrintStatus(ev1) has %d passes, want 2 (the third was never printed; ev2's is another event's)", len(st))
	}
	if g := st[a[0].Serial]; g.Count != 2 || g.Last.Actor != "Ana Lucía" || !g.Last.At.Equal(again.At) || g.Last.Format != record.FormatZPL || g.Collected != nil {
		t.Errorf("PrintStatus()[a0] = %+v, want 2 prints, last by Ana Lucía", g)
	}
	if g := st[a[1].Serial]; g.Count != 1 || g.Last.Template != "badge-cr80-letter" {
		t.Errorf("PrintStatus()[a1] = %+v", g)
	}
	if _, ok := st[a[2].Serial]; ok {
		t.Errorf("PrintStatus() lists a pass never printed")
	}

	// All or nothing: an unknown serial in the batch stores none of it.
	before = auditLen(t, s)
	bad := []record.Print{{Serial: a[2].Serial, At: t0, Actor: "x", Template: "t", Format: "pdf"}, {Serial: "ZZZZ-ZZZZ", At: t0, Actor: "x", Template: "t", Format: "pdf"}}
	if err := s.RecordPrints(ctx, bad); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordPrints(unknown serial) = %v, want ErrNotFound", err)
	}
	if log, _ := s.Prints(ctx, a[2].Serial); len(log) != 0 || auditLen(t, s) != before {
		t.Errorf("a failed RecordPrints stored %d prints, %d audit rows", len(log), auditLen(t, s)-before)
	}
	audit, _ := s.Audit(ctx, 1)
	if len(audit) != 1 || audit[0].Action != store.ActionPassPrint || audit[0].Subject != string(a[0].Serial) || audit[0].Actor != "Ana Lucía" {
		t.Errorf("last audit row = %+v, want pass.print of %s by Ana Lucía", audit, a[0].Serial)
	}
}

// testMarkCollected: a pass is collected once, with its audit row;
// marking it again returns the first collection and writes nothing; an
// unknown serial is ErrNotFound; PrintStatus shows the collection.
func testMarkCollected(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	start := time.Date(2026, 11, 20, 20, 0, 0, 0, cet)
	MustCreate(t, s, NewEvent(t, "ev1", start))
	ps := NewPasses(t, "ev1", 2, start.Add(-48*time.Hour))
	MustInsert(t, s, ps)
	at := time.Date(2026, 11, 20, 17, 30, 0, 0, time.UTC)
	before := auditLen(t, s)
	c, already, err := s.MarkCollected(ctx, ps[0].Serial, at, "desk 2")
	if err != nil || already || c.Serial != ps[0].Serial || !c.At.Equal(at) || c.Actor != "desk 2" {
		t.Fatalf("MarkCollected() = %+v, %v, %v", c, already, err)
	}
	c, already, err = s.MarkCollected(ctx, ps[0].Serial, at.Add(time.Hour), "desk 3")
	if err != nil || !already || !c.At.Equal(at) || c.Actor != "desk 2" {
		t.Fatalf("MarkCollected() again = %+v, %v, %v; want the first collection", c, already, err)
	}
	if n := auditLen(t, s) - before; n != 1 {
		t.Errorf("two MarkCollected wrote %d audit rows, want 1", n)
	}
	audit, _ := s.Audit(ctx, 1)
	if audit[0].Action != store.ActionPassCollect || audit[0].Subject != string(ps[0].Serial) {
		t.Errorf("audit row = %+v", audit[0])
	}
	if _, _, err := s.MarkCollected(ctx, pass.Serial("ZZZZ-ZZZZ"), at, "desk"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkCollected(unknown) = %v, want ErrNotFound", err)
	}
	st, err := s.PrintStatus(ctx, "ev1")
	if err != nil {
		t.Fatal(err)
	}
	if g := st[ps[0].Serial]; g.Count != 0 || g.Collected == nil || g.Collected.Actor != "desk 2" {
		t.Errorf("PrintStatus()[collected] = %+v", g)
	}
	if _, ok := st[ps[1].Serial]; ok {
		t.Errorf("PrintStatus() lists a pass neither printed nor collected")
	}
	if sc, _ := s.Scans(ctx, ps[0].Serial); len(sc) != 0 {
		t.Errorf("a collection made %d scans: collection is not entry", len(sc))
	}
}

// testMarkCollectedConcurrent: eight desks collecting one pass at once
// make one collection and one audit row.
func testMarkCollectedConcurrent(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	start := time.Date(2026, 11, 20, 20, 0, 0, 0, cet)
	MustCreate(t, s, NewEvent(t, "ev1", start))
	ps := NewPasses(t, "ev1", 1, start.Add(-48*time.Hour))
	MustInsert(t, s, ps)
	before := auditLen(t, s)
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, already, err := s.MarkCollected(ctx, ps[0].Serial, start.Add(time.Duration(i)*time.Second), "desk")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			if !already {
				fresh++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if fresh != 1 || auditLen(t, s)-before != 1 {
		t.Fatalf("%d collections made, %d audit rows; want 1 and 1", fresh, auditLen(t, s)-before)
	}
}
