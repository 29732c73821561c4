package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// AddAlerts implements [store.Store].
func (s *Store) AddAlerts(ctx context.Context, alerts []record.Alert) ([]record.Alert, error) {
	var added []record.Alert
	now := s.Now()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		added = added[:0]
		for _, a := range alerts {
			var id int64
			err := tx.QueryRow(ctx, `INSERT INTO alerts (event, serial, kind, scan_a, scan_b, gate_a, gate_b, at, detected_at, reason, status)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (kind, scan_a, scan_b) DO NOTHING RETURNING id`,
				a.Event, string(a.Serial), a.Kind, a.Scans[0], a.Scans[1], a.Gates[0], a.Gates[1], a.At, now, a.Reason, a.Status).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				continue // found before
			}
			if err != nil {
				return dbErr(err, "alert")
			}
			a.ID, a.Detected = id, now
			added = append(added, a)
			if _, err := s.enqueueWebhook(ctx, tx, store.AlertWebhook(&a)); err != nil {
				return err
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
		args = append(args, f.Event)
		where = append(where, fmt.Sprintf("event = $%d", len(args)))
	}
	if f.Gate != "" {
		args = append(args, f.Gate)
		where = append(where, fmt.Sprintf("(gate_a = $%d OR gate_b = $%d)", len(args), len(args)))
	}
	q := `SELECT id, event, serial, kind, scan_a, scan_b, gate_a, gate_b, at, detected_at, reason, status FROM alerts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, dbErr(err, "alerts")
	}
	defer rows.Close()
	out := []record.Alert{}
	for rows.Next() {
		var a record.Alert
		if err := rows.Scan(&a.ID, &a.Event, &a.Serial, &a.Kind, &a.Scans[0], &a.Scans[1], &a.Gates[0], &a.Gates[1], &a.At, &a.Detected, &a.Reason, &a.Status); err != nil {
			return nil, dbErr(err, "alerts")
		}
		a.At, a.Detected = a.At.UTC(), a.Detected.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "alerts")
	}
	return out, nil
}
