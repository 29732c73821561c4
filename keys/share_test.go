package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func mustExport(t *testing.T, dir string) *Share {
	t.Helper()
	s, err := Export(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestShareJoin: a node with an empty folder joins from the share, verifies
// with the same keys, draws the same artwork, and signs only with the
// passphrase of an encrypted key.
func TestShareJoin(t *testing.T) {
	pp := []byte("correct horse")
	a := t.TempDir()
	if _, err := Init(a, EdDSA, pp, t0); err != nil {
		t.Fatal(err)
	}
	sh := mustExport(t, a)
	enc, err := sh.Encode()
	if err != nil {
		t.Fatal(err)
	}
	sh2, err := DecodeShare(enc)
	if err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(t.TempDir(), "node-b")
	if err := Import(b, sh2); err != nil {
		t.Fatal(err)
	}
	kb, err := Open(b)
	if err != nil {
		t.Fatal(err)
	}
	ka, _ := Open(a)
	if kb.Active().KID != ka.Active().KID {
		t.Errorf("active %s, want %s", kb.Active().KID, ka.Active().KID)
	}
	if _, _, err := kb.Signer(pp); err != nil {
		t.Errorf("joined node with the passphrase cannot sign: %v", err)
	}
	if _, _, err := kb.Signer(nil); !errors.Is(err, ErrPassphraseRequired) {
		t.Errorf("joined node without passphrase: %v, want ErrPassphraseRequired", err)
	}
	artA, _ := ArtworkSecret(a, t0)
	artB, _ := ArtworkSecret(b, t0)
	if string(artA) != string(artB) {
		t.Error("artwork secrets differ after join")
	}
	// Importing the same share again changes nothing.
	before := snapshot(t, b)
	if err := Import(b, sh2); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, snapshot(t, b))
}

// TestShareClearKeyStaysHome: a private key in the clear is never shared.
func TestShareClearKeyStaysHome(t *testing.T) {
	a := t.TempDir()
	if _, err := Init(a, EdDSA, nil, t0); err != nil {
		t.Fatal(err)
	}
	sh := mustExport(t, a)
	if len(sh.Keys) != 0 {
		t.Fatalf("share holds %d key files of a keyring in the clear", len(sh.Keys))
	}
	b := t.TempDir()
	if err := Import(b, sh); err != nil {
		t.Fatal(err)
	}
	kb, _ := Open(b)
	if _, _, err := kb.Signer(nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("joined node signs with a key it never received: %v", err)
	}
}

// TestShareMerge: rotation on one node and retirement on another converge
// to one keyring whatever the order of merging.
func TestShareMerge(t *testing.T) {
	pp := []byte("pp")
	a := t.TempDir()
	ka, err := Init(a, EdDSA, pp, t0)
	if err != nil {
		t.Fatal(err)
	}
	first := ka.Active().KID
	if _, err := ka.Rotate(EdDSA, pp, t0.Add(1)); err != nil {
		t.Fatal(err)
	}
	b := t.TempDir()
	if err := Import(b, mustExport(t, a)); err != nil {
		t.Fatal(err)
	}
	kb, _ := Open(b)
	// Node A rotates again; node B retires the first key.
	newest, err := ka.Rotate(ES256, pp, t0.Add(2e9))
	if err != nil {
		t.Fatal(err)
	}
	if err := kb.Retire(first, t0.Add(3e9)); err != nil {
		t.Fatal(err)
	}
	sa, sb := mustExport(t, a), mustExport(t, b)
	ab, err := Merge(sa, sb)
	if err != nil {
		t.Fatal(err)
	}
	ba, err := Merge(sb, sa)
	if err != nil {
		t.Fatal(err)
	}
	if !ab.Equal(ba) {
		t.Fatal("Merge is not symmetric")
	}
	for _, dir := range []string{a, b} {
		if err := Import(dir, ab); err != nil {
			t.Fatal(err)
		}
		k, _ := Open(dir)
		if k.Active().KID != newest.KID {
			t.Errorf("%s: active %s, want the newest key %s", dir, k.Active().KID, newest.KID)
		}
		if _, ok := k.VerifyKey(first); ok {
			t.Errorf("%s: retired key %s still verifies", dir, first)
		}
		if _, _, err := k.Signer(pp); err != nil {
			t.Errorf("%s: cannot sign after merge: %v", dir, err)
		}
	}
}

// TestShareForeign: keyrings of two deployments are never mixed.
func TestShareForeign(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if _, err := Init(d, EdDSA, []byte("pp"), t0); err != nil {
			t.Fatal(err)
		}
	}
	sa, sb := mustExport(t, a), mustExport(t, b)
	if _, err := Merge(sa, sb); !errors.Is(err, ErrForeign) {
		t.Errorf("Merge of two deployments: %v, want ErrForeign", err)
	}
	before := snapshot(t, b)
	if err := Import(b, sa); !errors.Is(err, ErrForeign) {
		t.Errorf("Import into another deployment's folder: %v, want ErrForeign", err)
	}
	sameFiles(t, before, snapshot(t, b))
}

// TestShareTampered: a damaged share is refused before anything is written.
func TestShareTampered(t *testing.T) {
	a := t.TempDir()
	if _, err := Init(a, EdDSA, []byte("pp"), t0); err != nil {
		t.Fatal(err)
	}
	sh := mustExport(t, a)
	for name, change := range map[string]func(s *Share){
		"artwork short": func(s *Share) { s.Artwork = s.Artwork[:10] },
		"ring garbage":  func(s *Share) { s.Ring = []byte(`{"version":1}`) },
		"stray file":    func(s *Share) { s.Keys["../../evil"] = []byte("x") },
		"clear key file": func(s *Share) {
			for n := range s.Keys {
				s.Keys[n] = []byte("laminate-key v1\n")
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := *sh
			c.Keys = map[string][]byte{}
			for k, v := range sh.Keys {
				c.Keys[k] = v
			}
			change(&c)
			dir := filepath.Join(t.TempDir(), "n")
			if err := Import(dir, &c); err == nil {
				t.Fatal("tampered share imported")
			}
			if _, err := os.Stat(filepath.Join(dir, "keys", "keyring.json")); err == nil {
				t.Error("keyring.json written from a tampered share")
			}
			enc, _ := c.Encode()
			if _, err := DecodeShare(enc); err == nil {
				t.Error("DecodeShare accepted a tampered share")
			}
		})
	}
}

// TestShareSealed: a sealed share opens only with a key the reader trusts,
// so whoever can write the store cannot add a signing key of their own.
func TestShareSealed(t *testing.T) {
	pp := []byte("pp")
	a := t.TempDir()
	ka, err := Init(a, EdDSA, pp, t0)
	if err != nil {
		t.Fatal(err)
	}
	js, _, err := ka.SignerFor(ka.Active().KID, pp)
	if err != nil {
		t.Fatal(err)
	}
	sh := mustExport(t, a)
	sealed, err := sh.Seal(js)
	if err != nil {
		t.Fatal(err)
	}
	// A node that trusts a's keys opens it; a joining node (trust nil)
	// opens it with the share's own key.
	for name, trust := range map[string]Trusted{"trusted": ka, "join": nil} {
		got, by, err := OpenShare(sealed, trust)
		if err != nil || !got.Equal(sh) || by.KID != ka.Active().KID {
			t.Errorf("%s: OpenShare = %v, %s, %v", name, got != nil, by.KID, err)
		}
	}

	// The attacker adds a key of their own, dated far ahead so it would win
	// the merge, and signs with it.
	evil := t.TempDir()
	ke, err := Init(evil, EdDSA, nil, t0.AddDate(70, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(sh, mustExport(t, evil)); err == nil {
		t.Fatal("Merge mixed two deployments")
	}
	forged := mustExport(t, evil)
	forged.Artwork = sh.Artwork
	jse, _, err := ke.SignerFor(ke.Active().KID, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := forged.Seal(jse)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenShare(bad, ka); !errors.Is(err, ErrUntrustedShare) {
		t.Errorf("share signed by an unknown key: %v, want ErrUntrustedShare", err)
	}
	// A byte changed in a sealed share breaks the signature.
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)/2] ^= 1
	if _, _, err := OpenShare(tampered, ka); err == nil {
		t.Error("tampered share opened")
	}
	// A share signed by a key the reader has retired is not trusted.
	if _, err := ka.Rotate(EdDSA, pp, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ka.Retire(js2kid(t, sealed), t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenShare(sealed, ka); !errors.Is(err, ErrUntrustedShare) {
		t.Errorf("share signed by a retired key: %v, want ErrUntrustedShare", err)
	}
}

// js2kid returns the kid in a sealed share's header.
func js2kid(t *testing.T, sealed []byte) string {
	t.Helper()
	jws, err := jose.ParseSignedCompact(string(sealed), []jose.SignatureAlgorithm{EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header.KeyID
}

// TestShareTyped (issue 11, security 5): a sealed share says what it is in
// its header, so that the key that seals it, which signs passes too, never
// has one taken for the other. A share sealed before shares were typed
// opens only for a node that already trusts its key (which seals it again),
// never on first use.
func TestShareTyped(t *testing.T) {
	pp := []byte("pp")
	a := t.TempDir()
	ka, err := Init(a, EdDSA, pp, t0)
	if err != nil {
		t.Fatal(err)
	}
	js, _, err := ka.SignerFor(ka.Active().KID, pp)
	if err != nil {
		t.Fatal(err)
	}
	sh := mustExport(t, a)
	sealed, err := sh.Seal(js)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := jose.ParseSignedCompact(string(sealed), []jose.SignatureAlgorithm{EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	if typ := obj.Signatures[0].Header.ExtraHeaders[jose.HeaderType]; typ != ShareHeaderType {
		t.Fatalf("sealed share typ = %v, want %s", typ, ShareHeaderType)
	}
	enc, _ := sh.Encode()
	sign := func(typ string, payload []byte) []byte {
		t.Helper()
		s := jose.Signer(js)
		if typ != "" {
			if s, err = js.(TypedSigner).WithType(typ); err != nil {
				t.Fatal(err)
			}
		}
		o, err := s.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := o.CompactSerialize()
		return []byte(c)
	}
	tests := []struct {
		name            string
		sealed          []byte
		trusted, onJoin bool
	}{
		{"ok/typed", sealed, true, true},
		{"legacy/untyped", sign("", enc), true, false},
		{"fail/typ-bundle", sign("laminate-bundle+jwt", enc), false, false},
		{"fail/typ-jwt", sign("JWT", enc), false, false},
		{"fail/a-pass", sign("", []byte(`{"iss":"lam","sub":"22222222","ev":"e","pt":"AAA","n":"A","exp":1900000000}`)), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := OpenShare(tt.sealed, ka)
			if (err == nil) != tt.trusted {
				t.Fatalf("OpenShare(trusted) = %v", err)
			}
			if err == nil && got.Untyped() != (tt.name == "legacy/untyped") {
				t.Errorf("Untyped() = %v", got.Untyped())
			}
			if _, _, err := OpenShare(tt.sealed, nil); (err == nil) != tt.onJoin {
				t.Fatalf("OpenShare(join) = %v", err)
			}
		})
	}
	// Only a keyring's signer seals: it is the one that can add the type.
	if _, err := sh.Seal(obj2signer(t)); err == nil {
		t.Error("Seal with a plain jose.Signer succeeded")
	}
}

func obj2signer(t *testing.T) jose.Signer {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: EdDSA, Key: priv}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// setIntro replaces the introduction of kid in sh (what whoever can write
// the store could do).
func setIntro(t *testing.T, sh *Share, kid, intro string) {
	t.Helper()
	st, err := sh.check()
	if err != nil {
		t.Fatal(err)
	}
	for i := range st.ring.Keys {
		if st.ring.Keys[i].KID == kid {
			st.ring.Keys[i].Intro = intro
		}
	}
	if sh.Ring, err = marshalRing(st.ring); err != nil {
		t.Fatal(err)
	}
}

func introOf(t *testing.T, sh *Share, kid string) string {
	t.Helper()
	st, err := sh.check()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range st.ring.Keys {
		if r.KID == kid {
			return r.Intro
		}
	}
	t.Fatalf("no key %s", kid)
	return ""
}

// TestShareIntroduced: a share sealed by a key the reader has not heard of
// opens when a key the reader trusts introduced it, directly or through
// keys the reader never had; a key the reader retired introduces nothing,
// even when a key it trusts introduced that key; and an introduction
// counts only for the key it names, with its type.
func TestShareIntroduced(t *testing.T) {
	pp := []byte("pp")
	a := t.TempDir()
	ka, err := Init(a, EdDSA, pp, t0)
	if err != nil {
		t.Fatal(err)
	}
	k0 := ka.Active().KID
	join := func(sh *Share) *Keyring {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "node")
		if err := Import(dir, sh); err != nil {
			t.Fatal(err)
		}
		k, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	signer := func(kid string) jose.Signer {
		t.Helper()
		js, _, err := ka.SignerFor(kid, pp)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	seal := func(sh *Share, kid string) []byte {
		t.Helper()
		sealed, err := sh.Seal(signer(kid))
		if err != nil {
			t.Fatal(err)
		}
		return sealed
	}
	rotate := func(h time.Duration) (string, *Share) {
		t.Helper()
		k, err := ka.Rotate(EdDSA, pp, t0.Add(h*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return k.KID, mustExport(t, a)
	}
	opens := func(name string, sealed []byte, r Trusted, want bool) {
		t.Helper()
		_, _, err := OpenShare(sealed, r)
		if want && err != nil {
			t.Errorf("%s: OpenShare = %v, want it opened", name, err)
		}
		if !want && !errors.Is(err, ErrUntrustedShare) {
			t.Errorf("%s: OpenShare = %v, want ErrUntrustedShare", name, err)
		}
	}

	old := join(mustExport(t, a)) // knows k0 only, from now on
	k1, sh1 := rotate(1)
	opens("sealed by k1, not introduced", seal(sh1, k1), old, false)
	if sh1.Introduced(k1) {
		t.Fatal("Introduced before Introduce")
	}
	if err := sh1.Introduce(k1, signer(k1)); err == nil {
		t.Error("a key introduced itself")
	}
	if err := sh1.Introduce(k1, signer(k0)); err != nil || !sh1.Introduced(k1) {
		t.Fatalf("Introduce = %v, Introduced = %v", err, sh1.Introduced(k1))
	}
	opens("k1 introduced by k0", seal(sh1, k1), old, true)
	legacy, err := signer(k1).Sign(must(sh1.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	untyped, _ := legacy.CompactSerialize()
	opens("untyped, sealed by k1", []byte(untyped), old, false)

	k2, sh2 := rotate(2)
	sh2, err = Merge(sh1, sh2) // keeps k1's introduction
	if err != nil {
		t.Fatal(err)
	}
	if err := sh2.Introduce(k2, signer(k1)); err != nil {
		t.Fatal(err)
	}
	opens("k0 → k1 → k2", seal(sh2, k2), old, true)

	// Introductions count only for the key they name, with their type.
	moved := must(DecodeShare(must(sh2.Encode())))
	setIntro(t, moved, k2, introOf(t, sh2, k1))
	opens("k2 with k1's introduction", seal(moved, k2), old, false)
	pj, err := signer(k0).Sign(must(json.Marshal(keyIntro{KID: k1, JKT: thumbprint(ka.Keys()[1].Public)})))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := pj.CompactSerialize()
	untypedIntro := must(DecodeShare(must(sh1.Encode())))
	setIntro(t, untypedIntro, k1, plain)
	opens("k1 introduced without the type", seal(untypedIntro, k1), old, false)

	// A node that retired k1 (leaked, say) never follows it, though k0,
	// which it trusts, introduced it: whoever holds k1 seals a share of
	// their own key k3 in vain. A node that has not heard of the retirement
	// follows it, as it would take a share k1 sealed.
	aware := join(sh2)
	if err := aware.Retire(k1, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	k3, sh3 := rotate(4)
	sh3, err = Merge(sh2, sh3)
	if err != nil {
		t.Fatal(err)
	}
	if err := sh3.Introduce(k3, signer(k1)); err != nil {
		t.Fatal(err)
	}
	forged := seal(sh3, k3)
	opens("k3 introduced by k1, which the reader retired", forged, aware, false)
	opens("k3 introduced by k1, to a reader that never heard of k1's retirement", forged, old, true)
	opens("sealed by k2, which the reader trusts", seal(sh3, k2), aware, true)

	// Two nodes introducing a key at once: the merge is symmetric.
	other := must(DecodeShare(must(sh1.Encode())))
	setIntro(t, other, k1, "~"+introOf(t, sh1, k1))
	m1, err1 := Merge(sh1, other)
	m2, err2 := Merge(other, sh1)
	if err1 != nil || err2 != nil || !m1.Equal(m2) || introOf(t, m1, k1) != introOf(t, sh1, k1) {
		t.Errorf("Merge with two introductions of %s is not symmetric (%v, %v)", k1, err1, err2)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
