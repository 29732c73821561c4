package sqlite

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/laminate/laminate/store"
)

// TestRedeemEnrolmentReadsFirst: an unknown, used or expired code is
// refused from the read pool while another writer holds the write lock
// (a guess never queues behind, or in front of, door scans); a good code
// still redeems once the lock is free.
func TestRedeemEnrolmentReadsFirst(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	now := time.Date(2027, 3, 5, 18, 0, 0, 0, time.UTC)
	add := func(b byte, expires time.Time) []byte {
		h := bytes.Repeat([]byte{b}, 32)
		if err := s.CreateEnrolment(ctx, &store.Enrolment{Hash: h, Event: "ber01", Gate: "north", Name: "phone", Created: now, Expires: expires}, "user:u1 (Ana)"); err != nil {
			t.Fatal(err)
		}
		return h
	}
	good, expired := add(1, now.Add(10*time.Minute)), add(2, now.Add(-time.Minute))
	used := add(3, now.Add(10*time.Minute))
	mints := 0
	mint := func(id string) func(store.Enrolment) (*store.APIToken, error) {
		return func(e store.Enrolment) (*store.APIToken, error) {
			mints++
			return &store.APIToken{ID: id, Name: e.Name, Role: "scanner", Event: e.Event, Gate: e.Gate, Hash: bytes.Repeat([]byte{id[len(id)-1]}, 32), Created: now}, nil
		}
	}
	if _, err := s.RedeemEnrolment(ctx, used, now, mint("tok3")); err != nil {
		t.Fatal(err)
	}

	// Hold the store's one write connection in a write transaction.
	conn, err := s.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	// The deadline only ends a redemption that waits for the lock (the bug).
	wait, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	for name, h := range map[string][]byte{"unknown": bytes.Repeat([]byte{9}, 32), "expired": expired, "used": used} {
		if _, err := s.RedeemEnrolment(wait, h, now, mint("tok9")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RedeemEnrolment(%s) with the write lock held = %v, want ErrNotFound at once", name, err)
		}
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if mints != 1 {
		t.Errorf("%d tokens minted, want 1", mints)
	}
	if e, err := s.RedeemEnrolment(ctx, good, now, mint("tok1")); err != nil || e.Token != "tok1" {
		t.Errorf("RedeemEnrolment(good) = %+v, %v", e, err)
	}
}
