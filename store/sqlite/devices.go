package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/laminate/laminate/store"
)

// CreateEnrolment implements [store.Store].
func (s *Store) CreateEnrolment(ctx context.Context, e *store.Enrolment, actor string) error {
	if e.Created.IsZero() {
		e.Created = s.Now()
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO enrolments (hash, event, gate, zone, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.Hash, e.Event, e.Gate, e.Zone, e.Name, ts(e.Created), ts(e.Expires))
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("%w: enrolment code", store.ErrExists)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return s.audit(ctx, tx, e.Created, actor, store.ActionDeviceEnrol, e.Event, enrolDetail(e))
	})
}

const enrolCols = `hash, event, gate, zone, name, created_at, expires_at, used_at, token_id`

func scanEnrolment(row scanner) (*store.Enrolment, error) {
	var e store.Enrolment
	var created, expires, used string
	if err := row.Scan(&e.Hash, &e.Event, &e.Gate, &e.Zone, &e.Name, &created, &expires, &used, &e.Token); err != nil {
		return nil, err
	}
	var err error
	if e.Created, err = parseTS(created); err != nil {
		return nil, err
	}
	if e.Expires, err = parseTS(expires); err != nil {
		return nil, err
	}
	e.Used, err = parseTS(used)
	return &e, err
}

// Enrolment implements [store.Store].
func (s *Store) Enrolment(ctx context.Context, hash []byte) (*store.Enrolment, error) {
	e, err := scanEnrolment(s.r.QueryRowContext(ctx, `SELECT `+enrolCols+` FROM enrolments WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: enrolment code", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return e, nil
}

// RedeemEnrolment implements [store.Store]. SQLite serialises writers, so
// the check and the update in one transaction cannot interleave with
// another redemption. The code is checked first on the read pool: a code
// unknown, used or expired (a guess, anyone may send one) is refused
// without taking the one write lock door scans wait for.
func (s *Store) RedeemEnrolment(ctx context.Context, hash []byte, now time.Time, mint func(store.Enrolment) (*store.APIToken, error)) (*store.Enrolment, error) {
	pre, err := s.Enrolment(ctx, hash)
	if err != nil {
		return nil, err
	}
	if !pre.Used.IsZero() || !now.Before(pre.Expires) {
		return nil, fmt.Errorf("%w: enrolment code used or expired", store.ErrNotFound)
	}
	var out *store.Enrolment
	err = s.inTx(ctx, func(tx *sql.Tx) error { // checked again: another redemption may have come first
		e, err := scanEnrolment(tx.QueryRowContext(ctx, `SELECT `+enrolCols+` FROM enrolments WHERE hash = ?`, hash))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: enrolment code", store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if !e.Used.IsZero() || !now.Before(e.Expires) {
			return fmt.Errorf("%w: enrolment code used or expired", store.ErrNotFound)
		}
		t, err := mint(*e)
		if err != nil {
			return err
		}
		if t.Created.IsZero() {
			t.Created = now
		}
		if err := insertToken(ctx, tx, t); err != nil {
			return err
		}
		e.Used, e.Token = now, t.ID
		if _, err := tx.ExecContext(ctx, `UPDATE enrolments SET used_at = ?, token_id = ? WHERE hash = ?`, ts(now), t.ID, hash); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		d := tokenDetail(t)
		d["via"] = "enrolment"
		if err := s.audit(ctx, tx, now, "device:"+t.ID+" ("+t.Name+")", store.ActionDeviceJoin, t.ID, d); err != nil {
			return err
		}
		out = e
		return nil
	})
	return out, err
}

// TouchDevices implements [store.Store].
func (s *Store) TouchDevices(ctx context.Context, seen []store.DeviceSeen) error {
	if len(seen) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, d := range seen {
			_, err := tx.ExecContext(ctx, `INSERT INTO devices_seen (token_id, seen_at, app, queued) VALUES (?, ?, ?, ?)
				ON CONFLICT (token_id) DO UPDATE SET seen_at = excluded.seen_at, app = excluded.app, queued = excluded.queued
				WHERE excluded.seen_at > devices_seen.seen_at`, d.Token, ts(d.At), d.App, d.Queued)
			if err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
		return nil
	})
}

// DevicesSeen implements [store.Store].
func (s *Store) DevicesSeen(ctx context.Context) ([]store.DeviceSeen, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT token_id, seen_at, app, queued FROM devices_seen ORDER BY token_id`)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []store.DeviceSeen
	for rows.Next() {
		var d store.DeviceSeen
		var at string
		if err := rows.Scan(&d.Token, &at, &d.App, &d.Queued); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if d.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// TouchDoors implements [store.Store].
func (s *Store) TouchDoors(ctx context.Context, seen []store.DoorSeen) error {
	if len(seen) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, d := range seen {
			_, err := tx.ExecContext(ctx, `INSERT INTO doors_seen (event, gate, token_id, seen_at, revocation_age) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (event, gate, token_id) DO UPDATE SET seen_at = excluded.seen_at, revocation_age = excluded.revocation_age
				WHERE excluded.seen_at > doors_seen.seen_at`, d.Event, d.Gate, d.Token, ts(d.At), d.RevocationAge)
			if err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
		return nil
	})
}

// DoorsSeen implements [store.Store].
func (s *Store) DoorsSeen(ctx context.Context, event string) ([]store.DoorSeen, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT event, gate, token_id, seen_at, revocation_age FROM doors_seen WHERE event = ? ORDER BY gate, token_id`, event)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []store.DoorSeen
	for rows.Next() {
		var d store.DoorSeen
		var at string
		if err := rows.Scan(&d.Event, &d.Gate, &d.Token, &at, &d.RevocationAge); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if d.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// enrolDetail is the audit detail of an enrolment code: never the code
// or its hash.
func enrolDetail(e *store.Enrolment) map[string]any {
	d := map[string]any{"name": e.Name, "gate": e.Gate, "expires": ts(e.Expires)}
	if e.Zone != "" {
		d["zone"] = e.Zone
	}
	return d
}
