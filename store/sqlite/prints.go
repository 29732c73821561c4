package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// passExists reports ErrNotFound for a serial no pass has.
func passExists(ctx context.Context, tx *sql.Tx, serial pass.Serial) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM passes WHERE serial = ?`, string(serial)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: pass %s", store.ErrNotFound, serial)
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// RecordPrints implements [store.Store].
func (s *Store) RecordPrints(ctx context.Context, prints []record.Print) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for i := range prints {
			p := &prints[i]
			if err := passExists(ctx, tx, p.Serial); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO prints (serial, at, actor, template, format) VALUES (?, ?, ?, ?, ?)`,
				string(p.Serial), ts(p.At), p.Actor, p.Template, p.Format); err != nil {
				return fmt.Errorf("store: print of %s: %w", p.Serial, err)
			}
			if err := s.audit(ctx, tx, p.At, p.Actor, store.ActionPassPrint, string(p.Serial), store.PrintAudit(p)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Prints implements [store.Store].
func (s *Store) Prints(ctx context.Context, serial pass.Serial) ([]record.Print, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT serial, at, actor, template, format FROM prints WHERE serial = ? ORDER BY at, rowid`, string(serial))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []record.Print
	for rows.Next() {
		var p record.Print
		var serial, at string
		if err := rows.Scan(&serial, &at, &p.Actor, &p.Template, &p.Format); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		p.Serial = pass.Serial(serial)
		if p.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("store: print of %s: %w", serial, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PrintStatus implements [store.Store].
func (s *Store) PrintStatus(ctx context.Context, event string) (map[pass.Serial]record.PrintStatus, error) {
	out := map[pass.Serial]record.PrintStatus{}
	// Each pass's count and its latest print (the last by time, then by
	// the order stored).
	rows, err := s.r.QueryContext(ctx, `SELECT serial, n, at, actor, template, format FROM (
		SELECT pr.serial, pr.at, pr.actor, pr.template, pr.format,
			count(*) OVER (PARTITION BY pr.serial) AS n,
			row_number() OVER (PARTITION BY pr.serial ORDER BY pr.at DESC, pr.rowid DESC) AS k
		FROM prints pr JOIN passes ps ON ps.serial = pr.serial WHERE ps.event = ?) WHERE k = 1`, event)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st record.PrintStatus
		var serial, at string
		if err := rows.Scan(&serial, &st.Count, &at, &st.Last.Actor, &st.Last.Template, &st.Last.Format); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		st.Last.Serial = pass.Serial(serial)
		if st.Last.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("store: print of %s: %w", serial, err)
		}
		out[st.Last.Serial] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	crows, err := s.r.QueryContext(ctx, `SELECT c.serial, c.at, c.actor FROM collections c JOIN passes p ON p.serial = c.serial WHERE p.event = ?`, event)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var c record.Collection
		var serial, at string
		if err := crows.Scan(&serial, &at, &c.Actor); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		c.Serial = pass.Serial(serial)
		if c.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("store: collection of %s: %w", serial, err)
		}
		st := out[c.Serial]
		st.Collected = &c
		out[c.Serial] = st
	}
	return out, crows.Err()
}

// MarkCollected implements [store.Store].
func (s *Store) MarkCollected(ctx context.Context, serial pass.Serial, at time.Time, actor string) (*record.Collection, bool, error) {
	var c *record.Collection
	already := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := passExists(ctx, tx, serial); err != nil {
			return err
		}
		var when, by string
		err := tx.QueryRowContext(ctx, `SELECT at, actor FROM collections WHERE serial = ?`, string(serial)).Scan(&when, &by)
		if err == nil {
			t, err := parseTS(when)
			if err != nil {
				return fmt.Errorf("store: collection of %s: %w", serial, err)
			}
			c, already = &record.Collection{Serial: serial, At: t, Actor: by}, true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collections (serial, at, actor) VALUES (?, ?, ?)`, string(serial), ts(at), actor); err != nil {
			return fmt.Errorf("store: collection of %s: %w", serial, err)
		}
		c = &record.Collection{Serial: serial, At: at, Actor: actor}
		return s.audit(ctx, tx, at, actor, store.ActionPassCollect, string(serial), map[string]any{"collected": true})
	})
	if err != nil {
		return nil, false, err
	}
	return c, already, nil
}
