package staff

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password policy.
const (
	MinPassword      = 12  // characters
	MaxPasswordBytes = 256 // bytes: argon2 reads it all, so it is bounded
)

// CheckPolicy says why a new password is refused, in a sentence a person
// can act on; nil when it is acceptable.
func CheckPolicy(username, password string) error {
	switch {
	case !utf8.ValidString(password):
		return fmt.Errorf("%w: the password is not valid text (UTF-8)", ErrPassword)
	case len(password) > MaxPasswordBytes:
		return fmt.Errorf("%w: the password is longer than %d bytes; choose a shorter one", ErrPassword, MaxPasswordBytes)
	case utf8.RuneCountInString(password) < MinPassword:
		return fmt.Errorf("%w: the password must be at least %d characters long (it has %d); a few unrelated words make a good one", ErrPassword, MinPassword, utf8.RuneCountInString(password))
	case strings.EqualFold(strings.TrimSpace(password), username):
		return fmt.Errorf("%w: the password must not be the username", ErrPassword)
	}
	return nil
}

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultParams are the second recommended option of RFC 9106 §4
// (64 MiB, 3 passes, 4 lanes): about 0.1 s per hash on one core here.
var DefaultParams = Params{Memory: 64 << 10, Time: 3, Threads: 4}

// Bounds on the parameters of a stored hash, so that a tampered hash
// cannot make a sign-in allocate or compute without limit.
const (
	maxMemory  = 1 << 20 // 1 GiB
	maxTime    = 16
	maxThreads = 16
	saltLen    = 16
	keyLen     = 32
)

// HashPassword hashes password with argon2id under p and a fresh random
// salt, in the PHC string form. It does not check the policy.
func HashPassword(password string, p Params) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", fmt.Errorf("%w: the password is longer than %d bytes", ErrPassword, MaxPasswordBytes)
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > maxMemory || p.Time > maxTime || p.Threads > maxThreads {
		return "", fmt.Errorf("staff: argon2id parameters out of range: %+v", p)
	}
	salt := make([]byte, saltLen)
	rand.Read(salt) // never fails (crypto/rand)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// parseHash reads a PHC argon2id string.
func parseHash(h string) (p Params, salt, key []byte, err error) {
	bad := func(why string) error { return fmt.Errorf("staff: stored password hash: %s", why) }
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, bad("not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, bad("unknown version " + parts[2])
	}
	var m, t, th uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, bad("parameter " + kv)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			th = n
		default:
			return p, nil, nil, bad("unknown parameter " + k)
		}
	}
	if m == 0 || t == 0 || th == 0 || m > maxMemory || t > maxTime || th > maxThreads {
		return p, nil, nil, bad("parameters out of range")
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, bad("salt")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, bad("hash")
	}
	return Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th)}, salt, key, nil
}

// CheckPassword reports whether password matches the PHC hash, comparing
// in constant time. An unreadable hash is an error, never a match.
func CheckPassword(hash, password string) (bool, error) {
	p, salt, key, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordBytes {
		return false, nil
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether a hash was made with other parameters than
// p: the next good sign-in may store a new one.
func NeedsRehash(hash string, p Params) bool {
	hp, _, _, err := parseHash(hash)
	return err != nil || hp != p
}
