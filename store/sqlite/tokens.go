package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/laminate/laminate/store"
)

// Record implements [store.Store].
func (s *Store) Record(ctx context.Context, e store.AuditEntry) error {
	at := e.At
	if at.IsZero() {
		at = s.Now()
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`,
			ts(at), e.Actor, e.Action, e.Subject, e.Detail)
		if err != nil {
			return fmt.Errorf("store: audit: %w", err)
		}
		return nil
	})
}

// CreateAPIToken implements [store.Store].
func (s *Store) CreateAPIToken(ctx context.Context, t *store.APIToken, actor string) error {
	if t.Created.IsZero() {
		t.Created = s.Now()
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertToken(ctx, tx, t); err != nil {
			return err
		}
		return s.audit(ctx, tx, s.Now(), actor, store.ActionTokenCreate, t.ID, tokenDetail(t))
	})
}

// insertToken stores t in tx; ErrExists if its ID is taken. Its audit row
// is the caller's (a token made by hand, or by an enrolment).
func insertToken(ctx context.Context, tx *sql.Tx, t *store.APIToken) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, name, role, event, gate, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Name, t.Role, t.Event, t.Gate, t.Hash, ts(t.Created))
	if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return fmt.Errorf("%w: token %s", store.ErrExists, t.ID)
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

const tokenCols = `id, name, role, event, gate, hash, created_at, revoked_at`

func scanToken(row scanner) (store.APIToken, error) {
	var t store.APIToken
	var created, revoked string
	if err := row.Scan(&t.ID, &t.Name, &t.Role, &t.Event, &t.Gate, &t.Hash, &created, &revoked); err != nil {
		return t, err
	}
	var err error
	if t.Created, err = parseTS(created); err != nil {
		return t, err
	}
	t.Revoked, err = parseTS(revoked)
	return t, err
}

// APIToken implements [store.Store].
func (s *Store) APIToken(ctx context.Context, id string) (*store.APIToken, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: token %s", store.ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &t, nil
}

// APITokens implements [store.Store].
func (s *Store) APITokens(ctx context.Context) ([]store.APIToken, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []store.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeAPIToken implements [store.Store].
func (s *Store) RevokeAPIToken(ctx context.Context, id, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var revoked string
		err := tx.QueryRowContext(ctx, `SELECT revoked_at FROM api_tokens WHERE id = ?`, id).Scan(&revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: token %s", store.ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if revoked != "" {
			return fmt.Errorf("%w: token %s", store.ErrAlreadyRevoked, id)
		}
		now := s.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, ts(now), id); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return s.audit(ctx, tx, now, actor, store.ActionTokenRevoke, id, map[string]any{})
	})
}

// Ping implements [store.Store].
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// IssuedSince implements [store.Store]. The position is SQLite's rowid:
// rows are only ever added, and writes are serialised, so rowids grow in
// commit order.
func (s *Store) IssuedSince(ctx context.Context, pos int64) ([]store.IssuedRef, int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT rowid, serial, issued_at FROM passes WHERE rowid > ? ORDER BY rowid`, pos)
	if err != nil {
		return nil, pos, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []store.IssuedRef
	next := pos
	for rows.Next() {
		var r store.IssuedRef
		var at string
		if err := rows.Scan(&next, &r.Serial, &at); err != nil {
			return nil, pos, fmt.Errorf("store: %w", err)
		}
		if r.IssuedAt, err = parseTS(at); err != nil {
			return nil, pos, fmt.Errorf("store: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, pos, fmt.Errorf("store: %w", err)
	}
	return out, next, nil
}

// tokenDetail is the audit detail of a new token: never its hash.
func tokenDetail(t *store.APIToken) map[string]any {
	d := map[string]any{"name": t.Name, "role": t.Role}
	if t.Event != "" {
		d["event"] = t.Event
	}
	if t.Gate != "" {
		d["gate"] = t.Gate
	}
	return d
}
