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
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
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
	Role    string // admin, issuer, scanner, stage
	Event   string // "": any event; else the only event the token may act for
	Gate    string // "": any gate; else the only gate a scanner token may scan at
	Hash    []byte // SHA-256 of the secret part
	Created time.Time
	Revoked time.Time // zero while valid
}

// State is the token as "tokens list" shows it: valid, or revoked with
// the time (UTC, RFC 3339).
func (t *APIToken) State() string {
	if t.Revoked.IsZero() {
		return "valid"
	}
	return "revoked " + t.Revoked.UTC().Format(time.RFC3339)
}

// Audit actions of API tokens and keys.
const (
	ActionTokenCreate = "token.create"
	ActionTokenRevoke = "token.revoke"
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

// ScanDecider decides scan s given the pass's last admitted scan (nil if
// none): it sets s's Decision, Code, Answer and, for an online scan, its
// time. It runs inside the store's transaction, while the pass is locked,
// so the check and the record are one atomic step and scans of one pass
// are decided one at a time. The last admitted scan is the latest by
// (At, stored order) among the scans that Admitted.
type ScanDecider func(s *Scan, last *Scan)

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
	// SetBranding replaces an event's branding (nil or zero: none) and
	// writes its audit row, in one transaction; ErrNotFound if there is
	// no such event. It returns the event as stored.
	SetBranding(ctx context.Context, event string, b *pass.Branding, actor string) (*pass.Event, error)
	// Inside lists, per zone, the passes of an event whose last admitted
	// scan was "in".
	Inside(ctx context.Context, event string) (map[string][]pass.Serial, error)

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

	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	Close() error
}

// Notifier is implemented by stores that tell a node at once when another
// node committed a change (PostgreSQL's LISTEN/NOTIFY). Servers still poll:
// a notification only makes the next poll come sooner.
type Notifier interface {
	// Changes returns a channel that receives (coalesced) after any node
	// commits a revocation, a cue, new passes or a shared document. It is
	// closed when ctx ends.
	Changes(ctx context.Context) <-chan struct{}
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
