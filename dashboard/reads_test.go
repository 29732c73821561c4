package dashboard

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/server"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
)

// stuckStore is a store whose reads, once stuck is set, wait until their
// context ends: the server's store with every connection of its pool
// taken by scans in flight. It counts the passes read one by one.
type stuckStore struct {
	store.Store
	stuck  atomic.Bool
	passes atomic.Int64
}

func (s *stuckStore) wait(ctx context.Context) error {
	if !s.stuck.Load() {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (s *stuckStore) Events(ctx context.Context) ([]*pass.Event, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Events(ctx)
}

func (s *stuckStore) Pass(ctx context.Context, serial pass.Serial) (*store.Issued, error) {
	s.passes.Add(1)
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Pass(ctx, serial)
}

func (s *stuckStore) DoorsSeen(ctx context.Context, event string) ([]store.DoorSeen, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.DoorsSeen(ctx, event)
}

func (s *stuckStore) Alerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Alerts(ctx, f)
}

func (s *stuckStore) Present(ctx context.Context, event string) ([]store.Presence, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Present(ctx, event)
}

func (s *stuckStore) Occupancy(ctx context.Context, event string) (map[string]int, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Occupancy(ctx, event)
}

func (s *stuckStore) Traffic(ctx context.Context, event string, since, recent time.Time) ([]store.Traffic, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Traffic(ctx, event, since, recent)
}

// A build reads through Config.Reads only: with the server's store stuck
// (its pool taken by scans), a whole build (occupancy, alerts, the clear
// list, traffic, doors) still completes. And the clear list reads no pass
// one by one when none is to be cleared (it read every pass inside, one
// query each, behind the scans: issue 14's PostgreSQL figures).
func TestBuildReadsItsOwnStore(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/laminate.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	host := &stuckStore{Store: st}
	reads := &stuckStore{Store: st}
	e := newEnvOn(t, host, nil, Config{Reads: reads})
	e.show(30 * time.Minute)
	scanner := e.token(server.RoleScanner)
	const n = 20
	for i, p := range e.passes(pass.AAA, n) {
		if a := e.scan(scanner, p.Token, fmt.Sprintf("door-%d", i%3), "foh", "in"); a.Decision != "admit" {
			t.Fatalf("scan %d: %+v", i, a)
		}
	}
	host.stuck.Store(true)
	// The deadline only bounds a failure: reading the stuck store waits here.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, _, err := e.dash.build(ctx, "ev", e.now(), nil)
	if err != nil {
		t.Fatalf("build with the server's store stuck: %v", err)
	}
	if got := zoneOf(s, "foh").Inside; got != n {
		t.Errorf("inside foh = %d, want %d", got, n)
	}
	if got := len(s.Doors); got < 3 {
		t.Errorf("doors = %d, want the 3 that scanned", got)
	}
	if got := reads.passes.Load() + host.passes.Load(); got != 0 {
		t.Errorf("the clear list read %d passes one by one, want 0 (none is to be cleared)", got)
	}
}
