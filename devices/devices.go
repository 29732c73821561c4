// Package devices enrols door devices by QR code and says which are online.
//
// An enrolment is a one-time code, made by an admin (the office, or
// "laminate devices enroll") for one event and gate (and, as a hint for the
// door page, a zone). It travels as a QR code holding the door page's
// address with the code in the fragment (https://HOST/scan#enrol=CODE), so
// a phone's camera opens the page and the page enrols itself: nobody types
// a 56-character token. Redeeming the code gives the device a scanner token
// bound to that event and gate.
//
// The code is 160 random bits, stored only as its SHA-256, valid for
// [CodeTTL] and for one redemption: once used or expired it is worth
// nothing, also to someone who photographed the screen. The fragment never
// reaches a server's request line or logs.
//
// A device is the scanner token it received. It reports itself on its
// requests (the page's version and how many scans it holds unsent), and is
// online while it was seen within [OnlineWithin]. Revoking its token stops
// its next request within a second on every node (server's token cache).
package devices

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// CodeTTL is how long an enrolment code can be redeemed.
const CodeTTL = 10 * time.Minute

// OnlineWithin: a device seen more recently than this is online. The door
// page checks the server's freshness every 15 s, so a device that missed
// four checks in a row is offline.
const OnlineWithin = 60 * time.Second

// codePrefix marks an enrolment code, so that a door page that scans one
// knows it from a pass.
const codePrefix = "lde_"

// codeLen is the length of a code: the prefix and 32 base32 characters
// (160 bits).
const codeLen = len(codePrefix) + 32

var enc = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// NewCode makes a fresh enrolment code and the hash a store keeps.
func NewCode() (code string, hash []byte, err error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	code = codePrefix + enc.EncodeToString(b)
	return code, Hash(code), nil
}

// Hash is the SHA-256 of a code: what a store keeps and looks it up by.
// A code has 160 random bits, so a lookup by its hash tells an attacker
// nothing about other codes.
func Hash(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// ErrNotCode is returned by [ParseCode] for text that holds no enrolment code.
var ErrNotCode = errors.New("not a Laminate enrolment code")

// ParseCode finds the code in what a door device read: the bare code, or
// the enrolment address (…/scan#enrol=CODE), as a camera or a keyboard
// wedge gives it.
func ParseCode(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 2048 {
		return "", ErrNotCode
	}
	if _, frag, ok := strings.Cut(s, "#"); ok {
		v, err := url.ParseQuery(frag)
		if err != nil {
			return "", ErrNotCode
		}
		s = v.Get("enrol")
	}
	if len(s) != codeLen || !strings.HasPrefix(s, codePrefix) {
		return "", ErrNotCode
	}
	if _, err := enc.DecodeString(s[len(codePrefix):]); err != nil {
		return "", ErrNotCode
	}
	return s, nil
}

// URL is the enrolment address for base (the server's public address,
// e.g. https://doors.example.org): the door page with the code in its
// fragment.
func URL(base, code string) string {
	return strings.TrimRight(base, "/") + "/scan#enrol=" + code
}

// MaxAppLen bounds the app version a device reports.
const MaxAppLen = 40

// MaxQueued bounds the queued-scan count a device reports.
const MaxQueued = 1_000_000

// Report is what a door device says of itself on a request: its page
// version and the scans it holds that the server has not acknowledged
// ("" and -1: not said).
type Report struct {
	App    string
	Queued int
}

// ParseReport reads a device's report from its request headers
// (X-Laminate-App, X-Laminate-Queued). Anything missing or malformed is
// left out (App "", Queued -1), never an error: the report is
// informative, and a device must still scan.
func ParseReport(app, queued string) Report {
	r := Report{Queued: -1}
	if len(app) <= MaxAppLen {
		ok := true
		for _, c := range app {
			ok = ok && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-_+ ", c))
		}
		if ok {
			r.App = app
		}
	}
	if n, err := strconv.Atoi(queued); err == nil && n >= 0 && n <= MaxQueued {
		r.Queued = n
	}
	return r
}

// Status is what the production office sees of one device.
type Status struct {
	TokenID  string    `json:"id"`
	Name     string    `json:"name"`
	Event    string    `json:"event,omitempty"`
	Gate     string    `json:"gate,omitempty"`
	LastSeen time.Time `json:"last_seen,omitzero"`
	App      string    `json:"app,omitempty"`
	Queued   int       `json:"queued"`
	Online   bool      `json:"online"`
	Revoked  bool      `json:"revoked,omitempty"`
}

// Online says whether a device last seen at seen is online at now.
func Online(seen, now time.Time) bool {
	return !seen.IsZero() && now.Sub(seen) < OnlineWithin
}

// Request is what an admin asks an enrolment for.
type Request struct {
	Gate string // required: the gate the device scans at
	Zone string // optional: the zone its page starts on
	Name string // required: the device's name, e.g. "north gate phone 3"
}

// Enrol checks r against ev, makes a code for it, and stores the
// enrolment (its hash) with its audit row. It returns the code, shown
// once: only its hash is kept.
func Enrol(ctx context.Context, st store.Store, ev *pass.Event, r Request, actor string, now time.Time) (string, *store.Enrolment, error) {
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len(r.Name) > 80 {
		return "", nil, errors.New("a device needs a name of 1 to 80 characters, e.g. \"north gate phone 3\"")
	}
	if err := pass.CheckText("device name", r.Name, 80, true); err != nil {
		return "", nil, err
	}
	if r.Gate == "" {
		return "", nil, errors.New("a device needs the gate it scans at")
	}
	if _, err := pass.ParseGate(r.Gate); err != nil {
		return "", nil, err
	}
	if err := ev.CheckGate(r.Gate); err != nil {
		return "", nil, err
	}
	if r.Zone != "" {
		z, err := pass.ParseZone(r.Zone)
		if err != nil {
			return "", nil, err
		}
		if err := ev.CheckZone(z); err != nil {
			return "", nil, err
		}
	}
	code, hash, err := NewCode()
	if err != nil {
		return "", nil, err
	}
	e := &store.Enrolment{Hash: hash, Event: ev.ID, Gate: r.Gate, Zone: r.Zone, Name: r.Name, Created: now, Expires: now.Add(CodeTTL)}
	if err := st.CreateEnrolment(ctx, e, actor); err != nil {
		return "", nil, err
	}
	return code, e, nil
}

// List joins the scanner tokens with their devices' last reports, newest
// token first; a token that never reported is listed as never seen.
func List(tokens []store.APIToken, seen []store.DeviceSeen, now time.Time) []Status {
	last := make(map[string]store.DeviceSeen, len(seen))
	for _, d := range seen {
		last[d.Token] = d
	}
	var out []Status
	for i := len(tokens) - 1; i >= 0; i-- {
		t := tokens[i]
		if t.Role != "scanner" {
			continue
		}
		d := last[t.ID]
		out = append(out, Status{
			TokenID: t.ID, Name: t.Name, Event: t.Event, Gate: t.Gate,
			LastSeen: d.At, App: d.App, Queued: d.Queued,
			Online: t.Revoked.IsZero() && Online(d.At, now), Revoked: !t.Revoked.IsZero(),
		})
	}
	return out
}

// Listed is [List] of the scanner tokens and reports in st, with pending:
// reports a node holds that it has not written to the store yet (the
// freshest; nil for none). Where a device has several reports the newest
// counts. The API, the office and the CLI list devices with it.
func Listed(ctx context.Context, st store.Store, pending []store.DeviceSeen, now time.Time) ([]Status, error) {
	toks, err := st.APITokens(ctx)
	if err != nil {
		return nil, err
	}
	seen, err := st.DevicesSeen(ctx)
	if err != nil {
		return nil, err
	}
	return List(toks, newest(append(seen, pending...)), now), nil
}

// newest keeps the newest report of each device.
func newest(seen []store.DeviceSeen) []store.DeviceSeen {
	m := map[string]store.DeviceSeen{}
	for _, d := range seen {
		if o, ok := m[d.Token]; !ok || d.At.After(o.At) {
			m[d.Token] = d
		}
	}
	out := make([]store.DeviceSeen, 0, len(m))
	for _, d := range m {
		out = append(out, d)
	}
	return out
}

// ErrNoDevice is [Revoke]'s answer for an ID that names no door device
// (no token, or a token of another role).
var ErrNoDevice = errors.New("no such door device")

// Revoke revokes the door device id (its scanner token) with its audit
// row: it stops at its next request (every node reads tokens afresh
// within a second). It returns ErrNoDevice for an ID that is not a door
// device's, store.ErrAlreadyRevoked for one revoked before. The API, the
// office and the CLI revoke devices with it.
func Revoke(ctx context.Context, st store.Store, id, actor string) error {
	t, err := st.APIToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && t.Role != "scanner" {
		return ErrNoDevice
	}
	if err != nil {
		return err
	}
	return st.RevokeAPIToken(ctx, id, actor)
}

// Header is the header of the table of devices ("laminate devices list").
var Header = []string{"ID", "NAME", "EVENT", "GATE", "STATE", "LAST SEEN", "APP", "QUEUED"}

// Row is s's row of the table of devices: its state is online, offline or
// revoked; an empty cell is "-".
func (s Status) Row() []string {
	state, last := "offline", "never"
	switch {
	case s.Revoked:
		state = "revoked"
	case s.Online:
		state = "online"
	}
	if !s.LastSeen.IsZero() {
		last = s.LastSeen.UTC().Format(time.RFC3339)
	}
	dash := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	return []string{s.TokenID, s.Name, dash(s.Event), dash(s.Gate), state, last, dash(s.App), strconv.Itoa(s.Queued)}
}

// ErrExpired is Wait's answer when the code expired unused.
var ErrExpired = errors.New("the code expired unused")

// Wait polls st every interval until the enrolment of hash is used, and
// returns it; ErrExpired once it expires unused.
func Wait(ctx context.Context, st store.Store, hash []byte, every time.Duration) (*store.Enrolment, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(every):
		}
		got, err := st.Enrolment(ctx, hash)
		if err != nil {
			return nil, err
		}
		if !got.Used.IsZero() {
			return got, nil
		}
		if !time.Now().Before(got.Expires) {
			return nil, ErrExpired
		}
	}
}
