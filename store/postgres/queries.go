package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// nullTime is t for a nullable column: NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// fromNull is the time of a nullable column, in UTC; zero for NULL.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func auditDetail(detail any) (string, error) {
	d, err := json.Marshal(detail)
	if err != nil {
		return "", fmt.Errorf("store: audit detail: %w", err)
	}
	return string(d), nil
}

func (s *Store) audit(ctx context.Context, tx pgx.Tx, at time.Time, actor, action, subject string, detail any) error {
	d, err := auditDetail(detail)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)`,
		at, actor, action, subject, d)
	if err != nil {
		return dbErr(err, "audit")
	}
	return nil
}

// query runs a query and scans every row with scan.
func query[T any](ctx context.Context, s *Store, scan func(pgx.Row) (T, error), q string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, dbErr(err, "query")
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, dbErr(err, "reading rows")
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "reading rows")
	}
	return out, nil
}

// CreateEvent implements [store.Store].
func (s *Store) CreateEvent(ctx context.Context, ev *pass.Event, actor string) error {
	sched, err := json.Marshal(ev.Schedule)
	if err != nil {
		return fmt.Errorf("store: event %s: %w", ev.ID, err)
	}
	cues, err := json.Marshal(ev.Cues)
	if err != nil {
		return fmt.Errorf("store: event %s: %w", ev.ID, err)
	}
	var policy *string
	if ev.Policy != nil {
		b, err := json.Marshal(ev.Policy)
		if err != nil {
			return fmt.Errorf("store: event %s: %w", ev.ID, err)
		}
		p := string(b)
		policy = &p
	}
	brand, err := store.BrandingJSON(ev.Branding)
	if err != nil {
		return fmt.Errorf("store: event %s: %w", ev.ID, err)
	}
	now := s.Now()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO events
			(id, name, venue, show_start, starts_at, schedule, policy, cues, created_at, branding)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			ev.ID, ev.Name, ev.Venue, ev.Schedule.ShowStart.Format(time.RFC3339Nano), ev.Schedule.ShowStart,
			string(sched), policy, string(cues), now, brand)
		if _, ok := isUnique(err); ok {
			return fmt.Errorf("%w: event %s", store.ErrExists, ev.ID)
		}
		if err != nil {
			return dbErr(err, "event %s", ev.ID)
		}
		return s.audit(ctx, tx, now, actor, store.ActionEventCreate, ev.ID, map[string]string{"name": ev.Name})
	})
}

const eventCols = `id, name, venue, schedule, policy, cues, branding`

func scanEvent(row pgx.Row) (*pass.Event, error) {
	var ev pass.Event
	var sched, cues string
	var policy, brand *string
	if err := row.Scan(&ev.ID, &ev.Name, &ev.Venue, &sched, &policy, &cues, &brand); err != nil {
		return nil, err
	}
	b, err := store.ParseBranding(brand)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", ev.ID, err)
	}
	ev.Branding = b
	if err := json.Unmarshal([]byte(sched), &ev.Schedule); err != nil {
		return nil, fmt.Errorf("event %s: schedule: %w", ev.ID, err)
	}
	if err := json.Unmarshal([]byte(cues), &ev.Cues); err != nil {
		return nil, fmt.Errorf("event %s: cues: %w", ev.ID, err)
	}
	if policy != nil {
		ev.Policy = new(pass.Policy)
		if err := json.Unmarshal([]byte(*policy), ev.Policy); err != nil {
			return nil, fmt.Errorf("event %s: policy: %w", ev.ID, err)
		}
	}
	return &ev, nil
}

// Event implements [store.Store].
func (s *Store) Event(ctx context.Context, id string) (*pass.Event, error) {
	ev, err := scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventCols+` FROM events WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: event %s", store.ErrNotFound, id)
	}
	if err != nil {
		return nil, dbErr(err, "event %s", id)
	}
	return ev, nil
}

// Events implements [store.Store].
func (s *Store) Events(ctx context.Context) ([]*pass.Event, error) {
	return query(ctx, s, scanEvent, `SELECT `+eventCols+` FROM events ORDER BY starts_at, id`)
}

// InsertPasses implements [store.Store]. The passes and their audit rows go
// in with COPY, under the "passes" lock (see the package documentation).
func (s *Store) InsertPasses(ctx context.Context, passes []store.Issued, actor string) error {
	if len(passes) == 0 {
		return nil
	}
	seen := make(map[pass.Serial]bool, len(passes))
	var events []string
	for i := range passes {
		p := &passes[i]
		if err := store.CheckPhoto(p); err != nil {
			return err
		}
		if seen[p.Serial] {
			return fmt.Errorf("%w: %s", store.ErrDuplicateSerial, p.Serial)
		}
		seen[p.Serial] = true
		if !slices.Contains(events, p.Event) {
			events = append(events, p.Event)
		}
	}
	now := s.Now()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := s.insertPasses(ctx, tx, passes, events, actor, now); err != nil {
			return err
		}
		return s.notify(ctx, tx)
	})
}

// insertPasses is InsertPasses inside transaction tx; events are the
// passes' events.
func (s *Store) insertPasses(ctx context.Context, tx pgx.Tx, passes []store.Issued, events []string, actor string, now time.Time) error {
	{
		// Name an unknown event; the foreign key would only say that one is.
		rows, err := tx.Query(ctx, `SELECT id FROM events WHERE id = ANY($1)`, events)
		if err != nil {
			return dbErr(err, "events")
		}
		known, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return dbErr(err, "events")
		}
		for i := range passes {
			if !slices.Contains(known, passes[i].Event) {
				return fmt.Errorf("%w: event %s (pass %s)", store.ErrNotFound, passes[i].Event, passes[i].Serial)
			}
		}
		if err := s.lock(ctx, tx, lockPasses, 0); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"passes"},
			[]string{"serial", "event", "type", "role", "name", "org", "valid_from", "valid_until", "issuer", "kid", "token", "issued_at", "photo", "ref", "search", "trigrams"},
			pgx.CopyFromSlice(len(passes), func(i int) ([]any, error) {
				p := &passes[i]
				search := store.SearchText(&p.Pass)
				return []any{string(p.Serial), p.Event, string(p.Type), p.Role, p.Name, p.Org,
					nullTime(p.ValidFrom), p.ValidUntil, p.Issuer, p.KID, p.Token, p.IssuedAt, p.Photo, p.Ref, search, store.Trigrams(search)}, nil
			}))
		if pe, ok := isUnique(err); ok {
			return fmt.Errorf("%w: %s", store.ErrDuplicateSerial, serialOf(pe.Detail))
		}
		if err != nil {
			return dbErr(err, "passes")
		}
		var photos [][]any
		for i := range passes {
			if p := &passes[i]; p.PhotoJPEG != nil {
				photos = append(photos, []any{string(p.Serial), p.PhotoJPEG})
			}
		}
		if len(photos) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"pass_photos"}, []string{"serial", "jpeg"}, pgx.CopyFromRows(photos)); err != nil {
				return dbErr(err, "pass_photos")
			}
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"audit"}, []string{"at", "actor", "action", "subject", "detail"},
			pgx.CopyFromSlice(len(passes), func(i int) ([]any, error) {
				p := &passes[i]
				// The detail names the event, type and key; never the token.
				d, err := auditDetail(struct {
					Event string    `json:"event"`
					Type  pass.Type `json:"type"`
					KID   string    `json:"kid"`
				}{p.Event, p.Type, p.KID})
				return []any{now, actor, store.ActionPassIssue, string(p.Serial), d}, err
			}))
		if err != nil {
			return dbErr(err, "audit")
		}
		return nil
	}
}

// serialOf reads the serial from the detail of a unique violation,
// `Key (serial)=(7K2M9QX4) already exists.`
func serialOf(detail string) string {
	_, v, ok := strings.Cut(detail, ")=(")
	v, _, ok2 := strings.Cut(v, ")")
	if !ok || !ok2 {
		return "a serial of the batch is already stored"
	}
	return pass.Serial(v).String()
}

const passCols = `serial, event, type, role, name, org, valid_from, valid_until, issuer, kid, token, issued_at, photo, ref`

func scanPass(row pgx.Row) (*store.Issued, error) {
	var p store.Issued
	var from *time.Time
	if err := row.Scan(&p.Serial, &p.Event, &p.Type, &p.Role, &p.Name, &p.Org,
		&from, &p.ValidUntil, &p.Issuer, &p.KID, &p.Token, &p.IssuedAt, &p.Photo, &p.Ref); err != nil {
		return nil, err
	}
	p.ValidFrom, p.ValidUntil, p.IssuedAt = fromNull(from), p.ValidUntil.UTC(), p.IssuedAt.UTC()
	return &p, nil
}

// Pass implements [store.Store].
func (s *Store) Pass(ctx context.Context, serial pass.Serial) (*store.Issued, error) {
	p, err := scanPass(s.pool.QueryRow(ctx, `SELECT `+passCols+` FROM passes WHERE serial = $1`, string(serial)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: pass %s", store.ErrNotFound, serial)
	}
	if err != nil {
		return nil, dbErr(err, "pass %s", serial)
	}
	return p, nil
}

// PassPhoto implements [store.Store].
func (s *Store) PassPhoto(ctx context.Context, serial pass.Serial) ([]byte, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT jpeg FROM pass_photos WHERE serial = $1`, string(serial)).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: photo of pass %s", store.ErrNotFound, serial)
	}
	if err != nil {
		return nil, dbErr(err, "pass_photos")
	}
	return b, nil
}

// PassKeys implements [store.Store].
func (s *Store) PassKeys(ctx context.Context, event string) ([]store.PassKey, error) {
	return query(ctx, s, func(row pgx.Row) (store.PassKey, error) {
		var k store.PassKey
		err := row.Scan(&k.Serial, &k.Type, &k.Name, &k.Ref, &k.Revoked)
		return k, err
	}, `SELECT p.serial, p.type, p.name, p.ref, EXISTS (SELECT 1 FROM revocations r WHERE r.serial = p.serial)
		FROM passes p WHERE p.event = $1 ORDER BY p.issued_at, p.serial`, event)
}

// Passes implements [store.Store].
func (s *Store) Passes(ctx context.Context, f store.PassFilter) ([]*store.Issued, error) {
	if f.Event != "" {
		return query(ctx, s, scanPass, `SELECT `+passCols+` FROM passes WHERE event = $1 ORDER BY issued_at, serial`, f.Event)
	}
	return query(ctx, s, scanPass, `SELECT `+passCols+` FROM passes ORDER BY issued_at, serial`)
}

// IssuedSince implements [store.Store]. The position is the pos column,
// drawn under the "passes" lock, so positions become visible in order.
func (s *Store) IssuedSince(ctx context.Context, pos int64) ([]store.IssuedRef, int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT pos, serial, issued_at FROM passes WHERE pos > $1 ORDER BY pos`, pos)
	if err != nil {
		return nil, pos, dbErr(err, "issued since %d", pos)
	}
	defer rows.Close()
	var out []store.IssuedRef
	next := pos
	for rows.Next() {
		var r store.IssuedRef
		if err := rows.Scan(&next, &r.Serial, &r.IssuedAt); err != nil {
			return nil, pos, dbErr(err, "issued since %d", pos)
		}
		r.IssuedAt = r.IssuedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, pos, dbErr(err, "issued since %d", pos)
	}
	return out, next, nil
}

// Revoke implements [store.Store].
func (s *Store) Revoke(ctx context.Context, r *store.Revocation) error {
	cat, err := store.RevocationCategory(r.Category)
	if err != nil {
		return err
	}
	at := r.At
	if at.IsZero() {
		at = s.Now()
	}
	var seq int64
	var event string
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT event FROM passes WHERE serial = $1`, string(r.Serial)).Scan(&event)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: pass %s", store.ErrNotFound, r.Serial)
		}
		if err != nil {
			return dbErr(err, "revoking %s", r.Serial)
		}
		// Under the lock no other revocation is being written: the check
		// holds, and no number is drawn for a pass already revoked.
		if err := s.lock(ctx, tx, lockRevocations, 0); err != nil {
			return err
		}
		var revoked bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revocations WHERE serial = $1)`, string(r.Serial)).Scan(&revoked); err != nil {
			return dbErr(err, "revoking %s", r.Serial)
		}
		if revoked {
			return fmt.Errorf("%w: pass %s", store.ErrAlreadyRevoked, r.Serial)
		}
		err = tx.QueryRow(ctx, `INSERT INTO revocations (serial, event, category, note, actor, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
			string(r.Serial), event, string(cat), r.Note, r.By, at).Scan(&seq)
		if _, ok := isUnique(err); ok {
			return fmt.Errorf("%w: pass %s", store.ErrAlreadyRevoked, r.Serial)
		}
		if err != nil {
			return dbErr(err, "revoking %s", r.Serial)
		}
		if err := s.audit(ctx, tx, s.Now(), r.By, store.ActionPassRevoke, string(r.Serial),
			store.RevocationDetail(event, cat, r.Note, seq, false)); err != nil {
			return err
		}
		if _, err := s.enqueueWebhook(ctx, tx, store.RevokedWebhook(&store.Revocation{Seq: seq, Serial: r.Serial, Event: event, Category: cat, At: at})); err != nil {
			return err
		}
		return s.notify(ctx, tx)
	})
	if err != nil {
		return err
	}
	r.Seq, r.Event, r.At, r.Category = seq, event, at, cat
	return nil
}

const revCols = `seq, serial, event, category, note, actor, at, superseded_by`

func scanRevocation(row pgx.Row) (store.Revocation, error) {
	var r store.Revocation
	err := row.Scan(&r.Seq, &r.Serial, &r.Event, &r.Category, &r.Note, &r.By, &r.At, &r.SupersededBy)
	r.At = r.At.UTC()
	return r, err
}

// Revocation implements [store.Store].
func (s *Store) Revocation(ctx context.Context, serial pass.Serial) (*store.Revocation, error) {
	r, err := scanRevocation(s.pool.QueryRow(ctx, `SELECT `+revCols+` FROM revocations WHERE serial = $1`, string(serial)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: no revocation of pass %s", store.ErrNotFound, serial)
	}
	if err != nil {
		return nil, dbErr(err, "revocation of %s", serial)
	}
	return &r, nil
}

// RevocationsSince implements [store.Store].
func (s *Store) RevocationsSince(ctx context.Context, seq int64) ([]store.Revocation, error) {
	return query(ctx, s, scanRevocation, `SELECT `+revCols+` FROM revocations WHERE seq > $1 ORDER BY seq`, seq)
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
	now := s.Now()
	q := `INSERT INTO revocations (serial, event, category, note, actor, at)
		SELECT p.serial, p.event, $2, $3, $4, $5 FROM passes p
		WHERE p.event = $1 AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.serial = p.serial)`
	args := []any{f.Event, string(cat), note, by, now}
	if f.Type != "" {
		args = append(args, string(f.Type))
		q += fmt.Sprintf(` AND p.type = $%d`, len(args))
	}
	if f.Role != "" {
		args = append(args, f.Role)
		q += fmt.Sprintf(` AND p.role = $%d`, len(args))
	}
	if f.Org != "" {
		args = append(args, f.Org)
		q += fmt.Sprintf(` AND p.org = $%d`, len(args))
	}
	if !f.IssuedBefore.IsZero() {
		args = append(args, f.IssuedBefore)
		q += fmt.Sprintf(` AND p.issued_at < $%d`, len(args))
	}
	q += ` ORDER BY p.serial RETURNING seq, serial`
	var out []store.Revocation
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if err := s.lock(ctx, tx, lockRevocations, 0); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return dbErr(err, "revoking passes of %s", f.Event)
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Revocation, error) {
			r := store.Revocation{Event: f.Event, Category: cat, Note: note, By: by, At: now}
			err := row.Scan(&r.Seq, &r.Serial)
			return r, err
		})
		if err != nil {
			return dbErr(err, "revoking passes of %s", f.Event)
		}
		if len(out) == 0 {
			return nil
		}
		slices.SortFunc(out, func(a, b store.Revocation) int { return cmp.Compare(a.Seq, b.Seq) })
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"audit"}, []string{"at", "actor", "action", "subject", "detail"},
			pgx.CopyFromSlice(len(out), func(i int) ([]any, error) {
				r := &out[i]
				d, err := auditDetail(store.RevocationDetail(f.Event, cat, note, r.Seq, true))
				return []any{now, by, store.ActionPassRevoke, string(r.Serial), d}, err
			}))
		if err != nil {
			return dbErr(err, "audit")
		}
		for i := range out {
			if _, err := s.enqueueWebhook(ctx, tx, store.RevokedWebhook(&out[i])); err != nil {
				return err
			}
		}
		return s.notify(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Audit implements [store.Store].
func (s *Store) Audit(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	var lim *int
	if limit > 0 {
		lim = &limit // else NULL: no limit
	}
	return query(ctx, s, func(row pgx.Row) (store.AuditEntry, error) {
		var e store.AuditEntry
		err := row.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Subject, &e.Detail)
		e.At = e.At.UTC()
		return e, err
	}, `SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT $1`, lim)
}

// Record implements [store.Store].
func (s *Store) Record(ctx context.Context, e store.AuditEntry) error {
	at := e.At
	if at.IsZero() {
		at = s.Now()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)`,
		at, e.Actor, e.Action, e.Subject, e.Detail)
	if err != nil {
		return dbErr(err, "audit")
	}
	return nil
}
