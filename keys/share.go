package keys

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// ErrForeign is returned by [Merge] and [Import] when two keyrings belong to
// different deployments (no key in common, a kid with two different public
// keys, or different artwork secrets): they are never mixed.
var ErrForeign = errors.New("keys: keyring of another deployment")

// shareFormat is the version of the encoded [Share].
const shareFormat = 1

// maxShareSize bounds an encoded [Share].
const maxShareSize = 4 << 20

// Share is the part of a data folder's keyring that every node of a
// deployment shares through the store, so that a node joins with the store
// alone: keyring.json (public keys, which key is active, which are
// retired), the private key files that are encrypted, and the artwork
// secret. A private key in the clear never leaves its folder: a node that
// has only the share verifies and scans, and signs only if it has the
// passphrase of an encrypted active key.
//
// In the store a share is sealed: signed ([Share.Seal]) with its active
// key, which a key the other nodes already trust introduced
// ([Share.Introduce]), and opened ([OpenShare]) only with a key the reader
// trusts or one so introduced, so that whoever can write the database
// cannot slip in a key of their own.
type Share struct {
	Format  int               `json:"format"`
	Ring    json.RawMessage   `json:"ring"`             // keyring.json
	Keys    map[string][]byte `json:"keys"`             // encrypted key files by file name
	Artwork string            `json:"artwork"`          // the artwork secret, hex
	Config  json.RawMessage   `json:"config,omitempty"` // the deployment's settings, opaque here

	untyped bool // read by OpenShare from a share sealed without ShareHeaderType
}

// ShareHeaderType is the "typ" of a sealed share's protected header (RFC
// 8725 §3.11): the key that seals it also signs passes, bundles and
// revocation lists, and no parser takes one for another.
const ShareHeaderType = "laminate-keyring+jwt"

// Seal signs the share with js (a signer from [Keyring.SignerFor]): a
// compact JWS whose payload is the share, with [ShareHeaderType] in its
// header.
func (s *Share) Seal(js jose.Signer) ([]byte, error) {
	raw, err := s.Encode()
	if err != nil {
		return nil, err
	}
	ts, ok := js.(TypedSigner)
	if !ok {
		return nil, errors.New("keys: seal shared keyring: not a keyring signer (want one from Keyring.SignerFor)")
	}
	typed, err := ts.WithType(ShareHeaderType)
	if err != nil {
		return nil, err
	}
	jws, err := typed.Sign(raw)
	if err != nil {
		return nil, fmt.Errorf("keys: seal shared keyring: %w", err)
	}
	out, err := jws.CompactSerialize()
	return []byte(out), err
}

// ErrUntrustedShare is returned by [OpenShare] for a share not signed by a
// key the reader trusts.
var ErrUntrustedShare = errors.New("keys: shared keyring not signed by a trusted key")

// Trusted is what the reader of a sealed share trusts: its own keyring (a
// [*Keyring] is one).
type Trusted interface {
	// VerifyKey returns a key the reader trusts: one it has, not retired.
	VerifyKey(kid string) (Key, bool)
	// Keys returns every key the reader has, retired ones included.
	Keys() []Key
}

// OpenShare verifies and decodes a sealed share. Its signature must verify
// with a key the reader trusts: one of its own keys that is not retired
// ([Keyring.VerifyKey]), or a key of the share introduced by one
// ([Share.Introduce]), directly or through a chain of introductions that
// passes only through keys the reader has never had, so a key the reader
// retired vouches for nothing. With trust nil — a node joining with an empty
// folder, which has no keys yet and so trusts the store on first use — the
// signing key must be one of the share's own verifying keys. It returns the
// share and the key that signed it.
func OpenShare(sealed []byte, trust Trusted) (*Share, Key, error) {
	if len(sealed) > 2*maxShareSize {
		return nil, Key{}, fmt.Errorf("%w: shared keyring larger than %d MiB", ErrBadKeyFile, 2*maxShareSize>>20)
	}
	jws, err := jose.ParseSignedCompact(string(sealed), []jose.SignatureAlgorithm{EdDSA, ES256})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, Key{}, fmt.Errorf("%w: shared keyring is not a signed document: %v", ErrBadKeyFile, err)
	}
	hdr := jws.Signatures[0].Protected
	typ, typed := hdr.ExtraHeaders[jose.HeaderType]
	if len(hdr.ExtraHeaders) > 1 || len(hdr.ExtraHeaders) == 1 && !typed || hdr.JSONWebKey != nil {
		return nil, Key{}, fmt.Errorf("%w: shared keyring header has more than alg, kid and typ", ErrBadKeyFile)
	}
	switch {
	case typed && typ != ShareHeaderType:
		return nil, Key{}, fmt.Errorf("%w: a signed document of type %q, not a shared keyring", ErrBadKeyFile, safeText(typ))
	case !typed && trust == nil:
		// Sealed before documents were typed: only a node that already
		// trusts the signing key takes it (and seals it again, typed).
		return nil, Key{}, fmt.Errorf("%w: shared keyring sealed without a type; a node of this deployment that trusts its key seals it again when it next opens the store", ErrBadKeyFile)
	}
	var key Key
	var ok bool
	if trust != nil {
		if key, ok = trust.VerifyKey(hdr.KeyID); !ok && typed {
			// Perhaps a key this reader has not heard of yet: the share's
			// introductions say who vouched for it. Checked below like any
			// other key: the share is only read, not yet believed.
			if sh, err := DecodeShare(jws.UnsafePayloadWithoutVerification()); err == nil {
				st, _ := sh.check()
				if _, live := st.verify[hdr.KeyID]; live {
					key, ok = st.introduced(hdr.KeyID, trust, len(st.keys))
				}
			}
		}
	} else {
		sh, err := DecodeShare(jws.UnsafePayloadWithoutVerification())
		if err != nil {
			return nil, Key{}, err
		}
		st, _ := sh.check()
		key, ok = st.verify[hdr.KeyID]
	}
	if !ok || string(key.Alg) != hdr.Algorithm {
		return nil, Key{}, fmt.Errorf("%w (signed by %q)", ErrUntrustedShare, hdr.KeyID)
	}
	payload, err := jws.Verify(key.Public)
	if err != nil {
		return nil, Key{}, fmt.Errorf("%w: the signature does not verify", ErrUntrustedShare)
	}
	sh, err := DecodeShare(payload)
	if err != nil {
		return nil, Key{}, err
	}
	sh.untyped = !typed
	return sh, key, nil
}

// Untyped reports whether [OpenShare] read a share sealed before sealed
// shares carried [ShareHeaderType]: its reader should seal it again.
func (s *Share) Untyped() bool { return s.untyped }

// KeyIntroHeaderType is the "typ" of a key's introduction (see
// [Share.Introduce]).
const KeyIntroHeaderType = "laminate-key+jwt"

// maxIntroSize bounds one introduction: a compact JWS of a few hundred bytes.
const maxIntroSize = 2048

// keyIntro is the payload of an introduction: the key introduced, named by
// its kid and bound by its full RFC 7638 thumbprint (a 6-character kid is
// short enough to collide on purpose).
type keyIntro struct {
	KID string `json:"kid"`
	JKT string `json:"jkt"` // base64url SHA-256 JWK thumbprint
}

// thumbprint is the full base64url RFC 7638 SHA-256 thumbprint of pub.
func thumbprint(pub crypto.PublicKey) string {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// Introduce records in the share that the key with js (a signer from
// [Keyring.SignerFor], of another key of the ring) vouches for the key kid:
// a compact JWS, [KeyIntroHeaderType], over kid and its full thumbprint.
// A reader that trusts the introducer, and has never had kid, then trusts
// kid too ([OpenShare]). So a share can always be sealed with its active
// key: nodes that missed the rotation follow the introduction, and a key
// retired later need not seal anything again.
func (s *Share) Introduce(kid string, js jose.Signer) error {
	st, err := s.check()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(st.keys, func(k Key) bool { return k.KID == kid })
	if i < 0 {
		return fmt.Errorf("%w: no key %q in the shared keyring", ErrNotFound, kid)
	}
	ts, ok := js.(*keySigner)
	if !ok {
		return errors.New("keys: introduce a key: not a keyring signer (want one from Keyring.SignerFor)")
	}
	if ts.sk.Key.(jose.JSONWebKey).KeyID == kid {
		return fmt.Errorf("keys: key %s cannot introduce itself", kid)
	}
	typed, err := ts.WithType(KeyIntroHeaderType)
	if err != nil {
		return err
	}
	payload, _ := json.Marshal(keyIntro{KID: kid, JKT: thumbprint(st.keys[i].Public)})
	jws, err := typed.Sign(payload)
	if err != nil {
		return fmt.Errorf("keys: introduce key %s: %w", kid, err)
	}
	intro, err := jws.CompactSerialize()
	if err != nil {
		return err
	}
	rf := st.ring
	rf.Keys = slices.Clone(rf.Keys)
	rf.Keys[i].Intro = intro
	ring, err := marshalRing(rf)
	if err != nil {
		return err
	}
	s.Ring = ring
	return nil
}

// Introduced reports whether the share holds an introduction of kid.
func (s *Share) Introduced(kid string) bool {
	st, err := s.check()
	if err != nil {
		return false
	}
	i := slices.IndexFunc(st.ring.Keys, func(r keyRecord) bool { return r.KID == kid })
	return i >= 0 && st.ring.Keys[i].Intro != ""
}

// introduced returns the share's key kid if trust trusts it, or if an
// introduction of it verifies with a key that introduced itself returns,
// at most depth introductions away. A key the reader has (so one it
// retired, since VerifyKey refused it) is never followed: a retired key
// vouches for nothing.
func (st *state) introduced(kid string, trust Trusted, depth int) (Key, bool) {
	if k, ok := trust.VerifyKey(kid); ok {
		return k, true
	}
	if depth <= 0 || slices.ContainsFunc(trust.Keys(), func(k Key) bool { return k.KID == kid }) {
		return Key{}, false
	}
	i := slices.IndexFunc(st.keys, func(k Key) bool { return k.KID == kid })
	if i < 0 || len(st.ring.Keys[i].Intro) > maxIntroSize {
		return Key{}, false
	}
	jws, err := jose.ParseSignedCompact(st.ring.Keys[i].Intro, []jose.SignatureAlgorithm{EdDSA, ES256})
	if err != nil || len(jws.Signatures) != 1 {
		return Key{}, false
	}
	hdr := jws.Signatures[0].Protected
	if len(hdr.ExtraHeaders) != 1 || hdr.ExtraHeaders[jose.HeaderType] != KeyIntroHeaderType || hdr.JSONWebKey != nil || hdr.KeyID == kid {
		return Key{}, false
	}
	by, ok := st.introduced(hdr.KeyID, trust, depth-1)
	if !ok || string(by.Alg) != hdr.Algorithm {
		return Key{}, false
	}
	payload, err := jws.Verify(by.Public)
	if err != nil {
		return Key{}, false
	}
	var in keyIntro
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if dec.Decode(&in) != nil || in.KID != kid || in.JKT != thumbprint(st.keys[i].Public) {
		return Key{}, false
	}
	return st.keys[i], true
}

// safeText shortens and cleans a header value an attacker chose, for a
// message.
func safeText(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// Encode returns the share as JSON, for the store.
func (s *Share) Encode() ([]byte, error) {
	return json.Marshal(s)
}

// DecodeShare parses and validates an encoded share.
func DecodeShare(data []byte) (*Share, error) {
	if len(data) > maxShareSize {
		return nil, fmt.Errorf("%w: shared keyring larger than %d MiB", ErrBadKeyFile, maxShareSize>>20)
	}
	var s Share
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: shared keyring: %v", ErrBadKeyFile, err)
	}
	if s.Format != shareFormat {
		return nil, fmt.Errorf("%w: shared keyring format %d, want %d (written by another laminate version?)", ErrBadKeyFile, s.Format, shareFormat)
	}
	if _, err := s.check(); err != nil {
		return nil, err
	}
	return &s, nil
}

// check validates the share: the ring parses, every key file belongs to a
// key of the ring, is encrypted and matches its public key, and the artwork
// secret has the right length.
func (s *Share) check() (*state, error) {
	st, err := parseRing("shared "+ringFileName, s.Ring)
	if err != nil {
		return nil, err
	}
	for name, data := range s.Keys {
		i := slices.IndexFunc(st.ring.Keys, func(r keyRecord) bool { return r.File == name })
		if i < 0 {
			return nil, fmt.Errorf("%w: shared key file %q belongs to no key of the ring", ErrBadKeyFile, name)
		}
		kf, err := parseKeyFile("shared "+name, data)
		if err != nil {
			return nil, err
		}
		key := st.keys[i]
		eq, _ := kf.public.(interface{ Equal(crypto.PublicKey) bool })
		if !kf.encrypted || kf.kid != key.KID || eq == nil || !eq.Equal(key.Public) {
			return nil, fmt.Errorf("%w: shared key file %q is not the encrypted private key of %s", ErrBadKeyFile, name, key.KID)
		}
	}
	if b, err := hex.DecodeString(s.Artwork); err != nil || len(b) != ArtworkSecretLen {
		return nil, fmt.Errorf("%w: shared artwork secret is not %d bytes in hex", ErrBadKeyFile, ArtworkSecretLen)
	}
	return st, nil
}

// Export returns the share of the keyring in the data folder dir, creating
// its artwork secret if it has none yet.
func Export(dir string) (*Share, error) {
	kdir := filepath.Join(dir, keysDirName)
	path := filepath.Join(kdir, ringFileName)
	ring, err := readSmallFile(path, maxRingSize, 0o022)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no keyring in %s", ErrNotFound, dir)
	}
	if err != nil {
		return nil, err
	}
	st, err := parseRing(path, ring)
	if err != nil {
		return nil, err
	}
	art, err := ArtworkSecret(dir, time.Now())
	if err != nil {
		return nil, err
	}
	s := &Share{Format: shareFormat, Ring: ring, Keys: map[string][]byte{}, Artwork: hex.EncodeToString(art)}
	for _, rec := range st.ring.Keys {
		if !rec.Encrypted {
			continue
		}
		data, err := readSmallFile(filepath.Join(kdir, rec.File), maxKeyFileSize, 0o077)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a node that joined without this file
		}
		if err != nil {
			return nil, err
		}
		s.Keys[rec.File] = data
	}
	if _, err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// ActiveKID is the kid of the share's active key.
func (s *Share) ActiveKID() (string, error) {
	st, err := s.check()
	if err != nil {
		return "", err
	}
	return st.ring.Active, nil
}

// Equal reports whether two shares hold the same keyring, key files and
// artwork secret.
func (s *Share) Equal(o *Share) bool {
	if s.Artwork != o.Artwork || len(s.Keys) != len(o.Keys) || !bytes.Equal(s.Config, o.Config) {
		return false
	}
	for name, data := range s.Keys {
		if !bytes.Equal(data, o.Keys[name]) {
			return false
		}
	}
	a, errA := canonicalRing(s.Ring)
	b, errB := canonicalRing(o.Ring)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

func canonicalRing(data []byte) ([]byte, error) {
	var rf ringFile
	if err := json.Unmarshal(data, &rf); err != nil {
		return nil, err
	}
	return marshalRing(rf)
}

// Merge combines two shares of one deployment, as made by nodes that changed
// the keyring independently: the union of their keys and key files, a key
// retired if either retired it (at the earlier time), and as active key the
// newer of the two active keys (rotation always makes the newest key
// active). Merge is deterministic and symmetric, so nodes converge. It fails
// with [ErrForeign] for shares of two deployments.
func Merge(a, b *Share) (*Share, error) {
	sa, err := a.check()
	if err != nil {
		return nil, err
	}
	sb, err := b.check()
	if err != nil {
		return nil, err
	}
	if a.Artwork != b.Artwork {
		return nil, fmt.Errorf("%w: the artwork secrets differ", ErrForeign)
	}
	recs := slices.Clone(sa.ring.Keys)
	common := 0
	for _, rb := range sb.ring.Keys {
		i := slices.IndexFunc(recs, func(r keyRecord) bool { return r.KID == rb.KID })
		if i < 0 {
			recs = append(recs, rb)
			continue
		}
		common++
		ra := &recs[i]
		if ra.Alg != rb.Alg || !samePublic(sa.publicOf(rb.KID), sb.publicOf(rb.KID)) {
			return nil, fmt.Errorf("%w: key %s differs", ErrForeign, rb.KID)
		}
		if !rb.Retired.IsZero() && (ra.Retired.IsZero() || rb.Retired.Before(ra.Retired)) {
			ra.Retired = rb.Retired
		}
		ra.Encrypted = ra.Encrypted || rb.Encrypted
		// Two nodes may introduce a key at once (ES256 signatures differ):
		// keep the smaller, so that the merge stays symmetric.
		if ra.Intro == "" || rb.Intro != "" && rb.Intro < ra.Intro {
			ra.Intro = rb.Intro
		}
	}
	if common == 0 {
		return nil, fmt.Errorf("%w: no key in common", ErrForeign)
	}
	slices.SortStableFunc(recs, func(x, y keyRecord) int {
		if c := x.Created.Compare(y.Created); c != 0 {
			return c
		}
		return bytes.Compare([]byte(x.KID), []byte(y.KID))
	})
	active := sa.ring.Active
	aa, ab := sa.keys[sa.active], sb.keys[sb.active]
	if ab.Created.After(aa.Created) || (ab.Created.Equal(aa.Created) && ab.KID > aa.KID) {
		active = sb.ring.Active
	}
	for _, r := range recs {
		if r.KID == active && !r.Retired.IsZero() {
			return nil, fmt.Errorf("%w: active key %s is retired in one of the keyrings", ErrForeign, active)
		}
	}
	ring, err := marshalRing(ringFile{Version: ringVersion, Active: active, Keys: recs})
	if err != nil {
		return nil, err
	}
	m := &Share{Format: shareFormat, Ring: ring, Keys: map[string][]byte{}, Artwork: a.Artwork, Config: a.Config}
	if len(m.Config) == 0 {
		m.Config = b.Config
	}
	for name, data := range a.Keys {
		m.Keys[name] = data
	}
	for name, data := range b.Keys {
		if _, ok := m.Keys[name]; !ok {
			m.Keys[name] = data
		}
	}
	if _, err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

func samePublic(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && b != nil && eq.Equal(b)
}

// publicOf returns the public key of kid, retired or not (nil: no such key).
func (st *state) publicOf(kid string) crypto.PublicKey {
	for _, k := range st.keys {
		if k.KID == kid {
			return k.Public
		}
	}
	return nil
}

// Import makes the keyring of the data folder dir (created if missing) the
// keyring of share s: it writes the key files the folder lacks, the
// artwork secret if the folder has none, and then keyring.json, atomically
// and under the keyring lock, merged ([Merge]) with the folder's keyring as
// it is at that moment. It refuses with [ErrForeign] a folder of another
// deployment.
func Import(dir string, s *Share) error {
	st, err := s.check()
	if err != nil {
		return err
	}
	kdir := filepath.Join(dir, keysDirName)
	if err := os.MkdirAll(kdir, 0o700); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if err := checkDataFolder(dir); err != nil {
		return err
	}
	if err := checkDir(kdir); err != nil {
		return err
	}
	unlock, err := lockFile(filepath.Join(kdir, lockFileName))
	if err != nil {
		return err
	}
	defer unlock()
	// Merge with the folder's keyring as it is now, under the lock: a
	// rotation or retirement made here since s was computed is kept.
	if _, err := readRing(kdir); err == nil {
		local, err := Export(dir)
		if err != nil {
			return err
		}
		if s, err = Merge(s, local); err != nil {
			return err
		}
		if st, err = s.check(); err != nil {
			return err
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	artPath := filepath.Join(kdir, artworkFile)
	if _, err := os.Lstat(artPath); err == nil {
		art, err := ArtworkSecret(dir, time.Now())
		if err != nil {
			return err
		}
		if hex.EncodeToString(art) != s.Artwork {
			return fmt.Errorf("%w: %s has another artwork secret", ErrForeign, dir)
		}
	} else {
		body := fmt.Sprintf("# laminate artwork secret\n# imported: %s\n%s\n", time.Now().UTC().Format(time.RFC3339), s.Artwork)
		if err := writeNewFile(artPath, []byte(body)); err != nil {
			return err
		}
	}
	for name, data := range s.Keys {
		path := filepath.Join(kdir, name)
		have, err := readSmallFile(path, maxKeyFileSize, 0o077)
		switch {
		case err == nil && !bytes.Equal(have, data):
			return fmt.Errorf("%w: %s differs from the shared key file", ErrForeign, path)
		case err == nil:
		case errors.Is(err, fs.ErrNotExist):
			if err := writeNewFile(path, data); err != nil {
				return err
			}
		default:
			return err
		}
	}
	ring, err := marshalRing(st.ring)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(kdir, ringFileName), ring)
}
