package node

import (
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/store"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// pp is the keyring passphrase of every node of a test: only encrypted
// private keys travel through the store.
var pp = []byte("correct-horse")

func passphrase() ([]byte, error) { return pp, nil }

// forEachStore runs f on a new, empty shared store of each kind: a SQLite
// file, and a fresh schema of the PostgreSQL server named by
// LAMINATE_TEST_POSTGRES (skipped without it, unless LAMINATE_CI is set).
func forEachStore(t *testing.T, f func(t *testing.T, storeURL string)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, "sqlite:"+filepath.Join(t.TempDir(), "shared.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, pgSchema(t))
	})
}

func pgSchema(t *testing.T) string {
	base := os.Getenv("LAMINATE_TEST_POSTGRES")
	if base == "" {
		const msg = "LAMINATE_TEST_POSTGRES is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)"
		if os.Getenv("LAMINATE_CI") != "" {
			t.Fatal(msg + ", and LAMINATE_CI is: CI must test the PostgreSQL store")
		}
		t.Skip(msg + ": skipping the PostgreSQL variant")
	}
	schema := "lam_node_" + rand.Text()[:10]
	schema = strings.ToLower(schema)
	exec := func(q string) {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connecting to the test server: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("LAMINATE_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// newNode is a node over a new data folder (not yet made) and storeURL.
func newNode(t *testing.T, storeURL string) *Node {
	t.Helper()
	n := New(Options{Dir: filepath.Join(t.TempDir(), "data"), Store: storeURL, Passphrase: passphrase, Actor: "test"})
	t.Cleanup(func() { n.Close() })
	return n
}

// started is a node that made a new deployment in storeURL, opened.
func started(t *testing.T, storeURL string) *Node {
	t.Helper()
	n := newNode(t, storeURL)
	res, err := n.Init(context.Background(), keys.EdDSA, "tst", pp, t0)
	if err != nil || res != Created {
		t.Fatalf("Init = %v, %v; want Created", res, err)
	}
	mustOpen(t, n)
	return n
}

func mustOpen(t *testing.T, n *Node) {
	t.Helper()
	if err := n.Open(context.Background()); err != nil {
		t.Fatalf("Open: %v", err)
	}
}

func kids(n *Node) []string {
	var out []string
	for _, k := range n.Keys().Keys() {
		if k.Retired.IsZero() {
			out = append(out, k.KID)
		}
	}
	slices.Sort(out)
	return out
}

func rotate(t *testing.T, n *Node) string {
	t.Helper()
	k, err := n.Keys().Rotate(keys.EdDSA, pp, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return k.KID
}

func noFolder(t *testing.T, n *Node) {
	t.Helper()
	if _, err := os.Stat(n.o.Dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the data folder was left behind (stat: %v)", err)
	}
}

// TestJoin covers trust on first use: a node with no data folder makes one
// from the keys and settings the store shares, and from nothing else.
func TestJoin(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, storeURL string)
	}{
		{"open with no shared keys makes nothing", func(t *testing.T, storeURL string) {
			b := newNode(t, storeURL)
			err := b.Open(ctx)
			var ne *Error
			if !errors.As(err, &ne) || !strings.Contains(ne.Hint, "laminate init") || !strings.Contains(err.Error(), "holds no keys yet") {
				t.Fatalf("Open = %v; want an *Error saying the store holds no keys, with a hint", err)
			}
			noFolder(t, b)
		}},
		{"open joins by the store URL alone", func(t *testing.T, storeURL string) {
			a := started(t, storeURL)
			b := newNode(t, storeURL)
			mustOpen(t, b)
			if got, want := kids(b), kids(a); !slices.Equal(got, want) {
				t.Errorf("joined keys %v, want %v", got, want)
			}
			if b.Keys().Active().KID != a.Keys().Active().KID {
				t.Errorf("joined active key %s, want %s", b.Keys().Active().KID, a.Keys().Active().KID)
			}
			if b.Config() != a.Config() {
				t.Errorf("joined settings %+v, want %+v", b.Config(), a.Config())
			}
			if _, err := b.Signer(); err != nil {
				t.Errorf("the joined node cannot sign: %v", err)
			}
		}},
		{"init joins rather than making a deployment", func(t *testing.T, storeURL string) {
			a := started(t, storeURL)
			b := newNode(t, storeURL)
			res, err := b.Init(ctx, keys.ES256, "other", pp, t0)
			if err != nil || res != Joined {
				t.Fatalf("Init = %v, %v; want Joined", res, err)
			}
			mustOpen(t, b)
			if b.Config().Issuer != "tst" || b.Keys().Active().KID != a.Keys().Active().KID {
				t.Errorf("joined issuer %q key %s, want the store's tst %s", b.Config().Issuer, b.Keys().Active().KID, a.Keys().Active().KID)
			}
		}},
		{"a damaged share is refused and makes nothing", func(t *testing.T, storeURL string) {
			st, err := OpenStore(ctx, storeURL)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.PutShared(ctx, SharedKeys, []byte("not a sealed keyring"), 0, "test"); err != nil {
				t.Fatal(err)
			}
			b := newNode(t, storeURL)
			if err := b.Open(ctx); err == nil || !strings.Contains(err.Error(), "the store's shared keyring") {
				t.Fatalf("Open = %v; want the shared keyring refused", err)
			}
			noFolder(t, b)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStore(t, tt.run)
		})
	}
}

// racingStore runs before once, just before the first PutShared reaches
// the store: another node's write lands between this node's read and its
// compare-and-swap.
type racingStore struct {
	store.Store
	before func()
	puts   int
}

func (r *racingStore) PutShared(ctx context.Context, name string, value []byte, version int64, actor string) (int64, error) {
	r.puts++
	if r.before != nil {
		f := r.before
		r.before = nil
		f()
	}
	return r.Store.PutShared(ctx, name, value, version, actor)
}

// TestSyncKeys covers the keyring merge: every node ends up with every
// node's key changes, through the store, and takes only what a key it
// trusts signed.
func TestSyncKeys(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, storeURL string)
	}{
		{"a rotation reaches the other node", func(t *testing.T, storeURL string) {
			a := started(t, storeURL)
			b := newNode(t, storeURL)
			mustOpen(t, b)
			kid := rotate(t, a)
			if err := a.KeysChanged(ctx); err != nil {
				t.Fatal(err)
			}
			if err := b.RefreshKeys(ctx); err != nil {
				t.Fatal(err)
			}
			if got := b.Keys().Active().KID; got != kid {
				t.Errorf("active key on the other node %s, want %s", got, kid)
			}
		}},
		{"a retirement reaches the other node", func(t *testing.T, storeURL string) {
			a := started(t, storeURL)
			b := newNode(t, storeURL)
			mustOpen(t, b)
			old := a.Keys().Active().KID
			// The store's copy must be sealed by a key that stays: a
			// rotation is sealed by the key the others trust (old), so b
			// rotates once more and its share is sealed by a's new key.
			rotate(t, a)
			if err := a.KeysChanged(ctx); err != nil {
				t.Fatal(err)
			}
			if err := b.RefreshKeys(ctx); err != nil {
				t.Fatal(err)
			}
			rotate(t, b)
			if err := b.KeysChanged(ctx); err != nil {
				t.Fatal(err)
			}
			if err := a.RefreshKeys(ctx); err != nil {
				t.Fatal(err)
			}
			if err := a.Keys().Retire(old, t0.Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := a.KeysChanged(ctx); err != nil {
				t.Fatal(err)
			}
			if err := b.RefreshKeys(ctx); err != nil {
				t.Fatal(err)
			}
			if _, ok := b.Keys().VerifyKey(old); ok {
				t.Errorf("key %s still verifies on the other node after its retirement", old)
			}
		}},
		{"two nodes rotate: the merge keeps both", func(t *testing.T, storeURL string) {
			a := started(t, storeURL)
			b := newNode(t, storeURL)
			mustOpen(t, b)
			ka, kb := rotate(t, a), rotate(t, b)
			for _, n := range []*Node{a, b, a} {
				if err := n.RefreshKeys(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for name, n := range map[string]*Node{"a": a, "b": b} {
				if got := kids(n); !slices.Contains(got, ka) || !slices.Contains(got, kb) {
					t.Errorf("node %s has keys %v, want both %s and %s", name, got, ka, kb)
				}
			}
			if !slices.Equal(kids(a), kids(b)) {
				t.Errorf("the nodes disagree: %v and %v", kids(a), kids(b))
			}
		}},
		{"a lost compare-and-swap merges again", func(t *testing.T, storeURL string) {
			a := started(t, storeURL)
			b := newNode(t, storeURL)
			mustOpen(t, b)
			var ka string
			race := &racingStore{Store: b.st, before: func() {
				ka = rotate(t, a)
				if err := a.KeysChanged(ctx); err != nil {
					t.Error(err)
				}
			}}
			b.st = race
			kb := rotate(t, b)
			if err := b.KeysChanged(ctx); err != nil {
				t.Fatal(err)
			}
			if race.puts != 2 {
				t.Errorf("PutShared called %d times, want 2 (a conflict, then the merged keyring)", race.puts)
			}
			c := newNode(t, storeURL)
			mustOpen(t, c)
			if got := kids(c); !slices.Contains(got, ka) || !slices.Contains(got, kb) {
				t.Errorf("the store shares keys %v, want both %s and %s", got, ka, kb)
			}
		}},
		{"a share no trusted key signed is refused", func(t *testing.T, storeURL string) {
			a := started(t, storeURL)
			other := started(t, "sqlite:"+filepath.Join(t.TempDir(), "other.db"))
			foreign, _, err := other.Store().Shared(ctx, SharedKeys)
			if err != nil {
				t.Fatal(err)
			}
			_, ver, err := a.Store().Shared(ctx, SharedKeys)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Store().PutShared(ctx, SharedKeys, foreign, ver, "intruder"); err != nil {
				t.Fatal(err)
			}
			before := kids(a)
			err = a.RefreshKeys(ctx)
			var ne *Error
			if !errors.Is(err, keys.ErrUntrustedShare) || !errors.As(err, &ne) || ne.Hint == "" {
				t.Fatalf("RefreshKeys = %v; want keys.ErrUntrustedShare with a hint", err)
			}
			if got := kids(a); !slices.Equal(got, before) {
				t.Errorf("keys changed to %v after a refused share, want %v", got, before)
			}
		}},
		{"a folder with a store of its own shares nothing", func(t *testing.T, _ string) {
			n := New(Options{Dir: filepath.Join(t.TempDir(), "data"), Actor: "test"})
			t.Cleanup(func() { n.Close() })
			if res, err := n.Init(ctx, keys.EdDSA, "tst", nil, t0); err != nil || res != Created {
				t.Fatalf("Init = %v, %v", res, err)
			}
			mustOpen(t, n)
			if _, _, err := n.Store().Shared(ctx, SharedKeys); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Shared = %v; want store.ErrNotFound", err)
			}
			rotate(t, n)
			if err := n.KeysChanged(ctx); err != nil {
				t.Fatal(err)
			}
			if err := n.RefreshKeys(ctx); err != nil {
				t.Fatal(err)
			}
			if _, _, err := n.Store().Shared(ctx, SharedKeys); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("after a rotation, Shared = %v; want store.ErrNotFound", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStore(t, tt.run)
		})
	}
}

// rotateRetire rotates n's keyring and retires the key that was active,
// sharing each change as "laminate keys rotate" and "keys retire" do. It
// returns the old and the new key.
func rotateRetire(t *testing.T, n *Node) (old, kid string) {
	t.Helper()
	ctx := context.Background()
	old = n.Keys().Active().KID
	kid = rotate(t, n)
	if err := n.KeysChanged(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Keys().Retire(old, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := n.KeysChanged(ctx); err != nil {
		t.Fatalf("sharing the retirement: %v", err)
	}
	return old, kid
}

// TestRetireTheSealingKey is the plain "rotate, then retire the old key"
// on a shared store. It was a bug (on main before package node too): the
// store's copy was still sealed by the old key, which this folder no longer
// trusts once retired, so the folder refused its own store from then on
// (every command failed with ErrUntrustedShare).
func TestRetireTheSealingKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeURL string) {
		a := started(t, storeURL)
		rotateRetire(t, a)
		if err := a.RefreshKeys(context.Background()); err != nil {
			t.Fatalf("the folder no longer opens its store: %v", err)
		}
	})
}

// TestRetireReachesANodeThatMissedTheRotation: node b joined before the
// rotation and did not refresh before the old key was retired (a folder
// used now and then, or a server between two refreshes). It still opens the
// store, through the introduction of the new key that the old key signed
// while it was trusted, and learns of both changes.
func TestRetireReachesANodeThatMissedTheRotation(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeURL string) {
		a := started(t, storeURL)
		b := newNode(t, storeURL)
		mustOpen(t, b)
		old, kid := rotateRetire(t, a)
		if err := b.RefreshKeys(context.Background()); err != nil {
			t.Fatalf("the node that missed the rotation no longer opens the store: %v", err)
		}
		if got := b.Keys().Active().KID; got != kid {
			t.Errorf("active key on the other node %s, want %s", got, kid)
		}
		if _, ok := b.Keys().VerifyKey(old); ok {
			t.Errorf("key %s still verifies on the other node after its retirement", old)
		}
		c := newNode(t, storeURL)
		mustOpen(t, c)
		if got, want := kids(c), kids(a); !slices.Equal(got, want) {
			t.Errorf("a node joining now gets keys %v, want %v", got, want)
		}
	})
}

// TestResealOldStyleShare: a store sealed the way Laminate did before keys
// were introduced (a rotation sealed by the old key, the new one not
// introduced) is sealed again by the active key at the next refresh of a
// node that can sign, so that the old key can then be retired.
func TestResealOldStyleShare(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeURL string) {
		ctx := context.Background()
		a := started(t, storeURL)
		b := newNode(t, storeURL)
		mustOpen(t, b)
		old := a.Keys().Active().KID
		kid := rotate(t, a)
		sh, err := a.exportShare(a.Config())
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := a.seal(a.Keys(), sh, old)
		if err != nil {
			t.Fatal(err)
		}
		_, ver, err := a.Store().Shared(ctx, SharedKeys)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Store().PutShared(ctx, SharedKeys, sealed, ver, "old laminate"); err != nil {
			t.Fatal(err)
		}
		if err := b.RefreshKeys(ctx); err != nil {
			t.Fatal(err)
		}
		raw, _, err := a.Store().Shared(ctx, SharedKeys)
		if err != nil {
			t.Fatal(err)
		}
		if got := sealedBy(t, raw); got != kid {
			t.Errorf("the store is sealed by %s after a refresh, want the active key %s", got, kid)
		}
		if err := a.Keys().Retire(old, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := a.KeysChanged(ctx); err != nil {
			t.Fatalf("sharing the retirement: %v", err)
		}
	})
}

// sealedBy is the kid in the header of a sealed share.
func sealedBy(t *testing.T, sealed []byte) string {
	t.Helper()
	obj, err := jose.ParseSignedCompact(string(sealed), []jose.SignatureAlgorithm{keys.EdDSA, keys.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return obj.Signatures[0].Header.KeyID
}

// TestMain makes key encryption cheap here: these tests make and open
// many encrypted keyrings, each 600,000 PBKDF2 iterations otherwise.
func TestMain(m *testing.M) {
	keys.CheapEncryptionForTests()
	os.Exit(m.Run())
}
