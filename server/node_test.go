package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/signer"
)

// fakeNode stands for the node the server runs on: its refresh brings in a
// key change (a rotation on another node, say) and fails as told.
type fakeNode struct {
	refresh   func() error
	refreshes int
	signers   int
	sg        *signer.Signer
}

func (n *fakeNode) RefreshKeys(context.Context) error { n.refreshes++; return n.refresh() }
func (n *fakeNode) Signer() (*signer.Signer, error) {
	n.signers++
	return n.sg, nil
}

// TestReloadKeysThroughNode: the server refreshes the keyring through its
// Config.Node before reloading it, and takes the node's signer when the
// active key changed, even when the refresh failed.
func TestReloadKeysThroughNode(t *testing.T) {
	tests := []struct {
		name        string
		rotate      bool
		refreshErr  error
		wantSigners int
	}{
		{"no change keeps the signer", false, nil, 0},
		{"a new active key gets the node's signer", true, nil, 1},
		{"a failed refresh still reloads", true, errors.New("store down"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 0)
			old := f.s.signer.Load()
			n := &fakeNode{sg: signer.New(nil, "new", "lam")}
			n.refresh = func() error {
				if tt.rotate {
					if _, err := f.s.cfg.Keys.Rotate(keys.EdDSA, nil, f.now.Add(time.Hour)); err != nil {
						t.Fatal(err)
					}
				}
				return tt.refreshErr
			}
			f.s.cfg.Node = n
			f.s.reloadKeys(context.Background())
			if n.refreshes != 1 || n.signers != tt.wantSigners {
				t.Errorf("RefreshKeys called %d times, Signer %d; want 1 and %d", n.refreshes, n.signers, tt.wantSigners)
			}
			want := old
			if tt.wantSigners > 0 {
				want = n.sg
			}
			if got := f.s.signer.Load(); got != want {
				t.Errorf("signer after reload is %p, want %p", got, want)
			}
		})
	}
}
