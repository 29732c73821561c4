package sqlite

import (
	"context"
	"errors"
	"testing"

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
