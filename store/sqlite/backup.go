package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/laminate/laminate/internal/atomicfile"
	"github.com/laminate/laminate/store"
)

// Backup writes a consistent snapshot of the database to a new file at
// path, while other connections and processes keep writing.
//
// The snapshot is made by SQLite's VACUUM INTO, which reads the whole
// database inside one read transaction: under WAL it sees exactly the
// transactions committed when it began, never half of one, and blocks no
// writer. It runs on a connection of its own, so this Store's writes go on
// meanwhile.
//
// path must not exist: Backup creates it (mode 0600, it may hold secrets)
// and gives an error wrapping [fs.ErrExist] otherwise, so an existing file
// is never overwritten. The snapshot goes to a temporary file beside path,
// which is fsynced (SQLite does not fsync the file VACUUM INTO writes) and
// linked to path only when complete: path holds a whole snapshot or
// nothing, even after a crash. On failure the temporary file is removed.
func (s *Store) Backup(ctx context.Context, path string) (err error) {
	abs, err := filepath.Abs(path) // never read as a "file:" URI by SQLite
	if err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	src, err := s.file(ctx)
	if err != nil {
		return err
	}
	exists := func() error {
		return fmt.Errorf("store: backup to %s: %w; choose a new file name", path, fs.ErrExist)
	}
	if _, err := os.Lstat(abs); err == nil { // refused before the work; the commit checks again
		return exists()
	}
	f, err := atomicfile.Create(abs, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer f.Abort()

	// A separate handle: the reader pool is query-only (VACUUM INTO counts
	// as a write for it), and the one writer connection must stay free.
	params := fmt.Sprintf("_busy_timeout=%d", BusyTimeout.Milliseconds())
	db, err := sql.Open("sqlite", src+"?"+params)
	if err != nil {
		return fmt.Errorf("store: backup of %s: %w", src, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// An empty file is the one target VACUUM INTO accepts besides a missing one.
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, f.Name()); err != nil {
		return fmt.Errorf("store: backup of %s to %s: %w", src, path, err)
	}
	if err := f.CommitNew(); errors.Is(err, fs.ErrExist) {
		return exists()
	} else if err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	return nil
}

// file returns the absolute path of the main database file.
func (s *Store) file(ctx context.Context) (string, error) {
	var file string
	err := s.r.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file)
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	if file == "" {
		return "", errors.New("store: backup: the database is not a file")
	}
	return file, nil
}

// Summary counts what a database holds, for the reports of backup and
// restore; its Schema is PRAGMA user_version.
type Summary = store.Summary

// SnapshotFormat is that of [Store.BackupSnapshot]: a SQLite database file.
func (s *Store) SnapshotFormat() store.SnapshotFormat { return store.SnapshotSQLite }

// BackupSnapshot writes a consistent snapshot of the database to the new
// file path, as [Store.Backup] does, for package backup. The snapshot is a
// database in itself: the Summary returned is zero, and whoever opens the
// file counts what it holds.
func (s *Store) BackupSnapshot(ctx context.Context, path string) (store.Snapshot, error) {
	return store.Snapshot{}, s.Backup(ctx, path)
}

// Summary counts the rows of the main tables. It is one statement, so the
// counts come from one read transaction.
func (s *Store) Summary(ctx context.Context) (Summary, error) {
	var sum Summary
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT user_version FROM pragma_user_version),
		(SELECT count(*) FROM events),
		(SELECT count(*) FROM passes),
		(SELECT count(*) FROM revocations),
		(SELECT count(*) FROM scans)`).
		Scan(&sum.Schema, &sum.Events, &sum.Passes, &sum.Revocations, &sum.Scans)
	if err != nil {
		return Summary{}, fmt.Errorf("store: %w", err)
	}
	return sum, nil
}
