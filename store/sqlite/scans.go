package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

const scanCols = `scan_id, serial, event, gate, zone, direction, decision, code, at, answer`

func scanScan(row scanner) (store.Scan, error) {
	var sc store.Scan
	var at, answer string
	if err := row.Scan(&sc.ID, &sc.Serial, &sc.Event, &sc.Gate, &sc.Zone, &sc.Direction, &sc.Decision, &sc.Code, &at, &answer); err != nil {
		return sc, err
	}
	sc.Answer = []byte(answer)
	var err error
	sc.At, err = parseTS(at)
	return sc, err
}

// RecordScan implements [store.Store]. SQLite has one writer and the
// transaction begins IMMEDIATE, so the read of the last admitted scan and
// the insert cannot interleave with another door's.
func (s *Store) RecordScan(ctx context.Context, sc *store.Scan, decide store.ScanDecider) (*store.Scan, bool, error) {
	var out store.Scan
	dup := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		prev, err := scanScan(tx.QueryRowContext(ctx, `SELECT `+scanCols+` FROM scans WHERE scan_id = ?`, sc.ID))
		if err == nil {
			out, dup = prev, true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: %w", err)
		}
		var last *store.Scan
		if sc.Serial != "" {
			l, err := scanScan(tx.QueryRowContext(ctx, `SELECT `+scanCols+` FROM scans
				WHERE serial = ? AND decision = 'admit' ORDER BY at DESC, rowid DESC LIMIT 1`, string(sc.Serial)))
			switch {
			case err == nil:
				last = &l
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("store: %w", err)
			}
		}
		out = *sc
		out.Decision, out.Code, out.Answer = decide(last)
		_, err = tx.ExecContext(ctx, `INSERT INTO scans (scan_id, serial, event, gate, zone, direction, decision, code, at, recorded_at, answer)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			out.ID, string(out.Serial), out.Event, out.Gate, out.Zone, out.Direction, out.Decision, out.Code, ts(out.At), ts(s.Now()), string(out.Answer))
		if err != nil {
			return fmt.Errorf("store: recording scan: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return &out, dup, nil
}

// Scans implements [store.Store].
func (s *Store) Scans(ctx context.Context, serial pass.Serial) ([]store.Scan, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+scanCols+` FROM scans WHERE serial = ? ORDER BY at, rowid`, string(serial))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []store.Scan
	for rows.Next() {
		sc, err := scanScan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// RevokeWhere implements [store.Store].
func (s *Store) RevokeWhere(ctx context.Context, f store.RevokeFilter, category pass.RevokeCategory, note, by string) ([]store.Revocation, error) {
	if f.Event == "" {
		return nil, errors.New("store: a mass revocation needs an event")
	}
	cat, err := store.RevocationCategory(category)
	if err != nil {
		return nil, err
	}
	q := `SELECT p.serial FROM passes p WHERE p.event = ? AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.serial = p.serial)`
	args := []any{f.Event}
	if f.Type != "" {
		q += ` AND p.type = ?`
		args = append(args, string(f.Type))
	}
	if f.Role != "" {
		q += ` AND p.role = ?`
		args = append(args, f.Role)
	}
	if f.Org != "" {
		q += ` AND p.org = ?`
		args = append(args, f.Org)
	}
	if !f.IssuedBefore.IsZero() {
		q += ` AND p.issued_at < ?`
		args = append(args, ts(f.IssuedBefore))
	}
	q += ` ORDER BY p.serial`
	var out []store.Revocation
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		var serials []string
		for rows.Next() {
			var serial string
			if err := rows.Scan(&serial); err != nil {
				rows.Close()
				return fmt.Errorf("store: %w", err)
			}
			serials = append(serials, serial)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		now := s.Now()
		for _, serial := range serials {
			var seq int64
			err := tx.QueryRowContext(ctx, `INSERT INTO revocations (serial, event, category, note, actor, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`,
				serial, f.Event, string(cat), note, by, ts(now)).Scan(&seq)
			if err != nil {
				return fmt.Errorf("store: revoking %s: %w", serial, err)
			}
			if err := s.audit(ctx, tx, now, by, store.ActionPassRevoke, serial,
				store.RevocationDetail(f.Event, cat, note, seq, true)); err != nil {
				return err
			}
			out = append(out, store.Revocation{Seq: seq, Serial: pass.Serial(serial), Event: f.Event, Category: cat, Note: note, By: by, At: now})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
