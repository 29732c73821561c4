package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// ApplyCue implements [store.Store].
func (s *Store) ApplyCue(ctx context.Context, event string, cue pass.Cue, at time.Time, actor string) (*pass.Event, error) {
	var ev *pass.Event
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		e, err := scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events WHERE id = ?`, event))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: event %s", store.ErrNotFound, event)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if err := e.Cues.Apply(cue, at); err != nil {
			return err
		}
		cues, err := json.Marshal(e.Cues)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET cues = ? WHERE id = ?`, string(cues), event); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		ev = e
		return s.audit(ctx, tx, s.Now(), actor, store.ActionEventCue, event, map[string]any{"cue": cue, "at": at})
	})
	return ev, err
}

// Inside implements [store.Store].
func (s *Store) Inside(ctx context.Context, event string) (map[string][]pass.Serial, error) {
	// The last admitted scan of each pass of the event; inside when "in".
	rows, err := s.r.QueryContext(ctx, `SELECT serial, zone, direction FROM (
			SELECT serial, zone, direction, ROW_NUMBER() OVER (PARTITION BY serial ORDER BY at DESC, rowid DESC) AS n
			FROM scans WHERE event = ? AND `+store.AdmittedSQL+` AND serial != '')
		WHERE n = 1 AND `+store.InSQL+` ORDER BY zone, serial`, event)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	out := map[string][]pass.Serial{}
	for rows.Next() {
		var serial, zone, dir string
		if err := rows.Scan(&serial, &zone, &dir); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out[zone] = append(out[zone], pass.Serial(serial))
	}
	return out, rows.Err()
}

// SetBranding implements [store.Store].
func (s *Store) SetBranding(ctx context.Context, event string, b *pass.Branding, actor string) (*pass.Event, error) {
	brand, err := store.BrandingJSON(b)
	if err != nil {
		return nil, fmt.Errorf("store: event %s: %w", event, err)
	}
	var ev *pass.Event
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE events SET branding = ? WHERE id = ?`, brand, event)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: event %s", store.ErrNotFound, event)
		}
		if ev, err = scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events WHERE id = ?`, event)); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return s.audit(ctx, tx, s.Now(), actor, store.ActionEventBranding, event, store.BrandingAudit(b))
	})
	return ev, err
}
