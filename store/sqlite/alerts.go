package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// AddAlerts implements [store.Store].
func (s *Store) AddAlerts(ctx context.Context, alerts []record.Alert) ([]record.Alert, error) {
	var added []record.Alert
	now := s.Now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added = added[:0]
		for _, a := range alerts {
			res, err := tx.ExecContext(ctx, `INSERT INTO alerts (event, serial, kind, scan_a, scan_b, gate_a, gate_b, at, detected_at, reason, status)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, scan_a, scan_b) DO NOTHING`,
				a.Event, string(a.Serial), a.Kind, a.Scans[0], a.Scans[1], a.Gates[0], a.Gates[1], ts(a.At), ts(now), a.Reason, a.Status)
			if err != nil {
				return fmt.Errorf("store: alert: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				a.ID, _ = res.LastInsertId()
				a.Detected = now
				added = append(added, a)
				if _, err := s.enqueueWebhook(ctx, tx, store.AlertWebhook(&a)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// Alerts implements [store.Store].
func (s *Store) Alerts(ctx context.Context, f store.AlertFilter) ([]record.Alert, error) {
	var where []string
	var args []any
	if f.Event != "" {
		where, args = append(where, "event = ?"), append(args, f.Event)
	}
	if f.Gate != "" {
		where, args = append(where, "(gate_a = ? OR gate_b = ?)"), append(args, f.Gate, f.Gate)
	}
	q := `SELECT id, event, serial, kind, scan_a, scan_b, gate_a, gate_b, at, detected_at, reason, status FROM alerts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC`
	if f.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	out := []record.Alert{}
	for rows.Next() {
		var a record.Alert
		var at, det string
		if err := rows.Scan(&a.ID, &a.Event, &a.Serial, &a.Kind, &a.Scans[0], &a.Scans[1], &a.Gates[0], &a.Gates[1], &at, &det, &a.Reason, &a.Status); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if a.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if a.Detected, err = parseTS(det); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
