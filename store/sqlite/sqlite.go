// Package sqlite is the embedded [store.Store]: one SQLite file in WAL mode,
// through the pure-Go driver modernc.org/sqlite (no cgo).
//
// # Opening a file
//
// [Open] creates the file (mode 0600) when it is missing. An existing file
// is checked before anything is written to it: one that is not a SQLite
// database, or a SQLite database of another program (its application_id is
// not [ApplicationID]), gives [store.ErrNotLaminate]; one whose schema is
// newer than this program's gives [store.ErrNewerSchema]. In each of these
// cases the file is left byte for byte as it was, and no -wal or -shm file
// is created beside it: the decision is made from the file's header, before
// SQLite opens it. Only when a -wal file is already there (the database is
// open elsewhere, or was not closed) does SQLite's own view decide.
//
// # Schema
//
// The schema is an ordered list of migrations; PRAGMA user_version holds how
// many have been applied. Each runs in its own transaction with the update of
// user_version, and the first one also sets PRAGMA application_id, so a file
// is either a blank database or a Laminate one, never in between.
//
// # Concurrency
//
// Writes go through one connection and begin with BEGIN IMMEDIATE, so two
// writers never deadlock upgrading a read lock; another process writing the
// same file waits up to [BusyTimeout]. Reads use a separate pool and, under
// WAL, see every committed write at once, from this process or another.
package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/laminate/laminate/store"
)

// ApplicationID marks a SQLite file as Laminate's ("LAMN").
const ApplicationID = 0x4C414D4E

// BusyTimeout is how long a write waits for another writer's lock.
const BusyTimeout = 5 * time.Second

// Store is a [store.Store] kept in one SQLite file.
type Store struct {
	w *sql.DB // writes: one connection, BEGIN IMMEDIATE
	r *sql.DB // reads

	// Now is the clock of audit rows and of revocations given no time. Tests
	// may replace it before the first call.
	Now func() time.Time

	enqueued chan struct{} // webhook deliveries were enqueued (store.OutboxWaker)
}

var _ store.Store = (*Store)(nil)

// Open opens the Laminate database at path, creating it when it is missing,
// and brings its schema up to date. See the package documentation for the
// files it refuses.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("store: bad database path %q", path)
	}
	if err := precheck(path); err != nil {
		return nil, err
	}
	params := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=on&_synchronous=NORMAL", BusyTimeout.Milliseconds())
	w, err := sql.Open("sqlite", path+"?"+params+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	s := &Store{w: w, Now: time.Now, enqueued: make(chan struct{}, 1)}
	if err := s.setup(ctx, path); err != nil {
		w.Close()
		return nil, err
	}
	// Readers open only now, on a file already in WAL mode.
	s.r, err = sql.Open("sqlite", path+"?"+params+"&_query_only=on")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	s.r.SetMaxOpenConns(8)
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	var err error
	if s.r != nil {
		err = s.r.Close()
	}
	return errors.Join(err, s.w.Close())
}

// precheck reads the header of an existing file before SQLite touches it
// (https://www.sqlite.org/fileformat.html#the_database_header), so that a
// file we refuse is never written, and creates a missing file with mode 0600.
// When a -wal file is present the header may be stale; setup checks again
// through SQLite.
func precheck(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	hdr := make([]byte, 100)
	n, err := io.ReadFull(f, hdr)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return nil // new or empty: a blank database
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("store: reading %s: %w", path, err)
	case err != nil || !bytes.HasPrefix(hdr, []byte("SQLite format 3\x00")):
		return fmt.Errorf("%w: %s is not a SQLite database", store.ErrNotLaminate, path)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return nil
	}
	be := binary.BigEndian
	schemaCookie, version, appID := be.Uint32(hdr[40:]), be.Uint32(hdr[60:]), be.Uint32(hdr[68:])
	return checkIDs(path, int64(appID), int64(version), schemaCookie == 0)
}

// checkIDs refuses a foreign or newer database. A blank database, with no
// schema and no ids, is adopted.
func checkIDs(path string, appID, version int64, blank bool) error {
	switch {
	case appID == ApplicationID && version > int64(len(migrations)):
		return fmt.Errorf("%w: %s has schema version %d, this program knows up to %d",
			store.ErrNewerSchema, path, version, len(migrations))
	case appID == ApplicationID:
		return nil
	case appID == 0 && version == 0 && blank:
		return nil
	case appID == 0:
		return fmt.Errorf("%w: %s is a SQLite database of another program", store.ErrNotLaminate, path)
	default:
		return fmt.Errorf("%w: %s is a SQLite database of another program (application_id %#x)",
			store.ErrNotLaminate, path, appID)
	}
}

// setup checks the file through SQLite, migrates it and switches it to WAL.
func (s *Store) setup(ctx context.Context, path string) error {
	var appID, version, objects int64
	err := s.w.QueryRowContext(ctx, `SELECT (SELECT application_id FROM pragma_application_id),
		(SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema)`).
		Scan(&appID, &version, &objects)
	if err != nil {
		return openErr(path, err)
	}
	if err := checkIDs(path, appID, version, objects == 0); err != nil {
		return err
	}
	if err := s.migrate(ctx, path); err != nil {
		return err
	}
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return openErr(path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("store: %s: cannot switch to WAL mode (journal mode %s)", path, mode)
	}
	return nil
}

// migrate applies the migrations not yet applied, each in its own
// transaction with the update of user_version.
func (s *Store) migrate(ctx context.Context, path string) error {
	for {
		done, err := s.migrateOne(ctx, path)
		if err != nil || done {
			return err
		}
	}
}

func (s *Store) migrateOne(ctx context.Context, path string) (done bool, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, openErr(path, err)
	}
	defer tx.Rollback()
	// Read again under the write lock: another process may have migrated.
	var appID, version int64
	if err := tx.QueryRowContext(ctx, "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version)").
		Scan(&appID, &version); err != nil {
		return false, openErr(path, err)
	}
	if version >= int64(len(migrations)) {
		return true, checkIDs(path, appID, version, false)
	}
	if version == 0 {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", ApplicationID)); err != nil {
			return false, openErr(path, err)
		}
	}
	if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
		return false, fmt.Errorf("store: %s: migration %d: %w", path, version+1, err)
	}
	if version+1 == searchMigration {
		if err := fillSearch(ctx, tx); err != nil {
			return false, fmt.Errorf("store: %s: migration %d: %w", path, version+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
		return false, openErr(path, err)
	}
	if err := tx.Commit(); err != nil {
		return false, openErr(path, err)
	}
	return false, nil
}

func openErr(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_NOTADB {
		return fmt.Errorf("%w: %s: %v", store.ErrNotLaminate, path, err)
	}
	return fmt.Errorf("store: opening %s: %w", path, err)
}

// Check runs SQLite's quick_check over the whole file, so that a damaged
// page is reported as [ErrDamaged] instead of being read as missing rows. It
// reads every page, so its cost grows with the scans stored (about 4 s for a
// million here): a node runs [Store.CheckStartup] before it serves and this
// once it serves; a backup runs it before it copies.
func (s *Store) Check(ctx context.Context) error {
	return s.quickCheck(ctx, "5")
}

// historyTables are the tables that grow with every door scan, left out by
// [Store.CheckStartup].
var historyTables = []string{"scans"}

// CheckStartup runs quick_check on the schema and on every table but the
// scan history, with their indexes: the keys, events, passes,
// revocations and tokens that every answer depends on. It reads only the
// pages of those tables, so its cost grows with the passes issued, never
// with the scans stored (issue 11: a node killed with a million scans
// stored must answer again within 300 ms). It does not look at the pages
// of the scan history, nor at the free list: run [Store.Check] beside it.
func (s *Store) CheckStartup(ctx context.Context) error {
	rows, err := s.r.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return damaged(ctx, err)
	}
	tables := []string{"sqlite_schema"}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return damaged(ctx, err)
		}
		if !slices.Contains(historyTables, name) {
			tables = append(tables, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return damaged(ctx, err)
	}
	for _, name := range tables {
		if err := s.quickCheck(ctx, `"`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return err
		}
	}
	return nil
}

// quickCheck runs PRAGMA quick_check(arg): a number of problems to report
// at most, or a quoted table name.
func (s *Store) quickCheck(ctx context.Context, arg string) error {
	rows, err := s.r.QueryContext(ctx, "PRAGMA quick_check("+arg+")")
	if err != nil {
		return damaged(ctx, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return damaged(ctx, err)
		}
		if msg != "ok" && len(problems) < 5 {
			problems = append(problems, msg)
		}
	}
	if err := rows.Err(); err != nil {
		return damaged(ctx, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: %w: %s", ErrDamaged, strings.Join(problems, "; "))
	}
	return nil
}

// ErrDamaged is returned by [Store.Check] for a database with damaged pages.
var ErrDamaged = errors.New("database is damaged")

// damaged is a check's failure as [ErrDamaged], unless the check was cut
// short (ctx cancelled or past its deadline): that says nothing about the
// file, and "damaged" would send its operator to a backup for nothing.
func damaged(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("store: database check cut short: %w", context.Cause(ctx))
	}
	return fmt.Errorf("store: %w: %v", ErrDamaged, err)
}
