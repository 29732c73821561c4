package keys

import (
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Signature algorithms a keyring can hold.
const (
	EdDSA = jose.EdDSA // Ed25519 (RFC 8037), the default: small keys and signatures
	ES256 = jose.ES256 // ECDSA P-256 with SHA-256, for verifiers without Ed25519
)

// Alg is a signing algorithm: [EdDSA] or [ES256]. An alias, so callers
// need not import go-jose to name one.
type Alg = jose.SignatureAlgorithm

// Key is the public description of one key of a [Keyring]. Public is shared
// with the keyring and must not be modified.
type Key struct {
	// KID is the first 6 characters of the base64url RFC 7638 SHA-256
	// thumbprint of the public JWK, unique within the ring.
	KID     string
	Alg     jose.SignatureAlgorithm
	Created time.Time
	Retired time.Time        // zero while the key verifies
	Public  crypto.PublicKey // ed25519.PublicKey or *ecdsa.PublicKey
	Active  bool             // the key new passes are signed with
}

// Keyring is the signing keyring in a data folder. Its methods are safe for
// concurrent use; readers never block, and changes ([Keyring.Rotate],
// [Keyring.Retire]) are serialized across processes by a file lock.
type Keyring struct {
	dir string     // the keys folder, <data folder>/keys
	mu  sync.Mutex // serializes changes made through this value
	st  atomic.Pointer[state]
}

// Init creates dir/keys (mode 0700) holding a new keyring with one active key
// for alg ("" means [EdDSA]). With an empty passphrase the private key is
// stored unencrypted, still mode 0600. Init fails with [ErrExists] if dir
// already holds a keyring, and then changes nothing.
func Init(dir string, alg jose.SignatureAlgorithm, passphrase []byte, now time.Time) (*Keyring, error) {
	alg, err := checkAlg(alg)
	if err != nil {
		return nil, err
	}
	kdir := filepath.Join(dir, keysDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if err := checkDataFolder(dir); err != nil {
		return nil, err
	}
	ringPath := filepath.Join(kdir, ringFileName)
	if _, err := os.Lstat(ringPath); err == nil {
		return nil, fmt.Errorf("%w: %s; use Open, or Rotate for a new key", ErrExists, ringPath)
	}
	if err := os.Mkdir(kdir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if err := checkDir(kdir); err != nil {
		return nil, err
	}
	k := &Keyring{dir: kdir}
	err = k.update(true, func(*state) (ringFile, string, error) {
		rec, err := newKeyFile(kdir, alg, passphrase, now, nil)
		if err != nil {
			return ringFile{}, "", err
		}
		return ringFile{Version: ringVersion, Active: rec.KID, Keys: []keyRecord{rec}}, rec.File, nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Open reads the keyring in dir/keys. It reads only public state: no
// passphrase is needed and no private key file is opened.
func Open(dir string) (*Keyring, error) {
	kdir := filepath.Join(dir, keysDirName)
	if _, err := os.Stat(kdir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no keyring in %s (create one with Init)", ErrNotFound, dir)
	}
	if err := checkDataFolder(dir); err != nil {
		return nil, err
	}
	if err := checkDir(kdir); err != nil {
		return nil, err
	}
	st, err := readRing(kdir)
	if err != nil {
		return nil, err
	}
	k := &Keyring{dir: kdir}
	k.st.Store(st)
	return k, nil
}

// Reload rereads keyring.json, to pick up changes made by another process.
func (k *Keyring) Reload() error {
	st, err := readRing(k.dir)
	if err != nil {
		return err
	}
	k.st.Store(st)
	return nil
}

// Active returns the key new passes are signed with.
func (k *Keyring) Active() Key {
	st := k.st.Load()
	return st.keys[st.active]
}

// Keys returns all keys, retired ones included, oldest first.
func (k *Keyring) Keys() []Key {
	return slices.Clone(k.st.Load().keys)
}

// VerifyKey returns the key with this kid if it still verifies (is not
// retired). It takes no lock and does not allocate: it runs on every scan.
func (k *Keyring) VerifyKey(kid string) (Key, bool) {
	key, ok := k.st.Load().verify[kid]
	return key, ok
}

// JWKS returns the public keys that still verify, each with kid, alg and use
// "sig", for /.well-known/jwks.json.
func (k *Keyring) JWKS() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: slices.Clone(k.st.Load().jwks)}
}

// Encrypted reports whether the active private key is encrypted at rest, as
// recorded in keyring.json.
func (k *Keyring) Encrypted() bool {
	st := k.st.Load()
	return st.ring.Keys[st.active].Encrypted
}

// Rotate adds a new key for alg ("" means [EdDSA]) and makes it active; the
// old keys keep verifying until retired. The new private key is encrypted
// with passphrase if it is not empty. If the current active key is
// encrypted, an empty passphrase fails with [ErrPassphraseRequired] rather
// than downgrading the ring to a key in the clear, and a passphrase that
// does not open the current active key fails with [ErrWrongPassphrase]: a
// typo must not make a key that only the typo opens.
func (k *Keyring) Rotate(alg jose.SignatureAlgorithm, passphrase []byte, now time.Time) (Key, error) {
	alg, err := checkAlg(alg)
	if err != nil {
		return Key{}, err
	}
	if k.Encrypted() && len(passphrase) > 0 {
		if _, _, err := k.Signer(passphrase); err != nil {
			return Key{}, err
		}
	}
	var kid string
	err = k.update(false, func(cur *state) (ringFile, string, error) {
		active := cur.ring.Keys[cur.active]
		if active.Encrypted && len(passphrase) == 0 {
			return ringFile{}, "", fmt.Errorf("%w: the active key %s is encrypted, so the new key must be too",
				ErrPassphraseRequired, active.KID)
		}
		taken := make(map[string]bool, len(cur.keys))
		for _, key := range cur.keys {
			taken[key.KID] = true
		}
		rec, err := newKeyFile(k.dir, alg, passphrase, now, taken)
		if err != nil {
			return ringFile{}, "", err
		}
		kid = rec.KID
		rf := cur.ring
		rf.Keys = append(slices.Clone(rf.Keys), rec)
		rf.Active = rec.KID
		return rf, rec.File, nil
	})
	if err != nil {
		return Key{}, err
	}
	key, _ := k.VerifyKey(kid)
	return key, nil
}

// Retire stops the key kid from verifying. Its public key stays in
// keyring.json (see [Keyring.Keys]) and its private key file stays on disk.
// Retiring the active key fails with [ErrActiveKey]: rotate first.
func (k *Keyring) Retire(kid string, now time.Time) error {
	return k.update(false, func(cur *state) (ringFile, string, error) {
		i := slices.IndexFunc(cur.keys, func(key Key) bool { return key.KID == kid })
		switch {
		case i < 0:
			return ringFile{}, "", fmt.Errorf("%w: no key %q in the keyring", ErrNotFound, kid)
		case i == cur.active:
			return ringFile{}, "", fmt.Errorf("%w: %s signs new passes; rotate to a new key first, then retire %s",
				ErrActiveKey, kid, kid)
		case !cur.keys[i].Retired.IsZero():
			return ringFile{}, "", fmt.Errorf("%w: %s was retired at %s", ErrRetired, kid,
				cur.keys[i].Retired.Format(time.RFC3339))
		}
		rf := cur.ring
		rf.Keys = slices.Clone(rf.Keys)
		rf.Keys[i].Retired = now.UTC().Truncate(time.Second)
		return rf, "", nil
	})
}

// update makes one change to the keyring under the keyring lock: it rereads
// keyring.json (so a change made meanwhile by another process is kept),
// applies change, validates and writes the result atomically, and publishes
// it to readers. change may create one new key file, which is removed if the
// keyring cannot be written. With create, there must be no keyring yet.
func (k *Keyring) update(create bool, change func(cur *state) (ringFile, string, error)) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	unlock, err := lockFile(filepath.Join(k.dir, lockFileName))
	if err != nil {
		return err
	}
	defer unlock()

	path := filepath.Join(k.dir, ringFileName)
	var cur *state
	if create {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%w: %s", ErrExists, path)
		}
	} else if cur, err = readRing(k.dir); err != nil {
		return err
	}
	rf, newFile, err := change(cur)
	if err != nil {
		return err
	}
	err = func() error {
		data, err := marshalRing(rf)
		if err != nil {
			return err
		}
		st, err := parseRing(path, data)
		if err != nil {
			return fmt.Errorf("keys: internal error: refusing to write an invalid keyring: %w", err)
		}
		if err := writeFileAtomic(path, data); err != nil {
			return err
		}
		k.st.Store(st)
		return nil
	}()
	if err != nil && newFile != "" {
		os.Remove(filepath.Join(k.dir, newFile))
	}
	return err
}

// Signer loads the active private key, decrypting it with passphrase if it
// is encrypted, and returns a signer for it with the active [Key]. The
// signer's protected header is exactly {"alg":…,"kid":…}: no "typ", no
// embedded "jwk", since every byte lands in the QR code. That header is a
// pass's: a document of another kind is signed with the signer's
// WithType(typ) (see [TypedSigner]), so that no parser takes one kind for
// another (RFC 8725 §3.11).
//
// The key file must have mode 0600 or stricter ([ErrInsecureFile]) and must
// agree with keyring.json ([ErrBadKeyFile]).
func (k *Keyring) Signer(passphrase []byte) (jose.Signer, Key, error) {
	return k.signerFor(k.Active(), passphrase)
}

// SignerFor is [Keyring.Signer] for the key kid, retired or not: a keyring
// shared between nodes is sealed with its active key, introduced by the key
// the other nodes already trust ([Share.Introduce]), which need not be the
// active one. Passes are signed only with [Keyring.Signer].
func (k *Keyring) SignerFor(kid string, passphrase []byte) (jose.Signer, Key, error) {
	for _, key := range k.Keys() {
		if key.KID == kid {
			return k.signerFor(key, passphrase)
		}
	}
	return nil, Key{}, fmt.Errorf("%w: no key %q in the keyring", ErrNotFound, kid)
}

func (k *Keyring) signerFor(key Key, passphrase []byte) (jose.Signer, Key, error) {
	path := filepath.Join(k.dir, key.KID+keyFileSuffix)
	data, err := readSmallFile(path, maxKeyFileSize, 0o077)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Key{}, fmt.Errorf("%w: private key file %s of key %s is missing", ErrNotFound, path, key.KID)
	}
	if err != nil {
		return nil, Key{}, err
	}
	kf, err := parseKeyFile(path, data)
	if err != nil {
		return nil, Key{}, err
	}
	eq, _ := kf.public.(interface{ Equal(crypto.PublicKey) bool })
	if kf.kid != key.KID || kf.alg != key.Alg || eq == nil || !eq.Equal(key.Public) {
		return nil, Key{}, badFile(path, 3, "key %s/%s does not match keyring.json's key %s/%s",
			kf.kid, kf.alg, key.KID, key.Alg)
	}
	priv, err := kf.privateKey(path, passphrase)
	if err != nil {
		return nil, Key{}, err
	}
	// A JSONWebKey with a KeyID makes go-jose put "kid" in the protected
	// header; with no SignerOptions it adds nothing else.
	sk := jose.SigningKey{
		Algorithm: key.Alg,
		Key:       jose.JSONWebKey{Key: priv, KeyID: key.KID, Algorithm: string(key.Alg)},
	}
	s, err := jose.NewSigner(sk, nil)
	if err != nil {
		return nil, Key{}, fmt.Errorf("keys: signer for %s: %w", key.KID, err)
	}
	return &keySigner{Signer: s, sk: sk}, key, nil
}

// TypedSigner is a signer that can sign documents of a stated type: the
// signers of [Keyring.Signer] and [Keyring.SignerFor] are.
type TypedSigner interface {
	jose.Signer
	// WithType returns a signer of the same key whose protected header is
	// {"alg","kid","typ"}, typ being the document's type.
	WithType(typ string) (jose.Signer, error)
}

// keySigner is a signer of a keyring key. It keeps the key, so that it can
// make a signer of the same key for a typed document.
type keySigner struct {
	jose.Signer
	sk jose.SigningKey
}

var _ TypedSigner = (*keySigner)(nil)

func (s *keySigner) WithType(typ string) (jose.Signer, error) {
	if typ == "" {
		return nil, errors.New("keys: a typed document needs a type")
	}
	js, err := jose.NewSigner(s.sk, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return nil, fmt.Errorf("keys: signer for %s: %w", typ, err)
	}
	return js, nil
}

// State is the key as "keys list" shows it: active, verifying, or retired
// with the time (UTC, RFC 3339).
func (k Key) State() string {
	switch {
	case k.Active:
		return "active"
	case !k.Retired.IsZero():
		return "retired " + k.Retired.UTC().Format("2006-01-02 15:04 -07:00") // pass.TimeLayout, in UTC
	}
	return "verifying"
}
