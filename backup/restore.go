package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/laminate/laminate/internal/atomicfile"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/postgres"
)

// RestoreOptions are those of [Restore].
type RestoreOptions struct {
	Archive string // the backup file
	Data    string // the data folder to make: new, or an empty folder

	// Store is "" to restore a data folder with its own SQLite database, or
	// the postgres://… URL of the database that a backup of a PostgreSQL
	// store goes back into.
	Store string

	// CheckConfig is that of [Options].
	CheckConfig func(raw []byte) error
}

// Restored is what [Restore] put back.
type Restored struct {
	Manifest *Manifest
	Summary  store.Summary // what the restored database holds, counted again
	Keys     int           // signing keys

	// Of a PostgreSQL store: the schema the restored store opens, and the
	// server's version.
	Schema, ServerVersion string
}

// Restore restores the backup opts.Archive into the data folder opts.Data,
// which must not exist or be empty: restore never overwrites a data folder.
// Everything is checked first (see the package documentation); the folder
// appears whole or not at all. A backup of a PostgreSQL store goes back
// into the database of opts.Store with pg_restore, in one transaction,
// into a schema of the backup's name that holds no table.
func Restore(ctx context.Context, opts RestoreOptions) (*Restored, error) {
	archive, pgURL := opts.Archive, ""
	if opts.Store != "" {
		if !postgres.IsURL(opts.Store) {
			return nil, withHint(errors.New("restore makes a data folder with its own SQLite database, and --store (or LAMINATE_STORE) names another database"),
				"restore without --store and unset LAMINATE_STORE; only a backup of a PostgreSQL store is restored with --store postgres://…")
		}
		pgURL = opts.Store
	}
	if fi, err := os.Stat(archive); err != nil {
		return nil, fmt.Errorf("cannot read the backup: %w", err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a backup file", archive)
	}
	target, err := filepath.Abs(opts.Data)
	if err != nil {
		return nil, err
	}
	if err := checkRestoreTarget(target); err != nil {
		return nil, err
	}
	parent := filepath.Dir(target)
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(target)+".restore-*") // mode 0700
	if err != nil {
		return nil, fmt.Errorf("cannot restore into %s: %w", parent, err)
	}
	placed := false
	defer func() {
		if !placed {
			os.RemoveAll(stage)
		}
	}()

	m, err := extractArchive(archive, stage)
	if err != nil {
		return nil, restoreFailed(archive, stage, err)
	}
	switch {
	case m.Store == StorePostgres && pgURL == "":
		return nil, withHint(fmt.Errorf("%s is a backup of a PostgreSQL store (schema %q): its database goes back into PostgreSQL, not into a data folder", archive, m.Postgres.Schema),
			"restore it with --store postgres://USER@HOST/DATABASE?search_path=%s (or LAMINATE_STORE), naming a database where schema %s holds no tables", m.Postgres.Schema, m.Postgres.Schema)
	case m.Store != StorePostgres && pgURL != "":
		return nil, withHint(fmt.Errorf("%s is a backup of a data folder with its own SQLite database, and --store (or LAMINATE_STORE) names a PostgreSQL database", archive),
			"restore it without --store and unset LAMINATE_STORE: it makes a data folder with its own database")
	case m.Store == StorePostgres:
		res, err := restorePostgres(ctx, pgURL, archive, m, stage, opts.CheckConfig)
		if err != nil {
			return nil, err
		}
		if err := placeFolder(stage, target, opts.Data); err != nil {
			// The database is back: keep the folder made for it.
			placed = true
			return nil, withHint(fmt.Errorf("the database is restored into schema %q, but the data folder could not be placed: %w", res.Schema, err),
				"the restored data folder is %s: move it to %s by hand (or use it as --data)", stage, opts.Data)
		}
		placed = true
		return res, nil
	}
	sum, nkeys, err := checkDataFolder(ctx, stage, opts.CheckConfig)
	if err != nil {
		return nil, restoreFailed(archive, stage, err)
	}
	if err := placeFolder(stage, target, opts.Data); err != nil {
		return nil, err
	}
	placed = true
	return &Restored{Manifest: m, Summary: sum, Keys: nkeys}, nil
}

// placeFolder moves the staged data folder into place at target (data is
// how the user named it), fsynced, with the modes of a data folder.
func placeFolder(stage, target, data string) error {
	parent := filepath.Dir(target)
	if err := syncTree(stage); err != nil {
		return fmt.Errorf("cannot restore into %s: %w", parent, err)
	}
	// rename(2) replaces an empty folder and fails on a non-empty one, so a
	// folder filled meanwhile is not overwritten either. (os.Rename refuses
	// any existing folder, the empty one too.)
	if err := syscall.Rename(stage, target); err != nil {
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return withHint(fmt.Errorf("%s is not empty", data), "move it away first, or pass --data NEW-FOLDER")
		}
		return fmt.Errorf("cannot restore into %s: %w", data, err)
	}
	atomicfile.Sync(parent)
	return nil
}

// restoreFailed is the error of a refused archive, with the hint the
// error brings (a newer format or schema) or else the general one.
func restoreFailed(archive, stage string, err error) error {
	err = fmt.Errorf("%s: %w", archive, stagedError(stage, "", err))
	var he *Error
	switch {
	case errors.As(err, &he):
		return err
	case errors.Is(err, store.ErrNewerSchema):
		return withHint(err, "restore it with the version of Laminate that made it, or a newer one")
	}
	return withHint(err, "nothing was restored; use another copy of the backup")
}

// checkRestoreTarget refuses a data folder that holds anything.
func checkRestoreTarget(target string) error {
	fi, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Stat(filepath.Dir(target)); err != nil {
			return fmt.Errorf("cannot restore into %s: %w", target, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("cannot restore into %s: %w", target, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return withHint(fmt.Errorf("%s is a symbolic link", target), "pass --data with the folder it points to, or a new folder")
	case !fi.IsDir():
		return withHint(fmt.Errorf("%s is a file, not a folder", target), "pass --data with a new or empty folder")
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return fmt.Errorf("cannot restore into %s: %w", target, err)
	}
	if len(entries) > 0 {
		what := "it is not empty"
		if _, err := os.Stat(filepath.Join(target, ConfigName)); err == nil {
			what = "it is a Laminate data folder in use"
		}
		return withHint(fmt.Errorf("will not restore into %s: %s", target, what),
			"restore never overwrites data: move the folder away first (mv %s %s.old), or pass --data NEW-FOLDER", target, target)
	}
	return nil
}

// restorePostgres checks the staged archive of a PostgreSQL store and the
// target database u, then restores the dump into it with pg_restore in one
// transaction, and opens the result as a store. The staged data folder is
// left for the caller to place.
func restorePostgres(ctx context.Context, u, archive string, m *Manifest, stage string, checkConfig func([]byte) error) (*Restored, error) {
	schema := m.Postgres.Schema
	nkeys, err := checkConfigAndKeys(stage, checkConfig)
	if err != nil {
		return nil, restoreFailed(archive, stage, err)
	}
	if m.Database.Schema > int64(postgres.SchemaVersion()) {
		return nil, restoreFailed(archive, stage, fmt.Errorf("%w: the backup's schema %q has version %d, this program knows up to %d",
			store.ErrNewerSchema, schema, m.Database.Schema, postgres.SchemaVersion()))
	}
	if err := postgres.CheckTools(u, "pg_restore"); err != nil {
		return nil, toolHint(err)
	}
	dump := filepath.Join(stage, PgDumpName)
	list, err := postgres.CheckDump(ctx, dump, schema)
	switch {
	case errors.Is(err, postgres.ErrToolVersion):
		return nil, withHint(fmt.Errorf("%s: %w", archive, stagedError(stage, "", err)),
			"the backup was made by %s: restore it with the pg_restore of that version or newer (put its folder first on PATH)", m.Postgres.PgDumpVersion)
	case errors.Is(err, postgres.ErrNoTool):
		return nil, toolHint(err)
	case err != nil:
		return nil, restoreFailed(archive, stage, err)
	}

	// The target: the URL's schema must be the dumped one, and hold nothing.
	target, exists, objects, err := postgres.RestoreTarget(ctx, u, schema)
	switch {
	case err != nil:
		return nil, err
	case target == "":
		return nil, withHint(errors.New("the --store URL names no schema (search_path is empty)"), "add ?search_path=%s to the URL", schema)
	case target != schema:
		return nil, withHint(fmt.Errorf("the backup is of schema %q, and the --store URL's schema is %q: pg_restore puts the tables back in the schema they were dumped from", schema, target),
			"name schema %s in the URL (…?search_path=%s), in a database where it holds no tables", schema, schema)
	case objects > 0:
		return nil, withHint(fmt.Errorf("will not restore into schema %q of %s: it already holds %d tables or other relations", schema, store.RedactURL(u), objects),
			"restore never overwrites data: restore into another database where schema %s is empty or missing (CREATE DATABASE …; then --store postgres://…/NEWDB?search_path=%s)", schema, schema)
	}

	if err := postgres.RestoreDump(ctx, u, dump, list, schema, exists); err != nil {
		return nil, withHint(stagedError(stage, "", err),
			"nothing was restored: pg_restore's single transaction rolled back")
	}

	// The dump has no place in the data folder.
	if err := os.Remove(dump); err != nil {
		return nil, err
	}
	st, err := postgres.Open(ctx, u)
	if err != nil {
		return nil, withHint(fmt.Errorf("schema %q is restored but does not open as a Laminate store: %w", schema, err),
			"drop the restored schema (DROP SCHEMA %s CASCADE) and restore with the version of Laminate that made the backup", schema)
	}
	defer st.Close()
	res := &Restored{Manifest: m, Schema: st.Schema(), Keys: nkeys}
	if res.Schema != schema {
		return nil, fmt.Errorf("restored schema %q, but the store opens schema %q: check search_path in the --store URL", schema, res.Schema)
	}
	if res.Summary, err = st.Summary(ctx); err != nil {
		return nil, err
	}
	if res.ServerVersion, err = st.ServerVersion(ctx); err != nil {
		return nil, err
	}
	return res, nil
}
