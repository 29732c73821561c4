package postgres

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Readers has a pool of its own: with every connection of the store's
// pool taken (scans in flight), a read through Readers still gets one.
func TestReadersOwnPool(t *testing.T) {
	u, _ := newSchema(t)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	s := openURL(t, u+sep+"pool_max_conns=1")
	r, err := s.Readers(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	held, err := s.pool.Acquire(context.Background()) // the store's only connection
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	// The deadline only bounds a failure: a shared pool would wait here.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := r.Occupancy(ctx, "ev"); err != nil {
		t.Fatalf("Occupancy() through Readers with the store's pool taken: %v", err)
	}
	if got := r.pool.Config().MaxConns; got != 1 {
		t.Errorf("Readers pool MaxConns = %d, want 1", got)
	}
}
