package keys

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package that has one of these
// causes wraps it, so callers test with [errors.Is]; the wrapped message names
// the file or key involved and, where it helps, what to do about it.
var (
	// ErrExists is returned by [Init] when the folder already holds a keyring.
	ErrExists = errors.New("keys: keyring already exists")

	// ErrNotFound is returned by [Open] when the folder holds no keyring, by
	// [Keyring.Retire] for an unknown kid, and by [Keyring.Signer] when the
	// active key's private key file is missing.
	ErrNotFound = errors.New("keys: not found")

	// ErrPassphraseRequired is returned when the private key is encrypted and
	// no passphrase was given, and by [Keyring.Rotate] when the ring's active
	// key is encrypted: a new key is never silently stored in the clear.
	ErrPassphraseRequired = errors.New("keys: passphrase required")

	// ErrWrongPassphrase is returned when an encrypted private key does not
	// decrypt with the given passphrase.
	ErrWrongPassphrase = errors.New("keys: wrong passphrase")

	// ErrInsecureFile is returned when a private key file is readable or
	// writable by group or others (mode & 0077 != 0), when keyring.json or
	// the keys folder is writable by group or others, when a file or folder
	// of the keyring belongs to another user, or when a folder above the
	// keyring lets another user replace it (see "Permissions" in the
	// package documentation). The error is an [*InsecureError].
	ErrInsecureFile = errors.New("keys: insecure file permissions")

	// ErrActiveKey is returned by [Keyring.Retire] for the active key.
	ErrActiveKey = errors.New("keys: key is active")

	// ErrRetired is returned by [Keyring.Retire] for a key already retired.
	ErrRetired = errors.New("keys: key already retired")

	// ErrBadKeyFile is returned when keyring.json or a private key file does
	// not parse or is inconsistent; the message names the file and the line.
	ErrBadKeyFile = errors.New("keys: bad key file")

	// ErrUnsupportedAlgorithm is returned for an algorithm other than [EdDSA]
	// and [ES256].
	ErrUnsupportedAlgorithm = errors.New("keys: unsupported algorithm")
)

// badFile reports a parse or consistency error at a line of a file.
func badFile(path string, line int, format string, args ...any) error {
	return fmt.Errorf("%w: %s: line %d: %s", ErrBadKeyFile, path, line, fmt.Sprintf(format, args...))
}
