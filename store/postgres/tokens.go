package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/store"
)

// CreateAPIToken implements [store.Store].
func (s *Store) CreateAPIToken(ctx context.Context, t *store.APIToken, actor string) error {
	if t.Created.IsZero() {
		t.Created = s.Now()
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := insertToken(ctx, tx, t); err != nil {
			return err
		}
		return s.audit(ctx, tx, s.Now(), actor, store.ActionTokenCreate, t.ID, tokenDetail(t))
	})
}

// insertToken stores t in tx; ErrExists if its ID is taken. Its audit row
// is the caller's (a token made by hand, or by an enrolment).
func insertToken(ctx context.Context, tx pgx.Tx, t *store.APIToken) error {
	_, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, name, role, event, gate, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Name, t.Role, t.Event, t.Gate, t.Hash, t.Created)
	if _, ok := isUnique(err); ok {
		return fmt.Errorf("%w: token %s", store.ErrExists, t.ID)
	}
	if err != nil {
		return dbErr(err, "token %s", t.ID)
	}
	return nil
}

const tokenCols = `id, name, role, event, gate, hash, created_at, revoked_at`

func scanToken(row pgx.Row) (store.APIToken, error) {
	var t store.APIToken
	var revoked *time.Time
	err := row.Scan(&t.ID, &t.Name, &t.Role, &t.Event, &t.Gate, &t.Hash, &t.Created, &revoked)
	t.Created, t.Revoked = t.Created.UTC(), fromNull(revoked)
	return t, err
}

// APIToken implements [store.Store].
func (s *Store) APIToken(ctx context.Context, id string) (*store.APIToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: token %s", store.ErrNotFound, id)
	}
	if err != nil {
		return nil, dbErr(err, "token %s", id)
	}
	return &t, nil
}

// APITokens implements [store.Store].
func (s *Store) APITokens(ctx context.Context) ([]store.APIToken, error) {
	return query(ctx, s, scanToken, `SELECT `+tokenCols+` FROM api_tokens ORDER BY created_at, id`)
}

// RevokeAPIToken implements [store.Store]. Other nodes are notified: they
// may hold the token in a cache.
func (s *Store) RevokeAPIToken(ctx context.Context, id, actor string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var revoked *time.Time
		err := tx.QueryRow(ctx, `SELECT revoked_at FROM api_tokens WHERE id = $1 FOR UPDATE`, id).Scan(&revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: token %s", store.ErrNotFound, id)
		}
		if err != nil {
			return dbErr(err, "token %s", id)
		}
		if revoked != nil {
			return fmt.Errorf("%w: token %s", store.ErrAlreadyRevoked, id)
		}
		now := s.Now()
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2`, now, id); err != nil {
			return dbErr(err, "token %s", id)
		}
		if err := s.audit(ctx, tx, now, actor, store.ActionTokenRevoke, id, map[string]any{}); err != nil {
			return err
		}
		return s.notify(ctx, tx)
	})
}

// Shared implements [store.Store].
func (s *Store) Shared(ctx context.Context, name string) ([]byte, int64, error) {
	var value []byte
	var version int64
	err := s.pool.QueryRow(ctx, `SELECT value, version FROM shared WHERE name = $1`, name).Scan(&value, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, fmt.Errorf("%w: shared document %q", store.ErrNotFound, name)
	}
	if err != nil {
		return nil, 0, dbErr(err, "shared document %q", name)
	}
	if value == nil {
		value = []byte{}
	}
	return value, version, nil
}

// PutShared implements [store.Store]. The compare-and-swap is one UPDATE:
// of two nodes updating from one version, the second waits for the first
// one's row lock, then finds the version changed and updates nothing.
func (s *Store) PutShared(ctx context.Context, name string, value []byte, version int64, actor string) (int64, error) {
	if version < 0 {
		return 0, fmt.Errorf("store: shared document %q: negative version", name)
	}
	if value == nil {
		value = []byte{}
	}
	now := s.Now()
	next := version + 1
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if version == 0 {
			_, err := tx.Exec(ctx, `INSERT INTO shared (name, value, version, updated_at) VALUES ($1, $2, 1, $3)`, name, value, now)
			if _, ok := isUnique(err); ok {
				return fmt.Errorf("%w: shared document %q", store.ErrExists, name)
			}
			if err != nil {
				return dbErr(err, "shared document %q", name)
			}
		} else {
			tag, err := tx.Exec(ctx, `UPDATE shared SET value = $1, version = $2, updated_at = $3 WHERE name = $4 AND version = $5`,
				value, next, now, name, version)
			if err != nil {
				return dbErr(err, "shared document %q", name)
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("%w: shared document %q is no longer at version %d", store.ErrConflict, name, version)
			}
		}
		// The value is never copied into the audit log.
		if err := s.audit(ctx, tx, now, actor, store.ActionSharedPut, name, map[string]any{"version": next, "bytes": len(value)}); err != nil {
			return err
		}
		return s.notify(ctx, tx)
	})
	if err != nil {
		return 0, err
	}
	return next, nil
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
