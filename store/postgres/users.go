package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

const userCols = `username, display_name, role, disabled, password_hash, failures, lockouts, locked_until, created_at, updated_at`

func scanUser(row pgx.Row) (staff.Account, error) {
	var a staff.Account
	var locked *time.Time
	err := row.Scan(&a.Username, &a.DisplayName, &a.Role, &a.Disabled, &a.PasswordHash, &a.Failures, &a.Lockouts, &locked, &a.Created, &a.Updated)
	a.LockedUntil, a.Created, a.Updated = fromNull(locked), a.Created.UTC(), a.Updated.UTC()
	return a, err
}

// querier is the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func userEvents(ctx context.Context, q querier, username string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT event FROM user_events WHERE username = $1 ORDER BY event`, username)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func writeUserEvents(ctx context.Context, tx pgx.Tx, a *staff.Account) error {
	if _, err := tx.Exec(ctx, `DELETE FROM user_events WHERE username = $1`, a.Username); err != nil {
		return err
	}
	for _, e := range a.Events {
		if _, err := tx.Exec(ctx, `INSERT INTO user_events (username, event) VALUES ($1, $2)`, a.Username, e); err != nil {
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
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			a.Username, a.DisplayName, a.Role, a.Disabled, a.PasswordHash, a.Failures, a.Lockouts, nullTime(a.LockedUntil), a.Created, a.Updated)
		if _, ok := isUnique(err); ok {
			return fmt.Errorf("%w: user %s", store.ErrExists, a.Username)
		}
		if err != nil {
			return dbErr(err, "user %s", a.Username)
		}
		if err := writeUserEvents(ctx, tx, a); err != nil {
			return dbErr(err, "user %s", a.Username)
		}
		return s.audit(ctx, tx, now, actor, store.ActionUserCreate, a.Username, store.UserDetail(a))
	})
}

// User implements [store.Store].
func (s *Store) User(ctx context.Context, username string) (*staff.Account, error) {
	a, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, username))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: user %s", store.ErrNotFound, username)
	}
	if err != nil {
		return nil, dbErr(err, "user %s", username)
	}
	if a.Events, err = userEvents(ctx, s.pool, username); err != nil {
		return nil, dbErr(err, "user %s", username)
	}
	return &a, nil
}

// Users implements [store.Store].
func (s *Store) Users(ctx context.Context) ([]staff.Account, error) {
	out, err := query(ctx, s, scanUser, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Events, err = userEvents(ctx, s.pool, out[i].Username); err != nil {
			return nil, dbErr(err, "user %s", out[i].Username)
		}
	}
	return out, nil
}

// UpdateUser implements [store.Store]. The row is locked (FOR UPDATE), so
// two nodes counting failed sign-ins of one account count them all.
func (s *Store) UpdateUser(ctx context.Context, username, action, actor string, change store.UserChange) (*staff.Account, error) {
	var out *staff.Account
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		a, err := scanUser(tx.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = $1 FOR UPDATE`, username))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: user %s", store.ErrNotFound, username)
		}
		if err != nil {
			return dbErr(err, "user %s", username)
		}
		if a.Events, err = userEvents(ctx, tx, username); err != nil {
			return dbErr(err, "user %s", username)
		}
		detail, err := change(&a)
		if err != nil {
			return err
		}
		a.Username = username
		if err := store.PrepareUser(&a); err != nil {
			return err
		}
		now := s.Now()
		a.Updated = now
		if _, err := tx.Exec(ctx, `UPDATE users SET display_name = $1, role = $2, disabled = $3, password_hash = $4, failures = $5, lockouts = $6, locked_until = $7, updated_at = $8 WHERE username = $9`,
			a.DisplayName, a.Role, a.Disabled, a.PasswordHash, a.Failures, a.Lockouts, nullTime(a.LockedUntil), a.Updated, username); err != nil {
			return dbErr(err, "user %s", username)
		}
		if err := writeUserEvents(ctx, tx, &a); err != nil {
			return dbErr(err, "user %s", username)
		}
		if a.Disabled {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE username = $1`, username); err != nil {
				return dbErr(err, "user %s", username)
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
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sessions (hash, username, created_at, last_seen, address) VALUES ($1, $2, $3, $4, $5)`,
			ss.Hash, ss.Username, ss.Created, ss.LastSeen, ss.Address)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23503" { // foreign key
			return fmt.Errorf("%w: user %s", store.ErrNotFound, ss.Username)
		}
		if err != nil {
			return dbErr(err, "session")
		}
		return s.audit(ctx, tx, s.Now(), actor, store.ActionUserSignIn, ss.Username, map[string]any{"address": ss.Address})
	})
}

// Session implements [store.Store].
func (s *Store) Session(ctx context.Context, hash []byte) (*staff.Session, error) {
	var ss staff.Session
	err := s.pool.QueryRow(ctx, `SELECT hash, username, created_at, last_seen, address FROM sessions WHERE hash = $1`, hash).
		Scan(&ss.Hash, &ss.Username, &ss.Created, &ss.LastSeen, &ss.Address)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: session", store.ErrNotFound)
	}
	if err != nil {
		return nil, dbErr(err, "session")
	}
	ss.Created, ss.LastSeen = ss.Created.UTC(), ss.LastSeen.UTC()
	return &ss, nil
}

// TouchSession implements [store.Store].
func (s *Store) TouchSession(ctx context.Context, hash []byte, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen = $1 WHERE hash = $2`, at, hash)
	if err != nil {
		return dbErr(err, "session")
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: session", store.ErrNotFound)
	}
	return nil
}

// DeleteSession implements [store.Store].
func (s *Store) DeleteSession(ctx context.Context, hash []byte, action, actor string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var user string
		err := tx.QueryRow(ctx, `DELETE FROM sessions WHERE hash = $1 RETURNING username`, hash).Scan(&user)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: session", store.ErrNotFound)
		}
		if err != nil {
			return dbErr(err, "session")
		}
		return s.audit(ctx, tx, s.Now(), actor, action, user, map[string]any{})
	})
}

// DeleteSessions implements [store.Store].
func (s *Store) DeleteSessions(ctx context.Context, username string, except []byte, actor string) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE username = $1 AND hash <> $2`, username, append([]byte{}, except...))
		if err != nil {
			return dbErr(err, "sessions of %s", username)
		}
		n = tag.RowsAffected()
		return s.audit(ctx, tx, s.Now(), actor, store.ActionUserSignOutAll, username, map[string]any{"sessions": n})
	})
	return int(n), err
}
