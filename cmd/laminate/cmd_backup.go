package main

// backup and restore: one archive holding a whole data folder.
//
// The archive is a gzip-compressed tar file: manifest.json first, then
// laminate.json, keys/keyring.json, the private key files it names,
// keys/artwork.secret and laminate.db. The manifest lists every other file
// with its size and SHA-256, so a restore checks each byte before it places
// anything. The checksums catch damage, not tampering: whoever can change
// the archive can change the manifest too, and the archive holds the
// private keys anyway.
//
// The database is a snapshot taken in one SQLite read transaction (VACUUM
// INTO), so `laminate serve` may keep writing meanwhile. It is taken before
// the keyring is read: keys are only ever added, so every pass in the
// snapshot finds the key that signed it.
//
// With a PostgreSQL store the archive holds postgres.dump, made by pg_dump,
// instead of laminate.db; see backup_pg.go.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/laminate/laminate/internal/atomicfile"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
)

// Archive format.
const (
	backupFormat   = "laminate-backup"
	backupVersion  = 1
	manifestName   = "manifest.json"
	keysDir        = "keys"
	keyringName    = "keys/keyring.json"
	artworkName    = "keys/artwork.secret"
	pgDumpFile     = "postgres.dump" // pg_dump --format=custom of the store's schema
	maxManifest    = 1 << 20
	maxBackupFiles = 1000
)

// keyFileName is the name of a private key file: the kid and ".key".
var keyFileName = regexp.MustCompile(`^keys/[A-Za-z0-9_-]{1,64}\.key$`)

// backupLimit is the largest a file of the archive may be, by name, or 0
// for a name that has no place in a backup. The limits are those the keys
// package and the config reader enforce, so a restore never writes a file
// Laminate would then refuse.
func backupLimit(name string) int64 {
	switch {
	case name == configFile:
		return 64 << 10
	case name == keyringName:
		return 1 << 20
	case name == artworkName:
		return 4 << 10
	case keyFileName.MatchString(name):
		return 64 << 10
	case name == dbFile, name == pgDumpFile:
		return 1 << 40 // a bound for a hostile manifest, not a size we expect
	}
	return 0
}

// manifest is manifest.json, the archive's first file.
type manifest struct {
	Format   string         `json:"format"`  // "laminate-backup"
	Version  int            `json:"version"` // of this format
	Created  time.Time      `json:"created"`
	Store    string         `json:"store,omitempty"` // storePostgres; "" for a data folder's own SQLite file
	Database manifestDB     `json:"database"`
	Postgres *manifestPG    `json:"postgres,omitempty"` // with storePostgres
	Files    []manifestFile `json:"files"`
}

// storePostgres is the manifest's store of a backup of a PostgreSQL store.
const storePostgres = "postgres"

// manifestDB describes the database snapshot, for people reading the
// manifest; a restore counts again from the file itself.
type manifestDB struct {
	Schema      int64 `json:"schema"`
	Events      int64 `json:"events"`
	Passes      int64 `json:"passes"`
	Revocations int64 `json:"revocations"`
	Scans       int64 `json:"scans"`
}

type manifestFile struct {
	Name   string `json:"name"` // slash-separated, relative to the data folder
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex
}

const backupHelp = `
Writes one archive (.tar.gz, mode 0600) of the data folder: laminate.json,
the keyring with its private keys and artwork secret, and a consistent
snapshot of the database, with a manifest of SHA-256 checksums. It holds
the private keys: keep it as safe as the keys. It may run while
"laminate serve" uses the folder. Put it back with "laminate restore FILE".
`

func cmdBackup(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("backup", a.ui)
	a.g.register(fs.FlagSet)
	out := fs.String("out", "", "archive file to write (.tar.gz)")
	force := fs.Bool("force", false, "replace an existing --out file")
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.printf("%s", backupHelp)
		}
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	if fi, err := os.Stat(*out); err == nil {
		if fi.IsDir() {
			return usagef("backup: --out %s is a folder; give a file name such as %s", *out, filepath.Join(*out, "laminate-backup.tar.gz"))
		}
		if !*force {
			return withHint(fmt.Errorf("%s already exists", *out), "choose another --out file, or add --force to replace it")
		}
	}
	if u, _ := a.storeURL(); isPostgresURL(u) {
		return backupPostgres(ctx, a, *out, *force)
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	db, ok := a.st.(*sqlite.Store)
	if !ok {
		return fmt.Errorf("backup: the store %s is neither SQLite nor PostgreSQL", redactURL(a.g.store))
	}

	dir := filepath.Dir(*out)
	stage, err := os.MkdirTemp(dir, ".laminate-backup-*")
	if err != nil {
		return fmt.Errorf("cannot write the backup in %s: %w", dir, err)
	}
	defer os.RemoveAll(stage)

	// The database first, then the keys (see the top of this file).
	if err := db.Backup(ctx, filepath.Join(stage, dbFile)); err != nil {
		return fmt.Errorf("database snapshot: %w", err)
	}
	if err := copyConfigAndKeys(a.g.data, stage); err != nil {
		return err
	}
	sum, nkeys, err := checkDataFolder(ctx, stage)
	if err != nil {
		return fmt.Errorf("the backup would not restore, so none was written: %w", stagedError(stage, a.g.data, err))
	}
	m := manifest{Format: backupFormat, Version: backupVersion, Created: time.Now().UTC(),
		Database: manifestDB{Schema: sum.Schema, Events: sum.Events, Passes: sum.Passes, Revocations: sum.Revocations, Scans: sum.Scans}}
	size, err := writeArchive(stage, *out, *force, m)
	if err != nil {
		return err
	}
	a.infof("wrote %s (%s): %d events, %d passes, %d revocations, %d scans, %d signing keys",
		*out, byteSize(size), sum.Events, sum.Passes, sum.Revocations, sum.Scans, nkeys)
	a.infof("it holds the private keys: keep it as safe as the keys")
	return nil
}

// copyConfigAndKeys copies laminate.json and the keys folder's files from
// the data folder into stage. keyring.json is read first: a key file is
// complete before keyring.json names it, and is never changed afterwards.
// Files the keyring does not name (the lock, temporary files) stay behind.
func copyConfigAndKeys(data, stage string) error {
	if err := os.Mkdir(filepath.Join(stage, keysDir), 0o700); err != nil {
		return err
	}
	if _, err := copyIn(data, stage, configFile, true); err != nil {
		return err
	}
	if _, err := copyIn(data, stage, keyringName, true); err != nil {
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
	_, err = copyIn(data, stage, artworkName, false) // made on first use
	return err
}

// copyIn copies the regular file name (slash-separated) from the data
// folder into stage, mode 0600. A missing file is an error only if needed.
func copyIn(data, stage, name string, needed bool) (found bool, err error) {
	src := filepath.Join(data, filepath.FromSlash(name))
	limit := backupLimit(name)
	if limit == 0 || name == dbFile || name == pgDumpFile {
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

// writeNew creates path (never over an existing file, mode 0600), copies r
// into it, also into h when h is not nil, durably: path appears whole or
// not at all.
func writeNew(path string, r io.Reader, h hash.Hash) error {
	f, err := atomicfile.Create(path, 0o600)
	if err != nil {
		return err
	}
	defer f.Abort()
	w := io.Writer(f)
	if h != nil {
		w = io.MultiWriter(f, h)
	}
	_, err = io.Copy(w, r)
	if err == nil {
		err = f.CommitNew()
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// checkDataFolder checks that dir is a data folder Laminate can use: its
// laminate.json and keys (checkConfigAndKeys), and its database (a
// Laminate database of a schema this program knows, undamaged).
func checkDataFolder(ctx context.Context, dir string) (sqlite.Summary, int, error) {
	var sum sqlite.Summary
	nkeys, err := checkConfigAndKeys(dir)
	if err != nil {
		return sum, 0, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, dbFile))
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
	if fi, err := os.Stat(filepath.Join(dir, dbFile+"-wal")); err == nil && fi.Size() > 0 {
		return sum, 0, fmt.Errorf("%s: the write-ahead log was not checkpointed", dbFile)
	}
	os.Remove(filepath.Join(dir, dbFile+"-wal"))
	os.Remove(filepath.Join(dir, dbFile+"-shm"))
	return sum, nkeys, nil
}

// checkConfigAndKeys checks the laminate.json and keys/ of the data folder
// dir: its configuration, its keyring (and, when it is not encrypted, that
// the active private key opens) and its artwork secret if any. It returns
// the number of keys.
func checkConfigAndKeys(dir string) (int, error) {
	cfgPath := filepath.Join(dir, configFile)
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", configFile, err)
	}
	if _, err := parseConfig(raw); err != nil {
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
	if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(artworkName))); err == nil {
		if _, err := keys.ArtworkSecret(dir, time.Now()); err != nil {
			return 0, err
		}
	}
	return len(ring.Keys()), nil
}

// stagedFiles lists the files of a staged data folder in archive order;
// db is the database's file: dbFile or pgDumpFile.
func stagedFiles(stage, db string) ([]string, error) {
	names := []string{configFile, keyringName}
	entries, err := os.ReadDir(filepath.Join(stage, keysDir))
	if err != nil {
		return nil, err
	}
	for _, e := range entries { // sorted by name
		if n := keysDir + "/" + e.Name(); keyFileName.MatchString(n) {
			names = append(names, n)
		}
	}
	if _, err := os.Stat(filepath.Join(stage, filepath.FromSlash(artworkName))); err == nil {
		names = append(names, artworkName)
	}
	return append(names, db), nil
}

// writeArchive writes the staged data folder as an archive to a temporary
// file beside out, fsyncs it and moves it to out: a failure leaves no
// file behind, and an existing out is replaced only with force. m is the
// manifest without its files, which writeArchive lists. It returns the
// archive's size.
func writeArchive(stage, out string, force bool, m manifest) (size int64, err error) {
	db := dbFile
	if m.Store == storePostgres {
		db = pgDumpFile
	}
	names, err := stagedFiles(stage, db)
	if err != nil {
		return 0, err
	}
	now := m.Created
	m.Files = nil
	for _, name := range names {
		h := sha256.New()
		n, err := hashFile(filepath.Join(stage, filepath.FromSlash(name)), h)
		if err != nil {
			return 0, err
		}
		m.Files = append(m.Files, manifestFile{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	mraw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return 0, err
	}
	mraw = append(mraw, '\n')

	f, err := atomicfile.Create(out, 0o600)
	if err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	defer f.Abort()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	add := func(name string, size int64, r io.Reader) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: now, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	if err := add(manifestName, int64(len(mraw)), bytes.NewReader(mraw)); err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	for _, mf := range m.Files {
		err := func() error {
			src, err := os.Open(filepath.Join(stage, filepath.FromSlash(mf.Name)))
			if err != nil {
				return err
			}
			defer src.Close()
			// Checked again as it goes in: a bad read would otherwise make
			// an archive that no restore accepts.
			h := sha256.New()
			if err := add(mf.Name, mf.Size, io.TeeReader(io.LimitReader(src, mf.Size), h)); err != nil {
				return err
			}
			if hex.EncodeToString(h.Sum(nil)) != mf.SHA256 {
				return fmt.Errorf("%s changed while it was archived", mf.Name)
			}
			return nil
		}()
		if err != nil {
			return 0, fmt.Errorf("cannot write %s: %w", out, err)
		}
	}
	if err := tw.Close(); err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	if err := gz.Close(); err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	fi, err := os.Stat(f.Name())
	if err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	if force {
		err = f.Commit()
	} else {
		// Unlike Commit, CommitNew fails if out appeared meanwhile.
		err = f.CommitNew()
		if errors.Is(err, fs.ErrExist) {
			return 0, withHint(fmt.Errorf("%s already exists", out), "choose another --out file, or add --force to replace it")
		}
	}
	if err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	return fi.Size(), nil
}

func hashFile(path string, h hash.Hash) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(h, f)
}

// byteSize formats a size for people: 812 B, 52.3 KiB, 1.2 MiB.
func byteSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

const restoreHelp = `
Restores a backup made by "laminate backup" into the data folder (--data),
which must not exist or be empty: restore never overwrites a data folder.
Everything is checked first (format, checksums, paths, the keyring and the
database); the folder appears whole or not at all.

A backup of a PostgreSQL store is restored with --store postgres://… (or
LAMINATE_STORE) naming a database whose schema of the backup's name holds
no tables: pg_restore puts the database back in one transaction.
`

func cmdRestore(ctx context.Context, a *app, args []string) error {
	fset := newFlagSet("restore", a.ui)
	a.g.register(fset.FlagSet)
	pos, err := parseArgs(fset, args, 1, 1, "backup FILE")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.printf("%s", restoreHelp)
		}
		return err
	}
	archive := pos[0]
	pgURL := ""
	if a.g.store != "" {
		if !isPostgresURL(a.g.store) {
			return withHint(errors.New("restore makes a data folder with its own SQLite database, and --store (or LAMINATE_STORE) names another database"),
				"restore without --store and unset LAMINATE_STORE; only a backup of a PostgreSQL store is restored with --store postgres://…")
		}
		pgURL = a.g.store
	}
	if fi, err := os.Stat(archive); err != nil {
		return fmt.Errorf("cannot read the backup: %w", err)
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a backup file", archive)
	}
	target, err := filepath.Abs(a.g.data)
	if err != nil {
		return err
	}
	if err := checkRestoreTarget(target); err != nil {
		return err
	}
	parent := filepath.Dir(target)
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(target)+".restore-*") // mode 0700
	if err != nil {
		return fmt.Errorf("cannot restore into %s: %w", parent, err)
	}
	placed := false
	defer func() {
		if !placed {
			os.RemoveAll(stage)
		}
	}()

	m, err := extractArchive(archive, stage)
	if err != nil {
		return restoreFailed(archive, stage, err)
	}
	switch {
	case m.Store == storePostgres && pgURL == "":
		return withHint(fmt.Errorf("%s is a backup of a PostgreSQL store (schema %q): its database goes back into PostgreSQL, not into a data folder", archive, m.Postgres.Schema),
			"restore it with --store postgres://USER@HOST/DATABASE?search_path=%s (or LAMINATE_STORE), naming a database where schema %s holds no tables", m.Postgres.Schema, m.Postgres.Schema)
	case m.Store != storePostgres && pgURL != "":
		return withHint(fmt.Errorf("%s is a backup of a data folder with its own SQLite database, and --store (or LAMINATE_STORE) names a PostgreSQL database", archive),
			"restore it without --store and unset LAMINATE_STORE: it makes a data folder with its own database")
	case m.Store == storePostgres:
		pr, err := restorePostgres(ctx, pgURL, archive, m, stage)
		if err != nil {
			return err
		}
		if err := placeFolder(stage, target, a.g.data); err != nil {
			// The database is back: keep the folder made for it.
			placed = true
			return withHint(fmt.Errorf("the database is restored into schema %q, but the data folder could not be placed: %w", pr.schema, err),
				"the restored data folder is %s: move it to %s by hand (or use it as --data)", stage, a.g.data)
		}
		placed = true
		a.printf("restored %s and schema %q of PostgreSQL %s from %s (made %s): %d events, %d passes, %d revocations, %d scans, %d signing keys\n",
			a.g.data, pr.schema, pr.server, archive, m.Created.Local().Format("2006-01-02 15:04"),
			pr.sum.Events, pr.sum.Passes, pr.sum.Revocations, pr.sum.Scans, pr.nkeys)
		return nil
	}
	sum, nkeys, err := checkDataFolder(ctx, stage)
	if err != nil {
		return restoreFailed(archive, stage, err)
	}
	if err := placeFolder(stage, target, a.g.data); err != nil {
		return err
	}
	placed = true
	a.printf("restored %s from %s (made %s): %d events, %d passes, %d revocations, %d scans, %d signing keys\n",
		a.g.data, archive, m.Created.Local().Format("2006-01-02 15:04"), sum.Events, sum.Passes, sum.Revocations, sum.Scans, nkeys)
	return nil
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
	var he *hintError
	switch {
	case errors.As(err, &he):
		return err
	case errors.Is(err, store.ErrNewerSchema):
		return withHint(err, "restore it with the version of Laminate that made it, or a newer one")
	}
	return withHint(err, "nothing was restored; use another copy of the backup")
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
		if _, err := os.Stat(filepath.Join(target, configFile)); err == nil {
			what = "it is a Laminate data folder in use"
		}
		return withHint(fmt.Errorf("will not restore into %s: %s", target, what),
			"restore never overwrites data: move the folder away first (mv %s %s.old), or pass --data NEW-FOLDER", target, target)
	}
	return nil
}

// extractArchive reads a backup archive into stage, checking as it goes:
// gzip and tar framing, the manifest first, every entry a regular file with
// a name the manifest lists (so nothing lands outside stage), sizes within
// limits, and each file's SHA-256. It never follows or creates a link.
func extractArchive(path, stage string) (*manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, errors.New("not a Laminate backup (not a gzip file)")
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("not a Laminate backup, or damaged (%v)", err)
	}
	if hdr.Name != manifestName || hdr.Typeflag != tar.TypeReg || hdr.Size > maxManifest {
		return nil, fmt.Errorf("not a Laminate backup (its first file is %q, not %s)", hdr.Name, manifestName)
	}
	raw, err := io.ReadAll(io.LimitReader(tr, maxManifest))
	if err != nil {
		return nil, fmt.Errorf("damaged: %s: %v", manifestName, err)
	}
	m, err := parseManifest(raw)
	if err != nil {
		return nil, err
	}
	want := map[string]manifestFile{}
	for _, mf := range m.Files {
		want[mf.Name] = mf
	}
	if err := os.Mkdir(filepath.Join(stage, keysDir), 0o700); err != nil {
		return nil, err
	}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("damaged (%v)", err)
		}
		mf, ok := want[hdr.Name]
		switch {
		case hdr.Typeflag != tar.TypeReg:
			return nil, fmt.Errorf("entry %q is not a regular file (type %q): refused", hdr.Name, hdr.Typeflag)
		case !ok:
			return nil, fmt.Errorf("entry %q is not in the manifest, or comes twice: refused", hdr.Name)
		case hdr.Size != mf.Size:
			return nil, fmt.Errorf("damaged: %s is %d bytes, the manifest says %d", hdr.Name, hdr.Size, mf.Size)
		}
		delete(want, hdr.Name)
		h := sha256.New()
		dst := filepath.Join(stage, filepath.FromSlash(mf.Name)) // a name parseManifest allowed
		if err := writeNew(dst, io.LimitReader(tr, mf.Size), h); err != nil {
			return nil, fmt.Errorf("damaged: %s: %v", mf.Name, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != mf.SHA256 {
			return nil, fmt.Errorf("damaged: the SHA-256 of %s does not match the manifest", mf.Name)
		}
	}
	if len(want) > 0 {
		missing := slices.Sorted(maps.Keys(want))
		return nil, fmt.Errorf("damaged or cut short: %s is missing", strings.Join(missing, ", "))
	}
	// Read to the end of the gzip stream, which checks its CRC: the tar
	// reader stops at the end-of-archive blocks.
	if n, err := io.Copy(io.Discard, io.LimitReader(gz, 1<<20)); err != nil {
		return nil, fmt.Errorf("damaged (%v)", err)
	} else if n == 1<<20 {
		return nil, errors.New("damaged: data after the end of the archive")
	}
	return m, nil
}

// parseManifest decodes and checks manifest.json: the format and version,
// and every file name, size and checksum.
func parseManifest(raw []byte) (*manifest, error) {
	var probe struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil || probe.Format != backupFormat {
		return nil, fmt.Errorf("not a Laminate backup, or damaged (%s is not a Laminate manifest)", manifestName)
	}
	if probe.Version > backupVersion {
		return nil, withHint(fmt.Errorf("backup format version %d is newer than this program knows (%d)", probe.Version, backupVersion),
			"restore it with the version of Laminate that made it, or a newer one")
	}
	if probe.Version != backupVersion {
		return nil, fmt.Errorf("backup format version %d is unknown", probe.Version)
	}
	var m manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("damaged: %s: %v", manifestName, err)
	}
	if len(m.Files) > maxBackupFiles {
		return nil, fmt.Errorf("damaged: %s lists %d files", manifestName, len(m.Files))
	}
	seen := map[string]bool{}
	for _, mf := range m.Files {
		limit := backupLimit(mf.Name)
		switch {
		case limit == 0:
			return nil, fmt.Errorf("%s names %q, which has no place in a data folder: refused", manifestName, mf.Name)
		case seen[mf.Name]:
			return nil, fmt.Errorf("damaged: %s lists %s twice", manifestName, mf.Name)
		case mf.Size < 0 || mf.Size > limit:
			return nil, fmt.Errorf("%s: %s is %d bytes, more than the %d a Laminate file may be", manifestName, mf.Name, mf.Size, limit)
		case len(mf.SHA256) != 64 || strings.Trim(mf.SHA256, "0123456789abcdef") != "":
			return nil, fmt.Errorf("damaged: %s: bad SHA-256 for %s", manifestName, mf.Name)
		}
		seen[mf.Name] = true
	}
	db, notDB := dbFile, pgDumpFile
	switch m.Store {
	case "":
		if m.Postgres != nil {
			return nil, fmt.Errorf("damaged: %s describes a PostgreSQL database, not its store", manifestName)
		}
	case storePostgres:
		if m.Postgres == nil || !validSchemaName(m.Postgres.Schema) {
			return nil, fmt.Errorf("damaged: %s does not name the PostgreSQL schema", manifestName)
		}
		db, notDB = pgDumpFile, dbFile
	default:
		return nil, withHint(fmt.Errorf("%s: the backup is of a store of kind %q, which this program does not know", manifestName, m.Store),
			"restore it with the version of Laminate that made it, or a newer one")
	}
	if seen[notDB] {
		return nil, fmt.Errorf("%s names %q, which has no place in a backup of this store: refused", manifestName, notDB)
	}
	for _, name := range []string{configFile, keyringName, db} {
		if !seen[name] {
			return nil, fmt.Errorf("damaged: %s does not list %s", manifestName, name)
		}
	}
	return &m, nil
}

// syncTree fsyncs every file and folder under dir, and sets the modes
// restored files get: 0600 for files, 0700 for folders.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o600)
		if d.IsDir() {
			mode = 0o700
		} else if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", path)
		}
		if err := os.Chmod(path, mode); err != nil {
			return err
		}
		return atomicfile.Sync(path)
	})
}
