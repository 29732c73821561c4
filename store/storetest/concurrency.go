package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// Writers and poller of the propagation tests.
const (
	propWriters   = 6
	propPerWriter = 20
)

func testRevocationSequenceConcurrent(t *testing.T, open opener) {
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", propWriters*propPerWriter, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	CheckRevocationPropagation(t, ps, s, s)
}

// CheckRevocationPropagation revokes the passes from several goroutines,
// through the writer stores in turn, while a poller reads
// RevocationsSince(last seen) from reader in a loop, as a server keeping
// its revocation set does. The poller must see every revocation exactly
// once: a row that commits late with a smaller Seq than one already seen
// would be skipped for good.
func CheckRevocationPropagation(t *testing.T, ps []store.Issued, reader store.Store, writers ...store.Store) {
	t.Helper()
	ctx := context.Background()
	start, _ := reader.RevocationsSince(ctx, 0)
	last := int64(0)
	for _, r := range start {
		last = r.Seq
	}
	nw := propWriters
	var wg sync.WaitGroup
	var done atomic.Bool
	errs := make(chan error, len(ps))
	for w := range nw {
		s := writers[w%len(writers)]
		wg.Go(func() {
			for i := w; i < len(ps); i += nw {
				errs <- s.Revoke(ctx, &store.Revocation{Serial: ps[i].Serial, Category: pass.RevokeOther, Note: fmt.Sprintf("writer %d", w), By: "tm"})
			}
		})
	}
	go func() { wg.Wait(); done.Store(true) }()
	seen := map[pass.Serial]int{}
	polls := 0
	for {
		finished := done.Load() // read before polling: the final poll sees every commit
		got, err := reader.RevocationsSince(ctx, last)
		if err != nil {
			t.Fatalf("RevocationsSince(%d) error = %v", last, err)
		}
		polls++
		for _, r := range got {
			if r.Seq <= last {
				t.Fatalf("RevocationsSince(%d) returned seq %d", last, r.Seq)
			}
			last = r.Seq
			seen[r.Serial]++
		}
		if finished {
			break
		}
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Revoke() error = %v", err)
		}
	}
	var missed, twice int
	for _, p := range ps {
		switch seen[p.Serial] {
		case 0:
			missed++
		case 1:
		default:
			twice++
		}
	}
	if missed > 0 || twice > 0 || len(seen) != len(ps) {
		t.Errorf("poller (%d polls) missed %d revocations and saw %d twice, of %d", polls, missed, twice, len(ps))
	}
	all, err := reader.RevocationsSince(ctx, 0)
	if err != nil || len(all) != len(ps)+len(start) {
		t.Errorf("RevocationsSince(0) = %d, %v; want %d", len(all), err, len(ps)+len(start))
	}
}

func testIssuedSinceConcurrent(t *testing.T, open opener) {
	s := open(t)
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	CheckIssuedPropagation(t, "ev", s, s)
}

// CheckIssuedPropagation inserts small batches of passes of event from
// several goroutines, through the writer stores in turn, while a poller
// reads IssuedSince(last position) from reader in a loop. The poller must
// see every pass exactly once.
func CheckIssuedPropagation(t *testing.T, event string, reader store.Store, writers ...store.Store) {
	t.Helper()
	ctx := context.Background()
	_, pos, err := reader.IssuedSince(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	nw := propWriters
	batches := make([][]store.Issued, nw*propPerWriter/2)
	for i := range batches {
		batches[i] = NewPasses(t, event, 1+i%3, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Second))
	}
	var wg sync.WaitGroup
	var done atomic.Bool
	errs := make(chan error, len(batches))
	for w := range nw {
		s := writers[w%len(writers)]
		wg.Go(func() {
			for i := w; i < len(batches); i += nw {
				errs <- s.InsertPasses(ctx, batches[i], "issuer")
			}
		})
	}
	go func() { wg.Wait(); done.Store(true) }()
	seen := map[pass.Serial]int{}
	for {
		finished := done.Load()
		refs, next, err := reader.IssuedSince(ctx, pos)
		if err != nil {
			t.Fatalf("IssuedSince(%d) error = %v", pos, err)
		}
		if next < pos || (len(refs) > 0 && next == pos) {
			t.Fatalf("IssuedSince(%d) = %d refs, next %d: want a later position", pos, len(refs), next)
		}
		pos = next
		for _, r := range refs {
			seen[r.Serial]++
		}
		if finished {
			break
		}
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("InsertPasses() error = %v", err)
		}
	}
	var total, missed, twice int
	for _, b := range batches {
		for _, p := range b {
			total++
			switch seen[p.Serial] {
			case 0:
				missed++
			case 1:
			default:
				twice++
			}
		}
	}
	if missed > 0 || twice > 0 || len(seen) != total {
		t.Errorf("poller missed %d passes and saw %d twice, of %d", missed, twice, total)
	}
}

func testNotifier(t *testing.T, open opener) {
	s := open(t)
	n, ok := s.(store.Notifier)
	if !ok {
		t.Skip("this store is not a store.Notifier")
	}
	MustCreate(t, s, NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := NewPasses(t, "ev", 1, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	MustInsert(t, s, ps)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := n.Changes(ctx)
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[0].Serial, Category: pass.RevokeLost, By: "tm"}); err != nil {
		t.Fatal(err)
	}
	if err := WaitChange(ch, 5*time.Second); err != nil {
		t.Fatalf("after Revoke(): %v", err)
	}
	cancel()
	if err := WaitClosed(ch, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// WaitChange waits for a signal on a [store.Notifier] channel; the
// timeout is only a bound on failure.
func WaitChange(ch <-chan struct{}, timeout time.Duration) error {
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case _, ok := <-ch:
		if !ok {
			return errors.New("Changes() channel closed, want a signal")
		}
		return nil
	case <-tm.C:
		return fmt.Errorf("no signal on the Changes() channel within %s", timeout)
	}
}

// WaitClosed waits for a [store.Notifier] channel to be closed, draining
// signals.
func WaitClosed(ch <-chan struct{}, timeout time.Duration) error {
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return nil
			}
		case <-tm.C:
			return fmt.Errorf("Changes() channel not closed within %s of its context ending", timeout)
		}
	}
}
