package issue_test

import (
	"context"
	"testing"
	"time"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/verifier"
)

type revLog []record.Revocation

func (l revLog) RevocationsSince(ctx context.Context, seq int64) ([]record.Revocation, error) {
	return l, nil
}

// TestBundle: the signed bundle parses with the keyring's keys, carries the
// revocations of the event and the clone window asked for.
func TestBundle(t *testing.T) {
	ring, sg := newRing(t)
	serial, _ := pass.NewSerial(nil)
	log := revLog{{Seq: 4, Serial: serial, Event: event.ID, Category: pass.RevokeLost}}
	jws, b, err := issue.Bundle(context.Background(), sg, log, ring.JWKS(), event, now, 12*time.Hour, 42*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got, err := verifier.ParseBundle(jws, ring, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.Event.ID != event.ID || got.Revocations.Seq != 4 || len(got.Revocations.Serials) != 1 || got.Door.CloneWindow() != 42*time.Second || b.Door.CloneWindow() != 42*time.Second {
		t.Errorf("bundle: event %s, seq %d, %d revoked, clone window %s", got.Event.ID, got.Revocations.Seq, len(got.Revocations.Serials), got.Door.CloneWindow())
	}
	if _, _, err := issue.Bundle(context.Background(), sg, log, ring.JWKS(), event, now, 12*time.Hour, 0); err == nil {
		t.Error("a zero clone window was accepted")
	}
}
