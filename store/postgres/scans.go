package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

const scanCols = `id, scan_id, serial, event, gate, zone, direction, decision, code, at, answer,
	source, credential, device_at, verdict, token_hash, resolution, resolved_by, resolved_at`

func scanScan(row pgx.Row) (record.Scan, error) {
	var sc record.Scan
	var deviceAt, resolvedAt *time.Time
	err := row.Scan(&sc.Seq, &sc.ID, &sc.Serial, &sc.Event, &sc.Gate, &sc.Zone, &sc.Direction, &sc.Decision, &sc.Code, &sc.At, &sc.Answer,
		&sc.Source, &sc.Credential, &deviceAt, &sc.Verdict, &sc.TokenHash, &sc.Resolution, &sc.ResolvedBy, &resolvedAt)
	sc.At, sc.DeviceAt, sc.ResolvedAt = sc.At.UTC(), fromNull(deviceAt), fromNull(resolvedAt)
	if sc.Answer == nil {
		sc.Answer = []byte{}
	}
	if sc.TokenHash == nil {
		sc.TokenHash = []byte{}
	}
	return sc, err
}

// RecordScan implements [store.Store]. The lock on the serial, taken before
// anything is read, makes the read of the last admitted scan, the decision
// and the insert one step for that pass across every node; a retry waits
// for the first attempt, then finds it by scan ID.
func (s *Store) RecordScan(ctx context.Context, sc *record.Scan, decide store.ScanDecider) (*record.Scan, bool, error) {
	return s.recordScan(ctx, sc, false, func(out, last *record.Scan, _ int, _ pass.ZoneCapacity) { decide(out, last) })
}

// RecordZoneScan implements [store.Store]: the zone's lock, then the
// pass's, then the count of the zone, in the pipeline of RecordScan.
func (s *Store) RecordZoneScan(ctx context.Context, sc *record.Scan, decide store.ZoneDecider) (*record.Scan, bool, error) {
	return s.recordScan(ctx, sc, true, decide)
}

func (s *Store) recordScan(ctx context.Context, sc *record.Scan, count bool, decide store.ZoneDecider) (*record.Scan, bool, error) {
	var out record.Scan
	dup := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The locks and the reads go in one round trip (a pipeline).
		// Each statement of it still runs after the one before has
		// finished, with a snapshot of its own (READ COMMITTED), so the
		// reads see everything the locks' previous holders committed.
		var b pgx.Batch
		if count {
			b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, s.locks[lockZones], hash32(sc.Event+"\x00"+sc.Zone))
		}
		if sc.Serial != "" {
			b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, s.locks[lockScans], hash32(string(sc.Serial)))
		}
		b.Queue(`SELECT `+scanCols+` FROM scans WHERE scan_id = $1`, sc.ID)
		if sc.Serial != "" {
			// The latest by time, then by recording order: online scans
			// are timed so that the two orders agree.
			b.Queue(`SELECT `+scanCols+` FROM scans
				WHERE serial = $1 AND `+store.AdmittedSQL+` ORDER BY at DESC, id DESC LIMIT 1`, string(sc.Serial))
		}
		if count {
			b.Queue(`SELECT count(*) FROM zone_inside WHERE event = $1 AND zone = $2`, sc.Event, sc.Zone)
			b.Queue(`SELECT policy FROM events WHERE id = $1`, sc.Event)
		}
		br := tx.SendBatch(ctx, &b)
		if count {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return dbErr(err, "lock zone %s", sc.Zone)
			}
		}
		if sc.Serial != "" {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return dbErr(err, "lock scans of %s", sc.Serial)
			}
		}
		prev, err := scanScan(br.QueryRow())
		if err == nil {
			br.Close()
			if !store.SameScanRequest(&prev, sc) {
				return fmt.Errorf("%w: %s", store.ErrScanMismatch, sc.ID)
			}
			out, dup = prev, true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			br.Close()
			return dbErr(err, "scan %s", sc.ID)
		}
		var last *record.Scan
		if sc.Serial != "" {
			l, err := scanScan(br.QueryRow())
			switch {
			case err == nil:
				last = &l
			case !errors.Is(err, pgx.ErrNoRows):
				br.Close()
				return dbErr(err, "last scan of %s", sc.Serial)
			}
		}
		inside := 0
		var capacity pass.ZoneCapacity
		if count {
			if err := br.QueryRow().Scan(&inside); err != nil {
				br.Close()
				return dbErr(err, "count of zone %s", sc.Zone)
			}
			// The cap as stored now: an edit committed before the zone's
			// lock was taken is seen (READ COMMITTED, a statement of its own).
			var policy *string
			if err := br.QueryRow().Scan(&policy); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				br.Close()
				return dbErr(err, "policy of event %s", sc.Event)
			}
			var err error
			if capacity, err = store.CapacityIn(policy, sc.Zone); err != nil {
				br.Close()
				return err
			}
		}
		if err := br.Close(); err != nil {
			return dbErr(err, "scan %s", sc.ID)
		}
		out = *sc
		decide(&out, last, inside, capacity)
		if out.Answer == nil {
			out.Answer = []byte{}
		}
		if out.TokenHash == nil {
			out.TokenHash = []byte{}
		}
		if out.Source == "" {
			out.Source = record.Online
		}
		// A scan ID is unique; the same ID under another serial (or none)
		// is not covered by the lock, and is settled here.
		err = tx.QueryRow(ctx, `INSERT INTO scans (scan_id, serial, event, gate, zone, direction, decision, code, at, recorded_at, answer,
				source, credential, device_at, verdict, token_hash, resolution, resolved_by, resolved_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
			ON CONFLICT (scan_id) DO NOTHING RETURNING id`,
			out.ID, string(out.Serial), out.Event, out.Gate, out.Zone, out.Direction, out.Decision, out.Code, out.At, s.Now(), out.Answer,
			out.Source, out.Credential, nullTime(out.DeviceAt), out.Verdict, out.TokenHash, out.Resolution, out.ResolvedBy, nullTime(out.ResolvedAt)).Scan(&out.Seq)
		if errors.Is(err, pgx.ErrNoRows) {
			// READ COMMITTED: this statement sees the row that won.
			prev, err := scanScan(tx.QueryRow(ctx, `SELECT `+scanCols+` FROM scans WHERE scan_id = $1`, sc.ID))
			if err != nil {
				return dbErr(err, "scan %s", sc.ID)
			}
			if !store.SameScanRequest(&prev, sc) {
				return fmt.Errorf("%w: %s", store.ErrScanMismatch, sc.ID)
			}
			out, dup = prev, true
			return nil
		}
		if err != nil {
			return dbErr(err, "recording scan")
		}
		if count {
			if err := s.zoneFull(ctx, tx, &out, inside); err != nil {
				return err
			}
		}
		if out.Admitted() {
			return refreshInside(ctx, tx, out.Serial)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return &out, dup, nil
}

// zoneFull enqueues the zone.full webhook when the decider answered the
// new scan sc zone_full, in the scan's transaction, under the zone's
// lock: once per full episode, named by the time of the latest entry into
// the zone ([store.ZoneFullWebhook]).
func (s *Store) zoneFull(ctx context.Context, tx pgx.Tx, sc *record.Scan, inside int) error {
	if sc.Code != record.CodeZoneFull {
		return nil
	}
	ev, err := scanEvent(tx.QueryRow(ctx, `SELECT `+eventCols+` FROM events WHERE id = $1`, sc.Event))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return dbErr(err, "event %s", sc.Event)
	}
	capacity, ok := store.ZoneFullAfter(sc, ev)
	if !ok {
		return nil
	}
	var since *time.Time
	if err := tx.QueryRow(ctx, `SELECT max(at) FROM zone_inside WHERE event = $1 AND zone = $2`, sc.Event, sc.Zone).Scan(&since); err != nil {
		return dbErr(err, "zone %s", sc.Zone)
	}
	var t time.Time
	if since != nil {
		t = *since
	}
	_, err = s.enqueueWebhook(ctx, tx, store.ZoneFullWebhook(sc.Event, sc.Zone, inside, capacity, t, sc.At))
	return err
}

// ResolveScan implements [store.Store]. It takes the pass's scan lock, so
// no scan of the pass is decided while a person's answer is recorded.
func (s *Store) ResolveScan(ctx context.Context, id string, resolution record.Decision, by string, at time.Time) (*record.Scan, error) {
	var out record.Scan
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		sc, err := scanScan(tx.QueryRow(ctx, `SELECT `+scanCols+` FROM scans WHERE scan_id = $1`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: scan %s", store.ErrNotFound, id)
		}
		if err != nil {
			return dbErr(err, "scan %s", id)
		}
		later := false
		if sc.Serial != "" {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, s.locks[lockScans], hash32(string(sc.Serial))); err != nil {
				return dbErr(err, "lock scans of %s", sc.Serial)
			}
			// Read again under the lock: another node may have answered.
			if sc, err = scanScan(tx.QueryRow(ctx, `SELECT `+scanCols+` FROM scans WHERE scan_id = $1`, id)); err != nil {
				return dbErr(err, "scan %s", id)
			}
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM scans WHERE serial = $1 AND id > $2)`, string(sc.Serial), sc.Seq).Scan(&later); err != nil {
				return dbErr(err, "scans of %s", sc.Serial)
			}
		}
		if err := store.CheckResolution(&sc, resolution, later); err != nil || sc.Resolution == resolution {
			out = sc
			return err
		}
		sc.Resolution, sc.ResolvedBy, sc.ResolvedAt = resolution, by, at.UTC()
		if _, err := tx.Exec(ctx, `UPDATE scans SET resolution = $1, resolved_by = $2, resolved_at = $3 WHERE scan_id = $4`,
			resolution, by, at, id); err != nil {
			return dbErr(err, "scan %s", id)
		}
		out = sc
		if err := refreshInside(ctx, tx, sc.Serial); err != nil {
			return err
		}
		return s.audit(ctx, tx, s.Now(), by, store.ActionScanResolve, string(sc.Serial),
			map[string]any{"scan_id": id, "resolution": resolution, "gate": sc.Gate})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Scan implements [store.Store].
func (s *Store) Scan(ctx context.Context, id string) (*record.Scan, error) {
	sc, err := scanScan(s.pool.QueryRow(ctx, `SELECT `+scanCols+` FROM scans WHERE scan_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: scan %s", store.ErrNotFound, id)
	}
	if err != nil {
		return nil, dbErr(err, "scan %s", id)
	}
	return &sc, nil
}

// Scans implements [store.Store].
func (s *Store) Scans(ctx context.Context, serial pass.Serial) ([]record.Scan, error) {
	return query(ctx, s, scanScan, `SELECT `+scanCols+` FROM scans WHERE serial = $1 ORDER BY at, id`, string(serial))
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

// refreshInside keeps the zone_inside row of a pass in step with its last
// admitted scan, in the transaction that changed it (the pass is locked).
func refreshInside(ctx context.Context, tx pgx.Tx, serial pass.Serial) error {
	if serial == "" {
		return nil
	}
	l, err := scanScan(tx.QueryRow(ctx, `SELECT `+scanCols+` FROM scans
		WHERE serial = $1 AND `+store.AdmittedSQL+` ORDER BY at DESC, id DESC LIMIT 1`, string(serial)))
	switch {
	case errors.Is(err, pgx.ErrNoRows) || (err == nil && l.Direction != record.In):
		_, err = tx.Exec(ctx, `DELETE FROM zone_inside WHERE serial = $1`, string(serial))
	case err == nil:
		_, err = tx.Exec(ctx, `INSERT INTO zone_inside (serial, event, zone, scan_id, gate, at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (serial) DO UPDATE SET event = excluded.event, zone = excluded.zone, scan_id = excluded.scan_id,
				gate = excluded.gate, at = excluded.at`, string(serial), l.Event, l.Zone, l.ID, l.Gate, l.At)
	}
	if err != nil {
		return dbErr(err, "inside %s", serial)
	}
	return nil
}

// Present implements [store.Store].
func (s *Store) Present(ctx context.Context, event string) ([]store.Presence, error) {
	return query(ctx, s, func(row pgx.Row) (store.Presence, error) {
		var p store.Presence
		err := row.Scan(&p.Serial, &p.Type, &p.Role, &p.Zone, &p.ScanID, &p.Gate, &p.At)
		p.At = p.At.UTC()
		return p, err
	}, `SELECT z.serial, coalesce(p.type, ''), coalesce(p.role, ''), z.zone, z.scan_id, z.gate, z.at
		FROM zone_inside z LEFT JOIN passes p ON p.serial = z.serial
		WHERE z.event = $1 ORDER BY z.zone, z.serial`, event)
}

// Occupancy implements [store.Store].
func (s *Store) Occupancy(ctx context.Context, event string) (map[string]int, error) {
	type zc struct {
		zone string
		n    int
	}
	rows, err := query(ctx, s, func(row pgx.Row) (zc, error) {
		var z zc
		err := row.Scan(&z.zone, &z.n)
		return z, err
	}, `SELECT zone, count(*) FROM zone_inside WHERE event = $1 GROUP BY zone`, event)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, z := range rows {
		out[z.zone] = z.n
	}
	return out, nil
}

// Traffic implements [store.Store].
func (s *Store) Traffic(ctx context.Context, event string, since, recent time.Time) ([]store.Traffic, error) {
	return query(ctx, s, func(row pgx.Row) (store.Traffic, error) {
		var t store.Traffic
		err := row.Scan(&t.Zone, &t.Gate, &t.Credential, &t.Direction, &t.Admitted, &t.AdmittedRecent, &t.Scans, &t.Last)
		t.Last = t.Last.UTC()
		return t, err
	}, `SELECT zone, gate, credential, direction,
			count(*) FILTER (WHERE `+store.AdmittedSQL+`),
			count(*) FILTER (WHERE `+store.AdmittedSQL+` AND at >= $1),
			count(*), max(at)
		FROM scans WHERE event = $2 AND at >= $3 GROUP BY zone, gate, credential, direction ORDER BY zone, gate, credential, direction`,
		recent, event, since)
}

// ApplyCue implements [store.Store]. The event row is locked while its
// cues are read and written, so two cues at once both stay.
func (s *Store) ApplyCue(ctx context.Context, event string, cue pass.Cue, at time.Time, actor string) (*pass.Event, error) {
	var ev *pass.Event
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		e, err := scanEvent(tx.QueryRow(ctx, `SELECT `+eventCols+` FROM events WHERE id = $1 FOR UPDATE`, event))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: event %s", store.ErrNotFound, event)
		}
		if err != nil {
			return dbErr(err, "event %s", event)
		}
		if err := e.Cues.Apply(cue, at); err != nil {
			return err
		}
		cues, err := json.Marshal(e.Cues)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE events SET cues = $1 WHERE id = $2`, string(cues), event); err != nil {
			return dbErr(err, "event %s", event)
		}
		ev = e
		if err := s.audit(ctx, tx, s.Now(), actor, store.ActionEventCue, event, map[string]any{"cue": cue, "at": at}); err != nil {
			return err
		}
		return s.notify(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// SetBranding implements [store.Store].
func (s *Store) SetBranding(ctx context.Context, event string, b *pass.Branding, actor string) (*pass.Event, error) {
	brand, err := store.BrandingJSON(b)
	if err != nil {
		return nil, fmt.Errorf("store: event %s: %w", event, err)
	}
	var ev *pass.Event
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE events SET branding = $1 WHERE id = $2`, brand, event)
		if err != nil {
			return dbErr(err, "event %s", event)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: event %s", store.ErrNotFound, event)
		}
		if ev, err = scanEvent(tx.QueryRow(ctx, `SELECT `+eventCols+` FROM events WHERE id = $1`, event)); err != nil {
			return dbErr(err, "event %s", event)
		}
		if err := s.audit(ctx, tx, s.Now(), actor, store.ActionEventBranding, event, store.BrandingAudit(b)); err != nil {
			return err
		}
		return s.notify(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// UpdateEvent implements [store.Store]. The event row is locked while it
// is read, changed and written, as ApplyCue does.
func (s *Store) UpdateEvent(ctx context.Context, event string, c pass.EventChange, actor string) (*pass.Event, []string, error) {
	var ev *pass.Event
	var changed []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanEvent(tx.QueryRow(ctx, `SELECT `+eventCols+` FROM events WHERE id = $1 FOR UPDATE`, event))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: event %s", store.ErrNotFound, event)
		}
		if err != nil {
			return dbErr(err, "event %s", event)
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
		if _, err := tx.Exec(ctx, `UPDATE events SET name = $1, venue = $2, show_start = $3, starts_at = $4, schedule = $5, policy = $6 WHERE id = $7`,
			ev.Name, ev.Venue, ev.Schedule.ShowStart.Format(time.RFC3339Nano), ev.Schedule.ShowStart, sched, policy, event); err != nil {
			return dbErr(err, "event %s", event)
		}
		if err := s.audit(ctx, tx, s.Now(), actor, store.ActionEventUpdate, event, store.UpdateAudit(changed)); err != nil {
			return err
		}
		return s.notify(ctx, tx) // other nodes' doors take the new policy at once
	})
	if err != nil {
		return nil, nil, err
	}
	return ev, changed, nil
}
