package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	tok := &store.APIToken{ID: "abc12345", Name: "north gate", Role: "scanner", Hash: []byte("0123456789abcdef0123456789abcdef")}
	if err := s.CreateAPIToken(ctx, tok, "cli:test"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAPIToken(ctx, tok, "cli:test"); !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateAPIToken(twice) = %v, want ErrExists", err)
	}
	got, err := s.APIToken(ctx, "abc12345")
	if err != nil || got.Name != "north gate" || got.Role != "scanner" || string(got.Hash) != string(tok.Hash) || !got.Revoked.IsZero() {
		t.Fatalf("APIToken() = %+v, %v", got, err)
	}
	if _, err := s.APIToken(ctx, "nosuch"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("APIToken(nosuch) = %v, want ErrNotFound", err)
	}
	if err := s.RevokeAPIToken(ctx, "abc12345", "cli:test"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIToken(ctx, "abc12345", "cli:test"); !errors.Is(err, store.ErrAlreadyRevoked) {
		t.Fatalf("RevokeAPIToken(twice) = %v", err)
	}
	if err := s.RevokeAPIToken(ctx, "nosuch", "cli:test"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RevokeAPIToken(nosuch) = %v", err)
	}
	list, err := s.APITokens(ctx)
	if err != nil || len(list) != 1 || list[0].Revoked.IsZero() {
		t.Fatalf("APITokens() = %+v, %v", list, err)
	}
	if err := s.Record(ctx, store.AuditEntry{Actor: "cli:test", Action: store.ActionKeyRotate, Subject: "kid123", Detail: `{"alg":"EdDSA"}`}); err != nil {
		t.Fatal(err)
	}
	audit, _ := s.Audit(ctx, 0)
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if len(audit) != 3 || audit[0].Action != store.ActionKeyRotate {
		t.Fatalf("audit actions = %v, want key.rotate, token.revoke, token.create", actions)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestIssuedSince(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	ev := testEvent(t, "e1", time.Date(2027, 3, 5, 20, 0, 0, 0, cet))
	mustCreate(t, s, ev)
	first := newPasses(t, "e1", 3, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	if err := s.InsertPasses(ctx, first, "test"); err != nil {
		t.Fatal(err)
	}
	refs, pos, err := s.IssuedSince(ctx, 0)
	if err != nil || len(refs) != 3 || pos == 0 {
		t.Fatalf("IssuedSince(0) = %d refs, %d, %v", len(refs), pos, err)
	}
	if refs[0].Serial != first[0].Serial || !refs[0].IssuedAt.Equal(first[0].IssuedAt) {
		t.Fatalf("IssuedSince(0)[0] = %+v, want %s at %s", refs[0], first[0].Serial, first[0].IssuedAt)
	}
	if err := s.InsertPasses(ctx, newPasses(t, "e1", 2, time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)), "test"); err != nil {
		t.Fatal(err)
	}
	more, pos2, err := s.IssuedSince(ctx, pos)
	if err != nil || len(more) != 2 || pos2 <= pos {
		t.Fatalf("IssuedSince(%d) = %d refs, %d, %v; want the 2 new ones", pos, len(more), pos2, err)
	}
	none, pos3, err := s.IssuedSince(ctx, pos2)
	if err != nil || len(none) != 0 || pos3 != pos2 {
		t.Fatalf("IssuedSince(up to date) = %d refs, %d, %v", len(none), pos3, err)
	}
}

func TestRevokeWhere(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	ev := testEvent(t, "e1", time.Date(2027, 3, 5, 20, 0, 0, 0, cet))
	other := testEvent(t, "e2", time.Date(2027, 3, 6, 20, 0, 0, 0, cet))
	mustCreate(t, s, ev, other)
	early := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	late := time.Date(2027, 3, 1, 19, 0, 0, 0, time.UTC)
	ps := newPasses(t, "e1", 6, early)
	for i := range ps {
		switch i {
		case 0, 1, 2:
			ps[i].Type, ps[i].Role = pass.Staff, "catering"
		case 3:
			ps[i].Type, ps[i].Role, ps[i].IssuedAt = pass.Staff, "catering", late
		case 4:
			ps[i].Org = "Support Act"
		}
	}
	ps = append(ps, newPasses(t, "e2", 1, early)...)
	ps[6].Type, ps[6].Role = pass.Staff, "catering"
	if err := s.InsertPasses(ctx, ps, "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[0].Serial, Reason: "lost", By: "test"}); err != nil {
		t.Fatal(err)
	}
	cutoff := time.Date(2027, 3, 1, 18, 0, 0, 0, time.UTC)
	got, err := s.RevokeWhere(ctx, store.RevokeFilter{Event: "e1", Type: pass.Staff, Role: "catering", IssuedBefore: cutoff}, "caterer change", "admin")
	if err != nil || len(got) != 2 { // ps[1], ps[2]: ps[0] already revoked, ps[3] issued after 18:00, ps[6] other event
		t.Fatalf("RevokeWhere(catering before 18:00) = %d, %v; want 2", len(got), err)
	}
	got, err = s.RevokeWhere(ctx, store.RevokeFilter{Event: "e1", Org: "Support Act"}, "support act gone", "admin")
	if err != nil || len(got) != 1 || got[0].Serial != ps[4].Serial {
		t.Fatalf("RevokeWhere(org) = %+v, %v", got, err)
	}
	if got, err := s.RevokeWhere(ctx, store.RevokeFilter{Event: "e1", Org: "Support Act"}, "again", "admin"); err != nil || len(got) != 0 {
		t.Fatalf("RevokeWhere(again) = %d, %v; want 0", len(got), err)
	}
	if _, err := s.RevokeWhere(ctx, store.RevokeFilter{}, "x", "admin"); err == nil {
		t.Fatal("RevokeWhere without an event succeeded")
	}
	all, _ := s.RevocationsSince(ctx, 0)
	if len(all) != 4 {
		t.Fatalf("%d revocations, want 4", len(all))
	}
}
