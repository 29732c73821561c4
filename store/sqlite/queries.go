package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// timeLayout is fixed-width, so that UTC times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// ts formats t for a column: UTC, fixed width; "" for the zero time.
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTS(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// inTx runs f in a write transaction (BEGIN IMMEDIATE) and commits it.
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (s *Store) audit(ctx context.Context, tx *sql.Tx, at time.Time, actor, action, subject string, detail any) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("store: audit detail: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`,
		ts(at), actor, action, subject, string(d))
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

func isConstraint(err error, ext int) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == ext
}

// CreateEvent implements [store.Store].
func (s *Store) CreateEvent(ctx context.Context, ev *pass.Event, actor string) error {
	sched, err := json.Marshal(ev.Schedule)
	if err != nil {
		return fmt.Errorf("store: event %s: %w", ev.ID, err)
	}
	cues, err := json.Marshal(ev.Cues)
	if err != nil {
		return fmt.Errorf("store: event %s: %w", ev.ID, err)
	}
	var policy sql.NullString
	if ev.Policy != nil {
		b, err := json.Marshal(ev.Policy)
		if err != nil {
			return fmt.Errorf("store: event %s: %w", ev.ID, err)
		}
		policy = sql.NullString{String: string(b), Valid: true}
	}
	brand, err := store.BrandingJSON(ev.Branding)
	if err != nil {
		return fmt.Errorf("store: event %s: %w", ev.ID, err)
	}
	now := s.Now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO events
			(id, name, venue, show_start, starts_at, schedule, policy, cues, created_at, branding)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ev.ID, ev.Name, ev.Venue, ev.Schedule.ShowStart.Format(time.RFC3339Nano), ts(ev.Schedule.ShowStart),
			string(sched), policy, string(cues), ts(now), brand)
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("%w: event %s", store.ErrExists, ev.ID)
		}
		if err != nil {
			return fmt.Errorf("store: event %s: %w", ev.ID, err)
		}
		return s.audit(ctx, tx, now, actor, store.ActionEventCreate, ev.ID, map[string]string{"name": ev.Name})
	})
}

const eventCols = `id, name, venue, schedule, policy, cues, branding`

func scanEvent(row scanner) (*pass.Event, error) {
	var ev pass.Event
	var sched, cues string
	var policy sql.NullString
	var brand *string
	if err := row.Scan(&ev.ID, &ev.Name, &ev.Venue, &sched, &policy, &cues, &brand); err != nil {
		return nil, err
	}
	b, err := store.ParseBranding(brand)
	if err != nil {
		return nil, fmt.Errorf("store: event %s: %w", ev.ID, err)
	}
	ev.Branding = b
	if err := json.Unmarshal([]byte(sched), &ev.Schedule); err != nil {
		return nil, fmt.Errorf("store: event %s: schedule: %w", ev.ID, err)
	}
	if err := json.Unmarshal([]byte(cues), &ev.Cues); err != nil {
		return nil, fmt.Errorf("store: event %s: cues: %w", ev.ID, err)
	}
	if policy.Valid {
		ev.Policy = new(pass.Policy)
		if err := json.Unmarshal([]byte(policy.String), ev.Policy); err != nil {
			return nil, fmt.Errorf("store: event %s: policy: %w", ev.ID, err)
		}
	}
	return &ev, nil
}

// Event implements [store.Store].
func (s *Store) Event(ctx context.Context, id string) (*pass.Event, error) {
	ev, err := scanEvent(s.r.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: event %s", store.ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: event %s: %w", id, err)
	}
	return ev, nil
}

// Events implements [store.Store].
func (s *Store) Events(ctx context.Context) ([]*pass.Event, error) {
	return query(ctx, s.r, scanEvent, `SELECT `+eventCols+` FROM events ORDER BY starts_at, id`)
}

// query runs a query and scans every row with scan.
func query[T any](ctx context.Context, db *sql.DB, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return out, nil
}

// InsertPasses implements [store.Store].
func (s *Store) InsertPasses(ctx context.Context, passes []store.Issued, actor string) error {
	if len(passes) == 0 {
		return nil
	}
	now := s.Now()
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.insertPasses(ctx, tx, passes, actor, now) })
}

// insertPasses is InsertPasses inside transaction tx.
func (s *Store) insertPasses(ctx context.Context, tx *sql.Tx, passes []store.Issued, actor string, now time.Time) error {
	// Name an unknown event; the foreign key would only say that one is.
	seen := map[string]bool{}
	for i := range passes {
		id := passes[i].Event
		if seen[id] {
			continue
		}
		seen[id] = true
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM events WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: event %s (pass %s)", store.ErrNotFound, id, passes[i].Serial)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO passes
		(serial, event, type, role, name, org, valid_from, valid_until, issuer, kid, token, issued_at, photo, ref, search)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer ins.Close()
	aud, err := tx.PrepareContext(ctx, `INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer aud.Close()
	at := ts(now)
	for i := range passes {
		p := &passes[i]
		if err := store.CheckPhoto(p); err != nil {
			return err
		}
		_, err := ins.ExecContext(ctx, string(p.Serial), p.Event, string(p.Type), p.Role, p.Name, p.Org,
			ts(p.ValidFrom), ts(p.ValidUntil), p.Issuer, p.KID, p.Token, ts(p.IssuedAt), p.Photo, p.Ref, store.SearchText(&p.Pass))
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("%w: %s", store.ErrDuplicateSerial, p.Serial)
		}
		if err != nil {
			return fmt.Errorf("store: pass %s: %w", p.Serial, err)
		}
		if p.PhotoJPEG != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO pass_photos (serial, jpeg) VALUES (?, ?)`, string(p.Serial), p.PhotoJPEG); err != nil {
				return fmt.Errorf("store: photo of pass %s: %w", p.Serial, err)
			}
		}
		// The detail names the event, type and key; never the token.
		detail := fmt.Sprintf(`{"event":%q,"type":%q,"kid":%q}`, p.Event, p.Type, p.KID)
		if _, err := aud.ExecContext(ctx, at, actor, store.ActionPassIssue, string(p.Serial), detail); err != nil {
			return fmt.Errorf("store: audit: %w", err)
		}
	}
	return nil
}

const passCols = `serial, event, type, role, name, org, valid_from, valid_until, issuer, kid, token, issued_at, photo, ref`

func scanPass(row scanner) (*store.Issued, error) {
	var p store.Issued
	var from, until, issued string
	if err := row.Scan(&p.Serial, &p.Event, &p.Type, &p.Role, &p.Name, &p.Org,
		&from, &until, &p.Issuer, &p.KID, &p.Token, &issued, &p.Photo, &p.Ref); err != nil {
		return nil, err
	}
	var err1, err2, err3 error
	p.ValidFrom, err1 = parseTS(from)
	p.ValidUntil, err2 = parseTS(until)
	p.IssuedAt, err3 = parseTS(issued)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("pass %s: %w", p.Serial, err)
	}
	return &p, nil
}

// Pass implements [store.Store].
func (s *Store) Pass(ctx context.Context, serial pass.Serial) (*store.Issued, error) {
	p, err := scanPass(s.r.QueryRowContext(ctx, `SELECT `+passCols+` FROM passes WHERE serial = ?`, string(serial)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: pass %s", store.ErrNotFound, serial)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return p, nil
}

// PassPhoto implements [store.Store].
func (s *Store) PassPhoto(ctx context.Context, serial pass.Serial) ([]byte, error) {
	var b []byte
	err := s.r.QueryRowContext(ctx, `SELECT jpeg FROM pass_photos WHERE serial = ?`, string(serial)).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: photo of pass %s", store.ErrNotFound, serial)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return b, nil
}

// Passes implements [store.Store].
func (s *Store) Passes(ctx context.Context, f store.PassFilter) ([]*store.Issued, error) {
	if f.Event != "" {
		return query(ctx, s.r, scanPass, `SELECT `+passCols+` FROM passes WHERE event = ? ORDER BY issued_at, serial`, f.Event)
	}
	return query(ctx, s.r, scanPass, `SELECT `+passCols+` FROM passes ORDER BY issued_at, serial`)
}

// PassKeys implements [store.Store].
func (s *Store) PassKeys(ctx context.Context, event string) ([]store.PassKey, error) {
	return query(ctx, s.r, func(row scanner) (store.PassKey, error) {
		var k store.PassKey
		err := row.Scan(&k.Serial, &k.Type, &k.Name, &k.Ref, &k.Revoked)
		return k, err
	}, `SELECT p.serial, p.type, p.name, p.ref, EXISTS (SELECT 1 FROM revocations r WHERE r.serial = p.serial)
		FROM passes p WHERE p.event = ? ORDER BY p.issued_at, p.serial`, event)
}

// Revoke implements [store.Store].
func (s *Store) Revoke(ctx context.Context, r *store.Revocation) error {
	cat, err := store.RevocationCategory(r.Category)
	if err != nil {
		return err
	}
	at := r.At
	if at.IsZero() {
		at = s.Now()
	}
	var seq int64
	var event string
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT event FROM passes WHERE serial = ?`, string(r.Serial)).Scan(&event)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: pass %s", store.ErrNotFound, r.Serial)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO revocations (serial, event, category, note, actor, at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (serial) DO NOTHING RETURNING seq`,
			string(r.Serial), event, string(cat), r.Note, r.By, ts(at)).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: pass %s", store.ErrAlreadyRevoked, r.Serial)
		}
		if err != nil {
			return fmt.Errorf("store: revoking %s: %w", r.Serial, err)
		}
		if err := s.audit(ctx, tx, s.Now(), r.By, store.ActionPassRevoke, string(r.Serial),
			store.RevocationDetail(event, cat, r.Note, seq, false)); err != nil {
			return err
		}
		_, err = s.enqueueWebhook(ctx, tx, store.RevokedWebhook(&store.Revocation{Seq: seq, Serial: r.Serial, Event: event, Category: cat, At: at}))
		return err
	})
	if err != nil {
		return err
	}
	r.Seq, r.Event, r.At, r.Category = seq, event, at, cat
	return nil
}

const revCols = `seq, serial, event, category, note, actor, at, superseded_by`

func scanRevocation(row scanner) (store.Revocation, error) {
	var r store.Revocation
	var at string
	if err := row.Scan(&r.Seq, &r.Serial, &r.Event, &r.Category, &r.Note, &r.By, &at, &r.SupersededBy); err != nil {
		return r, err
	}
	var err error
	r.At, err = parseTS(at)
	return r, err
}

// Revocation implements [store.Store].
func (s *Store) Revocation(ctx context.Context, serial pass.Serial) (*store.Revocation, error) {
	r, err := scanRevocation(s.r.QueryRowContext(ctx, `SELECT `+revCols+` FROM revocations WHERE serial = ?`, string(serial)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: no revocation of pass %s", store.ErrNotFound, serial)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &r, nil
}

// RevocationsSince implements [store.Store].
func (s *Store) RevocationsSince(ctx context.Context, seq int64) ([]store.Revocation, error) {
	return query(ctx, s.r, scanRevocation, `SELECT `+revCols+` FROM revocations WHERE seq > ? ORDER BY seq`, seq)
}

// Audit implements [store.Store].
func (s *Store) Audit(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	return query(ctx, s.r, func(row scanner) (store.AuditEntry, error) {
		var e store.AuditEntry
		var at string
		if err := row.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Subject, &e.Detail); err != nil {
			return e, err
		}
		var err error
		e.At, err = parseTS(at)
		return e, err
	}, `SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT ?`, limit)
}
