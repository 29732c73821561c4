package verifier

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
)

// MaxTokenSize is the largest input Verify looks at. Laminate tokens are
// under 400 bytes; 2 KiB leaves room for long names and the numeric form.
// A transport form (compact or numeric) is held to it too once decoded.
const MaxTokenSize = 2048

// DefaultLeeway is the clock skew tolerated on nbf and exp.
const DefaultLeeway = 2 * time.Minute

// Status is the outcome of verifying a token.
type Status string

// Statuses; exactly one per verdict.
const (
	StatusValid       Status = "valid"
	StatusExpired     Status = "expired"
	StatusNotYetValid Status = "not_yet_valid"
	StatusRevoked     Status = "revoked"
	StatusForged      Status = "forged"      // signature does not verify, or an algorithm we never accept
	StatusUnknownKey  Status = "unknown_key" // kid not in the keyring, or retired
	StatusMalformed   Status = "malformed"   // not a Laminate token at all
	StatusWrongEvent  Status = "wrong_event" // genuine, for another event than this door's
	// StatusSuperseded is a genuine pass replaced by a reissue (issue 13):
	// the holder has a newer pass. Not a forgery, and not a revocation a
	// door must raise an alarm about.
	StatusSuperseded Status = "superseded"
)

// Texts of a superseded pass (issue 13): the public check says genuine,
// but replaced; the door keeps the old card and sends the holder to the
// desk, where the new one waits.
const (
	SupersededMessage  = "Genuine, but replaced by a newer pass"
	SupersededNextStep = "Keep this one and send the holder to the desk"
	SupersededReason   = "replaced by a newer pass: keep this one and send the holder to the desk"
)

// Sentinel errors, one per status but valid; Verdict.Err wraps one of them.
var (
	ErrExpired     = errors.New("verifier: pass expired")
	ErrNotYetValid = errors.New("verifier: pass not yet valid")
	ErrRevoked     = errors.New("verifier: pass revoked")
	ErrForged      = errors.New("verifier: signature does not verify")
	ErrUnknownKey  = errors.New("verifier: unknown or retired key")
	ErrMalformed   = errors.New("verifier: malformed token")
	ErrWrongEvent  = errors.New("verifier: pass is for another event")
	ErrSuperseded  = errors.New("verifier: pass replaced by a newer pass")
)

// KeySource finds a verifying key by kid; *keys.Keyring is one.
type KeySource interface {
	VerifyKey(kid string) (keys.Key, bool)
}

// RevocationSource answers whether a serial is revoked; *RevocationSet is one.
type RevocationSource interface {
	Revoked(serial pass.Serial) (record.Revocation, bool)
}

// Config configures a Verifier.
type Config struct {
	Keys        KeySource                 // required
	Revocations RevocationSource          // required; use an empty *RevocationSet for none
	Algorithms  []jose.SignatureAlgorithm // allow-list; default EdDSA and ES256
	Event       string                    // when set, passes for other events are wrong_event
	Leeway      time.Duration             // clock skew on nbf/exp; default DefaultLeeway, negative for none
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	cfg Config
}

var neverAllowed = []jose.SignatureAlgorithm{"none", jose.HS256, jose.HS384, jose.HS512}

// New checks cfg and returns a verifier.
func New(cfg Config) (*Verifier, error) {
	if cfg.Keys == nil || cfg.Revocations == nil {
		return nil, errors.New("verifier: Config needs Keys and Revocations")
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256}
	}
	for _, a := range cfg.Algorithms {
		if slices.Contains(neverAllowed, a) || (a != jose.EdDSA && a != jose.ES256) {
			return nil, fmt.Errorf("verifier: algorithm %q cannot be allowed (EdDSA and ES256 only)", a)
		}
	}
	cfg.Algorithms = slices.Clone(cfg.Algorithms)
	switch {
	case cfg.Leeway == 0:
		cfg.Leeway = DefaultLeeway
	case cfg.Leeway < 0:
		cfg.Leeway = 0
	}
	return &Verifier{cfg: cfg}, nil
}

// Verdict is the answer about one token.
type Verdict struct {
	Authentic  bool         `json:"authentic"`
	Status     Status       `json:"status"`
	Message    string       `json:"message"`             // for people; never internal detail
	NextStep   string       `json:"next_step,omitempty"` // what the door does about a refusal (issue 11); empty when valid
	Serial     pass.Serial  `json:"serial,omitempty"`
	Type       pass.Type    `json:"type,omitempty"`
	Role       string       `json:"role,omitempty"`
	Name       string       `json:"name,omitempty"`
	Org        string       `json:"org,omitempty"`
	Event      string       `json:"event,omitempty"`
	Issuer     string       `json:"issuer,omitempty"`
	KID        string       `json:"kid,omitempty"`
	ValidFrom  time.Time    `json:"valid_from,omitzero"`
	ExpiresAt  time.Time    `json:"expires_at,omitzero"`
	Revocation *RevokedInfo `json:"revocation,omitempty"`
	// Photo says that the pass signs a holder photo. The photo itself is
	// shown only to door staff (GET /v1/passes/{serial}/photo), never here.
	Photo bool `json:"photo,omitempty"`

	// Set by Access.
	Zone    pass.Zone   `json:"zone,omitempty"`
	Allowed *bool       `json:"allowed,omitempty"`
	Code    record.Code `json:"code,omitempty"`
	Reason  string      `json:"reason,omitempty"`
	Phase   pass.Phase  `json:"phase,omitempty"`

	// The message, the reason and the next step as text keys with
	// parameters (issue 14; [Texts]): a page in another language words
	// them itself. The message's are set by Verify, the others by Access.
	MessageKey    string      `json:"message_key,omitempty"`
	MessageParams pass.Params `json:"message_params,omitempty"`
	ReasonKey     string      `json:"reason_key,omitempty"`
	ReasonParams  pass.Params `json:"reason_params,omitempty"`
	NextKey       string      `json:"next_key,omitempty"`
	NextParams    pass.Params `json:"next_params,omitempty"`

	Pass *pass.Pass `json:"-"` // nil unless a key of ours verified the signature
	Err  error      `json:"-"` // wraps the sentinel of a non-valid status
}

// RevokedInfo is the public part of a revocation: its category, never
// the office's note.
type RevokedInfo struct {
	Reason pass.RevokeCategory `json:"reason"`
	At     time.Time           `json:"at"`
}

// Valid reports whether the pass is genuine and live.
func (v Verdict) Valid() bool { return v.Status == StatusValid }

// Normalize applies the scanner tolerances: leading spaces, trailing spaces,
// CR and LF go; nothing else is changed.
func Normalize(raw string) string {
	return strings.TrimRight(strings.TrimLeft(raw, " "), " \r\n")
}

// nextSteps says, for each status that refuses a pass, what the door
// person does next: short and imperative. A bad signature or an unreadable
// code may be a bad read, so those are scanned once more first.
var nextSteps = map[Status]string{
	StatusExpired:     "Send to the accreditation desk for a new pass",
	StatusNotYetValid: pass.NextAccreditation, // with the event known, Access says when
	StatusRevoked:     "Keep the pass and call the production office",
	StatusForged:      "Scan once more; if refused again, keep the pass and call security",
	StatusUnknownKey:  pass.NextAccreditation,
	StatusMalformed:   "Scan once more; if it fails again, send to the accreditation desk",
	StatusWrongEvent:  pass.NextAccreditation,
	StatusSuperseded:  SupersededNextStep,
}

// nextUnknownEvent is the next step when this service does not know the
// event of a genuine pass.
const nextUnknownEvent = "Call the production office: this door does not know the pass's event"

// Verify checks token at time at.
func (v *Verifier) Verify(token string, at time.Time) Verdict {
	vd := v.verify(token, at)
	vd.NextStep = nextSteps[vd.Status]
	vd.messageText(nil)
	return vd
}

func (v *Verifier) verify(token string, at time.Time) Verdict {
	if len(token) > MaxTokenSize {
		return malformed(fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxTokenSize))
	}
	token = Normalize(token)
	// A QR code's transport form (compact or numeric) becomes the JWS.
	t, err := pass.DecodeTransport(token)
	if err != nil {
		return malformed(fmt.Errorf("%w: %v", ErrMalformed, err))
	}
	if len(t) > MaxTokenSize {
		return malformed(fmt.Errorf("%w: longer than %d bytes once decoded", ErrMalformed, MaxTokenSize))
	}
	token = t
	if !canonicalCompact(token) {
		return v.notCompact(token)
	}
	jws, err := jose.ParseSignedCompact(token, v.cfg.Algorithms)
	if err != nil {
		return v.classifyParseError(token, err)
	}
	if len(jws.Signatures) != 1 {
		return malformed(fmt.Errorf("%w: %d signatures", ErrMalformed, len(jws.Signatures)))
	}
	h := jws.Signatures[0].Protected
	if _, ok := h.ExtraHeaders["crit"]; ok {
		return malformed(fmt.Errorf("%w: crit header not supported", ErrMalformed))
	}
	if typ, ok := h.ExtraHeaders[jose.HeaderType]; ok {
		// A pass has no typ; the key that signs passes also signs bundles,
		// revocation lists and the shared keyring, each typed (RFC 8725
		// §3.11). Passes printed before that have none and keep verifying.
		return malformed(fmt.Errorf("%w: a signed document of type %q, not a pass", ErrMalformed, safeKID(fmt.Sprint(typ))))
	}
	key, ok := v.cfg.Keys.VerifyKey(h.KeyID)
	if !ok {
		return Verdict{Status: StatusUnknownKey, Message: "Signed with a key this service does not know (or has retired)",
			KID: safeKID(h.KeyID), Err: fmt.Errorf("%w: kid %q", ErrUnknownKey, safeKID(h.KeyID))}
	}
	if jose.SignatureAlgorithm(h.Algorithm) != key.Alg {
		return forged(fmt.Errorf("%w: alg %s, key %s is %s", ErrForged, h.Algorithm, key.KID, key.Alg))
	}
	payload, err := jws.Verify(key.Public)
	if err != nil {
		return forged(fmt.Errorf("%w: %v", ErrForged, err))
	}
	vd := Verdict{Authentic: true, KID: key.KID}
	var c pass.Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		vd.Status, vd.Message, vd.Err = StatusMalformed, "Signed by us, but the content is not a pass", fmt.Errorf("%w: claims: %v", ErrMalformed, err)
		return vd
	}
	p, err := c.Pass()
	if err != nil {
		vd.Status, vd.Message, vd.Err = StatusMalformed, "Signed by us, but the content is not a pass", fmt.Errorf("%w: claims: %v", ErrMalformed, err)
		return vd
	}
	vd.fill(&p)
	v.judge(&vd, at)
	return vd
}

// VerdictAt is vd, a verdict of Verify, as it stands at time at: the same
// signature, judged again against the revocations and the pass's validity
// dates. It is cheap (no signature check), for a decision whose final time
// is known only once the pass is locked.
func (v *Verifier) VerdictAt(vd Verdict, at time.Time) Verdict {
	if vd.Pass == nil || vd.Status == StatusMalformed {
		return vd
	}
	out := Verdict{Authentic: true, KID: vd.KID}
	out.fill(vd.Pass)
	v.judge(&out, at)
	out.NextStep = nextSteps[out.Status]
	out.messageText(nil)
	return out
}

// judge sets the status of an authentic pass at time at.
func (v *Verifier) judge(vd *Verdict, at time.Time) {
	p := vd.Pass
	switch {
	case v.cfg.Event != "" && p.Event != v.cfg.Event:
		vd.Status, vd.Err = StatusWrongEvent, fmt.Errorf("%w: %s, this door is %s", ErrWrongEvent, p.Event, v.cfg.Event)
		vd.Message = fmt.Sprintf("Genuine pass, but for another event (%s)", p.Event)
	case v.revoked(vd):
	case at.After(p.ValidUntil.Add(v.cfg.Leeway)):
		vd.Status, vd.Err = StatusExpired, ErrExpired
		vd.Message = "Genuine pass, expired " + pass.FormatTime(p.ValidUntil, nil)
	case !p.ValidFrom.IsZero() && at.Before(p.ValidFrom.Add(-v.cfg.Leeway)):
		vd.Status, vd.Err = StatusNotYetValid, ErrNotYetValid
		vd.Message = "Genuine pass, not valid before " + pass.FormatTime(p.ValidFrom, nil)
	default:
		vd.Status, vd.Message = StatusValid, "Genuine pass"
	}
}

func (v *Verifier) revoked(vd *Verdict) bool {
	r, ok := v.cfg.Revocations.Revoked(vd.Serial)
	if !ok {
		return false
	}
	cat := r.Category
	if !cat.Valid() {
		cat = pass.RevokeOther
	}
	if cat == pass.RevokeSuperseded {
		vd.Status, vd.Revocation = StatusSuperseded, &RevokedInfo{Reason: cat, At: r.At}
		vd.Err = fmt.Errorf("%w: %s (%s)", ErrSuperseded, vd.Serial, r.At.Format(time.RFC3339))
		vd.Message = SupersededMessage
		return true
	}
	vd.Status, vd.Revocation = StatusRevoked, &RevokedInfo{Reason: cat, At: r.At}
	vd.Err = fmt.Errorf("%w: %s (%s, %s)", ErrRevoked, vd.Serial, cat, r.At.Format(time.RFC3339))
	vd.Message = fmt.Sprintf("Genuine pass, revoked %s: %s", pass.FormatTime(r.At, nil), cat.Label())
	return true
}

// InZone shows the times of vd's message in loc, the zone of the pass's
// event, as every Laminate screen shows a time ([pass.FormatTime]):
// "Genuine pass, expired 2027-03-06 05:00 +01:00". The verify path knows
// no event, so its messages are in UTC until the caller that has the
// event calls this ([Verifier.Access] does).
func (vd *Verdict) InZone(loc *time.Location) {
	if vd.Pass == nil || loc == nil {
		return
	}
	switch vd.Status {
	case StatusExpired:
		vd.Message = "Genuine pass, expired " + pass.FormatTime(vd.Pass.ValidUntil, loc)
	case StatusNotYetValid:
		vd.Message = "Genuine pass, not valid before " + pass.FormatTime(vd.Pass.ValidFrom, loc)
	case StatusRevoked:
		if r := vd.Revocation; r != nil {
			vd.Message = fmt.Sprintf("Genuine pass, revoked %s: %s", pass.FormatTime(r.At, loc), r.Reason.Label())
		}
	}
	vd.messageText(loc)
}

// fill shows p in the verdict: [pass.Shown], in the fields /verify has
// always sent.
func (vd *Verdict) fill(p *pass.Pass) {
	vd.Pass = p
	sh := p.Shown()
	vd.Serial, vd.Type, vd.Role, vd.Name, vd.Org, vd.Event, vd.Issuer = sh.Serial, sh.Type, sh.Role, sh.Name, sh.Org, sh.Event, sh.Issuer
	vd.ExpiresAt, vd.ValidFrom = sh.ValidUntil, sh.ValidFrom
	vd.Photo = p.Photo != ""
}

// Access adds the door decision for zone at time at to a verdict: a pass
// that is not valid is denied with its status as the code; a valid one is
// judged by the event's policy (ev must be the pass's event).
func (v *Verifier) Access(vd *Verdict, ev *pass.Event, zone pass.Zone, at time.Time) {
	vd.Zone = zone
	allowed := false
	vd.Allowed = &allowed
	if ev != nil {
		vd.Phase = ev.PhaseAt(at)
		if vd.Pass != nil && vd.Pass.Event == ev.ID {
			vd.InZone(ev.Location())
		}
	}
	if vd.Status != StatusValid {
		vd.Code, vd.Reason = record.Code(vd.Status), vd.Message
		vd.ReasonKey, vd.ReasonParams = vd.MessageKey, vd.MessageParams
		vd.NextKey, vd.NextParams = string(vd.Status), nil
		if vd.Status == StatusSuperseded {
			vd.Reason = SupersededReason
		}
		if vd.Status == StatusNotYetValid && ev != nil && !vd.ValidFrom.IsZero() {
			vd.NextStep = ev.NotBefore(vd.ValidFrom, at)
			vd.NextKey, vd.NextParams = "not_before", ev.NotBeforeParams(vd.ValidFrom)
		}
		return
	}
	if ev == nil {
		vd.Code, vd.Reason, vd.NextStep = CodeUnknownEvent, "Genuine pass, but its event is not known here", nextUnknownEvent
		vd.ReasonKey, vd.ReasonParams, vd.NextKey, vd.NextParams = string(CodeUnknownEvent), nil, string(CodeUnknownEvent), nil
		return
	}
	d := ev.Decide(vd.Pass, zone, at)
	allowed = d.Allowed
	vd.Code, vd.Reason, vd.Phase, vd.NextStep = record.Code(d.Code), d.Reason, d.Phase, d.NextStep
	vd.ReasonKey, vd.ReasonParams, vd.NextKey, vd.NextParams = d.ReasonKey, d.ReasonParams, d.NextKey, d.NextParams
}

// notCompact explains input that is not a canonical compact JWS: an
// unsigned or HMAC token is forged, anything else malformed.
func (v *Verifier) notCompact(token string) Verdict {
	return v.classifyParseError(token, errors.New("not a canonical compact JWS (three base64url segments)"))
}

// classifyParseError tells a token in an algorithm we refuse (forged: an
// attempt to pass unsigned or HMAC data as a pass) from input that is not a
// JWS at all (malformed). Only called on the failure path.
func (v *Verifier) classifyParseError(token string, err error) Verdict {
	head, _, ok := strings.Cut(token, ".")
	if ok {
		if raw, derr := base64.RawURLEncoding.DecodeString(head); derr == nil {
			var h struct {
				Alg string `json:"alg"`
			}
			if json.Unmarshal(raw, &h) == nil && h.Alg != "" && !slices.Contains(v.cfg.Algorithms, jose.SignatureAlgorithm(h.Alg)) &&
				strings.Count(token, ".") == 2 {
				return forged(fmt.Errorf("%w: algorithm %q is not accepted", ErrForged, safeKID(h.Alg)))
			}
		}
	}
	return malformed(fmt.Errorf("%w: %v", ErrMalformed, err))
}

// canonicalCompact reports whether token is a compact JWS in canonical
// form: three segments of base64url characters and nothing else, each
// segment's last character with its unused low bits zero. go-jose decodes
// leniently (it skips CR and LF inside a segment and ignores unused bits,
// and it verifies the signature over the decoded, re-encoded header and
// payload), so without this check one pass could be written as many byte
// strings that all verify.
func canonicalCompact(token string) bool {
	dots := 0
	segStart := 0
	for i := 0; i <= len(token); i++ {
		if i < len(token) && token[i] != '.' {
			if b64val[token[i]] < 0 {
				return false
			}
			continue
		}
		if i < len(token) {
			dots++
		}
		seg := token[segStart:i]
		segStart = i + 1
		if len(seg) == 0 {
			continue // an empty segment: the parser says what is wrong
		}
		v := byte(b64val[seg[len(seg)-1]])
		switch len(seg) % 4 {
		case 1:
			return false // no base64 has this length
		case 2:
			if v&0x0f != 0 { // last character carries 2 bits
				return false
			}
		case 3:
			if v&0x03 != 0 { // last character carries 4 bits
				return false
			}
		}
	}
	return dots == 2
}

var b64val = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = int8(i)
	}
	return t
}()

func malformed(err error) Verdict {
	return Verdict{Status: StatusMalformed, Message: "Not a Laminate pass (unreadable code)", Err: err}
}

func forged(err error) Verdict {
	return Verdict{Status: StatusForged, Message: "The signature does not match: not a pass we issued", Err: err}
}

// safeKID shortens and cleans an attacker-chosen header value before it is
// logged or shown.
func safeKID(s string) string {
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
