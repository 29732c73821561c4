// Package record holds what Laminate keeps about passes once they exist:
// a pass as issued ([Issued]), its revocation ([Revocation]), the scans of
// doors ([Scan]) with their decisions, and the alerts raised when scans
// cannot all be its holder ([Alert]).
//
// These are domain records: the signer makes [Issued] passes, the verifier
// reads [Revocation]s and decides [Scan]s, and package store persists all
// four. They live here, beside package pass, so that the signer and the
// verifier need no persistence package (docs/design.md, "Layers and
// packages"). Like pass, record does no I/O; it imports pass only.
//
// Decisions, scan sources and alert kinds are typed constants; the stores
// build their SQL from them, so one rename changes every place.
package record

import (
	"time"

	"github.com/laminate/laminate/pass"
)

// Issued is a pass as issued: the pass, its signed token and the key that
// signed it.
type Issued struct {
	pass.Pass
	Token    string
	KID      string
	IssuedAt time.Time
	// PhotoJPEG is the holder's photo as package photo made it, stored by
	// the store's InsertPasses when Pass.Photo is set; its hash must be
	// Pass.Photo. Reads leave it nil: the store's PassPhoto returns it.
	PhotoJPEG []byte
	// Ref is an external reference of the pass's holder (a guest list's
	// ref column, a ticketing system's id): stored, never signed, and
	// matched when the same list is uploaded again. "" for none.
	Ref string
}

// MaxRefLen caps an external reference, in bytes.
const MaxRefLen = 64

// Revocation is the revocation of one pass.
type Revocation struct {
	Seq      int64 // monotonically increasing, assigned by the store
	Serial   pass.Serial
	Event    string              // the pass's event, filled in by the store
	Category pass.RevokeCategory // public: doors and /verify show it; empty is stored as other
	Note     string              // for staff only: the admin API, the CLI and the audit log
	By       string              // actor
	At       time.Time
	// SupersededBy is the pass that replaced this one when Category is
	// pass.RevokeSuperseded (a reissue, issue 13); empty otherwise.
	SupersededBy pass.Serial
}

// Text is the revocation as staff read it: "stolen: taken from the bus",
// or the category alone.
func (r *Revocation) Text() string {
	if r.Note == "" {
		return string(r.Category)
	}
	return string(r.Category) + ": " + r.Note
}

// Superseded reports whether the revocation is a reissue's: the pass is
// genuine but replaced by a newer one.
func (r *Revocation) Superseded() bool { return r.Category == pass.RevokeSuperseded }

// Decision is the answer a door gets for one scan, and a person's answer
// to an [Attention] (a [Scan]'s Resolution: [Admit] or [Deny]).
type Decision string

// Door decisions.
const (
	Admit     Decision = "admit"
	Deny      Decision = "deny"
	Attention Decision = "attention" // a person must look, then let in or turn away
)

// Valid reports whether d is one of the three decisions.
func (d Decision) Valid() bool { return d == Admit || d == Deny || d == Attention }

// Directions of a scan.
const (
	In  = "in"
	Out = "out"
)

// CodeZoneFull is the code of a scan "in" answered because its zone held
// as many passes as its capacity (verifier.DecideCapacity). The store
// reads it to enqueue the zone.full webhook in the scan's transaction.
const CodeZoneFull = "zone_full"

// Source says who decided a scan.
type Source string

// Scan sources.
const (
	Online  Source = "online"  // decided by the server while the door waited
	Offline Source = "offline" // decided by a door on its own, uploaded later
)

// Scan is one door scan, as recorded.
type Scan struct {
	ID        string // chosen by the scanner (a UUID): makes retries idempotent
	Serial    pass.Serial
	Event     string
	Gate      string
	Zone      string
	Direction string   // In or Out
	Decision  Decision // the answer the door got (offline: the door's own)
	Code      string
	// At is when the scan happened. An online scan is timed by the server
	// while the pass is locked, never earlier than the pass's last
	// admitted scan, so that time order and decision order agree.
	At     time.Time
	Answer []byte // the answer sent, returned as-is to a retry

	Source     Source    // Online or Offline
	Credential string    // the API token (or device) that sent it: its id, never its secret
	DeviceAt   time.Time // the time the device claimed, when At differs from it; zero otherwise
	// Verdict is the server's own verdict on the pass at At: "ok", a token
	// status ("revoked", "forged", ...) or a policy code. For an offline
	// scan it sits beside the door's Decision.
	Verdict string
	// TokenHash is a SHA-256 of the scanned text, with Gate, Zone and
	// Direction what a retry of the same scan ID must match.
	TokenHash []byte
	// Resolution is a person's answer to an [Attention] scan: [Admit] (let
	// in) or [Deny] (turned away); "" while nobody has answered.
	Resolution Decision
	ResolvedBy string
	ResolvedAt time.Time

	Seq int64 // the order in which the store recorded it (filled in when read)
}

// Admitted reports whether the holder went through: the scan was admitted,
// or a person let the holder in after an [Attention] answer.
func (sc *Scan) Admitted() bool { return sc.Decision == Admit || sc.Resolution == Admit }

// AlertKind is what an [Alert] found.
type AlertKind string

// Alert kinds: signs that a pass was misused, found when the scans of doors
// that were offline arrive, or when an online scan disagrees with them.
const (
	AlertDoubleEntry     AlertKind = "double_entry"     // admitted "in" twice with no "out" between
	AlertTwoGates        AlertKind = "two_gates"        // admitted at two gates closer in time than one person can walk
	AlertAdmittedInvalid AlertKind = "admitted_invalid" // an offline door let in a pass the server finds revoked, forged, expired, for another event or not allowed there
	AlertOfflineConflict AlertKind = "offline_conflict" // an online scan disagreed with what an offline door reported
	// AlertOverCapacity: offline doors, which cannot count, let a zone
	// hold more passes than its capacity (found when their scans arrive).
	AlertOverCapacity AlertKind = "over_capacity"
	// AlertStillInside: a pass stayed in a zone past the grace period
	// after its access to the zone ended (the photo pit after the photo
	// window): the clear list's alert. Scans[0] is the scan that let it
	// in, Scans[1] names the closing ("closed@" and its Unix time), so
	// the alert is stored once per pass per closing.
	AlertStillInside AlertKind = "still_inside"
)

// Alert is one sign that a pass was misused: two admitted scans of the same
// pass that cannot both be its holder, or a pass let in that the server
// would have refused.
type Alert struct {
	ID       int64
	Event    string
	Serial   pass.Serial
	Kind     AlertKind
	Status   string    // AlertAdmittedInvalid: the server's verdict (revoked, forged, ...)
	Scans    [2]string // scan IDs, the earlier first; one scan: the second is ""
	Gates    [2]string
	At       time.Time // when the later scan was made
	Detected time.Time // when the store recorded the alert
	Reason   string    // for people
}
