package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/postgres"
	"github.com/laminate/laminate/store/sqlite"
)

// A Snapshotter is a store that can write a consistent snapshot of its
// whole database for a backup, while it keeps serving: *sqlite.Store and
// *postgres.Store.
type Snapshotter interface {
	// SnapshotFormat is the kind of file BackupSnapshot writes.
	SnapshotFormat() store.SnapshotFormat
	// BackupSnapshot writes the snapshot to the file path, which does not
	// exist yet, mode 0600, and describes it.
	BackupSnapshot(ctx context.Context, path string) (store.Snapshot, error)
}

var (
	_ Snapshotter = (*sqlite.Store)(nil)
	_ Snapshotter = (*postgres.Store)(nil)
)

// Options are those of [Write].
type Options struct {
	Data  string // the data folder: laminate.json and keys/
	Out   string // the archive to write (.tar.gz)
	Force bool   // replace an existing Out

	// CheckConfig checks the bytes of laminate.json as Laminate reads them
	// (nil: any JSON). A backup whose laminate.json it refuses is not
	// written, and a restore refuses one.
	CheckConfig func(raw []byte) error

	// SyncKeys, if not nil, is called once the snapshot is taken and
	// before the keys are read: it brings the data folder's keyring in
	// step with the keys of a store several nodes share, so that the
	// backup holds every key the snapshot's passes were signed with.
	SyncKeys func(ctx context.Context) error
}

// Written is what [Write] wrote.
type Written struct {
	Manifest *Manifest // with the database's counts, and a PostgreSQL store's schema and versions
	Size     int64     // bytes of the archive
	Keys     int       // signing keys in its keyring
}

// CheckOut refuses an archive file out that exists already, unless force.
// [Write] checks again as it places the file; this is to refuse before any
// work is done.
func CheckOut(out string, force bool) error {
	if _, err := os.Stat(out); err == nil && !force {
		return outExists(out)
	}
	return nil
}

func outExists(out string) error {
	return withHint(fmt.Errorf("%s already exists", out), "choose another --out file, or add --force to replace it")
}

// CheckTools checks, before the store at storeURL is opened, the programs a
// backup of it needs besides this one: for a PostgreSQL store, pg_dump and
// pg_restore on PATH. So nothing connects (or joins a deployment) for a
// backup that cannot be made.
func CheckTools(storeURL string) error {
	if !postgres.IsURL(storeURL) {
		return nil
	}
	return toolHint(postgres.CheckTools(storeURL, "pg_dump", "pg_restore"))
}

// toolHint adds to an error of a missing PostgreSQL tool what to install.
func toolHint(err error) error {
	if errors.Is(err, postgres.ErrNoTool) {
		return withHint(err, "install PostgreSQL's client tools (Debian: apt-get install postgresql-client) of the server's major version or newer")
	}
	return err
}

// Write writes one archive of the data folder opts.Data and a snapshot of
// the store st to opts.Out (mode 0600), and checks before it places the
// file that it would restore: a backup that would not is not written. A
// failure leaves nothing behind.
func Write(ctx context.Context, st Snapshotter, opts Options) (*Written, error) {
	format := st.SnapshotFormat()
	var dbName string
	switch format {
	case store.SnapshotSQLite:
		dbName = DatabaseName
	case store.SnapshotPgDump:
		dbName = PgDumpName
	default:
		return nil, fmt.Errorf("backup: snapshots of format %q have no place in an archive", format)
	}
	dir := filepath.Dir(opts.Out)
	stage, err := os.MkdirTemp(dir, ".laminate-backup-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write the backup in %s: %w", dir, err)
	}
	defer os.RemoveAll(stage)

	// The database first, then the keys (see the package documentation).
	db := filepath.Join(stage, dbName)
	snap, err := st.BackupSnapshot(ctx, db)
	var de *postgres.DumpError
	switch {
	case errors.As(err, &de):
		err = fmt.Errorf("pg_dump of schema %q failed, so no backup was written: %w", de.Schema, de.Err)
		if errors.Is(de, postgres.ErrToolVersion) {
			return nil, withHint(err, "use the pg_dump and pg_restore of PostgreSQL %s or newer: put their folder first on PATH (Debian: /usr/lib/postgresql/MAJOR/bin)", de.ServerVersion)
		}
		return nil, err
	case err != nil && format == store.SnapshotSQLite:
		return nil, fmt.Errorf("database snapshot: %w", err)
	case err != nil:
		return nil, toolHint(err)
	}
	if opts.SyncKeys != nil {
		if err := opts.SyncKeys(ctx); err != nil {
			return nil, err
		}
	}
	if err := copyConfigAndKeys(opts.Data, stage); err != nil {
		if format == store.SnapshotPgDump && errors.Is(err, fs.ErrNotExist) {
			return nil, withHint(err, "this node has no copy of a private signing key (keys made without a passphrase never leave the node that made them): back up on that node")
		}
		return nil, err
	}

	m := Manifest{Format: Format, Version: Version, Created: time.Now().UTC()}
	sum := snap.Summary
	var nkeys int
	if format == store.SnapshotSQLite {
		sum, nkeys, err = checkDataFolder(ctx, stage, opts.CheckConfig)
	} else {
		m.Store = StorePostgres
		m.Postgres = &ManifestPG{Schema: snap.Schema, ServerVersion: snap.ServerVersion, PgDumpVersion: snap.ToolVersion}
		nkeys, err = checkConfigAndKeys(stage, opts.CheckConfig)
		if err == nil {
			_, err = postgres.CheckDump(ctx, db, snap.Schema)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the backup would not restore, so none was written: %w", stagedError(stage, opts.Data, err))
	}
	m.Database = ManifestDB{Schema: sum.Schema, Events: sum.Events, Passes: sum.Passes, Revocations: sum.Revocations, Scans: sum.Scans}
	size, err := writeArchive(stage, opts.Out, opts.Force, &m)
	if err != nil {
		return nil, err
	}
	return &Written{Manifest: &m, Size: size, Keys: nkeys}, nil
}

// copyConfigAndKeys copies laminate.json and the keys folder's files from
// the data folder into stage. keyring.json is read first: a key file is
// complete before keyring.json names it, and is never changed afterwards.
// Files the keyring does not name (the lock, temporary files) stay behind.
func copyConfigAndKeys(data, stage string) error {
	if err := os.Mkdir(filepath.Join(stage, keysDir), 0o700); err != nil {
		return err
	}
	if _, err := copyIn(data, stage, ConfigName, true); err != nil {
		return err
	}
	if _, err := copyIn(data, stage, KeyringName, true); err != nil {
		return err
	}
	ring, err := keys.Open(stage)
	if err != nil {
		return stagedError(stage, data, err)
	}
	for _, k := range ring.Keys() {
		found, err := copyIn(data, stage, keysDir+"/"+k.KID+".key", k.Active)
		if err != nil {
			return err
		}
		if !found && k.Retired.IsZero() {
			return fmt.Errorf("private key file %s of key %s is missing", filepath.Join(data, keysDir, k.KID+".key"), k.KID)
		}
	}
	_, err = copyIn(data, stage, ArtworkName, false) // made on first use
	return err
}

// copyIn copies the regular file name (slash-separated) from the data
// folder into stage, mode 0600. A missing file is an error only if needed.
func copyIn(data, stage, name string, needed bool) (found bool, err error) {
	src := filepath.Join(data, filepath.FromSlash(name))
	limit := fileLimit(name)
	if limit == 0 || name == DatabaseName || name == PgDumpName {
		return false, fmt.Errorf("internal error: %s has no place in a backup", name)
	}
	fi, err := os.Lstat(src)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !needed:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("cannot read %s: %w", src, err)
	case !fi.Mode().IsRegular():
		return false, fmt.Errorf("%s is not a regular file (a link?); a backup copies regular files only", src)
	case fi.Size() > limit:
		return false, fmt.Errorf("%s is larger than %d KiB; it is not Laminate's", src, limit>>10)
	}
	f, err := os.Open(src)
	if err != nil {
		return false, fmt.Errorf("cannot read %s: %w", src, err)
	}
	defer f.Close()
	if ofi, err := f.Stat(); err != nil || !os.SameFile(fi, ofi) {
		return false, fmt.Errorf("%s changed while it was read; run the backup again", src)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return false, fmt.Errorf("cannot read %s: %w", src, err)
	}
	if int64(len(b)) > limit {
		return false, fmt.Errorf("%s is larger than %d KiB; it is not Laminate's", src, limit>>10)
	}
	return true, writeNew(filepath.Join(stage, filepath.FromSlash(name)), bytes.NewReader(b), nil)
}

// checkDataFolder checks that dir is a data folder Laminate can use: its
// laminate.json and keys (checkConfigAndKeys), and its database (a
// Laminate database of a schema this program knows, undamaged).
func checkDataFolder(ctx context.Context, dir string, checkConfig func([]byte) error) (store.Summary, int, error) {
	var sum store.Summary
	nkeys, err := checkConfigAndKeys(dir, checkConfig)
	if err != nil {
		return sum, 0, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, DatabaseName))
	if err != nil {
		return sum, 0, err
	}
	err = st.Check(ctx)
	if err == nil {
		sum, err = st.Summary(ctx)
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return sum, 0, err
	}
	// Closing the last connection checkpoints the WAL into the file and
	// removes it; a WAL left behind would hold rows the archive misses.
	if fi, err := os.Stat(filepath.Join(dir, DatabaseName+"-wal")); err == nil && fi.Size() > 0 {
		return sum, 0, fmt.Errorf("%s: the write-ahead log was not checkpointed", DatabaseName)
	}
	os.Remove(filepath.Join(dir, DatabaseName+"-wal"))
	os.Remove(filepath.Join(dir, DatabaseName+"-shm"))
	return sum, nkeys, nil
}

// checkConfigAndKeys checks the laminate.json and keys/ of the data folder
// dir: its configuration, its keyring (and, when it is not encrypted, that
// the active private key opens) and its artwork secret if any. It returns
// the number of keys.
func checkConfigAndKeys(dir string, checkConfig func([]byte) error) (int, error) {
	cfgPath := filepath.Join(dir, ConfigName)
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", ConfigName, err)
	}
	if checkConfig == nil {
		checkConfig = func(raw []byte) error {
			if !json.Valid(raw) {
				return errors.New("not JSON")
			}
			return nil
		}
	}
	if err := checkConfig(raw); err != nil {
		return 0, fmt.Errorf("%s is damaged or from another version of Laminate", cfgPath)
	}
	ring, err := keys.Open(dir)
	if err != nil {
		return 0, err
	}
	if !ring.Encrypted() {
		if _, _, err := ring.Signer(nil); err != nil {
			return 0, fmt.Errorf("active signing key: %w", err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(ArtworkName))); err == nil {
		if _, err := keys.ArtworkSecret(dir, time.Now()); err != nil {
			return 0, err
		}
	}
	return len(ring.Keys()), nil
}

// stagedError names the files of a staging folder by the folder they come
// from, data ("laminate.db" for a file of the archive, not
// "/srv/.laminate-data.restore-123/laminate.db"): the staging folder is gone
// by the time anyone reads the message.
func stagedError(stage, data string, err error) error {
	if data != "" {
		data = filepath.Clean(data) + string(filepath.Separator)
	}
	msg := strings.ReplaceAll(err.Error(), filepath.Clean(stage)+string(filepath.Separator), data)
	if msg == err.Error() {
		return err
	}
	return &stagedErr{msg, err}
}

type stagedErr struct {
	msg string
	err error
}

func (e *stagedErr) Error() string { return e.msg }
func (e *stagedErr) Unwrap() error { return e.err }
