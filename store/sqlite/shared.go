package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/laminate/laminate/store"
)

// Shared implements [store.Store].
func (s *Store) Shared(ctx context.Context, name string) ([]byte, int64, error) {
	var value []byte
	var version int64
	err := s.r.QueryRowContext(ctx, `SELECT value, version FROM shared WHERE name = ?`, name).Scan(&value, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("%w: shared document %q", store.ErrNotFound, name)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	return value, version, nil
}

// PutShared implements [store.Store].
func (s *Store) PutShared(ctx context.Context, name string, value []byte, version int64, actor string) (int64, error) {
	if version < 0 {
		return 0, fmt.Errorf("store: shared document %q: negative version", name)
	}
	now := s.Now()
	next := version + 1
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if version == 0 {
			_, err := tx.ExecContext(ctx, `INSERT INTO shared (name, value, version, updated_at) VALUES (?, ?, 1, ?)`, name, value, ts(now))
			if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
				return fmt.Errorf("%w: shared document %q", store.ErrExists, name)
			}
			if err != nil {
				return fmt.Errorf("store: %w", err)
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE shared SET value = ?, version = ?, updated_at = ? WHERE name = ? AND version = ?`,
				value, next, ts(now), name, version)
			if err != nil {
				return fmt.Errorf("store: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fmt.Errorf("%w: shared document %q is no longer at version %d", store.ErrConflict, name, version)
			}
		}
		return s.audit(ctx, tx, now, actor, store.ActionSharedPut, name, map[string]any{"version": next, "bytes": len(value)})
	})
	if err != nil {
		return 0, err
	}
	return next, nil
}
