package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// passExists reports ErrNotFound for a serial no pass has; it locks the
// pass's row, so that two collections of one pass are made one at a time.
func passExists(ctx context.Context, tx pgx.Tx, serial pass.Serial) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM passes WHERE serial = $1 FOR UPDATE`, string(serial)).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: pass %s", store.ErrNotFound, serial)
	}
	if err != nil {
		return dbErr(err, "pass %s", serial)
	}
	return nil
}

// RecordPrints implements [store.Store].
func (s *Store) RecordPrints(ctx context.Context, prints []record.Print) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for i := range prints {
			p := &prints[i]
			if err := passExists(ctx, tx, p.Serial); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO prints (serial, at, actor, template, format) VALUES ($1, $2, $3, $4, $5)`,
				string(p.Serial), p.At, p.Actor, p.Template, p.Format); err != nil {
				return dbErr(err, "print of %s", p.Serial)
			}
			if err := s.audit(ctx, tx, p.At, p.Actor, store.ActionPassPrint, string(p.Serial), store.PrintAudit(p)); err != nil {
				return err
			}
		}
		return nil
	})
}

func scanPrint(r pgx.Row) (record.Print, error) {
	var p record.Print
	var serial string
	err := r.Scan(&serial, &p.At, &p.Actor, &p.Template, &p.Format)
	p.Serial = pass.Serial(serial)
	return p, err
}

// Prints implements [store.Store].
func (s *Store) Prints(ctx context.Context, serial pass.Serial) ([]record.Print, error) {
	return query(ctx, s, scanPrint, `SELECT serial, at, actor, template, format FROM prints WHERE serial = $1 ORDER BY at, id`, string(serial))
}

// PrintStatus implements [store.Store].
func (s *Store) PrintStatus(ctx context.Context, event string) (map[pass.Serial]record.PrintStatus, error) {
	out := map[pass.Serial]record.PrintStatus{}
	rows, err := s.pool.Query(ctx, `SELECT serial, n, at, actor, template, format FROM (
		SELECT pr.serial, pr.at, pr.actor, pr.template, pr.format,
			count(*) OVER (PARTITION BY pr.serial) AS n,
			row_number() OVER (PARTITION BY pr.serial ORDER BY pr.at DESC, pr.id DESC) AS k
		FROM prints pr JOIN passes ps ON ps.serial = pr.serial WHERE ps.event = $1) AS last WHERE k = 1`, event)
	if err != nil {
		return nil, dbErr(err, "prints of %s", event)
	}
	defer rows.Close()
	for rows.Next() {
		var st record.PrintStatus
		var serial string
		if err := rows.Scan(&serial, &st.Count, &st.Last.At, &st.Last.Actor, &st.Last.Template, &st.Last.Format); err != nil {
			return nil, dbErr(err, "prints of %s", event)
		}
		st.Last.Serial = pass.Serial(serial)
		out[st.Last.Serial] = st
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "prints of %s", event)
	}
	cs, err := query(ctx, s, func(r pgx.Row) (record.Collection, error) {
		var c record.Collection
		var serial string
		err := r.Scan(&serial, &c.At, &c.Actor)
		c.Serial = pass.Serial(serial)
		return c, err
	}, `SELECT c.serial, c.at, c.actor FROM collections c JOIN passes p ON p.serial = c.serial WHERE p.event = $1`, event)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		st := out[cs[i].Serial]
		st.Collected = &cs[i]
		out[cs[i].Serial] = st
	}
	return out, nil
}

// MarkCollected implements [store.Store].
func (s *Store) MarkCollected(ctx context.Context, serial pass.Serial, at time.Time, actor string) (*record.Collection, bool, error) {
	var c *record.Collection
	already := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := passExists(ctx, tx, serial); err != nil {
			return err
		}
		prev := record.Collection{Serial: serial}
		err := tx.QueryRow(ctx, `SELECT at, actor FROM collections WHERE serial = $1`, string(serial)).Scan(&prev.At, &prev.Actor)
		if err == nil {
			c, already = &prev, true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return dbErr(err, "collection of %s", serial)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO collections (serial, at, actor) VALUES ($1, $2, $3)`, string(serial), at, actor); err != nil {
			return dbErr(err, "collection of %s", serial)
		}
		c = &record.Collection{Serial: serial, At: at, Actor: actor}
		return s.audit(ctx, tx, at, actor, store.ActionPassCollect, string(serial), map[string]any{"collected": true})
	})
	if err != nil {
		return nil, false, err
	}
	return c, already, nil
}
