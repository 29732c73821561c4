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

// Inside implements [store.Store], from the zone_inside table that every
// admitted scan keeps in step.
func (s *Store) Inside(ctx context.Context, event string) (map[string][]pass.Serial, error) {
	ps, err := s.Present(ctx, event)
	if err != nil {
		return nil, err
	}
	out := map[string][]pass.Serial{}
	for _, p := range ps {
		out[p.Zone] = append(out[p.Zone], p.Serial)
	}
	return out, nil
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

// UpdateEvent implements [store.Store]. The transaction is the single
// writer's (BEGIN IMMEDIATE), so the read and the write are one step.
func (s *Store) UpdateEvent(ctx context.Context, event string, c pass.EventChange, actor string) (*pass.Event, []string, error) {
	var ev *pass.Event
	var changed []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events WHERE id = ?`, event))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: event %s", store.ErrNotFound, event)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if ev, changed, err = c.Apply(old); err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		sched, policy, err := store.EventJSON(ev)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET name = ?, venue = ?, show_start = ?, starts_at = ?, schedule = ?, policy = ? WHERE id = ?`,
			ev.Name, ev.Venue, ev.Schedule.ShowStart.Format(time.RFC3339Nano), ts(ev.Schedule.ShowStart), sched, policy, event); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return s.audit(ctx, tx, s.Now(), actor, store.ActionEventUpdate, event, store.UpdateAudit(changed))
	})
	if err != nil {
		return nil, nil, err
	}
	return ev, changed, nil
}
