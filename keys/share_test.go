package keys

import (
	"crypto/ed25519"
	"crypto/rand"
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
