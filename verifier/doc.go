// Package verifier turns a scanned token into a [Verdict]: is this a pass we
// issued, is it still live, and (with [Verifier.Access]) may it enter this
// zone now.
//
// # Security model
//
// Nothing in a token's header is trusted but "kid", used only to pick one of
// our own keys, and "alg", which must be on the verifier's allow-list
// (EdDSA and ES256 by default; "none" and HMAC can never be listed) and
// match the algorithm of that key. "jwk", "jku", "x5u" and "x5c" are never
// used to find a key. A "crit" header is refused in any form: Laminate
// defines no extensions, and RFC 7515 §4.1.11 forbids an empty list.
//
// Input is capped at [MaxTokenSize] bytes before any parsing. Leading spaces
// and trailing spaces, CR and LF (added by keyboard-wedge scanners) are
// removed; any other byte outside base64url and the two dots makes the token
// malformed. The transport forms printed in QR codes are accepted wherever
// a token is: the compact form (prefix "91", see [pass.EncodeCompact]),
// from which the JWS is rebuilt byte for byte and then verified like any
// other, and the numeric form of earlier passes (two digits per character,
// see [pass.EncodeNumeric]).
//
// Revocation is by serial, read from the verified payload, never by a hash of
// the token: an ES256 signature has a twin that also verifies, so one pass
// can have two valid byte strings.
//
// # Statuses
//
// A [Verdict] has exactly one [Status]. Authentic is true iff one of our
// keys verified the signature, so an expired or revoked pass is still
// authentic: a collector asks exactly that.
package verifier
