package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
)

var (
	cheap = staff.Params{Memory: 64, Time: 1, Threads: 1}
	t0    = time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
)

func open(t *testing.T) (*sqlite.Store, *Service) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/laminate.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := New(st, cheap, staff.DefaultLockout)
	if err != nil {
		t.Fatal(err)
	}
	return st, svc
}

const pw = "correct horse battery"

func TestCreate(t *testing.T) {
	st, svc := open(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		a    staff.Account
		pw   string
		want error
	}{
		{"ok", staff.Account{Username: "sam", DisplayName: "Sam Rivera", Role: staff.RoleAdmin}, pw, nil},
		{"fail/taken", staff.Account{Username: "sam", DisplayName: "Sam Again", Role: staff.RoleAdmin}, pw, store.ErrExists},
		{"fail/policy", staff.Account{Username: "kim", DisplayName: "Kim", Role: staff.RoleAdmin}, "short", staff.ErrPassword},
		{"fail/role", staff.Account{Username: "kim", DisplayName: "Kim", Role: "root"}, pw, staff.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := svc.Create(ctx, &tc.a, tc.pw, "cli:test"); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("Create() = %v, want %v", err, tc.want)
			}
		})
	}
	a, err := st.User(ctx, "sam")
	if err != nil || !strings.HasPrefix(a.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("stored %+v, %v", a, err)
	}
}

func TestSignIn(t *testing.T) {
	st, svc := open(t)
	ctx := context.Background()
	old := staff.Params{Memory: 32, Time: 1, Threads: 1}
	h, _ := staff.HashPassword(pw, old)
	if err := st.CreateUser(ctx, &staff.Account{Username: "sam", DisplayName: "Sam Rivera", Role: staff.RoleIssuer, PasswordHash: h}, "cli:test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SignIn(ctx, "nosuch", pw, "192.0.2.1", t0); !errors.Is(err, staff.ErrBadSignIn) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, _, err := svc.SignIn(ctx, "sam", "wrong", "192.0.2.1", t0); !errors.Is(err, staff.ErrBadSignIn) {
		t.Fatalf("wrong password: %v", err)
	}
	tok, a, err := svc.SignIn(ctx, "sam", pw, "192.0.2.1", t0)
	if err != nil || !staff.WellFormedToken(tok) || a.Failures != 0 {
		t.Fatalf("SignIn() = %q, %+v, %v", tok, a, err)
	}
	// The hash made with older parameters was upgraded.
	if a, _ := st.User(ctx, "sam"); staff.NeedsRehash(a.PasswordHash, cheap) {
		t.Errorf("hash %s not upgraded to %+v", a.PasswordHash, cheap)
	}
	if ss, err := st.Session(ctx, staff.HashToken(tok)); err != nil || ss.Address != "192.0.2.1" {
		t.Fatalf("session %+v, %v", ss, err)
	}
	// Disabled: said only to one who knows the password.
	if err := svc.SetDisabled(ctx, "sam", true, "cli:test"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Session(ctx, staff.HashToken(tok)); !errors.Is(err, store.ErrNotFound) {
		t.Error("disabling left the session")
	}
	if _, _, err := svc.SignIn(ctx, "sam", "wrong", "192.0.2.1", t0); !errors.Is(err, staff.ErrBadSignIn) {
		t.Fatalf("disabled, wrong password: %v, want the plain refusal", err)
	}
	if _, _, err := svc.SignIn(ctx, "sam", pw, "192.0.2.1", t0); !errors.Is(err, staff.ErrDisabled) {
		t.Fatalf("disabled, right password: %v", err)
	}
	if err := svc.SetDisabled(ctx, "sam", false, "cli:test"); err != nil {
		t.Fatal(err)
	}
	// Locked by the fifth failure; the lock holds against the right password.
	for range 5 {
		svc.SignIn(ctx, "sam", "wrong", "192.0.2.1", t0)
	}
	var locked *LockedError
	if _, _, err := svc.SignIn(ctx, "sam", pw, "192.0.2.1", t0); !errors.As(err, &locked) || !errors.Is(err, staff.ErrLocked) || !locked.Until.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("after 5 failures: %v, want locked until 18:15", err)
	}
	// A new password lifts it and ends every session.
	tok2, _, _ := svc.SignIn(ctx, "sam", pw, "192.0.2.1", t0.Add(15*time.Minute))
	if err := svc.SetPassword(ctx, "sam", "a new long password", "reset by an admin", "user:admin (Admin)", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Session(ctx, staff.HashToken(tok2)); !errors.Is(err, store.ErrNotFound) {
		t.Error("a password reset left a session")
	}
	if err := svc.SetPassword(ctx, "sam", "sam", "x", "cli:test", nil); !errors.Is(err, staff.ErrPassword) {
		t.Errorf("SetPassword(short) = %v", err)
	}
	rows, _ := st.Audit(ctx, 0)
	for _, r := range rows {
		if strings.Contains(r.Detail, "argon2") || strings.Contains(r.Detail, pw) {
			t.Fatalf("a secret in the audit log: %+v", r)
		}
	}
	if Actor(&staff.Account{Username: "sam", DisplayName: "Sam Rivera"}) != "user:sam (Sam Rivera)" {
		t.Error("Actor")
	}
}
