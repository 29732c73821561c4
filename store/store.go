// Package store is Laminate's persistence: events, issued passes,
// revocations and the audit log, behind one interface, [Store].
//
// The embedded default is SQLite (package store/sqlite); a PostgreSQL
// backend for several nodes implements the same interface.
//
// # Guarantees
//
// Every write is one transaction, and every write that changes a pass or an
// event adds its audit row in that same transaction: there is no issued pass
// without its "pass.issue" row and no revocation without its "pass.revoke"
// row. A batch of passes is stored whole or not at all.
//
// Revocations carry a sequence number assigned by the store and never reused,
// so a server can keep an in-memory revocation set in sync by polling
// [Store.RevocationsSince] with the last number it has seen.
//
// Audit rows never hold a token or any other secret.
package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/staff"
)

// Errors of a [Store]; implementations wrap them with detail, so test them
// with [errors.Is].
var (
	ErrNotFound        = errors.New("store: not found")
	ErrExists          = errors.New("store: already exists")   // CreateEvent with an existing id
	ErrDuplicateSerial = errors.New("store: duplicate serial") // InsertPasses hit an existing serial; retry with fresh serials
	ErrAlreadyRevoked  = errors.New("store: already revoked")
	ErrNotLaminate     = errors.New("store: not a Laminate database") // a foreign database, or not a database at all
	ErrNewerSchema     = errors.New("store: database schema is newer than this program")
	ErrConflict        = errors.New("store: changed by another node") // PutShared lost a compare-and-swap
	ErrUnavailable     = errors.New("store: database unavailable")    // cannot reach the database now; retry later
)

// The domain records a store keeps live in package record; these aliases
// keep the names callers used before they moved there (issue 10). New code
// names the record types.
type (
	Issued     = record.Issued
	Revocation = record.Revocation
	Scan       = record.Scan
	Alert      = record.Alert
)

// WithPhotos reads the stored photo of every pass in issued that signs
// one and does not carry it yet (to print them, say).
func WithPhotos(ctx context.Context, s Store, issued []Issued) error {
	for i := range issued {
		p := &issued[i]
		if p.Photo == "" || p.PhotoJPEG != nil {
			continue
		}
		b, err := s.PassPhoto(ctx, p.Serial)
		if err != nil {
			return fmt.Errorf("photo of pass %s: %w", p.Serial, err)
		}
		p.PhotoJPEG = b
	}
	return nil
}

// CheckPhoto checks that an issued pass comes with the photo it signs, and
// only then: a store calls it before writing a pass.
func CheckPhoto(i *Issued) error {
	switch {
	case i.Photo == "" && i.PhotoJPEG == nil:
		return nil
	case i.Photo == "":
		return fmt.Errorf("store: pass %s has a photo but signs no photo hash", i.Serial)
	case i.PhotoJPEG == nil:
		return fmt.Errorf("store: pass %s signs a photo hash but comes without its photo", i.Serial)
	case pass.PhotoHash(i.PhotoJPEG) != i.Photo:
		return fmt.Errorf("store: pass %s signs photo hash %s, its photo hashes to %s", i.Serial, i.Photo, pass.PhotoHash(i.PhotoJPEG))
	}
	return nil
}

// RevocationCategory is the category a store records for c: other when c
// is empty. An unknown category is an error.
func RevocationCategory(c pass.RevokeCategory) (pass.RevokeCategory, error) {
	if c == "" {
		return pass.RevokeOther, nil
	}
	if c == pass.RevokeSuperseded {
		return "", fmt.Errorf("store: category %q is given by Reissue only", c)
	}
	if !c.Valid() {
		return "", fmt.Errorf("store: unknown revocation category %q", c)
	}
	return c, nil
}

// RevocationDetail is the audit detail of a revocation: the note goes in
// the audit log, which only staff read.
func RevocationDetail(event string, c pass.RevokeCategory, note string, seq int64, scoped bool) map[string]any {
	d := map[string]any{"event": event, "reason": c, "seq": seq}
	if note != "" {
		d["note"] = note
	}
	if scoped {
		d["scoped"] = true
	}
	return d
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string
	Action  string // "event.create", "pass.issue", "pass.revoke", ...
	Subject string // event id or serial
	Detail  string // short JSON or text; never a secret or a token
}

// Audit actions written by a [Store].
const (
	ActionEventCreate = "event.create"
	ActionPassIssue   = "pass.issue"
	ActionPassRevoke  = "pass.revoke"
)

// APIToken is a bearer token of the HTTP API. Only a hash of its secret is
// stored; the token itself is shown once, when it is made.
type APIToken struct {
	ID      string // public part of the token, also its name in lists
	Name    string // who holds it ("north gate phone 3")
	Role    string // admin, issuer, scanner, stage, printer
	Event   string // "": any event; else the only event the token may act for
	Gate    string // "": any gate; else the only gate a scanner token may scan at
	Hash    []byte // SHA-256 of the secret part
	Created time.Time
	Revoked time.Time // zero while valid
}

// Enrolment is a one-time code that enrols a door device (package
// devices): redeemed once, before Expires, it gives the device a scanner
// token bound to Event and Gate. Only the code's SHA-256 is kept.
type Enrolment struct {
	Hash    []byte // SHA-256 of the code
	Event   string
	Gate    string
	Zone    string // the zone the door page starts on; "" for its default
	Name    string // the device's name, e.g. "north gate phone 3"
	Created time.Time
	Expires time.Time
	Used    time.Time // zero until redeemed
	Token   string    // the ID of the token it gave, once redeemed
}

// DeviceSeen is a door device's last report of itself: when it was last
// heard from, its page version and the scans it holds unsent.
type DeviceSeen struct {
	Token  string // the device's API token ID
	At     time.Time
	App    string
	Queued int
}

// DoorSeen is a door's last heartbeat (POST /v1/events/{id}/heartbeat):
// a device, by its API token, scanning at a gate of an event, and how old
// its revocation data was then.
type DoorSeen struct {
	Event         string
	Gate          string
	Token         string // the device's API token ID
	At            time.Time
	RevocationAge int64 // seconds, at At
}

// State is the token as "tokens list" shows it: valid, or revoked with
// the time.
func (t *APIToken) State() string {
	if t.Revoked.IsZero() {
		return "valid"
	}
	return "revoked " + pass.FormatTime(t.Revoked, nil)
}

// Audit actions of API tokens and keys.
const (
	ActionTokenCreate = "token.create"
	ActionTokenRevoke = "token.revoke"
	ActionDeviceEnrol = "device.enrol"    // an enrolment code made
	ActionDeviceJoin  = "device.enrolled" // a code redeemed: a device got its token
	ActionKeyRotate   = "key.rotate"
	ActionKeyRetire   = "key.retire"
	ActionEventCue    = "event.cue"
	ActionSharedPut   = "shared.put"
	ActionScanResolve = "scan.resolve" // a person let a pass in, or turned it away, after "attention"
)

// SameScanRequest reports whether b asks for the scan that a records: a
// retry sends the same token, gate, zone and direction under the same scan
// ID. A record from before token hashes were kept matches any token.
func SameScanRequest(a, b *Scan) bool {
	return (len(a.TokenHash) == 0 || subtle.ConstantTimeCompare(a.TokenHash, b.TokenHash) == 1) &&
		a.Gate == b.Gate && a.Zone == b.Zone && a.Direction == b.Direction
}

// CheckResolution checks that a person may answer scan sc with
// resolution; scannedSince says whether another scan of the pass was
// recorded after it. A store calls it inside its transaction.
func CheckResolution(sc *Scan, resolution record.Decision, scannedSince bool) error {
	switch {
	case resolution != record.Admit && resolution != record.Deny:
		return fmt.Errorf("store: resolution must be %s or %s, not %q", record.Admit, record.Deny, resolution)
	case sc.Decision != record.Attention:
		return fmt.Errorf("%w: scan %s was %s", ErrNotAttention, sc.ID, sc.Decision)
	case sc.Resolution == resolution:
		return nil
	case sc.Resolution != "":
		return fmt.Errorf("%w: scan %s was answered %s", ErrAlreadyResolved, sc.ID, sc.Resolution)
	case resolution == record.Admit && scannedSince:
		return fmt.Errorf("%w: scan %s", ErrScannedSince, sc.ID)
	}
	return nil
}

// Scan sources, as named before they moved to package record.
const (
	SourceOnline  = record.Online
	SourceOffline = record.Offline
)

// SQL conditions on the scans table that the backends share, built from
// the typed constants of package record so that the SQL and the Go rules
// cannot drift apart (issue 10).
const (
	// AdmittedSQL holds for a scan that [record.Scan.Admitted]: admitted,
	// or let in by a person after an attention. PostgreSQL's partial index
	// scans_admitted has this condition, and the planner uses it only for
	// a query that states it in these words (its test checks they match).
	AdmittedSQL = `(decision = '` + string(record.Admit) + `' OR resolution = '` + string(record.Admit) + `')`
	// InSQL holds for a scan "in".
	InSQL = `direction = '` + record.In + `'`
)

// PrintColsSQL are the columns of a search hit's [PassHit.Prints] and
// [PassHit.Collected], of the pass aliased p; each an index lookup.
func PrintColsSQL(p string) string {
	return `CAST((SELECT count(*) FROM prints pr WHERE pr.serial = ` + p + `.serial) AS INTEGER), EXISTS (SELECT 1 FROM collections c WHERE c.serial = ` + p + `.serial)`
}

// PrintFilterSQL is the condition of f's Printed and Collected filters
// on the pass aliased p ("" for neither), for the backends alike: an
// index lookup of each pass a search reads.
func PrintFilterSQL(f SearchFilter, p string) string {
	var q string
	for _, c := range [...]struct {
		v     YesNo
		table string
	}{{f.Printed, "prints"}, {f.Collected, "collections"}} {
		switch c.v {
		case Yes:
			q += ` AND EXISTS (SELECT 1 FROM ` + c.table + ` x WHERE x.serial = ` + p + `.serial)`
		case No:
			q += ` AND NOT EXISTS (SELECT 1 FROM ` + c.table + ` x WHERE x.serial = ` + p + `.serial)`
		}
	}
	return q
}

// ScanDecider decides scan s given the pass's last admitted scan (nil if
// none): it sets s's Decision, Code, Answer and, for an online scan, its
// time. It runs inside the store's transaction, while the pass is locked,
// so the check and the record are one atomic step and scans of one pass
// are decided one at a time. The last admitted scan is the latest by
// (At, stored order) among the scans that Admitted.
type ScanDecider func(s *Scan, last *Scan)

// ZoneDecider is a [ScanDecider] that is also told how many passes are
// inside the scan's zone and the zone's capacity, both read in the scan's
// transaction (see [Store.RecordZoneScan]); Max 0: the zone has no cap
// (any more).
type ZoneDecider func(s *Scan, last *Scan, inside int, capacity pass.ZoneCapacity)

// Presence is a pass inside a zone: its last admitted scan was "in" there.
type Presence struct {
	Serial pass.Serial
	Type   pass.Type // the pass's type and role ("" if the pass is not stored)
	Role   string
	Zone   string
	ScanID string // the scan that let it in
	Gate   string
	At     time.Time
}

// Traffic counts the scans of one zone, gate, credential and direction
// made since a time ([Store.Traffic]).
type Traffic struct {
	Zone, Gate, Credential, Direction string
	Admitted                          int       // admitted scans (Scan.Admitted) since the first time
	AdmittedRecent                    int       // of them, those since the second time
	Scans                             int       // every scan, admitted or not
	Last                              time.Time // the latest scan
}

// ErrScanMismatch is returned by [Store.RecordScan] for a scan ID already
// stored with another token, gate, zone or direction: not a retry.
var ErrScanMismatch = errors.New("store: scan ID already used for another scan")

// Resolution errors of [Store.ResolveScan].
var (
	ErrNotAttention    = errors.New("store: the scan was not an attention answer")
	ErrAlreadyResolved = errors.New("store: the scan was already resolved the other way")
	ErrScannedSince    = errors.New("store: the pass was scanned again since")
)

// Alert kinds, as named before they moved to package record.
const (
	AlertDoubleEntry     = record.AlertDoubleEntry
	AlertTwoGates        = record.AlertTwoGates
	AlertAdmittedInvalid = record.AlertAdmittedInvalid
	AlertOfflineConflict = record.AlertOfflineConflict
)

// AlertFilter selects alerts in [Store.Alerts]; empty fields match all.
type AlertFilter struct {
	Event string
	Gate  string // alerts in which either scan was made at this gate
	Limit int    // the newest Limit alerts; 0: all
}

// IssuedRef is the issue time of one pass.
type IssuedRef struct {
	Serial   pass.Serial
	IssuedAt time.Time
}

// RevokeFilter selects the passes of a scoped mass revocation: every pass
// of Event matching all the fields that are set.
type RevokeFilter struct {
	Event        string // required
	Type         pass.Type
	Role         string
	Org          string
	IssuedBefore time.Time
}

// PassKey is what finds a pass again when a guest list is uploaded
// twice: its type, name and external reference ([Store.PassKeys]).
type PassKey struct {
	Serial  pass.Serial
	Type    pass.Type
	Name    string
	Ref     string // "" for none
	Revoked bool
}

// PassFilter selects passes in [Store.Passes].
type PassFilter struct {
	Event string // empty: every event
}

// Store is Laminate's persistence.
type Store interface {
	// CreateEvent stores a new event and its audit row. An event with the
	// same id gives ErrExists.
	CreateEvent(ctx context.Context, ev *pass.Event, actor string) error
	// Event returns the event with the given id, or ErrNotFound.
	Event(ctx context.Context, id string) (*pass.Event, error)
	// Events returns every event, ordered by show start.
	Events(ctx context.Context) ([]*pass.Event, error)

	// InsertPasses stores the passes and one audit row per pass in one
	// transaction: all or nothing. An unknown event gives ErrNotFound
	// (wrapped, naming it); a serial already stored, or twice in the batch,
	// gives ErrDuplicateSerial.
	InsertPasses(ctx context.Context, passes []Issued, actor string) error
	// Pass returns the pass with the given serial, or ErrNotFound.
	Pass(ctx context.Context, serial pass.Serial) (*Issued, error)
	// Passes returns the passes matching f, ordered by issue time, then serial.
	Passes(ctx context.Context, f PassFilter) ([]*Issued, error)
	// PassKeys returns the type, name and external reference of every
	// pass of event (revoked ones marked), ordered by issue time, then
	// serial: what a guest list is checked against for passes already
	// issued. It reads the index on (event, type, name, ref), never a token.
	PassKeys(ctx context.Context, event string) ([]PassKey, error)
	// PassPhoto returns the stored photo of a pass (a JPEG), or ErrNotFound
	// when the pass has none. The caller compares its hash with the one
	// the pass signs: the store does not vouch for it.
	PassPhoto(ctx context.Context, serial pass.Serial) ([]byte, error)

	// Revoke records a revocation, assigning r.Seq and r.Event, and its audit
	// row in one transaction. An unknown serial gives ErrNotFound; a pass
	// already revoked gives ErrAlreadyRevoked and nothing is written.
	Revoke(ctx context.Context, r *Revocation) error
	// Revocation returns the revocation of a pass, or ErrNotFound when the
	// pass is not revoked.
	Revocation(ctx context.Context, serial pass.Serial) (*Revocation, error)
	// RevocationsSince returns the revocations with Seq > seq, ascending.
	RevocationsSince(ctx context.Context, seq int64) ([]Revocation, error)
	// Reissue stores next in place of the pass r.Serial, in one
	// transaction (issue 13): next and its "pass.issue" audit row, r as
	// the old pass's revocation of category superseded with SupersededBy
	// next's serial (Seq, Event and Category are set), and a
	// "pass.reissue" audit row naming reason and r.Note. next must be of
	// the old pass's event. ErrNotFound: no old pass; ErrSuperseded: it
	// was already replaced; ErrAlreadyRevoked: it is revoked;
	// ErrDuplicateSerial: next's serial is taken (sign it again). On any
	// error nothing is written.
	Reissue(ctx context.Context, next Issued, r *Revocation, reason pass.ReissueReason) error
	// SearchPasses finds passes of event as a person types (issue 13):
	// every word of query (see [SearchTerms]) is in the pass's name, org,
	// role or serial (as stored or printed), in any case and with or
	// without diacritics. Hits are ordered by [SearchText] (name first),
	// then serial; cursor is a page's Next ("" for the first page); limit
	// 0 is [DefaultSearchLimit], at most [MaxSearchLimit].
	SearchPasses(ctx context.Context, event, query string, f SearchFilter, limit int, cursor string) (SearchPage, error)
	// RevokeWhere revokes, in one transaction, every pass of f.Event that
	// matches all of f's other fields and is not revoked yet, with one audit
	// row each; it returns the revocations made. category and note are as
	// in [Revocation].
	RevokeWhere(ctx context.Context, f RevokeFilter, category pass.RevokeCategory, note, by string) ([]Revocation, error)

	// Audit returns the newest limit audit rows, newest first; limit <= 0
	// returns them all.
	Audit(ctx context.Context, limit int) ([]AuditEntry, error)
	// Record adds one audit row, for actions outside the store (key
	// rotation, say). Detail must hold no secret.
	Record(ctx context.Context, e AuditEntry) error

	// CreateAPIToken stores a token and its audit row; ErrExists if the ID is taken.
	CreateAPIToken(ctx context.Context, t *APIToken, actor string) error
	APIToken(ctx context.Context, id string) (*APIToken, error) // ErrNotFound
	APITokens(ctx context.Context) ([]APIToken, error)          // oldest first
	// RevokeAPIToken marks a token revoked; ErrNotFound, ErrAlreadyRevoked.
	RevokeAPIToken(ctx context.Context, id, actor string) error

	// CreateEnrolment stores a device enrolment code (its hash) and its
	// audit row.
	CreateEnrolment(ctx context.Context, e *Enrolment, actor string) error
	// Enrolment reads an enrolment by the hash of its code; ErrNotFound.
	Enrolment(ctx context.Context, hash []byte) (*Enrolment, error)
	// RedeemEnrolment uses the enrolment whose code hashes to hash, once,
	// at now. In one transaction it stores the token mint makes for it,
	// marks the code used and writes the audit row; of two redemptions
	// at once only one succeeds. An unknown, used or expired code gives
	// ErrNotFound, the same for all three.
	RedeemEnrolment(ctx context.Context, hash []byte, now time.Time, mint func(Enrolment) (*APIToken, error)) (*Enrolment, error)
	// TouchDevices records devices' reports; a report older than the one
	// stored is ignored.
	TouchDevices(ctx context.Context, seen []DeviceSeen) error
	// DevicesSeen is the last report of every device that made one.
	DevicesSeen(ctx context.Context) ([]DeviceSeen, error)
	// TouchDoors records doors' heartbeats (a node batches them, as it
	// does devices' reports); a heartbeat older than the one stored for
	// the same event, gate and token is ignored.
	TouchDoors(ctx context.Context, seen []DoorSeen) error
	// DoorsSeen is the last heartbeat of every door of event, by gate and
	// token.
	DoorsSeen(ctx context.Context, event string) ([]DoorSeen, error)

	// IssuedSince lists the issue times of passes stored after position
	// pos (0: all), and the position to ask from next time: lets a server
	// keep serial -> issued_at in memory instead of a query per verify.
	IssuedSince(ctx context.Context, pos int64) (refs []IssuedRef, next int64, err error)

	// RecordScan stores scan s with the decision of decide, atomically: two
	// doors scanning one pass at the same instant are decided one after
	// the other. A scan ID already stored is not decided again: the first
	// record is returned with dup true, or ErrScanMismatch when its token
	// hash, gate, zone or direction differ from s's.
	RecordScan(ctx context.Context, s *Scan, decide ScanDecider) (rec *Scan, dup bool, err error)
	// RecordZoneScan is RecordScan for a scan "in" to a zone with a
	// capacity (issue 14). It locks the zone (s.Event, s.Zone) before
	// the pass, across every node of the store, and gives decide the
	// number of passes inside the zone now, so scans into the zone are
	// decided one at a time and two doors cannot both admit its last
	// place. Scans out, and scans of zones without a cap, do not wait for
	// the lock: a place they free is seen by the next scan in. The
	// zone's capacity is read from the event in the same transaction, so
	// a cap changed a moment ago (UpdateEvent) is the one applied.
	RecordZoneScan(ctx context.Context, s *Scan, decide ZoneDecider) (rec *Scan, dup bool, err error)
	// ResolveScan records a person's answer ("admit" or "deny") to the
	// "attention" scan with the given ID. The same answer again is a no-op;
	// ErrNotFound, ErrNotAttention, ErrAlreadyResolved (answered the other
	// way), and for "admit" ErrScannedSince when another scan of the pass
	// was recorded after it (letting the holder in would reorder history).
	ResolveScan(ctx context.Context, id string, resolution record.Decision, by string, at time.Time) (*Scan, error)
	// Scan returns the scan with the given ID, or ErrNotFound.
	Scan(ctx context.Context, id string) (*Scan, error)
	// Scans lists the scans of a serial, oldest first (by At, then stored order).
	Scans(ctx context.Context, serial pass.Serial) ([]Scan, error)

	// AddAlerts stores the alerts not stored yet (an alert is the same as
	// another with the same kind and scans, so finding it again is a no-op)
	// and returns those it added, with ID and Detected set.
	AddAlerts(ctx context.Context, alerts []Alert) ([]Alert, error)
	// Alerts lists the alerts matching f, newest first.
	Alerts(ctx context.Context, f AlertFilter) ([]Alert, error)

	// ApplyCue records a live cue of an event at time at, with its audit
	// row, and returns the event as it now runs. ErrNotFound for no event.
	ApplyCue(ctx context.Context, event string, cue pass.Cue, at time.Time, actor string) (*pass.Event, error)
	// UpdateEvent applies c to the event ([pass.EventChange.Apply], which
	// validates the result) and writes it with its "event.update" audit
	// row naming the fields changed, in one transaction that reads and
	// writes the event under a lock, so a cue or another edit at the same
	// time is not lost. A change that changes nothing writes nothing. It
	// returns the event as stored and the fields changed; ErrNotFound if
	// there is no such event, a *pass.FieldError for a bad change.
	UpdateEvent(ctx context.Context, event string, c pass.EventChange, actor string) (*pass.Event, []string, error)
	// SetBranding replaces an event's branding (nil or zero: none) and
	// writes its audit row, in one transaction; ErrNotFound if there is
	// no such event. It returns the event as stored.
	SetBranding(ctx context.Context, event string, b *pass.Branding, actor string) (*pass.Event, error)
	// Inside lists, per zone, the passes of an event whose last admitted
	// scan was "in".
	Inside(ctx context.Context, event string) (map[string][]pass.Serial, error)
	// Present lists the passes of an event inside a zone, with the scan
	// that let each in and the pass's type and role (what says whether
	// its access to the zone ended), ordered by zone, then serial. Stores keep it as a
	// table updated with each scan, so it costs what it returns.
	Present(ctx context.Context, event string) ([]Presence, error)
	// Occupancy is how many passes of an event are inside each zone (as
	// Present counts them), from an index alone.
	Occupancy(ctx context.Context, event string) (map[string]int, error)
	// Traffic counts the scans of an event made since since (and, for
	// admitted scans, since recent too), per zone, gate, credential and
	// direction: the dashboard's entries, exits and doors.
	Traffic(ctx context.Context, event string, since, recent time.Time) ([]Traffic, error)

	// Shared returns the shared document name and its version, or
	// ErrNotFound. Shared documents are what every node of a deployment
	// needs besides the rows: the keyring's public state and its encrypted
	// private keys, the artwork secret. A node joins by the store alone.
	Shared(ctx context.Context, name string) (value []byte, version int64, err error)
	// PutShared stores a shared document with its audit row (the value is
	// never copied into the audit log). With version 0 it creates the
	// document, and gives ErrExists when the name is taken: of two nodes
	// starting on one empty store, the first wins and the other adopts its
	// keys. With version > 0 it replaces the document only if it is still
	// at that version (compare and swap), else ErrConflict. It returns the
	// new version.
	PutShared(ctx context.Context, name string, value []byte, version int64, actor string) (int64, error)

	// RecordPrints adds prints to the print log, with one "pass.print"
	// audit row each, in one transaction: all or nothing. An unknown
	// serial gives ErrNotFound (wrapped, naming it).
	RecordPrints(ctx context.Context, prints []record.Print) error
	// Prints returns the print log of a pass, oldest first (empty when it
	// was never printed or does not exist).
	Prints(ctx context.Context, serial pass.Serial) ([]record.Print, error)
	// PrintStatus returns, for every pass of an event that was printed or
	// collected, its print count, last print and collection; passes never
	// printed nor collected are not in the map.
	PrintStatus(ctx context.Context, event string) (map[pass.Serial]record.PrintStatus, error)
	// MarkCollected records that a pass was handed to its holder, with its
	// "pass.collect" audit row. A pass already collected is left as it was:
	// its first collection is returned with already true. ErrNotFound for
	// an unknown serial. A collection is not a scan: it admits nobody.
	MarkCollected(ctx context.Context, serial pass.Serial, at time.Time, actor string) (c *record.Collection, already bool, err error)
	// CreateUser stores a new staff account (its event limits with it)
	// and its audit row; ErrExists if the username is taken.
	CreateUser(ctx context.Context, a *staff.Account, actor string) error
	// User returns the account with the given username, or ErrNotFound.
	User(ctx context.Context, username string) (*staff.Account, error)
	// Users returns every account, by username.
	Users(ctx context.Context) ([]staff.Account, error)
	// UpdateUser changes an account in one transaction: it reads it,
	// applies change, validates the result, writes it and the audit row
	// (action, with change's detail) under actor. An error from change
	// writes nothing and is returned as is. When the change disables the
	// account, every session of it is deleted in the same transaction.
	// ErrNotFound for no such account.
	UpdateUser(ctx context.Context, username, action, actor string, change UserChange) (*staff.Account, error)

	// CreateSession stores a session (its token's hash only) and the
	// account's "user.signin" audit row.
	CreateSession(ctx context.Context, s *staff.Session, actor string) error
	// Session returns the session whose token hashes to hash, or ErrNotFound.
	Session(ctx context.Context, hash []byte) (*staff.Session, error)
	// TouchSession records a request of the session at at (its idle
	// clock); ErrNotFound when it is gone.
	TouchSession(ctx context.Context, hash []byte, at time.Time) error
	// DeleteSession ends one session, with its audit row under actor;
	// ErrNotFound when it is gone. action is ActionUserSignOut, or
	// ActionUserExpired for one ended by its idle or absolute limit.
	DeleteSession(ctx context.Context, hash []byte, action, actor string) error
	// DeleteSessions ends every session of an account but except (nil:
	// all), with one audit row, and returns how many it ended.
	DeleteSessions(ctx context.Context, username string, except []byte, actor string) (int, error)
	Exporter
	Webhooks

	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	Close() error
}

// Notifier is implemented by stores that tell a node at once when another
// node committed a change (PostgreSQL's LISTEN/NOTIFY). Servers still poll:
// a notification only makes the next poll come sooner.
type Notifier interface {
	// Changes returns a channel that receives (coalesced) after any node
	// commits a revocation, a cue, new passes, a shared document or a
	// webhook delivery to make. It is
	// closed when ctx ends.
	Changes(ctx context.Context) <-chan struct{}
}

// Audit actions of the print desk (issue 13).
const (
	ActionPassPrint   = "pass.print"
	ActionPassCollect = "pass.collect"
)

// PrintAudit is the audit detail of a print.
func PrintAudit(p *record.Print) map[string]any {
	return map[string]any{"template": p.Template, "format": p.Format}
}

// OutboxWaker is implemented by a store that tells a delivery worker in
// the same process, at once, that webhook deliveries were enqueued
// (SQLite; PostgreSQL tells every node through [Notifier]). A worker
// still polls: the signal only makes the next claim come sooner.
type OutboxWaker interface {
	Enqueued() <-chan struct{}
}

// ActionEventBranding records new branding; its detail names the fields
// and the logo's size and SHA-256, never the logo.
const ActionEventBranding = "event.branding"

// BrandingAudit is the audit detail of a branding change: the text
// fields, and the logo by size and SHA-256 only.
func BrandingAudit(b *pass.Branding) map[string]any {
	if b.IsZero() {
		return map[string]any{"branding": "none"}
	}
	d := map[string]any{"tour": b.Tour, "short": b.Short, "accent": b.Accent, "contact": b.Contact}
	if len(b.Logo) > 0 {
		sum := sha256.Sum256(b.Logo)
		d["logo_bytes"], d["logo_sha256"] = len(b.Logo), hex.EncodeToString(sum[:])
	}
	return d
}

// BrandingJSON is how both backends keep branding in the events table:
// JSON (the logo in base64), or NULL for none.
func BrandingJSON(b *pass.Branding) (*string, error) {
	if b.IsZero() {
		return nil, nil
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	j, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	s := string(j)
	return &s, nil
}

// ParseBranding reads what BrandingJSON wrote.
func ParseBranding(s *string) (*pass.Branding, error) {
	if s == nil {
		return nil, nil
	}
	var b pass.Branding
	if err := json.Unmarshal([]byte(*s), &b); err != nil {
		return nil, fmt.Errorf("branding: %w", err)
	}
	return &b, nil
}

// ErrSuperseded is returned by [Store.Reissue] for a pass already replaced
// by a reissue; the error names the newer pass.
var ErrSuperseded = errors.New("store: pass already replaced by a newer pass")

// ActionPassReissue records a reissue (issue 13): its subject is the old
// serial, its detail the new serial, the reason and the note.
const ActionPassReissue = "pass.reissue"

// ReissueDetail is the audit detail of a reissue.
func ReissueDetail(event string, next pass.Serial, reason pass.ReissueReason, note string, seq int64) map[string]any {
	d := map[string]any{"event": event, "new": next, "reason": reason, "seq": seq}
	if note != "" {
		d["note"] = note
	}
	return d
}

// CheckReissue checks the two passes of a reissue before a store writes
// anything: next is of old's event, and is not old.
func CheckReissue(old pass.Serial, oldEvent string, next *Issued) error {
	switch {
	case next.Serial == old:
		return fmt.Errorf("store: reissue of %s: the new pass has the old serial", old)
	case next.Event != oldEvent:
		return fmt.Errorf("store: reissue of %s (event %s): the new pass is for event %s", old, oldEvent, next.Event)
	}
	return nil
}

// AlreadyRevoked is the error of revoking or reissuing a pass that has a
// revocation r: ErrSuperseded (naming the newer pass) or
// ErrAlreadyRevoked.
func AlreadyRevoked(r *Revocation) error {
	if r.Superseded() {
		return fmt.Errorf("%w: pass %s was replaced by %s", ErrSuperseded, r.Serial, r.SupersededBy)
	}
	return fmt.Errorf("%w: pass %s", ErrAlreadyRevoked, r.Serial)
}

// PassStatus is what [Store.SearchPasses] filters on: a pass not revoked
// (valid, whatever its dates), revoked, or superseded by a reissue.
type PassStatus string

// Pass statuses of a search.
const (
	PassValid      PassStatus = "valid"
	PassRevoked    PassStatus = "revoked"
	PassSuperseded PassStatus = "superseded"
)

// SearchFilter narrows [Store.SearchPasses]; empty fields match all.
// Printed: the pass is in the print log (or not); Collected: the desk
// marked it collected (or not).
type SearchFilter struct {
	Type      pass.Type
	Status    PassStatus
	Printed   YesNo
	Collected YesNo
}

// YesNo is a filter of a search on a fact a pass has or has not; empty
// matches both.
type YesNo string

// The values of a [YesNo] filter.
const (
	Yes YesNo = "yes"
	No  YesNo = "no"
)

// ParseYesNo reads the filter named name as a request gives it: yes, no,
// or any or empty for both.
func ParseYesNo(name, s string) (YesNo, error) {
	switch YesNo(s) {
	case Yes, No:
		return YesNo(s), nil
	case "", "any":
		return "", nil
	}
	return "", fmt.Errorf("search: %s %q: want yes, no or any", name, s)
}

// Search limits.
const (
	DefaultSearchLimit = 20
	MaxSearchLimit     = 100
	MaxSearchQuery     = 100 // characters
	maxSearchTerms     = 8
)

// PassHit is one pass found by [Store.SearchPasses], with its status.
type PassHit struct {
	Issued
	Status       PassStatus
	Category     pass.RevokeCategory // of its revocation; empty when valid
	SupersededBy pass.Serial         // when superseded
	Prints       int                 // times printed (the print log)
	Collected    bool                // the desk marked it collected
}

// SearchPage is one page of [Store.SearchPasses]: Next is the cursor of
// the page after it, empty on the last page.
type SearchPage struct {
	Hits []PassHit
	Next string
}

// SearchText is what [Store.SearchPasses] matches a pass against: its
// name, org and role folded by [FoldSearch], and its serial as stored and
// as printed ("7k2m9qx4 7k2m-9qx4"). Stores keep it in a column, so a
// search reads nothing else.
func SearchText(p *pass.Pass) string {
	serial := strings.ToLower(string(p.Serial))
	return strings.Join(strings.Fields(fold(p.Name)+" "+fold(p.Org)+" "+fold(p.Role)+" "+serial+" "+strings.ToLower(p.Serial.String())), " ")
}

// SearchTerms reads what a person typed: at most [MaxSearchQuery]
// characters, folded as [SearchText], split into at most 8 words that a
// pass's search text must all contain. An empty query has no terms.
func SearchTerms(q string) ([]string, error) {
	if utf8.RuneCountInString(q) > MaxSearchQuery {
		return nil, fmt.Errorf("search: q is longer than %d characters", MaxSearchQuery)
	}
	terms := strings.Fields(fold(q))
	if len(terms) > maxSearchTerms {
		return nil, fmt.Errorf("search: q has more than %d words", maxSearchTerms)
	}
	return terms, nil
}

// CheckSearch checks a search's filter, limit and cursor, and returns
// the limit to use ([DefaultSearchLimit] for 0).
func CheckSearch(f SearchFilter, limit int, cursor string) (int, error) {
	switch f.Status {
	case "", PassValid, PassRevoked, PassSuperseded:
	default:
		return 0, fmt.Errorf("search: status %q: want valid, revoked or superseded", f.Status)
	}
	for _, yn := range [...]struct {
		name string
		v    YesNo
	}{{"printed", f.Printed}, {"collected", f.Collected}} {
		if yn.v != "" && yn.v != Yes && yn.v != No {
			return 0, fmt.Errorf("search: %s %q: want yes or no", yn.name, yn.v)
		}
	}
	if limit < 0 || limit > MaxSearchLimit {
		return 0, fmt.Errorf("search: limit %d: want 1 to %d", limit, MaxSearchLimit)
	}
	if limit == 0 {
		limit = DefaultSearchLimit
	}
	if cursor != "" {
		if s, err := pass.ParseSerial(cursor); err != nil || string(s) != cursor {
			return 0, fmt.Errorf("search: cursor %q is not one this server gave", cursor)
		}
	}
	return limit, nil
}

// HitStatus is the status of a pass whose revocation has category c
// (empty: none).
func HitStatus(c pass.RevokeCategory) PassStatus {
	switch c {
	case "":
		return PassValid
	case pass.RevokeSuperseded:
		return PassSuperseded
	}
	return PassRevoked
}

// fold lower-cases s and drops its diacritics (é → e, ø stays), so that
// "muller" finds "Müller".
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// Trigrams are the distinct runs of 3 characters of each of texts, in
// order of first appearance: what a trigram index keeps of a search text,
// and what it looks up for the words typed (a word is a substring of a
// text only if all its trigrams are the text's). Words shorter than 3
// characters have none.
func Trigrams(texts ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range texts {
		r := []rune(t)
		for i := 0; i+3 <= len(r); i++ {
			if tri := string(r[i : i+3]); !seen[tri] {
				seen[tri] = true
				out = append(out, tri)
			}
		}
	}
	return out
}

// PrepareSearch reads and checks a search as [Store.SearchPasses] takes
// it: the words of query ([SearchTerms]) and the limit to use
// ([CheckSearch]).
func PrepareSearch(query string, f SearchFilter, limit int, cursor string) ([]string, int, error) {
	terms, err := SearchTerms(query)
	if err != nil {
		return nil, 0, err
	}
	limit, err = CheckSearch(f, limit, cursor)
	return terms, limit, err
}

// NewSearchPage makes the page of hits, read with a limit of limit+1:
// the extra hit, if any, says there is a next page.
func NewSearchPage(hits []PassHit, limit int) SearchPage {
	var page SearchPage
	if len(hits) > limit {
		hits = hits[:limit]
		page.Next = string(hits[limit-1].Serial)
	}
	page.Hits = hits
	return page
}

// UserChange changes an account inside [Store.UpdateUser]'s transaction
// and returns the audit detail (never a password or its hash).
type UserChange func(a *staff.Account) (detail map[string]any, err error)

// Audit actions of staff accounts and their sessions (issue 13). The
// subject is the username.
const (
	ActionUserCreate       = "user.create"
	ActionUserUpdate       = "user.update"   // display name, role, event limits
	ActionUserDisable      = "user.disable"  // its sessions end with it
	ActionUserEnable       = "user.enable"   // also lifts a lockout
	ActionUserPassword     = "user.password" // set by its owner or reset by an admin
	ActionUserSignIn       = "user.signin"
	ActionUserSignInFailed = "user.signin_failed"
	ActionUserSignOut      = "user.signout"
	ActionUserSignOutAll   = "user.signout_all"
	ActionUserExpired      = "user.session_expired"
)

// UserDetail is the audit detail of a new account: never its password hash.
func UserDetail(a *staff.Account) map[string]any {
	d := map[string]any{"display_name": a.DisplayName, "role": a.Role}
	if len(a.Events) > 0 {
		d["events"] = a.Events
	}
	if a.Disabled {
		d["disabled"] = true
	}
	return d
}

// PrepareUser checks an account before a store writes it: its fields are
// valid, its events listed once in order, and it has a password hash.
func PrepareUser(a *staff.Account) error {
	a.Events = staff.NormalizeEvents(a.Events)
	if err := a.Validate(); err != nil {
		return err
	}
	if a.PasswordHash == "" {
		return fmt.Errorf("store: account %s has no password hash", a.Username)
	}
	return nil
}

// Exporter is the streaming reads of an export (issue 14, item 4). Each
// method calls fn once per row, in order, while it reads: memory does not
// grow with the number of rows. fn must not call the store (SQLite's
// reader stays busy until it returns); an error from fn stops the read
// and is returned as is.
type Exporter interface {
	// EachScan: the scans of f, by time then stored order.
	EachScan(ctx context.Context, f ExportFilter, fn func(*Scan) error) error
	// EachPass: the passes of f, by issue time then serial; Token empty.
	EachPass(ctx context.Context, f ExportFilter, fn func(*ExportedPass) error) error
	// EachAlert: the alerts of f, oldest first.
	EachAlert(ctx context.Context, f ExportFilter, fn func(*Alert) error) error
	// EachAudit: the audit rows about f.Event (the event itself, or one of
	// its passes), oldest first.
	EachAudit(ctx context.Context, f ExportFilter, fn func(*AuditEntry) error) error
}

// Webhooks is the endpoints and the durable outbox of webhooks (issue 14,
// item 5). Revoke, RevokeWhere and AddAlerts enqueue their events in their
// own transaction.
type Webhooks interface {
	// CreateWebhook stores an endpoint and its audit row (never its
	// secret); ErrExists if the ID is taken.
	CreateWebhook(ctx context.Context, w *Webhook, actor string) error
	// Webhooks lists the endpoints, oldest first, without their secrets.
	Webhooks(ctx context.Context) ([]Webhook, error)
	// DeleteWebhook removes an endpoint and its outbox rows, with its
	// audit row; ErrNotFound.
	DeleteWebhook(ctx context.Context, id, actor string) error
	// EnqueueWebhook adds ev to the outbox of every endpoint subscribed
	// to its type, due now, and returns how many rows it added; an ID
	// already enqueued adds none.
	EnqueueWebhook(ctx context.Context, ev WebhookEvent) (int, error)
	// ClaimDeliveries leases up to limit due pending deliveries to owner
	// until now+lease, with their endpoint's URL and secret: no other
	// claim returns them until the lease expires or they are finished.
	ClaimDeliveries(ctx context.Context, owner string, lease time.Duration, limit int) ([]Delivery, error)
	// FinishDelivery records an attempt on a delivery owner holds and
	// ends the lease; ErrLeaseLost when the lease is not owner's (any
	// more).
	FinishDelivery(ctx context.Context, id int64, owner string, r DeliveryResult) error
	// Deliveries lists the newest limit deliveries of an endpoint, newest
	// first (limit <= 0: 100); ErrNotFound for no endpoint.
	Deliveries(ctx context.Context, webhook string, limit int) ([]Delivery, error)
}

// TokenHeader is the header of the table of API tokens ("tokens list").
var TokenHeader = []string{"ID", "ROLE", "NAME", "EVENT", "GATE", "CREATED", "STATE"}

// Row is t's row of the table of API tokens; no event or gate is "-".
func (t *APIToken) Row() []string {
	dash := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	return []string{t.ID, t.Role, t.Name, dash(t.Event), dash(t.Gate), pass.FormatTime(t.Created, nil), t.State()}
}
