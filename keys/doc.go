// Package keys is the signing keyring kept in a laminate data folder: the
// Ed25519 ([EdDSA], the default) or P-256 ([ES256]) keys passes are signed
// with, their rotation and retirement, and the public JWKS verifiers use.
//
// [Init] creates a keyring, [Open] reads one, [Keyring.Signer] unlocks the
// active private key for signing, and [Keyring.VerifyKey] and [Keyring.JWKS]
// serve verification.
//
// # Files on disk
//
// Everything lives in <data folder>/keys, mode 0700:
//
//	keyring.json   public state: every key's kid, alg, created and retired
//	               times, public JWK and file name, and the active kid
//	keyring.lock   taken with flock(2) around every change
//	<kid>.key      one private key file per key
//
// keyring.json is replaced atomically (temporary file, fsync, rename), mode
// 0600. A key file is created whole or not at all (temporary file, fsync,
// link, which fails if the name is taken), mode 0600, and never overwritten.
// It is self-describing text, like an age identity file:
//
//	# laminate signing key
//	# created: 2026-11-27T03:50:00Z
//	# kid: AbC123
//	# alg: EdDSA
//	# public key: {"kty":"OKP","crv":"Ed25519","x":"..."}
//	<one line: the private JWK, or a compact JWE of it>
//
// # Key identifiers
//
// A kid is the first 6 characters of the base64url RFC 7638 SHA-256
// thumbprint of the public JWK: 36 bits, enough to tell a ring's keys apart,
// short because every token carries it in a QR code. A kid names a key; it
// does not authenticate one. A new key whose kid collides with one in the
// ring is discarded and another generated. Both keyring.json and key files
// are checked on read: the kid must be the thumbprint of the recorded public
// key, and a private key must sign for that public key.
//
// # Encryption at rest
//
// With a passphrase, the private JWK is stored as a compact JWE
// (PBES2-HS512+A256KW with 600,000 PBKDF2 iterations, A256GCM, cty
// "jwk+json"), so anyone with a JOSE library and the passphrase can recover
// it. Without one it is stored in the clear, relying on file permissions
// alone. [Keyring.Rotate] never silently stores a new key in the clear when
// the active key is encrypted ([ErrPassphraseRequired]). The passphrase is
// the caller's: this package neither stores nor prompts for it.
//
// # Permissions
//
// [Keyring.Signer] refuses a key file that group or others may read or write
// ([ErrInsecureFile]), and a key file that is a symbolic link. keyring.json
// decides which public keys verify passes, so it and the keys folder are
// refused if group or others may write them. Files are checked on the open
// descriptor, not by path, so a swap between check and read is not missed.
//
// Modes are not enough: whoever owns a folder can swap what is in it. So
// the data folder, its keys folder, keyring.json, the key files and the
// artwork secret must belong to the user running the process, and no
// folder from the data folder up to / may be writable by group or others
// (unless, like /tmp, it has the sticky bit and belongs to root) or belong
// to anyone but root and that user: the rule of ssh's StrictModes.
// [Open], [Init] and [Import] check the whole path; each error is an
// [*InsecureError] naming the command that fixes it.
//
// # Rotation and retirement
//
// [Keyring.Rotate] adds a key and makes it active; older keys keep verifying
// passes already printed. [Keyring.Retire] stops a key verifying (a leaked
// key, or one whose passes have all expired) but keeps its public key in
// keyring.json so old passes can still be attributed. The active key cannot
// be retired ([ErrActiveKey]); rotate first.
//
// In a shared deployment ([Share]), the store's copy is sealed by the
// active key, which [Share.Introduce] has the previous sealing key vouch
// for; [OpenShare] follows such introductions, but never through a key the
// reader has and does not trust, so a retired key vouches for nothing.
//
// # Concurrency
//
// A [Keyring] is safe for concurrent use. Readers ([Keyring.VerifyKey],
// [Keyring.JWKS], ...) load an immutable snapshot without locking. A change
// takes an exclusive flock on keyring.lock and rereads keyring.json under it,
// so two processes rotating at once both keep their key. A Keyring does not
// watch the disk: call [Keyring.Reload] to see another process's changes.
//
// # Out of scope
//
// This package does not protect against an attacker who runs as the
// keyring's owner, reads process memory, or watches the passphrase being
// typed. Decrypted key material is zeroed where this package holds it, but
// Go's runtime and the crypto packages may keep copies. File locking is
// implemented on unix only; elsewhere changes are refused.
package keys
