package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/store"
)

// SchemaVersion is the number of migrations this program knows: a schema
// whose laminate_schema.version is higher gives [store.ErrNewerSchema].
func SchemaVersion() int { return len(migrations) }

// Schema is the name of the PostgreSQL schema the store lives in.
func (s *Store) Schema() string { return s.schema }

// Summary counts what a schema holds, for the reports of backup and
// restore; its Schema is laminate_schema.version.
type Summary = store.Summary

const summaryQuery = `SELECT
	(SELECT version FROM laminate_schema),
	(SELECT count(*) FROM events),
	(SELECT count(*) FROM passes),
	(SELECT count(*) FROM revocations),
	(SELECT count(*) FROM scans)`

// Summary counts the rows of the main tables, in one statement.
func (s *Store) Summary(ctx context.Context) (Summary, error) {
	var sum Summary
	err := s.pool.QueryRow(ctx, summaryQuery).Scan(&sum.Schema, &sum.Events, &sum.Passes, &sum.Revocations, &sum.Scans)
	if err != nil {
		return Summary{}, dbErr(err, "counting rows")
	}
	return sum, nil
}

// ServerVersion is the server's version (server_version, e.g. "15.20
// (Debian 15.20-0+deb12u1)").
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	var v string
	if err := s.pool.QueryRow(ctx, `SHOW server_version`).Scan(&v); err != nil {
		return "", dbErr(err, "reading the server version")
	}
	return v, nil
}

// Snapshot opens a read-only REPEATABLE READ transaction, exports its
// snapshot (pg_export_snapshot) and calls f with the snapshot's name and
// the counts of the schema as the snapshot sees them. The snapshot stays
// valid until f returns: another session (pg_dump --snapshot=ID) may use
// it to see exactly what the counts saw, nothing committed after.
func (s *Store) Snapshot(ctx context.Context, f func(id string, sum Summary) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return dbErr(err, "connecting")
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return dbErr(err, "begin")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var id string
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&id); err != nil {
		return dbErr(err, "exporting a snapshot")
	}
	var sum Summary
	if err := tx.QueryRow(ctx, summaryQuery).Scan(&sum.Schema, &sum.Events, &sum.Passes, &sum.Revocations, &sum.Scans); err != nil {
		return dbErr(err, "counting rows")
	}
	if err := f(id, sum); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return dbErr(err, "commit")
	}
	return nil
}
