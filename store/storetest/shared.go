package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/laminate/laminate/store"
)

func testShared(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	const name = "keyring"
	secret := []byte("-----BEGIN AGE ENCRYPTED FILE----- SECRET-KEY-MATERIAL \x00\xff")
	second := []byte("SECRET-KEY-MATERIAL v2")
	tests := []struct {
		name        string
		put         []byte
		version     int64
		want        error
		wantVersion int64 // the version returned, then stored
		wantValue   []byte
	}{
		{"ok/create", secret, 0, nil, 1, secret},
		{"fail/create-again", []byte("other node's keys"), 0, store.ErrExists, 1, secret},
		{"ok/update", second, 1, nil, 2, second},
		{"fail/stale-version", []byte("lost update"), 1, store.ErrConflict, 2, second},
		{"fail/future-version", []byte("lost update"), 7, store.ErrConflict, 2, second},
		{"ok/update-again", []byte{}, 2, nil, 3, []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := s.Audit(ctx, 0)
			v, err := s.PutShared(ctx, name, tt.put, tt.version, "node-a")
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("PutShared(version %d) error = %v, want %v", tt.version, err, tt.want)
			}
			if err == nil && v != tt.wantVersion {
				t.Errorf("PutShared() = version %d, want %d", v, tt.wantVersion)
			}
			got, version, err := s.Shared(ctx, name)
			if err != nil || version != tt.wantVersion || string(got) != string(tt.wantValue) {
				t.Errorf("Shared() = %q, %d, %v; want %q, %d", got, version, err, tt.wantValue, tt.wantVersion)
			}
			after, _ := s.Audit(ctx, 0)
			wantRows := 1
			if tt.want != nil {
				wantRows = 0
			}
			if len(after) != len(before)+wantRows {
				t.Fatalf("PutShared() wrote %d audit rows, want %d", len(after)-len(before), wantRows)
			}
			if wantRows == 1 {
				a := after[0]
				if a.Action != store.ActionSharedPut || a.Subject != name || a.Actor != "node-a" {
					t.Errorf("Audit()[0] = %+v, want shared.put of %s by node-a", a, name)
				}
				if strings.Contains(a.Detail, "SECRET") || strings.Contains(a.Detail, "BEGIN") {
					t.Errorf("Audit()[0].Detail = %s holds the value", a.Detail)
				}
			}
		})
	}
	t.Run("fail/missing", func(t *testing.T) {
		if _, _, err := s.Shared(ctx, "artwork-secret"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Shared(missing) error = %v, want %v", err, store.ErrNotFound)
		}
		if _, err := s.PutShared(ctx, "artwork-secret", []byte("x"), 1, "node-a"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("PutShared(missing, version 1) error = %v, want %v", err, store.ErrConflict)
		}
	})
	t.Run("fail/negative-version", func(t *testing.T) {
		if _, err := s.PutShared(ctx, "artwork-secret", []byte("x"), -1, "node-a"); err == nil {
			t.Error("PutShared(version -1) succeeded")
		}
	})
	t.Run("ok/names-are-separate", func(t *testing.T) {
		if v, err := s.PutShared(ctx, "artwork-secret", []byte("art"), 0, "node-a"); err != nil || v != 1 {
			t.Fatalf("PutShared(other name) = %d, %v", v, err)
		}
		if got, v, err := s.Shared(ctx, name); err != nil || v != 3 || len(got) != 0 {
			t.Errorf("Shared(%s) = %q, %d, %v; want it untouched", name, got, v, err)
		}
	})
}

// testSharedConcurrent: of several nodes creating, then updating, one
// document at once, exactly one wins each round.
func testSharedConcurrent(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	const n = 10
	for _, round := range []struct {
		name    string
		version int64
		lose    error
	}{
		{"create", 0, store.ErrExists},
		{"update", 1, store.ErrConflict},
	} {
		t.Run("ok/"+round.name, func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					_, errs[i] = s.PutShared(ctx, "keyring", []byte{byte(i)}, round.version, "node")
				})
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, round.lose):
					t.Errorf("PutShared() error = %v, want nil or %v", err, round.lose)
				}
			}
			if wins != 1 {
				t.Errorf("%d of %d concurrent PutShared(version %d) won, want 1", wins, n, round.version)
			}
			if _, v, err := s.Shared(ctx, "keyring"); err != nil || v != round.version+1 {
				t.Errorf("Shared() version = %d, %v; want %d", v, err, round.version+1)
			}
		})
	}
}
