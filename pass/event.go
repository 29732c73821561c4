package pass

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Event is one show: its schedule, its policy and the live cues given so far.
type Event struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Venue    string   `json:"venue,omitempty"`
	Schedule Schedule `json:"schedule"`
	Policy   *Policy  `json:"policy,omitempty"` // nil: the default policy
	Cues     Cues     `json:"cues,omitzero"`
	// Branding is for print only: not in the JSON that offline bundles
	// carry (see [Branding]); stores keep it in a column of its own.
	Branding *Branding `json:"-"`
}

// Limits on free text, so a pass prints and its token stays small.
const (
	// MaxNameLen is what the largest shipped template (A6) holds on two
	// lines at its smallest readable size: about 120 characters of Latin,
	// 140 of Arabic or Thai, 159 of Devanagari. Whether a name fits a
	// given template is checked where it is printed (render).
	MaxNameLen  = 160 // characters of a holder's name
	MaxOrgLen   = 48
	MaxTitleLen = 120 // event name and venue
)

// Validate checks the event and fills the schedule's defaults.
func (e *Event) Validate() error { return e.validate(typedText) }

// ValidateSigned is Validate for an event read from a document Laminate
// signed (an offline bundle): its name and venue may predate the current
// text rules, and are refused only for what can reverse what staff read.
func (e *Event) ValidateSigned() error { return e.validate(signedText) }

func (e *Event) validate(rules textRules) error {
	if !ValidEventID(e.ID) {
		return &FieldError{Field: "id", Msg: fmt.Sprintf("bad event id %q (1 to 32 letters, digits, '.', '_' or '-')", e.ID)}
	}
	if err := checkText("event name", e.Name, MaxTitleLen, true, rules); err != nil {
		return about("name", err)
	}
	if err := checkText("venue", e.Venue, MaxTitleLen, false, rules); err != nil {
		return about("venue", err)
	}
	s, err := e.Schedule.Normalize()
	if err != nil {
		return err
	}
	e.Schedule = s
	return nil
}

// EffectivePolicy is the event's policy, or the default one.
func (e *Event) EffectivePolicy() *Policy {
	if e.Policy != nil {
		return e.Policy
	}
	return defaultPolicy
}

// Errors of [Event.CheckGate] and [Event.CheckZone].
var (
	ErrUnknownGate = errors.New("unknown gate")
	ErrUnknownZone = errors.New("unknown zone")
)

// CheckGate refuses a scan at a gate the event does not have. An event
// whose policy declares no gates accepts any gate name: gates are checked
// only once they are declared.
func (e *Event) CheckGate(gate string) error {
	gs := e.EffectivePolicy().Gates
	if len(gs) == 0 || slices.Contains(gs, gate) {
		return nil
	}
	return &placeError{ErrUnknownGate, fmt.Sprintf("gate %q is not a gate of event %s (its gates: %s)", gate, e.ID, strings.Join(gs, ", "))}
}

// CheckZone refuses a scan in a zone the event does not have.
func (e *Event) CheckZone(z Zone) error {
	p := e.EffectivePolicy()
	if p.HasZone(z) {
		return nil
	}
	zs := make([]string, len(p.Zones))
	for i, x := range p.Zones {
		zs[i] = string(x)
	}
	return &placeError{ErrUnknownZone, fmt.Sprintf("zone %q is not a zone of event %s (its zones: %s)", z, e.ID, strings.Join(zs, ", "))}
}

// placeError is an error of CheckGate or CheckZone: a message for people,
// which names what the event has, and the sentinel it matches.
type placeError struct {
	kind error
	msg  string
}

func (e *placeError) Error() string { return e.msg }
func (e *placeError) Unwrap() error { return e.kind }

// PhaseAt returns the phase of the event at t, live cues included.
func (e *Event) PhaseAt(t time.Time) Phase { return e.timeline().phase(t) }

// Location is the time zone in which the event's times are shown: the one
// its show start was given in.
func (e *Event) Location() *time.Location { return e.Schedule.ShowStart.Location() }

// Pass is what a token says about its holder.
type Pass struct {
	Serial     Serial    `json:"serial"`
	Event      string    `json:"event"`
	Type       Type      `json:"type"`
	Role       string    `json:"role,omitempty"`
	Name       string    `json:"name"`
	Org        string    `json:"org,omitempty"`
	ValidFrom  time.Time `json:"valid_from,omitzero"` // zero: from issuance
	ValidUntil time.Time `json:"valid_until"`
	Issuer     string    `json:"issuer,omitempty"`
	// Photo is the hash of the holder's stored photo ([PhotoHash]), signed
	// into the token so that a photo swapped in the database is caught at
	// the door; empty for a pass without a photo.
	Photo string `json:"photo,omitempty"`
}

// PhotoAspectW:PhotoAspectH is the shape of a holder photo, portrait like
// an ID photo: stored photos are cropped to it and templates' photo boxes
// have it.
const PhotoAspectW, PhotoAspectH = 3, 4

// PhotoHashLen is the length of a [PhotoHash]: 8 bytes in base64url.
const PhotoHashLen = 11

// PhotoHash is the short hash of a stored photo that a pass signs: the
// first 8 bytes of the SHA-256 of its JPEG bytes, base64url without
// padding. 64 bits bind the photo: finding another photo with the same
// hash takes about 2^64 tries.
func PhotoHash(jpeg []byte) string {
	sum := sha256.Sum256(jpeg)
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// validPhotoHash reports whether s could be a [PhotoHash]: 11 base64url
// characters whose unused low bits are zero, so one hash has one spelling.
func validPhotoHash(s string) bool {
	if len(s) != PhotoHashLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == 8
}

// Validate checks every field of a pass about to be issued; its text by
// [CheckText].
func (p *Pass) Validate() error { return p.validate(typedText) }

func (p *Pass) validate(rules textRules) error {
	if got, err := ParseSerial(string(p.Serial)); err != nil || got != p.Serial {
		return fmt.Errorf("bad serial %q", p.Serial)
	}
	if !ValidEventID(p.Event) {
		return fmt.Errorf("bad event id %q", p.Event)
	}
	if _, ok := typeInfo[p.Type]; !ok {
		return fmt.Errorf("unknown pass type %q (want one of %s)", p.Type, typeList())
	}
	if err := checkText("name", p.Name, MaxNameLen, true, rules); err != nil {
		return err
	}
	if err := checkText("org", p.Org, MaxOrgLen, false, rules); err != nil {
		return err
	}
	switch {
	case p.Role != "":
		if r, err := ParseRole(p.Role); err != nil || r != p.Role {
			return fmt.Errorf("bad role %q (lower-case letters, digits and '-', at most 32)", p.Role)
		}
	case p.Type == Staff:
		return errors.New("a STAFF pass needs a role (catering, security, publicist, merchandising, …)")
	}
	if p.ValidUntil.IsZero() {
		return errors.New("pass has no end of validity")
	}
	if !p.ValidFrom.IsZero() && !p.ValidUntil.After(p.ValidFrom) {
		return fmt.Errorf("pass valid until %s, before it becomes valid (%s)", fmtTime(p.ValidUntil), fmtTime(p.ValidFrom))
	}
	if err := checkText("issuer", p.Issuer, 32, false, rules); err != nil {
		return err
	}
	if p.Photo != "" && !validPhotoHash(p.Photo) {
		return fmt.Errorf("bad photo hash %q (want %d base64url characters)", p.Photo, PhotoHashLen)
	}
	return nil
}

// Claims is the JSON payload of a pass token. Names are short because the
// token is printed as a QR code; the registered names (iss, sub, nbf, exp)
// keep their RFC 7519 meaning so that any JWT library reads them.
type Claims struct {
	Issuer    string `json:"iss,omitempty"`
	Subject   string `json:"sub"` // serial
	Event     string `json:"ev"`
	Type      string `json:"pt"` // Type.Code
	Name      string `json:"n"`
	Org       string `json:"o,omitempty"`
	Role      string `json:"r,omitempty"`
	NotBefore int64  `json:"nbf,omitempty"` // only when later than issuance
	Expiry    int64  `json:"exp"`
	Photo     string `json:"ph,omitempty"` // PhotoHash of the holder's photo
}

// Claims returns the token payload of p. Times are truncated to seconds.
func (p *Pass) Claims() Claims {
	c := Claims{
		Issuer: p.Issuer, Subject: string(p.Serial), Event: p.Event, Type: p.Type.Code(),
		Name: p.Name, Org: p.Org, Role: p.Role, Expiry: p.ValidUntil.Unix(), Photo: p.Photo,
	}
	if !p.ValidFrom.IsZero() {
		c.NotBefore = p.ValidFrom.Unix()
	}
	return c
}

// Pass turns claims read from a verified token back into a pass, checking
// every field. Text is held to the rules of signed text: a pass printed
// before the current rules keeps admitting its holder unless its text can
// reverse what door staff read.
func (c *Claims) Pass() (Pass, error) {
	t, err := TypeFromCode(c.Type)
	if err != nil {
		return Pass{}, err
	}
	if c.Expiry <= 0 {
		return Pass{}, errors.New("token has no exp")
	}
	p := Pass{
		Serial: Serial(c.Subject), Event: c.Event, Type: t, Role: c.Role, Name: c.Name,
		Org: c.Org, ValidUntil: time.Unix(c.Expiry, 0).UTC(), Issuer: c.Issuer, Photo: c.Photo,
	}
	if c.NotBefore != 0 {
		p.ValidFrom = time.Unix(c.NotBefore, 0).UTC()
	}
	if err := p.validate(signedText); err != nil {
		return Pass{}, err
	}
	return p, nil
}
