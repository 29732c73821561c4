package verifier

import (
	"context"
	"sync"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
)

// RevocationSet is an in-memory set of revoked serials, kept in step with a
// store by [RevocationSet.Sync]. Lookups take a read lock and no I/O, so a
// door's verify path never waits on the database. It keeps what a door may
// show, the category and time, and drops the staff's notes.
type RevocationSet struct {
	mu       sync.RWMutex
	bySerial map[pass.Serial]record.Revocation
	seq      int64
}

// NewRevocationSet returns an empty set.
func NewRevocationSet() *RevocationSet {
	return &RevocationSet{bySerial: map[pass.Serial]record.Revocation{}}
}

// Revoked reports whether serial is in the set.
func (s *RevocationSet) Revoked(serial pass.Serial) (record.Revocation, bool) {
	s.mu.RLock()
	r, ok := s.bySerial[serial]
	s.mu.RUnlock()
	return r, ok
}

// Add puts revocations in the set, as a node does with its own at once. It
// does not move the sync position: a revocation made elsewhere with a
// lower sequence number must still come in at the next Sync.
func (s *RevocationSet) Add(rs ...record.Revocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		r.Note = ""
		s.bySerial[r.Serial] = r
	}
}

// Seq is the highest revocation sequence number synced from the store.
func (s *RevocationSet) Seq() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.seq
}

// Len is the number of revoked serials.
func (s *RevocationSet) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.bySerial)
}

// RevocationLog is where revocations are recorded in order of their
// sequence numbers; a store.Store is one.
type RevocationLog interface {
	// RevocationsSince returns the revocations with Seq > seq, ascending.
	RevocationsSince(ctx context.Context, seq int64) ([]record.Revocation, error)
}

// Sync adds every revocation the store has recorded since the last sync.
func (s *RevocationSet) Sync(ctx context.Context, st RevocationLog) error {
	rs, err := st.RevocationsSince(ctx, s.Seq())
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		r.Note = ""
		s.bySerial[r.Serial] = r
		s.seq = max(s.seq, r.Seq)
	}
	return nil
}
