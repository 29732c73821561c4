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
