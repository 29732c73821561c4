package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// each runs q and calls fn with every row as it reads it: nothing is
// gathered, so an export's memory does not grow with its rows (pgx reads
// the result from the socket as rows are asked for).
func each[T any](ctx context.Context, s *Store, scan func(pgx.Row) (T, error), fn func(*T) error, q string, args ...any) error {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return dbErr(err, "export")
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return dbErr(err, "export")
		}
		if err := fn(&v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr(err, "export")
	}
	return nil
}

// where builds the conditions of an export; each "?" in a condition
// becomes the next $n.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) sql() string { return " WHERE " + strings.Join(w.conds, " AND ") }

func exportWhere(f store.ExportFilter, event, at string) (*where, error) {
	if f.Event == "" {
		return nil, errors.New("store: an export needs an event")
	}
	w := &where{}
	w.add(event+" = ?", f.Event)
	if !f.Since.IsZero() {
		w.add(at+" >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		w.add(at+" < ?", f.Until)
	}
	return w, nil
}

// EachScan implements [store.Exporter].
func (s *Store) EachScan(ctx context.Context, f store.ExportFilter, fn func(*record.Scan) error) error {
	w, err := exportWhere(f, "event", "at")
	if err != nil {
		return err
	}
	if f.Status != "" {
		w.add("decision = ?", f.Status)
	}
	if f.Zone != "" {
		w.add("zone = ?", f.Zone)
	}
	if f.Gate != "" {
		w.add("gate = ?", f.Gate)
	}
	return each(ctx, s, scanScan, fn, `SELECT `+scanCols+` FROM scans`+w.sql()+` ORDER BY at, id`, w.args...)
}

// rowWith scans row's leading columns into a scan function's targets and
// the trailing ones into extra.
type rowWith struct {
	row   pgx.Row
	extra []any
}

func (r rowWith) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra...)...) }

// EachPass implements [store.Exporter].
func (s *Store) EachPass(ctx context.Context, f store.ExportFilter, fn func(*store.ExportedPass) error) error {
	w, err := exportWhere(f, "p.event", "p.issued_at")
	if err != nil {
		return err
	}
	if f.Type != "" {
		w.add("p.type = ?", f.Type)
	}
	switch f.Status {
	case "":
	case string(store.PassValid):
		w.add("r.seq IS NULL")
	case string(store.PassRevoked):
		w.add("r.seq IS NOT NULL")
	default:
		return fmt.Errorf("store: a pass's status is %s or %s, not %q", string(store.PassValid), string(store.PassRevoked), f.Status)
	}
	q := `SELECT p.serial, p.event, p.type, p.role, p.name, p.org, p.valid_from, p.valid_until, p.issuer, p.kid, '', p.issued_at, p.photo, p.ref,
		r.seq, r.category, r.actor, r.at
		FROM passes p LEFT JOIN revocations r ON r.serial = p.serial` + w.sql() + ` ORDER BY p.issued_at, p.serial`
	return each(ctx, s, func(row pgx.Row) (store.ExportedPass, error) {
		var seq *int64
		var cat, by *string
		var at *time.Time
		p, err := scanPass(rowWith{row, []any{&seq, &cat, &by, &at}})
		if err != nil {
			return store.ExportedPass{}, err
		}
		e := store.ExportedPass{Issued: *p}
		if seq != nil {
			e.Revoked = &store.Revocation{Seq: *seq, Serial: p.Serial, Event: p.Event, Category: pass.RevokeOther, By: deref(by), At: fromNull(at)}
			if cat != nil {
				e.Revoked.Category = pass.RevokeCategory(*cat)
			}
		}
		return e, nil
	}, fn, q, w.args...)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// EachAlert implements [store.Exporter].
func (s *Store) EachAlert(ctx context.Context, f store.ExportFilter, fn func(*record.Alert) error) error {
	w, err := exportWhere(f, "event", "at")
	if err != nil {
		return err
	}
	if f.Type != "" {
		w.add("kind = ?", f.Type)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Gate != "" {
		w.add("(gate_a = ? OR gate_b = ?)", f.Gate, f.Gate)
	}
	return each(ctx, s, func(row pgx.Row) (record.Alert, error) {
		var a record.Alert
		err := row.Scan(&a.ID, &a.Event, &a.Serial, &a.Kind, &a.Scans[0], &a.Scans[1], &a.Gates[0], &a.Gates[1], &a.At, &a.Detected, &a.Reason, &a.Status)
		a.At, a.Detected = a.At.UTC(), a.Detected.UTC()
		return a, err
	}, fn, `SELECT id, event, serial, kind, scan_a, scan_b, gate_a, gate_b, at, detected_at, reason, status FROM alerts`+w.sql()+` ORDER BY id`, w.args...)
}

// EachAudit implements [store.Exporter].
func (s *Store) EachAudit(ctx context.Context, f store.ExportFilter, fn func(*store.AuditEntry) error) error {
	if f.Event == "" {
		return errors.New("store: an export needs an event")
	}
	w := &where{}
	w.add("(subject = ? OR subject IN (SELECT serial FROM passes WHERE event = ?))", f.Event, f.Event)
	if !f.Since.IsZero() {
		w.add("at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		w.add("at < ?", f.Until)
	}
	if f.Type != "" {
		w.add("action = ?", f.Type)
	}
	return each(ctx, s, func(row pgx.Row) (store.AuditEntry, error) {
		var e store.AuditEntry
		err := row.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Subject, &e.Detail)
		e.At = e.At.UTC()
		return e, err
	}, fn, `SELECT id, at, actor, action, subject, detail FROM audit`+w.sql()+` ORDER BY id`, w.args...)
}
