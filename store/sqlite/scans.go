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

const scanCols = `rowid, scan_id, serial, event, gate, zone, direction, decision, code, at, answer,
	source, credential, device_at, verdict, token_hash, resolution, resolved_by, resolved_at`

func scanScan(row scanner) (record.Scan, error) {
	var sc record.Scan
	var at, answer, deviceAt, resolvedAt string
	if err := row.Scan(&sc.Seq, &sc.ID, &sc.Serial, &sc.Event, &sc.Gate, &sc.Zone, &sc.Direction, &sc.Decision, &sc.Code, &at, &answer,
		&sc.Source, &sc.Credential, &deviceAt, &sc.Verdict, &sc.TokenHash, &sc.Resolution, &sc.ResolvedBy, &resolvedAt); err != nil {
		return sc, err
	}
	sc.Answer = []byte(answer)
	if sc.TokenHash == nil {
		sc.TokenHash = []byte{}
	}
	var err error
	if sc.At, err = parseTS(at); err != nil {
		return sc, err
	}
	if sc.DeviceAt, err = parseTS(deviceAt); err != nil {
		return sc, err
	}
	sc.ResolvedAt, err = parseTS(resolvedAt)
	return sc, err
}

// lastAdmitted is the query of a pass's last admitted scan: the latest by
// time, then by the order of recording (online scans are timed so that
// the two orders agree).
const lastAdmitted = `SELECT ` + scanCols + ` FROM scans
	WHERE serial = ? AND ` + store.AdmittedSQL + ` ORDER BY at DESC, rowid DESC LIMIT 1`

// RecordScan implements [store.Store]. SQLite has one writer and the
// transaction begins IMMEDIATE, so the read of the last admitted scan and
// the insert cannot interleave with another door's.
func (s *Store) RecordScan(ctx context.Context, sc *record.Scan, decide store.ScanDecider) (*record.Scan, bool, error) {
	return s.recordScan(ctx, sc, false, func(out, last *record.Scan, _ int, _ pass.ZoneCapacity) { decide(out, last) })
}

// RecordZoneScan implements [store.Store]. The single writer is the
// zone's lock too: the count and the insert are one transaction.
func (s *Store) RecordZoneScan(ctx context.Context, sc *record.Scan, decide store.ZoneDecider) (*record.Scan, bool, error) {
	return s.recordScan(ctx, sc, true, decide)
}

func (s *Store) recordScan(ctx context.Context, sc *record.Scan, count bool, decide store.ZoneDecider) (*record.Scan, bool, error) {
	var out record.Scan
	dup := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		prev, err := scanScan(tx.QueryRowContext(ctx, `SELECT `+scanCols+` FROM scans WHERE scan_id = ?`, sc.ID))
		if err == nil {
			if !store.SameScanRequest(&prev, sc) {
				return fmt.Errorf("%w: %s", store.ErrScanMismatch, sc.ID)
			}
			out, dup = prev, true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: %w", err)
		}
		var last *record.Scan
		if sc.Serial != "" {
			l, err := scanScan(tx.QueryRowContext(ctx, lastAdmitted, string(sc.Serial)))
			switch {
			case err == nil:
				last = &l
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("store: %w", err)
			}
		}
		inside := 0
		var capacity pass.ZoneCapacity
		if count {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM zone_inside WHERE event = ? AND zone = ?`, sc.Event, sc.Zone).Scan(&inside); err != nil {
				return fmt.Errorf("store: %w", err)
			}
			var policy *string
			err := tx.QueryRowContext(ctx, `SELECT policy FROM events WHERE id = ?`, sc.Event).Scan(&policy)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("store: %w", err)
			}
			if capacity, err = store.CapacityIn(policy, sc.Zone); err != nil {
				return err
			}
		}
		out = *sc
		decide(&out, last, inside, capacity)
		if out.Source == "" {
			out.Source = record.Online
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO scans (scan_id, serial, event, gate, zone, direction, decision, code, at, recorded_at, answer,
				source, credential, device_at, verdict, token_hash, resolution, resolved_by, resolved_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			out.ID, string(out.Serial), out.Event, out.Gate, out.Zone, out.Direction, out.Decision, out.Code, ts(out.At), ts(s.Now()), string(out.Answer),
			out.Source, out.Credential, ts(out.DeviceAt), out.Verdict, nonNil(out.TokenHash), out.Resolution, out.ResolvedBy, ts(out.ResolvedAt))
		if err != nil {
			return fmt.Errorf("store: recording scan: %w", err)
		}
		out.Seq, _ = res.LastInsertId()
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
// new scan sc zone_full, in the scan's transaction: once per full episode,
// named by the time of the latest entry into the zone
// ([store.ZoneFullWebhook]).
func (s *Store) zoneFull(ctx context.Context, tx *sql.Tx, sc *record.Scan, inside int) error {
	if sc.Code != record.CodeZoneFull {
		return nil
	}
	ev, err := scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events WHERE id = ?`, sc.Event))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: event %s: %w", sc.Event, err)
	}
	capacity, ok := store.ZoneFullAfter(sc, ev)
	if !ok {
		return nil
	}
	var last sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT max(at) FROM zone_inside WHERE event = ? AND zone = ?`, sc.Event, sc.Zone).Scan(&last); err != nil {
		return fmt.Errorf("store: zone %s: %w", sc.Zone, err)
	}
	since, err := parseTS(last.String)
	if err != nil {
		return fmt.Errorf("store: zone %s: %w", sc.Zone, err)
	}
	_, err = s.enqueueWebhook(ctx, tx, store.ZoneFullWebhook(sc.Event, sc.Zone, inside, capacity, since, sc.At))
	return err
}

// refreshInside keeps the zone_inside row of a pass in step with its last
// admitted scan, in the transaction that changed it.
func refreshInside(ctx context.Context, tx *sql.Tx, serial pass.Serial) error {
	if serial == "" {
		return nil
	}
	l, err := scanScan(tx.QueryRowContext(ctx, lastAdmitted, string(serial)))
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && l.Direction != record.In):
		_, err = tx.ExecContext(ctx, `DELETE FROM zone_inside WHERE serial = ?`, string(serial))
	case err == nil:
		_, err = tx.ExecContext(ctx, `INSERT INTO zone_inside (serial, event, zone, scan_id, gate, at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (serial) DO UPDATE SET event = excluded.event, zone = excluded.zone, scan_id = excluded.scan_id,
				gate = excluded.gate, at = excluded.at`, string(serial), l.Event, l.Zone, l.ID, l.Gate, ts(l.At))
	}
	if err != nil {
		return fmt.Errorf("store: inside %s: %w", serial, err)
	}
	return nil
}

// Present implements [store.Store].
func (s *Store) Present(ctx context.Context, event string) ([]store.Presence, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT z.serial, coalesce(p.type, ''), coalesce(p.role, ''), z.zone, z.scan_id, z.gate, z.at
		FROM zone_inside z LEFT JOIN passes p ON p.serial = z.serial
		WHERE z.event = ? ORDER BY z.zone, z.serial`, event)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []store.Presence
	for rows.Next() {
		var p store.Presence
		var at string
		if err := rows.Scan(&p.Serial, &p.Type, &p.Role, &p.Zone, &p.ScanID, &p.Gate, &at); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if p.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Occupancy implements [store.Store].
func (s *Store) Occupancy(ctx context.Context, event string) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT zone, count(*) FROM zone_inside WHERE event = ? GROUP BY zone`, event)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var zone string
		var n int
		if err := rows.Scan(&zone, &n); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out[zone] = n
	}
	return out, rows.Err()
}

// Traffic implements [store.Store].
func (s *Store) Traffic(ctx context.Context, event string, since, recent time.Time) ([]store.Traffic, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT zone, gate, credential, direction,
			SUM(CASE WHEN `+store.AdmittedSQL+` THEN 1 ELSE 0 END),
			SUM(CASE WHEN `+store.AdmittedSQL+` AND at >= ? THEN 1 ELSE 0 END),
			COUNT(*), MAX(at)
		FROM scans WHERE event = ? AND at >= ? GROUP BY zone, gate, credential, direction ORDER BY zone, gate, credential, direction`,
		ts(recent), event, ts(since))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []store.Traffic
	for rows.Next() {
		var t store.Traffic
		var last string
		if err := rows.Scan(&t.Zone, &t.Gate, &t.Credential, &t.Direction, &t.Admitted, &t.AdmittedRecent, &t.Scans, &last); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if t.Last, err = parseTS(last); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// ResolveScan implements [store.Store].
func (s *Store) ResolveScan(ctx context.Context, id string, resolution record.Decision, by string, at time.Time) (*record.Scan, error) {
	var out record.Scan
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		sc, err := scanScan(tx.QueryRowContext(ctx, `SELECT `+scanCols+` FROM scans WHERE scan_id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: scan %s", store.ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		var later int
		if resolution == record.Admit && sc.Serial != "" {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM scans WHERE serial = ? AND rowid > ?`, string(sc.Serial), sc.Seq).Scan(&later); err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
		if err := store.CheckResolution(&sc, resolution, later > 0); err != nil || sc.Resolution == resolution {
			out = sc
			return err
		}
		sc.Resolution, sc.ResolvedBy, sc.ResolvedAt = resolution, by, at
		if _, err := tx.ExecContext(ctx, `UPDATE scans SET resolution = ?, resolved_by = ?, resolved_at = ? WHERE scan_id = ?`,
			resolution, by, ts(at), id); err != nil {
			return fmt.Errorf("store: %w", err)
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
	sc, err := scanScan(s.r.QueryRowContext(ctx, `SELECT `+scanCols+` FROM scans WHERE scan_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: scan %s", store.ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &sc, nil
}

// Scans implements [store.Store].
func (s *Store) Scans(ctx context.Context, serial pass.Serial) ([]record.Scan, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+scanCols+` FROM scans WHERE serial = ? ORDER BY at, rowid`, string(serial))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []record.Scan
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
			if _, err := s.enqueueWebhook(ctx, tx, store.RevokedWebhook(&out[len(out)-1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
