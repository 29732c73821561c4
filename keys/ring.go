package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/internal/atomicfile"
)

const (
	keysDirName   = "keys"
	ringFileName  = "keyring.json"
	lockFileName  = "keyring.lock"
	ringVersion   = 1
	kidLen        = 6
	maxRingSize   = 1 << 20
	keyFileSuffix = ".key"
)

// ringFile is keyring.json.
type ringFile struct {
	Version int         `json:"version"`
	Active  string      `json:"active"`
	Keys    []keyRecord `json:"keys"`
}

type keyRecord struct {
	KID       string                  `json:"kid"`
	Alg       jose.SignatureAlgorithm `json:"alg"`
	Created   time.Time               `json:"created"`
	Retired   time.Time               `json:"retired,omitzero"`
	Encrypted bool                    `json:"encrypted,omitempty"`
	File      string                  `json:"file"`
	Public    json.RawMessage         `json:"public"`
	// Intro, in a shared deployment, is the key's introduction: signed by
	// an older key of the ring (see [Share.Introduce]). Checked when used.
	Intro string `json:"intro,omitempty"`
}

// state is an immutable, validated snapshot of keyring.json. Readers load it
// through an atomic pointer, so lookups take no lock.
type state struct {
	ring   ringFile
	keys   []Key
	active int
	verify map[string]Key
	jwks   []jose.JSONWebKey
}

// parseRing parses and validates keyring.json. Errors name path and line.
func parseRing(path string, data []byte) (*state, error) {
	var rf ringFile
	if err := json.Unmarshal(data, &rf); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, badFile(path, lineAt(data, se.Offset), "%v", err)
		case errors.As(err, &te):
			return nil, badFile(path, lineAt(data, te.Offset), "%v", err)
		}
		return nil, badFile(path, 1, "%v", err)
	}
	fields, recLines := jsonLines(data)
	fieldLine := func(name string) int {
		if n, ok := fields[name]; ok {
			return n
		}
		return 1
	}
	if rf.Version != ringVersion {
		return nil, badFile(path, fieldLine("version"), "version %d, want %d (written by another laminate version?)", rf.Version, ringVersion)
	}
	if len(rf.Keys) == 0 {
		return nil, badFile(path, fieldLine("keys"), "no keys")
	}
	st := &state{ring: rf, active: -1, verify: make(map[string]Key, len(rf.Keys))}
	seen := make(map[string]bool, len(rf.Keys))
	for i, rec := range rf.Keys {
		line := 1
		if i < len(recLines) {
			line = recLines[i]
		}
		key, err := checkRecord(rec)
		if err != nil {
			return nil, badFile(path, line, "key %d: %v", i+1, err)
		}
		if seen[rec.KID] {
			return nil, badFile(path, line, "key %d: duplicate kid %q", i+1, rec.KID)
		}
		seen[rec.KID] = true
		if rec.KID == rf.Active {
			if !rec.Retired.IsZero() {
				return nil, badFile(path, fieldLine("active"), "active key %q is retired", rf.Active)
			}
			key.Active = true
			st.active = i
		}
		st.keys = append(st.keys, key)
		if key.Retired.IsZero() {
			st.verify[key.KID] = key
			st.jwks = append(st.jwks, jose.JSONWebKey{Key: key.Public, KeyID: key.KID, Algorithm: string(key.Alg), Use: "sig"})
		}
	}
	if st.active < 0 {
		return nil, badFile(path, fieldLine("active"), "active kid %q is not in keys", rf.Active)
	}
	return st, nil
}

func checkRecord(rec keyRecord) (Key, error) {
	if !validKID(rec.KID) {
		return Key{}, fmt.Errorf("kid %q is not %d base64url characters", rec.KID, kidLen)
	}
	if _, err := checkAlg(rec.Alg); err != nil || rec.Alg == "" {
		return Key{}, fmt.Errorf("kid %s: alg %q is not EdDSA or ES256", rec.KID, rec.Alg)
	}
	if rec.Created.IsZero() {
		return Key{}, fmt.Errorf("kid %s: missing created time", rec.KID)
	}
	// The file name is fixed by the kid, so a damaged or hostile keyring.json
	// cannot point Signer at a file outside the keys folder.
	if rec.File != rec.KID+keyFileSuffix {
		return Key{}, fmt.Errorf("kid %s: file %q, want %q", rec.KID, rec.File, rec.KID+keyFileSuffix)
	}
	pub, err := parsePublicJWK(rec.Public, rec.Alg)
	if err != nil {
		return Key{}, fmt.Errorf("kid %s: public key: %v", rec.KID, err)
	}
	if kid := kidOf(pub); kid != rec.KID {
		return Key{}, fmt.Errorf("kid %s does not match its public key (thumbprint %s)", rec.KID, kid)
	}
	return Key{KID: rec.KID, Alg: rec.Alg, Created: rec.Created, Retired: rec.Retired, Public: pub}, nil
}

// checkAlg maps "" to the default [EdDSA] and refuses anything but EdDSA and
// ES256.
func checkAlg(alg jose.SignatureAlgorithm) (jose.SignatureAlgorithm, error) {
	switch alg {
	case "":
		return EdDSA, nil
	case EdDSA, ES256:
		return alg, nil
	}
	return "", fmt.Errorf("%w: %q (use EdDSA or ES256)", ErrUnsupportedAlgorithm, alg)
}

// ParseAlg reads an algorithm name as a person types it: "EdDSA" (or
// "Ed25519") and "ES256", in any case.
func ParseAlg(s string) (jose.SignatureAlgorithm, error) {
	switch strings.ToUpper(s) {
	case "EDDSA", "ED25519":
		return EdDSA, nil
	case "ES256":
		return ES256, nil
	}
	return "", fmt.Errorf("%w: %q (use EdDSA or ES256)", ErrUnsupportedAlgorithm, s)
}

func validKID(kid string) bool {
	if len(kid) != kidLen {
		return false
	}
	for _, c := range []byte(kid) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// kidOf is the RFC 7638 SHA-256 thumbprint of pub, base64url, cut to kidLen
// characters: tokens travel in QR codes, where every byte counts.
func kidOf(pub crypto.PublicKey) string {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil || len(tp) != sha256.Size {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(tp)[:kidLen]
}

// parsePublicJWK parses a public JWK and checks its type fits alg.
func parsePublicJWK(data []byte, alg jose.SignatureAlgorithm) (crypto.PublicKey, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	if !jwk.IsPublic() {
		return nil, errors.New("not a public key")
	}
	if err := checkKeyType(jwk.Key, alg); err != nil {
		return nil, err
	}
	return jwk.Key, nil
}

func checkKeyType(key any, alg jose.SignatureAlgorithm) error {
	switch k := key.(type) {
	case ed25519.PublicKey:
		if alg == EdDSA && len(k) == ed25519.PublicKeySize {
			return nil
		}
	case ed25519.PrivateKey:
		if alg == EdDSA && len(k) == ed25519.PrivateKeySize {
			return nil
		}
	case *ecdsa.PublicKey:
		if alg == ES256 && k.Curve == elliptic.P256() {
			return nil
		}
	case *ecdsa.PrivateKey:
		if alg == ES256 && k.Curve == elliptic.P256() {
			return nil
		}
	}
	return fmt.Errorf("%T is not a key for %s", key, alg)
}

// jsonLines finds the line of each top-level field of keyring.json and of
// each element of its "keys" array, so that consistency errors found after
// decoding can still say "line N". It gives up quietly on malformed input.
func jsonLines(data []byte) (fields map[string]int, records []int) {
	fields = map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fields, nil
	}
	for dec.More() {
		t, err := dec.Token()
		name, ok := t.(string)
		if err != nil || !ok {
			return fields, records
		}
		fields[name] = lineAt(data, dec.InputOffset())
		var skip json.RawMessage
		if name != "keys" {
			if dec.Decode(&skip) != nil {
				return fields, records
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return fields, records
		}
		records = records[:0]
		for dec.More() {
			off := dec.InputOffset()
			for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
				off++
			}
			records = append(records, lineAt(data, off))
			if dec.Decode(&skip) != nil {
				return fields, records
			}
		}
		if _, err := dec.Token(); err != nil {
			return fields, records
		}
	}
	return fields, records
}

// lineAt is the 1-based line number of byte offset off in data.
func lineAt(data []byte, off int64) int {
	off = max(0, min(off, int64(len(data))))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// readRing reads and validates dir/keyring.json.
func readRing(dir string) (*state, error) {
	path := filepath.Join(dir, ringFileName)
	data, err := readSmallFile(path, maxRingSize, 0o022)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no keyring in %s (create one with Init)", ErrNotFound, filepath.Dir(dir))
	}
	if err != nil {
		return nil, err
	}
	return parseRing(path, data)
}

// readSmallFile reads a regular file, refusing symlinks, files with any of
// the badPerm bits set, and files larger than limit.
func readSmallFile(path string, limit int64, badPerm fs.FileMode) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat() // on the open file: no race with a rename or chmod
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, badFile(path, 1, "not a regular file")
	}
	if perm := fi.Mode().Perm(); perm&badPerm != 0 {
		who := "readable or writable"
		if badPerm == 0o022 {
			who = "writable"
		}
		return nil, &InsecureError{Path: path, Problem: fmt.Sprintf("has mode %04o, %s by group or others", perm, who), Fix: "chmod 600 " + path}
	}
	if err := checkOwned(path, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("keys: read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, badFile(path, 1, "file is larger than %d KiB", limit>>10)
	}
	return data, nil
}

// checkDir refuses a keys folder that others own or can write: they could
// replace keyring.json or a key file.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("keys: %s is not a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return &InsecureError{Path: dir, Problem: fmt.Sprintf("has mode %04o, writable by group or others", perm), Fix: "chmod 700 " + dir}
	}
	return checkOwned(dir, fi)
}

// marshalRing encodes keyring.json; one field per line keeps "line N" useful.
func marshalRing(rf ringFile) ([]byte, error) {
	data, err := json.MarshalIndent(rf, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("keys: encode keyring: %w", err)
	}
	return append(data, '\n'), nil
}

// writeFileAtomic replaces path with data, mode 0600: readers see the old
// or the new file, never a torn one, even across a crash.
func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	return nil
}
