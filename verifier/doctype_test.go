package verifier_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/verifier"
)

// docKey is one signing key that signs every kind of document, as a
// deployment's key does, with any header this test chooses.
type docKey struct {
	priv ed25519.PrivateKey
	key  keys.Key
}

func newDocKey(t testing.TB) *docKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)[:16]
	return &docKey{priv: priv, key: keys.Key{KID: kid, Alg: keys.EdDSA, Public: pub}}
}

func (k *docKey) VerifyKey(kid string) (keys.Key, bool) { return k.key, kid == k.key.KID }

// Keys makes docKey a keys.Trusted, for OpenShare.
func (k *docKey) Keys() []keys.Key { return []keys.Key{k.key} }

func (k *docKey) jwks() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.key.Public, KeyID: k.key.KID, Algorithm: string(keys.EdDSA), Use: "sig"}}}
}

// sign signs v with typ in the header ("" for none).
func (k *docKey) sign(t testing.TB, typ string, v any) string {
	t.Helper()
	h := map[string]string{"alg": "EdDSA", "kid": k.key.KID}
	if typ != "" {
		h["typ"] = typ
	}
	hj, _ := json.Marshal(h)
	pj, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return craft(string(hj), string(pj), func(in []byte) []byte { return ed25519.Sign(k.priv, in) })
}

// Issue 11, security 5 (RFC 8725 §3.11): one key signs passes, bundles,
// revocation lists, the sealed keyring and the introductions of keys in it. Each parser takes only its own
// kind, told by the header's typ; a pass has none (those printed before
// documents were typed keep verifying).
func TestDocumentTypes(t *testing.T) {
	k := newDocKey(t)
	serial := mustSerial(t, "3456789")
	claims := (&pass.Pass{Serial: serial, Event: event.ID, Type: pass.AAA, Name: "Zoë", ValidUntil: t0.Add(24 * time.Hour), Issuer: "lam"}).Claims()
	bundle, err := verifier.NewBundle(event, k.jwks(), nil, "lam", t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	revocations := map[string]any{"typ": "laminate/revocations", "since": 0, "seq": 0, "iat": t0.Unix(), "revoked": []any{}}
	dir := t.TempDir()
	if _, err := keys.Init(dir, keys.EdDSA, []byte("pw"), t0); err != nil {
		t.Fatal(err)
	}
	share, err := keys.Export(dir)
	if err != nil {
		t.Fatal(err)
	}

	const (
		P = 1 << iota // a pass: Verify says valid
		B             // a bundle: ParseBundle takes it
		S             // a sealed keyring: OpenShare takes it
		L             // a legacy keyring, sealed untyped: OpenShare takes it from a key it trusts, not on first use
	)
	tests := []struct {
		name string
		jws  string
		ok   int
	}{
		{"pass/untyped", k.sign(t, "", claims), P},
		{"pass/typ-jwt", k.sign(t, "JWT", claims), 0},
		{"pass/typ-bundle", k.sign(t, verifier.BundleHeaderType, claims), 0},
		{"bundle/typed", k.sign(t, verifier.BundleHeaderType, bundle), B},
		{"bundle/untyped", k.sign(t, "", bundle), 0},
		{"bundle/typ-revocations", k.sign(t, verifier.RevocationListHeaderType, bundle), 0},
		{"bundle/typ-keyring", k.sign(t, keys.ShareHeaderType, bundle), 0},
		{"bundle/typ-case", k.sign(t, "Laminate-Bundle+JWT", bundle), 0},
		{"revocations/typed", k.sign(t, verifier.RevocationListHeaderType, revocations), 0},
		{"revocations/typ-bundle", k.sign(t, verifier.BundleHeaderType, revocations), 0},
		{"keyring/typed", k.sign(t, keys.ShareHeaderType, share), S},
		{"keyring/untyped", k.sign(t, "", share), L},
		{"keyring/typ-bundle", k.sign(t, verifier.BundleHeaderType, share), 0},
		{"keyintro/typed", k.sign(t, keys.KeyIntroHeaderType, map[string]string{"kid": k.key.KID, "jkt": k.key.KID}), 0},
		{"pass/typ-keyintro", k.sign(t, keys.KeyIntroHeaderType, claims), 0},
		{"bundle/typ-keyintro", k.sign(t, keys.KeyIntroHeaderType, bundle), 0},
		{"keyring/typ-keyintro", k.sign(t, keys.KeyIntroHeaderType, share), 0},
	}
	v, err := verifier.New(verifier.Config{Keys: k, Revocations: verifier.NewRevocationSet()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vd := v.Verify(tt.jws, t0)
			switch {
			case tt.ok&P != 0 && (vd.Status != verifier.StatusValid || vd.Serial != serial):
				t.Errorf("Verify() = %s %q, want a valid pass", vd.Status, vd.Serial)
			case tt.ok&P == 0 && (vd.Status == verifier.StatusValid || vd.Pass != nil || vd.Serial != ""):
				t.Errorf("Verify() = %s serial %q, want no pass", vd.Status, vd.Serial)
			}
			if tt.ok&P == 0 && hasTyp(tt.jws) && (vd.Authentic || vd.Status != verifier.StatusMalformed) {
				t.Errorf("Verify() = authentic %v %s, want a document of another type refused as malformed", vd.Authentic, vd.Status)
			}
			if _, err := verifier.ParseBundle(tt.jws, k, t0); (err == nil) != (tt.ok&B != 0) {
				t.Errorf("ParseBundle() = %v", err)
			} else if err != nil && !errors.Is(err, verifier.ErrBundleMalformed) {
				t.Errorf("ParseBundle() = %v, want ErrBundleMalformed", err)
			}
			if _, _, err := keys.OpenShare([]byte(tt.jws), k); (err == nil) != (tt.ok&(S|L) != 0) {
				t.Errorf("OpenShare(trusted) = %v", err)
			}
			if tt.ok&L != 0 {
				if _, _, err := keys.OpenShare([]byte(tt.jws), nil); err == nil {
					t.Error("OpenShare(first use) took a keyring sealed untyped")
				}
			}
		})
	}
}

func hasTyp(jws string) bool {
	var h map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(jws[:max(0, strings.IndexByte(jws, '.'))])
	json.Unmarshal(raw, &h)
	_, ok := h["typ"]
	return ok
}
