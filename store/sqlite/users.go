package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

const userCols = `username, display_name, role, disabled, password_hash, failures, lockouts, locked_until, created_at, updated_at`

func scanUser(row scanner) (staff.Account, error) {
	var a staff.Account
	var locked, created, updated string
	if err := row.Scan(&a.Username, &a.DisplayName, &a.Role, &a.Disabled, &a.PasswordHash, &a.Failures, &a.Lockouts, &locked, &created, &updated); err != nil {
		return a, err
	}
	var err error
	if a.LockedUntil, err = parseTS(locked); err != nil {
		return a, err
	}
	if a.Created, err = parseTS(created); err != nil {
		return a, err
	}
	a.Updated, err = parseTS(updated)
	return a, err
}

// userEvents reads the event limits of one account (q is the store or a tx).
func userEvents(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, username string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT event FROM user_events WHERE username = ? ORDER BY event`, username)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func writeUserEvents(ctx context.Context, tx *sql.Tx, a *staff.Account) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_events WHERE username = ?`, a.Username); err != nil {
		return err
	}
	for _, e := range a.Events {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_events (username, event) VALUES (?, ?)`, a.Username, e); err != nil {
			return err
		}
	}
	return nil
}

// CreateUser implements [store.Store].
func (s *Store) CreateUser(ctx context.Context, a *staff.Account, actor string) error {
	if err := store.PrepareUser(a); err != nil {
		return err
	}
	now := s.Now()
	if a.Created.IsZero() {
		a.Created = now
	}
	a.Updated = a.Created
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.Username, a.DisplayName, a.Role, a.Disabled, a.PasswordHash, a.Failures, a.Lockouts, ts(a.LockedUntil), ts(a.Created), ts(a.Updated))
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("%w: user %s", store.ErrExists, a.Username)
		}
		if err != nil {
			return fmt.Errorf("store: user %s: %w", a.Username, err)
		}
		if err := writeUserEvents(ctx, tx, a); err != nil {
			return fmt.Errorf("store: user %s: %w", a.Username, err)
		}
		return s.audit(ctx, tx, now, actor, store.ActionUserCreate, a.Username, store.UserDetail(a))
	})
}

// User implements [store.Store].
func (s *Store) User(ctx context.Context, username string) (*staff.Account, error) {
	a, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: user %s", store.ErrNotFound, username)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if a.Events, err = userEvents(ctx, s.r, username); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &a, nil
}

// Users implements [store.Store].
func (s *Store) Users(ctx context.Context) ([]staff.Account, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var out []staff.Account
	for rows.Next() {
		a, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	for i := range out {
		if out[i].Events, err = userEvents(ctx, s.r, out[i].Username); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	return out, nil
}

// UpdateUser implements [store.Store].
func (s *Store) UpdateUser(ctx context.Context, username, action, actor string, change store.UserChange) (*staff.Account, error) {
	var out *staff.Account
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		a, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: user %s", store.ErrNotFound, username)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if a.Events, err = userEvents(ctx, tx, username); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		detail, err := change(&a)
		if err != nil {
			return err
		}
		a.Username = username // the key does not change
		if err := store.PrepareUser(&a); err != nil {
			return err
		}
		now := s.Now()
		a.Updated = now
		if _, err := tx.ExecContext(ctx, `UPDATE users SET display_name = ?, role = ?, disabled = ?, password_hash = ?, failures = ?, lockouts = ?, locked_until = ?, updated_at = ? WHERE username = ?`,
			a.DisplayName, a.Role, a.Disabled, a.PasswordHash, a.Failures, a.Lockouts, ts(a.LockedUntil), ts(a.Updated), username); err != nil {
			return fmt.Errorf("store: user %s: %w", username, err)
		}
		if err := writeUserEvents(ctx, tx, &a); err != nil {
			return fmt.Errorf("store: user %s: %w", username, err)
		}
		if a.Disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE username = ?`, username); err != nil {
				return fmt.Errorf("store: user %s: %w", username, err)
			}
		}
		if detail == nil {
			detail = map[string]any{}
		}
		out = &a
		return s.audit(ctx, tx, now, actor, action, username, detail)
	})
	return out, err
}

// CreateSession implements [store.Store].
func (s *Store) CreateSession(ctx context.Context, ss *staff.Session, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (hash, username, created_at, last_seen, address) VALUES (?, ?, ?, ?, ?)`,
			ss.Hash, ss.Username, ts(ss.Created), ts(ss.LastSeen), ss.Address)
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
			return fmt.Errorf("%w: user %s", store.ErrNotFound, ss.Username)
		}
		if err != nil {
			return fmt.Errorf("store: session: %w", err)
		}
		return s.audit(ctx, tx, s.Now(), actor, store.ActionUserSignIn, ss.Username, map[string]any{"address": ss.Address})
	})
}

// Session implements [store.Store].
func (s *Store) Session(ctx context.Context, hash []byte) (*staff.Session, error) {
	var ss staff.Session
	var created, seen string
	err := s.r.QueryRowContext(ctx, `SELECT hash, username, created_at, last_seen, address FROM sessions WHERE hash = ?`, hash).
		Scan(&ss.Hash, &ss.Username, &created, &seen, &ss.Address)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: session", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if ss.Created, err = parseTS(created); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if ss.LastSeen, err = parseTS(seen); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &ss, nil
}

// TouchSession implements [store.Store].
func (s *Store) TouchSession(ctx context.Context, hash []byte, at time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE hash = ?`, ts(at), hash)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: session", store.ErrNotFound)
		}
		return nil
	})
}

// DeleteSession implements [store.Store].
func (s *Store) DeleteSession(ctx context.Context, hash []byte, action, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var user string
		err := tx.QueryRowContext(ctx, `DELETE FROM sessions WHERE hash = ? RETURNING username`, hash).Scan(&user)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: session", store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return s.audit(ctx, tx, s.Now(), actor, action, user, map[string]any{})
	})
}

// DeleteSessions implements [store.Store].
func (s *Store) DeleteSessions(ctx context.Context, username string, except []byte, actor string) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE username = ? AND hash != ?`, username, append([]byte{}, except...))
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		n, _ = res.RowsAffected()
		return s.audit(ctx, tx, s.Now(), actor, store.ActionUserSignOutAll, username, map[string]any{"sessions": n})
	})
	return int(n), err
}
