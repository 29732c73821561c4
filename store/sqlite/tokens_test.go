package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

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
