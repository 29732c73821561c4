package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// fakeHash stands for an argon2id hash: the store keeps it as text.
const fakeHash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$secret-hash-marker"

const userActor = "user:root (Root)"

func newUser(name, role string, events ...string) *staff.Account {
	return &staff.Account{Username: name, DisplayName: strings.ToUpper(name[:1]) + name[1:] + " Example", Role: role, Events: events, PasswordHash: fakeHash}
}

func testUsers(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	alice := newUser("alice", staff.RolePrinter, "ber-2027", "ams-2027", "ber-2027")
	if err := s.CreateUser(ctx, alice, userActor); err != nil {
		t.Fatal(err)
	}
	if alice.Created.IsZero() || !alice.Updated.Equal(alice.Created) {
		t.Errorf("CreateUser() set Created %v, Updated %v", alice.Created, alice.Updated)
	}
	if err := s.CreateUser(ctx, newUser("bob", staff.RoleAdmin), userActor); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		do   func() error
		want error
	}{
		{"fail/create-twice", func() error { return s.CreateUser(ctx, newUser("alice", staff.RoleAdmin), userActor) }, store.ErrExists},
		{"fail/bad-role", func() error { return s.CreateUser(ctx, newUser("carol", "root"), userActor) }, staff.ErrInvalid},
		{"fail/bad-username", func() error { return s.CreateUser(ctx, newUser("Carol", staff.RoleAdmin), userActor) }, staff.ErrInvalid},
		{"fail/unknown", func() error { _, err := s.User(ctx, "nosuch"); return err }, store.ErrNotFound},
		{"fail/update-unknown", func() error {
			_, err := s.UpdateUser(ctx, "nosuch", store.ActionUserDisable, userActor, func(a *staff.Account) (map[string]any, error) { return nil, nil })
			return err
		}, store.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
	got, err := s.User(ctx, "alice")
	if err != nil || got.DisplayName != "Alice Example" || got.Role != staff.RolePrinter || got.PasswordHash != fakeHash ||
		!slices.Equal(got.Events, []string{"ams-2027", "ber-2027"}) || got.Disabled || !got.Created.Equal(alice.Created) {
		t.Fatalf("User() = %+v, %v", got, err)
	}
	all, err := s.Users(ctx)
	if err != nil || len(all) != 2 || all[0].Username != "alice" || all[1].Username != "bob" || len(all[1].Events) != 0 || len(all[0].Events) != 2 {
		t.Fatalf("Users() = %+v, %v; want alice (2 events), bob (none)", all, err)
	}

	// A change that fails writes nothing: no row, no audit.
	before, _ := s.Audit(ctx, 0)
	boom := errors.New("boom")
	if _, err := s.UpdateUser(ctx, "alice", store.ActionUserUpdate, userActor, func(a *staff.Account) (map[string]any, error) {
		a.Role = staff.RoleAdmin
		return nil, boom
	}); !errors.Is(err, boom) {
		t.Fatalf("UpdateUser(failing change) = %v, want its error", err)
	}
	if _, err := s.UpdateUser(ctx, "alice", store.ActionUserUpdate, userActor, func(a *staff.Account) (map[string]any, error) {
		a.Role = "root"
		return nil, nil
	}); !errors.Is(err, staff.ErrInvalid) {
		t.Fatalf("UpdateUser(invalid result) = %v, want staff.ErrInvalid", err)
	}
	if after, _ := s.Audit(ctx, 0); len(after) != len(before) {
		t.Fatalf("a failed UpdateUser wrote %d audit rows", len(after)-len(before))
	}
	if got, _ := s.User(ctx, "alice"); got.Role != staff.RolePrinter {
		t.Fatalf("a failed UpdateUser changed the role to %s", got.Role)
	}

	// A change: every field round-trips, the audit row is the actor's.
	until := time.Date(2026, 12, 2, 18, 15, 0, 0, time.UTC)
	upd, err := s.UpdateUser(ctx, "alice", store.ActionUserSignInFailed, userActor, func(a *staff.Account) (map[string]any, error) {
		a.Failures, a.Lockouts, a.LockedUntil = 0, 1, until
		a.Events = []string{"par-2027"}
		a.DisplayName = "Alice B. Example"
		a.PasswordHash = fakeHash + "2"
		return map[string]any{"locked_until": until}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = s.User(ctx, "alice")
	if !got.LockedUntil.Equal(until) || got.Lockouts != 1 || !slices.Equal(got.Events, []string{"par-2027"}) || got.DisplayName != "Alice B. Example" ||
		got.PasswordHash != fakeHash+"2" || !got.Updated.Equal(upd.Updated) || !got.Updated.After(got.Created) {
		t.Fatalf("after UpdateUser: %+v", got)
	}
	rows, _ := s.Audit(ctx, 1)
	if len(rows) != 1 || rows[0].Action != store.ActionUserSignInFailed || rows[0].Actor != userActor || rows[0].Subject != "alice" {
		t.Fatalf("audit of UpdateUser = %+v", rows)
	}
	audit, _ := s.Audit(ctx, 0)
	for _, r := range audit {
		if strings.Contains(r.Detail, "secret-hash-marker") {
			t.Fatalf("the audit log holds a password hash: %+v", r)
		}
	}
	creates := 0
	for _, r := range audit {
		if r.Action == store.ActionUserCreate {
			creates++
		}
	}
	if creates != 2 {
		t.Errorf("%d user.create audit rows, want 2", creates)
	}
}

func testSessions(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	for _, u := range []string{"alice", "bob"} {
		if err := s.CreateUser(ctx, newUser(u, staff.RoleIssuer), userActor); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	var sessions []staff.Session
	for i, u := range []string{"alice", "alice", "alice", "bob"} {
		_, ss := staff.NewSession(u, at.Add(time.Duration(i)*time.Minute))
		ss.Address = "192.0.2.7"
		if err := s.CreateSession(ctx, &ss, "user:"+u+" (x)"); err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, ss)
	}
	_, orphan := staff.NewSession("nosuch", at)
	if err := s.CreateSession(ctx, &orphan, userActor); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateSession(unknown user) = %v, want ErrNotFound", err)
	}
	got, err := s.Session(ctx, sessions[1].Hash)
	if err != nil || got.Username != "alice" || !got.Created.Equal(sessions[1].Created) || !bytes.Equal(got.Hash, sessions[1].Hash) || got.Address != "192.0.2.7" {
		t.Fatalf("Session() = %+v, %v", got, err)
	}
	if _, err := s.Session(ctx, staff.HashToken("nosuch")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Session(unknown) = %v, want ErrNotFound", err)
	}
	seen := at.Add(time.Hour)
	if err := s.TouchSession(ctx, sessions[1].Hash, seen); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Session(ctx, sessions[1].Hash); !got.LastSeen.Equal(seen) {
		t.Errorf("after TouchSession LastSeen = %v, want %v", got.LastSeen, seen)
	}
	if err := s.DeleteSession(ctx, sessions[0].Hash, store.ActionUserSignOut, "user:alice (x)"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, sessions[0].Hash, store.ActionUserSignOut, "user:alice (x)"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteSession twice = %v, want ErrNotFound", err)
	}
	if err := s.TouchSession(ctx, sessions[0].Hash, seen); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchSession(deleted) = %v, want ErrNotFound", err)
	}
	// Everywhere but here: alice's session 2 goes, 1 stays, bob's stays.
	if n, err := s.DeleteSessions(ctx, "alice", sessions[1].Hash, "user:alice (x)"); err != nil || n != 1 {
		t.Fatalf("DeleteSessions(except one) = %d, %v, want 1", n, err)
	}
	if _, err := s.Session(ctx, sessions[2].Hash); !errors.Is(err, store.ErrNotFound) {
		t.Error("DeleteSessions left a session")
	}
	if _, err := s.Session(ctx, sessions[1].Hash); err != nil {
		t.Error("DeleteSessions deleted the session it was told to keep")
	}
	// Disabling an account ends its sessions in the same transaction.
	if _, err := s.UpdateUser(ctx, "alice", store.ActionUserDisable, userActor, func(a *staff.Account) (map[string]any, error) {
		a.Disabled = true
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, sessions[1].Hash); !errors.Is(err, store.ErrNotFound) {
		t.Error("a disabled account kept its session")
	}
	if _, err := s.Session(ctx, sessions[3].Hash); err != nil {
		t.Error("disabling alice ended bob's session")
	}
	if n, err := s.DeleteSessions(ctx, "bob", nil, userActor); err != nil || n != 1 {
		t.Fatalf("DeleteSessions(all) = %d, %v, want 1", n, err)
	}
	want := map[string]int{store.ActionUserSignIn: 4, store.ActionUserSignOut: 1, store.ActionUserSignOutAll: 2, store.ActionUserDisable: 1, store.ActionUserCreate: 2}
	rows, _ := s.Audit(ctx, 0)
	for _, r := range rows {
		want[r.Action]--
		for _, ss := range sessions {
			if strings.Contains(r.Detail, string(ss.Hash)) {
				t.Fatalf("the audit log holds a session hash: %+v", r)
			}
		}
	}
	for a, n := range want {
		if n != 0 {
			t.Errorf("audit rows of %s off by %d", a, -n)
		}
	}
}
