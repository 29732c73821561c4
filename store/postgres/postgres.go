// Package postgres is the [store.Store] for several Laminate nodes sharing
// one PostgreSQL database, through pgx (github.com/jackc/pgx/v5) and its
// pool. It keeps the semantics of the SQLite store exactly; the conformance
// suite store/storetest runs against both.
//
// # Opening a database
//
// [Open] takes a PostgreSQL URL (or keyword/value string). Everything lives
// in the current schema: the first schema of the URL's search_path that
// exists ("public" by default), so one database can hold several
// deployments, or one per test. The schema is an ordered list of
// migrations; the table laminate_schema marks the schema as Laminate's and
// counts the migrations applied. A schema with tables but no marker gives
// [store.ErrNotLaminate], one whose version is newer than this program's
// gives [store.ErrNewerSchema]; in both cases nothing is written. Nodes
// starting together take a session advisory lock around the migrations, so
// only one migrates and the others find the work done.
//
// # Concurrency
//
// Transactions run at READ COMMITTED (PostgreSQL's default, asked for
// explicitly): each statement sees every transaction committed before it
// began. Three kinds of write need more than row locks, and take a
// transaction-level advisory lock (pg_advisory_xact_lock). PostgreSQL
// releases it only once the commit is visible, so the next holder sees
// the previous one's rows:
//
//   - Revocations. Servers keep their revocation set by polling
//     [Store.RevocationsSince] with the last Seq they saw. A sequence hands
//     out numbers in call order, not commit order: without a lock, a
//     revocation numbered 7 could commit after one numbered 8 had been
//     read, and a poller that saw 8 would never see 7. Revoke and
//     RevokeWhere take the "revocations" lock before the number is drawn,
//     so numbers become visible in commit order. The lock also makes the
//     already-revoked check and the insert one step.
//   - Issued passes. [Store.IssuedSince] positions have the same problem
//     and the same cure: InsertPasses takes the "passes" lock.
//   - Scans. [Store.RecordScan] reads the last admitted scan of a pass,
//     decides, and inserts: two doors on two nodes scanning one pass at
//     the same instant must be decided one after the other. It takes a
//     lock on the pass's serial (so scans of other passes run in
//     parallel) before it reads anything. The unique scan_id makes a
//     retried scan a no-op that returns the first record.
//   - Zones with a capacity. [Store.RecordZoneScan] counts the passes
//     inside a zone (the zone_inside table), decides, and inserts: it
//     takes a lock on the zone (event and zone) before the pass's, so
//     two doors on two nodes cannot both admit the last place.
//
// Only RecordZoneScan takes two of these locks, always the zone's before
// the pass's, and no transaction takes them the other way round, so they
// cannot deadlock. Each
// lock is keyed by the schema too, so deployments in one database do not
// wait for each other. ApplyCue and RevokeAPIToken read the row they change
// with SELECT ... FOR UPDATE; PutShared's compare-and-swap is a single
// UPDATE ... WHERE version = $n.
//
// # Notifications
//
// Every transaction that commits revocations, cues, passes, shared
// documents or a token revocation also calls pg_notify on a channel named
// after the schema; [Store.Changes] LISTENs on it from a connection of its
// own, so a revocation made on one node reaches the others at once instead
// of at their next poll.
//
// # Failures
//
// A database that cannot be reached (connection refused or lost, connect
// or pool timeout, server shutting down) gives errors that match
// [store.ErrUnavailable]. Connecting gives up after [ConnectTimeout] unless
// the URL sets connect_timeout; nothing is retried, so a request fails fast,
// and the pool makes new connections by itself when the database is back.
// Errors never hold the URL or its password.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/laminate/laminate/store"
)

// ConnectTimeout bounds one attempt to connect, unless the URL sets
// connect_timeout.
const ConnectTimeout = 2 * time.Second

// DefaultMaxConns is the pool size unless the URL sets pool_max_conns.
const DefaultMaxConns = 16

// Store is a [store.Store] in a PostgreSQL schema.
type Store struct {
	pool    *pgxpool.Pool
	listen  *pgx.ConnConfig // for the LISTEN connections of Changes
	schema  string
	channel string // notification channel of the schema
	url     string // as opened, for pg_dump (BackupSnapshot); never in a message
	locks   map[string]int32

	ctx    context.Context // ends at Close: stops the listeners
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// Now is the clock of audit rows and of revocations given no time. Tests
	// may replace it before the first call.
	Now func() time.Time
}

var (
	_ store.Store    = (*Store)(nil)
	_ store.Notifier = (*Store)(nil)
)

// Advisory locks, by purpose. See the package documentation.
const (
	lockMigrate     = "migrate"
	lockRevocations = "revocations"
	lockPasses      = "passes"
	lockScans       = "scans"
	lockZones       = "zones"
)

// poolConfig is the pool's configuration of url.
func poolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx masks passwords on a best-effort basis only: say nothing of the URL.
		return nil, errors.New("store: cannot parse the PostgreSQL URL (not shown, as it may hold a password)")
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "laminate"
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	// A dead connection is found by the next ping rather than by a request.
	cfg.PingTimeout = cfg.ConnConfig.ConnectTimeout
	cfg.HealthCheckPeriod = 15 * time.Second
	return cfg, nil
}

// Readers opens another handle on s's database with a pool of its own
// of at most conns connections, for reads that must neither wait for a
// connection behind s's requests nor take one from them: the live
// dashboard's, whose few queries a build would otherwise queue behind
// hundreds of scans in flight (issue 14). It runs no migration (s did).
// Close it before s.
func (s *Store) Readers(ctx context.Context, conns int32) (*Store, error) {
	cfg, err := poolConfig(s.url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = max(conns, 1)
	cfg.ConnConfig.RuntimeParams["application_name"] += " (reads)"
	r := &Store{Now: s.Now, url: s.url, listen: s.listen, schema: s.schema, channel: s.channel, locks: s.locks}
	if r.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, dbErr(err, "connecting")
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// Open connects to the database at url and brings the schema up to date.
// See the package documentation for the schemas it refuses.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := poolConfig(url)
	if err != nil {
		return nil, err
	}
	s := &Store{Now: time.Now, url: url}
	if err := s.setup(ctx, cfg.ConnConfig.Copy()); err != nil {
		return nil, err
	}
	s.listen = cfg.ConnConfig.Copy()
	s.listen.RuntimeParams["application_name"] += " (listen)"
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, dbErr(err, "connecting")
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Close stops the listeners of [Store.Changes] and closes the pool.
func (s *Store) Close() error {
	s.cancel()
	s.wg.Wait()
	s.pool.Close()
	return nil
}

// Ping implements [store.Store].
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return dbErr(err, "ping")
	}
	return nil
}

// setup finds the current schema and migrates it, over a connection of
// its own that holds the migration lock for the session: the lock goes
// with the connection, whatever happens.
func (s *Store) setup(ctx context.Context, cc *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return dbErr(err, "connecting")
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema *string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return dbErr(err, "connecting")
	}
	if schema == nil {
		return errors.New("store: no schema of the search_path exists: create it, or fix search_path in the URL")
	}
	s.schema = *schema
	s.channel = channelName(s.schema)
	s.locks = map[string]int32{}
	for _, p := range []string{lockMigrate, lockRevocations, lockPasses, lockScans, lockZones} {
		s.locks[p] = hash32(s.schema + "\x00" + p)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, 0)`, s.locks[lockMigrate]); err != nil {
		return dbErr(err, "waiting for the migration lock")
	}
	version, err := s.version(ctx, conn)
	if err != nil {
		return err
	}
	for ; version < len(migrations); version++ {
		if err := migrate(ctx, conn, version); err != nil {
			return err
		}
	}
	return nil
}

// version returns the number of migrations applied to the current
// schema: 0 for a blank schema. It refuses a foreign or newer schema.
func (s *Store) version(ctx context.Context, conn *pgx.Conn) (int, error) {
	var marked bool
	var objects int
	err := conn.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'laminate_schema'),
		(SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S'))`).Scan(&marked, &objects)
	if err != nil {
		return 0, dbErr(err, "reading the schema")
	}
	switch {
	case !marked && objects == 0:
		return 0, nil
	case !marked:
		return 0, fmt.Errorf("%w: schema %q holds tables of another program", store.ErrNotLaminate, s.schema)
	}
	var app string
	var version int
	err = conn.QueryRow(ctx, `SELECT app, version FROM laminate_schema`).Scan(&app, &version)
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows) || errors.As(err, &pe) && strings.HasPrefix(pe.Code, "42") || err == nil && app != "laminate":
		return 0, fmt.Errorf("%w: schema %q has a laminate_schema table of another program", store.ErrNotLaminate, s.schema)
	case err != nil:
		return 0, dbErr(err, "reading the schema version")
	case version > len(migrations):
		return 0, fmt.Errorf("%w: schema %q has version %d, this program knows up to %d",
			store.ErrNewerSchema, s.schema, version, len(migrations))
	}
	return version, nil
}

// migrate applies migration i (from 0) in its own transaction, with the
// update of the version; the first also creates the marker table.
func migrate(ctx context.Context, conn *pgx.Conn, i int) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return dbErr(err, "migration %d", i+1)
	}
	defer tx.Rollback(ctx)
	if i == 0 {
		if _, err := tx.Exec(ctx, markerTable); err != nil {
			return dbErr(err, "migration %d", i+1)
		}
	}
	if _, err := tx.Exec(ctx, migrations[i]); err != nil {
		return dbErr(err, "migration %d", i+1)
	}
	if i+1 == searchMigration {
		if err := fillSearch(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE laminate_schema SET version = $1`, i+1); err != nil {
		return dbErr(err, "migration %d", i+1)
	}
	if err := tx.Commit(ctx); err != nil {
		return dbErr(err, "migration %d", i+1)
	}
	return nil
}

// channelName is the notification channel of a schema. Channel names are
// identifiers, at most 63 bytes; a long schema name is hashed.
func channelName(schema string) string {
	ch := "laminate_" + schema
	if len(ch) > 63 {
		h := fnv.New64a()
		h.Write([]byte(schema))
		ch = fmt.Sprintf("laminate_%016x", h.Sum64())
	}
	return ch
}

func hash32(s string) int32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return int32(h.Sum32())
}

// dbErr wraps an error of the database: as [store.ErrUnavailable] when the
// database could not be reached, else with the "store: " prefix.
func dbErr(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if unavailable(err) {
		return fmt.Errorf("%w: %s: %w", store.ErrUnavailable, what, err)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// unavailable reports whether err means that the database could not be
// reached, as opposed to a query it refused.
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var ne net.Error
	switch {
	case err == nil:
		return false
	case errors.As(err, &pe):
		// 08: connection exception; 57P: operator intervention (shutdown,
		// crash, starting up); 53300: too many connections.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "53300"
	case errors.As(err, &ce), pgconn.Timeout(err), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &ne), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return false
}

// isUnique reports a unique violation.
func isUnique(err error) (*pgconn.PgError, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe, true
	}
	return nil, false
}

// inTx runs f in a transaction and commits it. The isolation level is
// READ COMMITTED whatever the database's default: each statement sees what
// committed before it began, which is what makes a read after an advisory
// lock see the work of the lock's previous holder.
func (s *Store) inTx(ctx context.Context, f func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return dbErr(err, "begin")
	}
	defer tx.Rollback(ctx)
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return dbErr(err, "commit")
	}
	return nil
}

// lock takes the advisory lock of purpose, with obj, until the end of tx.
func (s *Store) lock(ctx context.Context, tx pgx.Tx, purpose string, obj int32) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, s.locks[purpose], obj); err != nil {
		return dbErr(err, "lock %s", purpose)
	}
	return nil
}

// notify tells the listeners of the schema, at commit, that something changed.
func (s *Store) notify(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, s.channel); err != nil {
		return dbErr(err, "notify")
	}
	return nil
}
