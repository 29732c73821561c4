package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/store"
)

// CreateEnrolment implements [store.Store].
func (s *Store) CreateEnrolment(ctx context.Context, e *store.Enrolment, actor string) error {
	if e.Created.IsZero() {
		e.Created = s.Now()
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO enrolments (hash, event, gate, zone, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.Hash, e.Event, e.Gate, e.Zone, e.Name, e.Created, e.Expires)
		if _, ok := isUnique(err); ok {
			return fmt.Errorf("%w: enrolment code", store.ErrExists)
		}
		if err != nil {
			return dbErr(err, "enrolment")
		}
		return s.audit(ctx, tx, e.Created, actor, store.ActionDeviceEnrol, e.Event, enrolDetail(e))
	})
}

const enrolCols = `hash, event, gate, zone, name, created_at, expires_at, used_at, token_id`

func scanEnrolment(row pgx.Row) (*store.Enrolment, error) {
	var e store.Enrolment
	var used *time.Time
	if err := row.Scan(&e.Hash, &e.Event, &e.Gate, &e.Zone, &e.Name, &e.Created, &e.Expires, &used, &e.Token); err != nil {
		return nil, err
	}
	e.Created, e.Expires, e.Used = e.Created.UTC(), e.Expires.UTC(), fromNull(used)
	return &e, nil
}

// Enrolment implements [store.Store].
func (s *Store) Enrolment(ctx context.Context, hash []byte) (*store.Enrolment, error) {
	e, err := scanEnrolment(s.pool.QueryRow(ctx, `SELECT `+enrolCols+` FROM enrolments WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: enrolment code", store.ErrNotFound)
	}
	if err != nil {
		return nil, dbErr(err, "enrolment")
	}
	return e, nil
}

// RedeemEnrolment implements [store.Store]. The row lock (FOR UPDATE)
// makes a second redemption on any node wait, then see the code used.
func (s *Store) RedeemEnrolment(ctx context.Context, hash []byte, now time.Time, mint func(store.Enrolment) (*store.APIToken, error)) (*store.Enrolment, error) {
	var out *store.Enrolment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		e, err := scanEnrolment(tx.QueryRow(ctx, `SELECT `+enrolCols+` FROM enrolments WHERE hash = $1 FOR UPDATE`, hash))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: enrolment code", store.ErrNotFound)
		}
		if err != nil {
			return dbErr(err, "enrolment")
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
		e.Used, e.Token = now.UTC(), t.ID
		if _, err := tx.Exec(ctx, `UPDATE enrolments SET used_at = $1, token_id = $2 WHERE hash = $3`, now, t.ID, hash); err != nil {
			return dbErr(err, "enrolment")
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
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for _, d := range seen {
			_, err := tx.Exec(ctx, `INSERT INTO devices_seen (token_id, seen_at, app, queued) VALUES ($1, $2, $3, $4)
				ON CONFLICT (token_id) DO UPDATE SET seen_at = excluded.seen_at, app = excluded.app, queued = excluded.queued
				WHERE excluded.seen_at > devices_seen.seen_at`, d.Token, d.At, d.App, d.Queued)
			if err != nil {
				return dbErr(err, "device %s", d.Token)
			}
		}
		return nil
	})
}

// DevicesSeen implements [store.Store].
func (s *Store) DevicesSeen(ctx context.Context) ([]store.DeviceSeen, error) {
	return query(ctx, s, func(r pgx.Row) (store.DeviceSeen, error) {
		var d store.DeviceSeen
		err := r.Scan(&d.Token, &d.At, &d.App, &d.Queued)
		d.At = d.At.UTC()
		return d, err
	}, `SELECT token_id, seen_at, app, queued FROM devices_seen ORDER BY token_id`)
}

// TouchDoors implements [store.Store].
func (s *Store) TouchDoors(ctx context.Context, seen []store.DoorSeen) error {
	if len(seen) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for _, d := range seen {
			_, err := tx.Exec(ctx, `INSERT INTO doors_seen (event, gate, token_id, seen_at, revocation_age) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (event, gate, token_id) DO UPDATE SET seen_at = excluded.seen_at, revocation_age = excluded.revocation_age
				WHERE excluded.seen_at > doors_seen.seen_at`, d.Event, d.Gate, d.Token, d.At, d.RevocationAge)
			if err != nil {
				return dbErr(err, "door %s at %s", d.Token, d.Gate)
			}
		}
		return nil
	})
}

// DoorsSeen implements [store.Store].
func (s *Store) DoorsSeen(ctx context.Context, event string) ([]store.DoorSeen, error) {
	return query(ctx, s, func(r pgx.Row) (store.DoorSeen, error) {
		var d store.DoorSeen
		err := r.Scan(&d.Event, &d.Gate, &d.Token, &d.At, &d.RevocationAge)
		d.At = d.At.UTC()
		return d, err
	}, `SELECT event, gate, token_id, seen_at, revocation_age FROM doors_seen WHERE event = $1 ORDER BY gate, token_id`, event)
}

// enrolDetail is the audit detail of an enrolment code: never the code
// or its hash.
func enrolDetail(e *store.Enrolment) map[string]any {
	d := map[string]any{"name": e.Name, "gate": e.Gate, "expires": e.Expires.UTC().Format(time.RFC3339)}
	if e.Zone != "" {
		d["zone"] = e.Zone
	}
	return d
}
