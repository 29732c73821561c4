package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// Review finding 2: wrong passwords from one address lock the username for
// that address only; the owner signs in from elsewhere.
func TestLockoutPerAddress(t *testing.T) {
	st, svc := open(t)
	ctx := context.Background()
	if err := svc.Create(ctx, &staff.Account{Username: "sam", DisplayName: "Sam Rivera", Role: staff.RoleIssuer}, pw, "cli:test"); err != nil {
		t.Fatal(err)
	}
	const attacker = "2001:db8:1:2::1"
	for i := range 5 {
		if _, _, err := svc.SignIn(ctx, "sam", "wrong", attacker, t0); err == nil {
			t.Fatalf("failure %d signed in", i)
		}
	}
	var locked *LockedError
	// The same /64 is locked, even with the right password.
	if _, _, err := svc.SignIn(ctx, "sam", pw, "2001:db8:1:2::99", t0); !errors.As(err, &locked) || !locked.Until.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("attacker's /64, right password: %v, want locked until 18:15", err)
	}
	// Another address signs in.
	if _, _, err := svc.SignIn(ctx, "sam", pw, "192.0.2.7", t0); err != nil {
		t.Fatalf("right password from another address: %v", err)
	}
	// Every failure is audited with its address.
	log, err := st.Audit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range log {
		if e.Action == store.ActionUserSignInFailed && strings.Contains(e.Detail, "2001:db8:1:2::") {
			n++
		}
	}
	if n != 6 {
		t.Errorf("audited %d sign-in failures with the address, want 6", n)
	}
	// The next lock from the attacker's address lasts twice as long.
	for range 5 {
		svc.SignIn(ctx, "sam", "wrong", attacker, t0.Add(15*time.Minute))
	}
	if _, _, err := svc.SignIn(ctx, "sam", pw, attacker, t0.Add(15*time.Minute)); !errors.As(err, &locked) || !locked.Until.Equal(t0.Add(45*time.Minute)) {
		t.Fatalf("second lock: %v, want until 18:45", err)
	}
	// An admin's enable lifts the account's locks on this node.
	if err := svc.SetDisabled(ctx, "sam", false, "cli:test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SignIn(ctx, "sam", pw, attacker, t0.Add(15*time.Minute)); err != nil {
		t.Fatalf("after enable: %v", err)
	}
}

// Unknown usernames lock the same way, so "locked" tells nothing.
func TestLockoutUnknownUsername(t *testing.T) {
	_, svc := open(t)
	ctx := context.Background()
	for range 5 {
		svc.SignIn(ctx, "nosuch", "wrong", "192.0.2.1", t0)
	}
	var locked *LockedError
	if _, _, err := svc.SignIn(ctx, "nosuch", "wrong", "192.0.2.1", t0); !errors.As(err, &locked) || !locked.Until.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("unknown username after 5 failures: %v, want locked", err)
	}
}

// The map of addresses is bounded.
func TestLockoutBounded(t *testing.T) {
	l := newLocks(staff.DefaultLockout, 100)
	for i := range 1000 {
		l.failed("sam", string(rune('a'+i%26))+time.Duration(i).String(), t0)
	}
	if n := l.len(); n > 100 {
		t.Fatalf("%d entries, want at most 100", n)
	}
}

// Review finding 4: with both hashing slots busy, a sign-in waits a
// bounded time, then is refused with ErrBusy rather than queueing.
func TestSignInBusy(t *testing.T) {
	_, svc := open(t)
	svc.wait = 20 * time.Millisecond
	svc.hashing <- struct{}{}
	svc.hashing <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, _, err := svc.SignIn(ctx, "sam", pw, "192.0.2.1", t0); !errors.Is(err, ErrBusy) {
		t.Fatalf("SignIn with both slots busy = %v, want ErrBusy", err)
	}
	<-svc.hashing
	if _, _, err := svc.SignIn(ctx, "sam", pw, "192.0.2.1", t0); !errors.Is(err, staff.ErrBadSignIn) {
		t.Fatalf("SignIn with a slot free = %v, want the plain refusal", err)
	}
}
