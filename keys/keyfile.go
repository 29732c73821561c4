package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/internal/atomicfile"
)

const (
	keyFileMagic   = "# laminate signing key"
	maxKeyFileSize = 64 << 10
	// maxPBES2Count is go-jose's decryption limit; a file asking for more
	// cannot be opened, so say so rather than "wrong passphrase".
	maxPBES2Count  = 1_000_000
	jwkContentType = "jwk+json"
)

// pbes2Count is the PBKDF2 iteration count for new encrypted keys (OWASP's
// 2023 figure for PBKDF2-HMAC-SHA512 is 210,000; we take more since a key is
// decrypted once per process). A variable only so tests can lower it.
var pbes2Count = defaultPBES2Count

const defaultPBES2Count = 600_000

// CheapEncryptionForTests makes the keys this test binary encrypts cheap
// to open (1,000 PBKDF2 iterations instead of 600,000), for the tests of
// packages above keys that make and open many encrypted keyrings. It
// panics outside a test binary: no build of laminate can weaken the
// encryption of its keys.
func CheapEncryptionForTests() {
	if !testing.Testing() {
		panic("keys: CheapEncryptionForTests outside a test binary")
	}
	pbes2Count = 1000
}

// keyFile is a parsed private key file. See the package documentation for
// the format.
type keyFile struct {
	kid       string
	alg       jose.SignatureAlgorithm
	created   time.Time
	public    crypto.PublicKey
	bodyLine  int
	encrypted bool
	priv      crypto.Signer           // when !encrypted
	jwe       *jose.JSONWebEncryption // when encrypted
}

// formatKeyFile lays out a key file; body is the private JWK or a compact JWE.
func formatKeyFile(kid string, alg jose.SignatureAlgorithm, created time.Time, public []byte, body string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n# created: %s\n# kid: %s\n# alg: %s\n# public key: %s\n%s\n",
		keyFileMagic, created.UTC().Format(time.RFC3339), kid, alg, public, body)
	return b.Bytes()
}

// parseKeyFile parses a key file without decrypting it. It checks that the
// header is consistent (kid is the thumbprint of the public key, which fits
// alg) and, for a key in the clear, that the private key matches. It never
// panics on any input (see FuzzParseKeyFile).
func parseKeyFile(path string, data []byte) (*keyFile, error) {
	if len(data) > maxKeyFileSize {
		return nil, badFile(path, 1, "file is larger than %d KiB", maxKeyFileSize>>10)
	}
	lines := strings.Split(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, badFile(path, 1, "empty file")
	}
	kf := &keyFile{}
	var body string
	seen := map[string]int{}
	for i, l := range lines {
		n := i + 1
		l = strings.TrimSuffix(l, "\r")
		switch {
		case i == 0:
			if l != keyFileMagic {
				return nil, badFile(path, n, "not a laminate signing key (first line must be %q)", keyFileMagic)
			}
		case body != "":
			return nil, badFile(path, n, "unexpected text after the key line")
		case strings.HasPrefix(l, "#"):
			name, value, ok := strings.Cut(strings.TrimPrefix(l, "# "), ": ")
			if !ok {
				return nil, badFile(path, n, "header line must be \"# name: value\"")
			}
			if prev, dup := seen[name]; dup {
				return nil, badFile(path, n, "duplicate %q header (first on line %d)", name, prev)
			}
			seen[name] = n
			if err := kf.setHeader(name, value); err != nil {
				return nil, badFile(path, n, "%s: %v", name, err)
			}
		case l == "":
			return nil, badFile(path, n, "empty line")
		default:
			body, kf.bodyLine = l, n
		}
	}
	end := kf.bodyLine // where a missing header or key line should have been
	if end == 0 {
		end = len(lines) + 1
	}
	for _, name := range []string{"created", "kid", "alg", "public key"} {
		if _, ok := seen[name]; !ok {
			return nil, badFile(path, end, "missing \"# %s:\" header", name)
		}
	}
	if body == "" {
		return nil, badFile(path, end, "missing the key line")
	}
	if err := checkKeyType(kf.public, kf.alg); err != nil {
		return nil, badFile(path, seen["public key"], "public key: %v", err)
	}
	if kid := kidOf(kf.public); kid != kf.kid {
		return nil, badFile(path, seen["kid"], "kid %s does not match the public key (thumbprint %s)", kf.kid, kid)
	}
	if strings.HasPrefix(body, "{") {
		priv, err := parsePrivateJWK([]byte(body), kf.alg, kf.public)
		if err != nil {
			return nil, badFile(path, kf.bodyLine, "private key: %v", err)
		}
		kf.priv = priv
		return kf, nil
	}
	if strings.Count(body, ".") != 4 {
		return nil, badFile(path, kf.bodyLine, "key line is neither a private JWK {...} nor a compact JWE (five parts separated by dots)")
	}
	jwe, err := jose.ParseEncryptedCompact(body, []jose.KeyAlgorithm{jose.PBES2_HS512_A256KW}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return nil, badFile(path, kf.bodyLine, "encrypted private key: %v", err)
	}
	if cty, _ := jwe.Header.ExtraHeaders[jose.HeaderContentType].(string); cty != jwkContentType {
		return nil, badFile(path, kf.bodyLine, "encrypted private key: content type %q, want %q", cty, jwkContentType)
	}
	if p2c, _ := jwe.Header.ExtraHeaders["p2c"].(float64); p2c < 1 || p2c > maxPBES2Count {
		return nil, badFile(path, kf.bodyLine, "encrypted private key: p2c %v is outside 1..%d", p2c, maxPBES2Count)
	}
	kf.encrypted, kf.jwe = true, jwe
	return kf, nil
}

func (kf *keyFile) setHeader(name, value string) (err error) {
	switch name {
	case "created":
		kf.created, err = time.Parse(time.RFC3339, value)
	case "kid":
		if !validKID(value) {
			return fmt.Errorf("%q is not %d base64url characters", value, kidLen)
		}
		kf.kid = value
	case "alg":
		kf.alg = jose.SignatureAlgorithm(value)
		if value == "" {
			return fmt.Errorf("empty")
		}
		_, err = checkAlg(kf.alg)
	case "public key":
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON([]byte(value)); err != nil {
			return err
		}
		if !jwk.IsPublic() {
			return errors.New("not a public key")
		}
		kf.public = jwk.Key
	default:
		return errors.New("unknown header")
	}
	return err
}

// privateKey returns the private key, decrypting it with passphrase if the
// file is encrypted. A passphrase given for a key in the clear is ignored.
func (kf *keyFile) privateKey(path string, passphrase []byte) (crypto.Signer, error) {
	if !kf.encrypted {
		return kf.priv, nil
	}
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("%w: %s is encrypted; give its passphrase", ErrPassphraseRequired, path)
	}
	plain, err := kf.jwe.Decrypt(passphrase)
	if errors.Is(err, jose.ErrCryptoFailure) {
		return nil, fmt.Errorf("%w for %s", ErrWrongPassphrase, path)
	}
	if err != nil {
		return nil, badFile(path, kf.bodyLine, "encrypted private key: %v", err)
	}
	defer clear(plain)
	priv, err := parsePrivateJWK(plain, kf.alg, kf.public)
	if err != nil {
		return nil, badFile(path, kf.bodyLine, "decrypted private key: %v", err)
	}
	return priv, nil
}

// parsePrivateJWK parses a private JWK for alg and checks, by signing and
// verifying a test message, that it is the private half of pub.
func parsePrivateJWK(data []byte, alg jose.SignatureAlgorithm, pub crypto.PublicKey) (crypto.Signer, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	if err := checkKeyType(jwk.Key, alg); err != nil {
		return nil, err
	}
	// A pairwise consistency test (sign, then verify with the recorded
	// public key) rather than trusting the JWK parser's own checks.
	msg := sha256.Sum256([]byte("laminate key consistency check"))
	switch priv := jwk.Key.(type) {
	case ed25519.PrivateKey:
		epub, ok := pub.(ed25519.PublicKey)
		if ok && ed25519.Verify(epub, msg[:], ed25519.Sign(priv, msg[:])) {
			return priv, nil
		}
	case *ecdsa.PrivateKey:
		epub, ok := pub.(*ecdsa.PublicKey)
		sig, err := ecdsa.SignASN1(rand.Reader, priv, msg[:])
		if ok && err == nil && ecdsa.VerifyASN1(epub, msg[:], sig) {
			return priv, nil
		}
	}
	return nil, errors.New("does not match the public key")
}

// newKeyFile generates a key for alg whose kid is not in taken, and writes
// its key file in dir: an existing file is never overwritten (it counts as
// a kid collision). It returns the record for keyring.json.
func newKeyFile(dir string, alg jose.SignatureAlgorithm, passphrase []byte, now time.Time, taken map[string]bool) (keyRecord, error) {
	created := now.UTC().Truncate(time.Second)
	for range 16 {
		priv, pub, err := generate(alg)
		if err != nil {
			return keyRecord{}, err
		}
		kid := kidOf(pub)
		if kid == "" || taken[kid] {
			continue // 36-bit kids: a collision is rare but possible; draw again
		}
		pubJSON, err := (&jose.JSONWebKey{Key: pub}).MarshalJSON()
		if err != nil {
			return keyRecord{}, fmt.Errorf("keys: encode public key: %w", err)
		}
		body, err := privateBody(priv, kid, alg, passphrase)
		if err != nil {
			return keyRecord{}, err
		}
		rec := keyRecord{KID: kid, Alg: alg, Created: created, Encrypted: len(passphrase) > 0,
			File: kid + keyFileSuffix, Public: pubJSON}
		err = writeNewFile(filepath.Join(dir, rec.File), formatKeyFile(kid, alg, created, pubJSON, body))
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return keyRecord{}, err
		}
		return rec, nil
	}
	return keyRecord{}, errors.New("keys: could not find a free kid after 16 tries")
}

func generate(alg jose.SignatureAlgorithm) (crypto.Signer, crypto.PublicKey, error) {
	switch alg {
	case EdDSA:
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, fmt.Errorf("keys: generate Ed25519 key: %w", err)
		}
		return priv, pub, nil
	case ES256:
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, fmt.Errorf("keys: generate P-256 key: %w", err)
		}
		return priv, &priv.PublicKey, nil
	}
	_, err := checkAlg(alg)
	return nil, nil, err
}

// privateBody is the key line: the private JWK, or when a passphrase is
// given a compact JWE of it (PBES2-HS512+A256KW, A256GCM, cty jwk+json).
func privateBody(priv crypto.Signer, kid string, alg jose.SignatureAlgorithm, passphrase []byte) (string, error) {
	jwkJSON, err := (&jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: string(alg), Use: "sig"}).MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("keys: encode private key: %w", err)
	}
	defer clear(jwkJSON)
	if len(passphrase) == 0 {
		return string(jwkJSON), nil
	}
	enc, err := jose.NewEncrypter(jose.A256GCM,
		jose.Recipient{Algorithm: jose.PBES2_HS512_A256KW, Key: passphrase, PBES2Count: pbes2Count},
		(&jose.EncrypterOptions{}).WithContentType(jwkContentType))
	if err != nil {
		return "", fmt.Errorf("keys: encrypt private key: %w", err)
	}
	obj, err := enc.Encrypt(jwkJSON)
	if err != nil {
		return "", fmt.Errorf("keys: encrypt private key: %w", err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("keys: encrypt private key: %w", err)
	}
	return s, nil
}

// writeNewFile creates path with mode 0600, failing with an error wrapping
// [fs.ErrExist] if it exists. It appears whole or not at all.
func writeNewFile(path string, data []byte) error {
	if err := atomicfile.WriteNew(path, data, 0o600); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	return nil
}
