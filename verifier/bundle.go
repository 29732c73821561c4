package verifier

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
)

// An offline bundle is what a door needs to decide with no network: the
// keys that verify passes, the revocation list with its sequence number and
// the event (schedule, policy with its zones, live cues), signed as one
// compact JWS by the pass key, with an issue time and a freshness limit.
//
// It is made for browsers as much as for Go: compact JWS (RFC 7515), EdDSA
// or ES256, a JSON payload of plain numbers, strings and RFC 3339 times, the
// keys as an RFC 7517 JWK set.

// Document types (RFC 8725 §3.11): the "typ" of the protected header of
// every signed document that is not a pass. One key signs passes, bundles,
// revocation lists and the shared keyring (keys.ShareHeaderType); each
// parser takes only its own type, and [Verifier.Verify] takes no typ at
// all (a pass has none).
const (
	BundleHeaderType         = "laminate-bundle+jwt"      // an offline bundle
	RevocationListHeaderType = "laminate-revocations+jwt" // GET /v1/revocations
)

// Bundle format constants.
const (
	BundleType    = "laminate/bundle" // the payload's "typ"
	BundleVersion = 1                 // the payload's "v"; a new format gets a new number
	// BundleVersionSuperseded is the format of a bundle whose event has
	// superseded passes (issue 13): version 1 plus revocations.superseded
	// and the door's next step "superseded". A bundle without any is still
	// made as version 1, so doors of before read it.
	BundleVersionSuperseded = 2

	// MaxBundleSize caps the compact JWS ParseBundle looks at. A bundle
	// with 1,000 revocations is about 20 KiB; 1 MiB holds some 70,000.
	MaxBundleSize = 1 << 20

	// DefaultBundleFreshness is how long a bundle lets a door decide
	// offline when its maker does not say: one show night.
	DefaultBundleFreshness = 12 * time.Hour
)

// Errors of [ParseBundle]. Every error refuses the bundle: a door that has
// none fails closed.
var (
	ErrBundleMalformed   = errors.New("verifier: not an offline bundle")
	ErrBundleForged      = errors.New("verifier: bundle signature does not verify")
	ErrBundleUntrusted   = errors.New("verifier: bundle signed by a key that is not trusted here")
	ErrBundleExpired     = errors.New("verifier: offline bundle expired")
	ErrBundleNotYetValid = errors.New("verifier: offline bundle issued in the future (check this device's clock)")
)

// Bundle is the signed payload of an offline bundle. Sign it with
// signer.Signer.SignDocument([BundleHeaderType], b) to publish it; read one
// with [ParseBundle].
type Bundle struct {
	Type        string             `json:"typ"` // BundleType
	Version     int                `json:"v"`   // BundleVersion
	Issuer      string             `json:"iss,omitempty"`
	IssuedAt    int64              `json:"iat"` // Unix seconds
	ExpiresAt   int64              `json:"exp"` // Unix seconds: the freshness limit; after it a door refuses the bundle
	Event       *pass.Event        `json:"event"`
	Keys        jose.JSONWebKeySet `json:"keys"` // the keys that verify passes (RFC 7517)
	Revocations BundleRevocations  `json:"revocations"`
	Door        *DoorRules         `json:"door"` // the rules' parameters; required (bundles made before it are refused)

	// Set by ParseBundle.
	kid        string
	keys       keySet
	revoked    map[pass.Serial]bool
	superseded map[pass.Serial]bool
}

// BundleRevocations is the revocation list of a bundle: the serials of the
// event's revoked passes, and the store's revocation sequence number they
// are complete up to. Reasons stay at the office: the list must stay small.
//
// Superseded (version 2 only) lists the serials of Serials that a reissue
// replaced: genuine passes whose holder has a newer one. They stay in
// Serials, so whatever reads Serials alone still refuses them.
type BundleRevocations struct {
	Seq        int64         `json:"seq"`
	Serials    []pass.Serial `json:"serials"`              // sorted
	Superseded []pass.Serial `json:"superseded,omitempty"` // sorted; a subset of Serials; version 2
}

// NewBundle assembles the payload of an offline bundle for ev, to be signed
// with signer.Signer.SignDocument. jwks are the keys that verify passes; revs
// are the store's revocations (Store.RevocationsSince(0)): those of ev go
// in the list, and the highest sequence number of all is its Seq. The
// event's effective policy is written out even when it is the default, so
// a reader needs no copy of the default policy. Its door rules are those of
// [NewDoorRules] with [DefaultCloneWindow]; a service with another window
// sets Door to NewDoorRules(window) before signing.
func NewBundle(ev *pass.Event, jwks jose.JSONWebKeySet, revs []record.Revocation, issuer string, now time.Time, freshFor time.Duration) (*Bundle, error) {
	if ev == nil {
		return nil, errors.New("verifier: NewBundle needs an event")
	}
	if freshFor < time.Second {
		return nil, fmt.Errorf("verifier: bundle freshness %s is shorter than a second", freshFor)
	}
	if len(jwks.Keys) == 0 {
		return nil, errors.New("verifier: NewBundle needs at least one verifying key")
	}
	e := *ev
	if e.Policy == nil {
		e.Policy = pass.DefaultPolicy() // a copy: the bundle's reader needs no default of its own
	}
	b := &Bundle{
		Type: BundleType, Version: BundleVersion, Issuer: issuer,
		IssuedAt: now.Unix(), ExpiresAt: now.Add(freshFor).Unix(),
		Event: &e, Keys: jwks,
		Revocations: BundleRevocations{Serials: []pass.Serial{}},
		Door:        defaultDoorRules(),
	}
	for _, r := range revs {
		b.Revocations.Seq = max(b.Revocations.Seq, r.Seq)
		if r.Event == ev.ID {
			b.Revocations.Serials = append(b.Revocations.Serials, r.Serial)
			if r.Superseded() {
				b.Revocations.Superseded = append(b.Revocations.Superseded, r.Serial)
			}
		}
	}
	slices.Sort(b.Revocations.Serials)
	b.Revocations.Serials = slices.Compact(b.Revocations.Serials)
	if len(b.Revocations.Superseded) > 0 {
		slices.Sort(b.Revocations.Superseded)
		b.Revocations.Superseded = slices.Compact(b.Revocations.Superseded)
		b.Version = BundleVersionSuperseded
	}
	b.SetDoor(b.Door)
	return b, nil
}

// SetDoor sets the bundle's door rules to a copy of d (from
// [NewDoorRules]) with what its version needs: a version 2 bundle tells
// the door what to do with a superseded pass.
func (b *Bundle) SetDoor(d *DoorRules) {
	c := *d
	c.NextSteps = maps.Clone(d.NextSteps)
	delete(c.NextSteps, string(StatusSuperseded))
	if b.Version == BundleVersionSuperseded {
		c.NextSteps[string(StatusSuperseded)] = nextSteps[StatusSuperseded]
	}
	b.Door = &c
}

// Issued is when the bundle was made.
func (b *Bundle) Issued() time.Time { return time.Unix(b.IssuedAt, 0).UTC() }

// Expires is the bundle's freshness limit.
func (b *Bundle) Expires() time.Time { return time.Unix(b.ExpiresAt, 0).UTC() }

// Age is how old the bundle's data is at now.
func (b *Bundle) Age(now time.Time) time.Duration { return now.Sub(b.Issued()) }

// KID is the kid of the key that signed the bundle (set by ParseBundle).
func (b *Bundle) KID() string { return b.kid }

// ParseBundle verifies a compact-JWS offline bundle and returns its payload.
//
// The signature must verify with a key of trusted: the caller's keyring,
// or keys it pinned earlier (see [ParseJWKS]). The keys listed inside the
// bundle are never used to verify the bundle itself, since a bundle signed
// by a key it merely lists proves nothing. The header is held to the rules
// of pass tokens: canonical base64url, "alg" EdDSA or ES256 and matching
// the key, only "kid" used to pick the key, no "crit"; and its "typ" must
// be [BundleHeaderType]. A bundle past its
// freshness limit (now after "exp") is refused with [ErrBundleExpired], and
// one issued more than its door rules' leeway ([DefaultLeeway]) after now
// with [ErrBundleNotYetValid]: a door whose clock is wrong must not trust it.
// A bundle without door rules ([DoorRules]) is malformed: it was made
// before bundles carried them, and a door would have to guess them.
func ParseBundle(jws string, trusted KeySource, now time.Time) (*Bundle, error) {
	if trusted == nil {
		return nil, errors.New("verifier: ParseBundle needs trusted keys")
	}
	if len(jws) > MaxBundleSize {
		return nil, fmt.Errorf("%w: larger than %d KiB", ErrBundleMalformed, MaxBundleSize>>10)
	}
	if !canonicalCompact(jws) {
		return nil, fmt.Errorf("%w: not a canonical compact JWS (three base64url segments)", ErrBundleMalformed)
	}
	algs := []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256}
	obj, err := jose.ParseSignedCompact(jws, algs)
	if err != nil {
		if v := (&Verifier{cfg: Config{Algorithms: algs}}).classifyParseError(jws, err); v.Status == StatusForged {
			return nil, fmt.Errorf("%w: algorithm not accepted", ErrBundleForged)
		}
		return nil, fmt.Errorf("%w: %v", ErrBundleMalformed, err)
	}
	if len(obj.Signatures) != 1 {
		return nil, fmt.Errorf("%w: %d signatures", ErrBundleMalformed, len(obj.Signatures))
	}
	h := obj.Signatures[0].Protected
	if _, ok := h.ExtraHeaders["crit"]; ok {
		return nil, fmt.Errorf("%w: crit header not supported", ErrBundleMalformed)
	}
	switch typ, ok := h.ExtraHeaders[jose.HeaderType]; {
	case !ok:
		return nil, fmt.Errorf("%w: no header typ (a pass, or a bundle made before bundles were typed: export a new one)", ErrBundleMalformed)
	case typ != BundleHeaderType:
		return nil, fmt.Errorf("%w: header typ %q, want %q (a signed document of another kind)", ErrBundleMalformed, safeKID(fmt.Sprint(typ)), BundleHeaderType)
	}
	key, ok := trusted.VerifyKey(h.KeyID)
	if !ok {
		return nil, fmt.Errorf("%w: kid %q", ErrBundleUntrusted, safeKID(h.KeyID))
	}
	if jose.SignatureAlgorithm(h.Algorithm) != key.Alg {
		return nil, fmt.Errorf("%w: alg %s, key %s is %s", ErrBundleForged, safeKID(h.Algorithm), key.KID, key.Alg)
	}
	payload, err := obj.Verify(key.Public)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundleForged, err)
	}
	b, err := decodeBundle(payload)
	if err != nil {
		return nil, err
	}
	b.kid = key.KID
	switch {
	case now.After(b.Expires()):
		return nil, fmt.Errorf("%w: fresh until %s, made %s (%s old)", ErrBundleExpired,
			b.Expires().Format(time.RFC3339), b.Issued().Format(time.RFC3339), b.Age(now).Round(time.Second))
	case b.Issued().After(now.Add(b.Door.Leeway())):
		return nil, fmt.Errorf("%w: made %s", ErrBundleNotYetValid, b.Issued().Format(time.RFC3339))
	}
	return b, nil
}

// decodeBundle reads and checks a verified payload: one JSON object of
// the known shape, every part valid.
func decodeBundle(payload []byte) (*Bundle, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBundleMalformed, fmt.Sprintf(format, args...))
	}
	type plain Bundle // without methods; its Keys is shadowed below
	var w struct {
		plain
		Keys json.RawMessage `json:"keys"` // parsed strictly by parseKeySet
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, bad("payload: %v", err)
	}
	if dec.More() {
		return nil, bad("data after the payload")
	}
	b := Bundle(w.plain)
	switch {
	case b.Type != BundleType:
		return nil, bad("typ %q, want %q", safeKID(b.Type), BundleType)
	case b.Version != BundleVersion && b.Version != BundleVersionSuperseded:
		return nil, bad("format version %d, this program reads %d and %d", b.Version, BundleVersion, BundleVersionSuperseded)
	case b.Version == BundleVersion && b.Revocations.Superseded != nil:
		return nil, bad("revocations.superseded in a version %d bundle", BundleVersion)
	case b.IssuedAt <= 0 || b.ExpiresAt <= b.IssuedAt:
		return nil, bad("iat %d and exp %d out of order", b.IssuedAt, b.ExpiresAt)
	case b.Event == nil:
		return nil, bad("no event")
	case b.Revocations.Seq < 0:
		return nil, bad("revocations.seq %d", b.Revocations.Seq)
	case b.Door == nil:
		return nil, bad("no door rules (a bundle made before bundles carried them: export a new one)")
	}
	if err := b.Door.check(b.Version); err != nil {
		return nil, bad("door: %v", err)
	}
	if err := b.Event.ValidateSigned(); err != nil {
		return nil, bad("event: %v", err)
	}
	if b.Event.Policy != nil { // re-read through the policy parser: it checks zones, types and windows
		raw, err := json.Marshal(b.Event.Policy)
		if err != nil {
			return nil, bad("event policy: %v", err)
		}
		if b.Event.Policy, err = pass.ParsePolicy(bytes.NewReader(raw)); err != nil {
			return nil, bad("event policy: %v", err)
		}
	}
	var err error
	if b.keys, b.Keys, err = parseKeySet(w.Keys); err != nil {
		return nil, bad("keys: %v", err)
	}
	b.revoked = make(map[pass.Serial]bool, len(b.Revocations.Serials))
	for i, s := range b.Revocations.Serials {
		if got, err := pass.ParseSerial(string(s)); err != nil || got != s {
			return nil, bad("revocations.serials[%d]: bad serial %q", i, safeKID(string(s)))
		}
		b.revoked[s] = true
	}
	b.superseded = make(map[pass.Serial]bool, len(b.Revocations.Superseded))
	for i, s := range b.Revocations.Superseded {
		if !b.revoked[s] || b.superseded[s] {
			return nil, bad("revocations.superseded[%d]: %q is not in revocations.serials, or twice", i, safeKID(string(s)))
		}
		b.superseded[s] = true
	}
	return &b, nil
}

// keySet is a KeySource over a fixed set of keys.
type keySet map[string]keys.Key

func (s keySet) VerifyKey(kid string) (keys.Key, bool) {
	k, ok := s[kid]
	return k, ok
}

// ParseJWKS reads a JWK set (RFC 7517) of verifying keys, as served at
// /.well-known/jwks.json or printed by "laminate keys jwks", into a
// [KeySource]: keys pinned by a door to check bundles with. Only public
// EdDSA (Ed25519) and ES256 (P-256) keys are accepted, each with a kid
// that is the start of its RFC 7638 thumbprint, and nothing but kty, crv,
// x, y, kid, alg and use: no private parts, certificates or URLs.
func ParseJWKS(data []byte) (KeySource, error) {
	ks, _, err := parseKeySet(data)
	if err != nil {
		return nil, fmt.Errorf("verifier: JWKS: %w", err)
	}
	return ks, nil
}

// maxJWKS caps a pinned JWK set; a keyring has a handful of keys.
const maxJWKS = 64 << 10

var jwkMembers = map[string]bool{"kty": true, "crv": true, "x": true, "y": true, "kid": true, "alg": true, "use": true}

func parseKeySet(data []byte) (keySet, jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if len(data) > maxJWKS {
		return nil, set, fmt.Errorf("larger than %d KiB", maxJWKS>>10)
	}
	var raw struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, set, fmt.Errorf("not a JWK set: %v", err)
	}
	if dec.More() {
		return nil, set, errors.New("data after the JWK set")
	}
	if len(raw.Keys) == 0 {
		return nil, set, errors.New("no keys")
	}
	ks := keySet{}
	for i, m := range raw.Keys {
		for name := range m {
			if !jwkMembers[name] {
				return nil, set, fmt.Errorf("keys[%d]: member %q is not allowed", i, safeKID(name))
			}
		}
		one, _ := json.Marshal(m)
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(one); err != nil {
			return nil, set, fmt.Errorf("keys[%d]: %v", i, err)
		}
		k, err := verifyingKey(&jwk)
		if err != nil {
			return nil, set, fmt.Errorf("keys[%d]: %v", i, err)
		}
		if _, dup := ks[k.KID]; dup {
			return nil, set, fmt.Errorf("keys[%d]: kid %q listed twice", i, k.KID)
		}
		ks[k.KID] = k
		set.Keys = append(set.Keys, jwk)
	}
	return ks, set, nil
}

// verifyingKey checks one parsed JWK: public, of the type its alg needs,
// for signatures, and named by its own thumbprint.
func verifyingKey(jwk *jose.JSONWebKey) (keys.Key, error) {
	alg := jose.SignatureAlgorithm(jwk.Algorithm)
	switch k := jwk.Key.(type) {
	case ed25519.PublicKey:
		if alg != jose.EdDSA || len(k) != ed25519.PublicKeySize {
			return keys.Key{}, fmt.Errorf("an Ed25519 key with alg %q", safeKID(jwk.Algorithm))
		}
	case *ecdsa.PublicKey:
		if alg != jose.ES256 || k.Curve != elliptic.P256() {
			return keys.Key{}, fmt.Errorf("an EC key with alg %q (ES256 on P-256 only)", safeKID(jwk.Algorithm))
		}
	default:
		return keys.Key{}, fmt.Errorf("a %T is not a verifying key (EdDSA or ES256 public keys only)", jwk.Key)
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return keys.Key{}, fmt.Errorf("use %q, want sig", safeKID(jwk.Use))
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return keys.Key{}, err
	}
	full := base64.RawURLEncoding.EncodeToString(tp)
	if n := len(jwk.KeyID); n < 4 || n > len(full) || full[:n] != jwk.KeyID {
		return keys.Key{}, fmt.Errorf("kid %q is not the start of the key's thumbprint", safeKID(jwk.KeyID))
	}
	return keys.Key{KID: jwk.KeyID, Alg: alg, Public: jwk.Key}, nil
}

// Revoked implements [RevocationSource] over the bundle's list. The list
// carries serials only, so the revocation has no reason or time.
func (b *Bundle) Revoked(serial pass.Serial) (record.Revocation, bool) {
	if !b.revoked[serial] {
		return record.Revocation{}, false
	}
	r := record.Revocation{Seq: b.Revocations.Seq, Serial: serial, Event: b.Event.ID}
	if b.superseded[serial] {
		r.Category = pass.RevokeSuperseded
	}
	return r, true
}

// Offline decides at a door from a bundle alone: no network, no database.
// It is safe for concurrent use.
type Offline struct {
	b *Bundle
	v *Verifier
}

// NewOffline returns a verifier over a bundle that [ParseBundle] accepted:
// passes are verified with the keys the bundle carries (it is trusted, and
// it brings keys rotated in since the door last had a network), checked
// against its revocation list, and a pass for another event is
// wrong_event. Access decisions use the event as the bundle has it, cues
// included.
func NewOffline(b *Bundle) (*Offline, error) {
	if b == nil || b.keys == nil || b.revoked == nil || b.Door == nil {
		return nil, errors.New("verifier: NewOffline needs a bundle read by ParseBundle")
	}
	leeway := b.Door.Leeway()
	if leeway == 0 {
		leeway = -1 // Config: none (0 would be the default)
	}
	v, err := New(Config{Keys: b.keys, Revocations: b, Event: b.Event.ID, Leeway: leeway})
	if err != nil {
		return nil, err
	}
	return &Offline{b: b, v: v}, nil
}

// Bundle is the bundle o decides from.
func (o *Offline) Bundle() *Bundle { return o.b }

// Event is the bundle's event.
func (o *Offline) Event() *pass.Event { return o.b.Event }

// Verify is [Verifier.Verify] from the bundle. A revoked pass has no
// reason or time of revocation (the list has serials only); its message
// says which list revoked it instead.
func (o *Offline) Verify(token string, at time.Time) Verdict {
	vd := o.v.Verify(token, at)
	if vd.Pass != nil && vd.Pass.Event == o.b.Event.ID {
		vd.InZone(o.b.Event.Location()) // times in the event's zone, as offline.js shows them
	}
	if vd.Status == StatusRevoked {
		vd.Revocation = nil
		vd.Message = fmt.Sprintf("Genuine pass, revoked (revocation list %d of %s)",
			o.b.Revocations.Seq, pass.FormatTime(o.b.Issued(), o.b.Event.Location()))
		vd.MessageKey, vd.MessageParams = "revoked.offline", pass.Params{
			"seq": strconv.FormatInt(o.b.Revocations.Seq, 10), "at": pass.ParamTime(o.b.Issued(), o.b.Event.Location())}
		vd.Err = fmt.Errorf("%w: %s (offline revocation list, seq %d)", ErrRevoked, vd.Serial, o.b.Revocations.Seq)
	}
	return vd
}

// Access is [Verifier.Access] with the bundle's event.
func (o *Offline) Access(vd *Verdict, zone pass.Zone, at time.Time) {
	o.v.Access(vd, o.b.Event, zone, at)
}

// OfflineVerdict is a verdict from a bundle with what the bundle says of
// itself, as "laminate verify --offline --json" prints it.
type OfflineVerdict struct {
	Verdict
	Bundle BundleInfo `json:"bundle"`
}

// DecideOffline verifies token from the bundle b at at ([Offline.Verify])
// and, when zone is not nil, decides access to it ([Offline.Access]).
func DecideOffline(b *Bundle, token string, zone *pass.Zone, at time.Time) (*OfflineVerdict, error) {
	off, err := NewOffline(b)
	if err != nil {
		return nil, err
	}
	vd := off.Verify(token, at)
	if zone != nil {
		off.Access(&vd, *zone, at)
	}
	return &OfflineVerdict{Verdict: vd, Bundle: b.Info(at)}, nil
}
