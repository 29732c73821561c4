package main

// backup and restore of a PostgreSQL store, with PostgreSQL's own tools.
//
// The archive is that of a data folder (cmd_backup.go), with postgres.dump
// in place of laminate.db: pg_dump --format=custom of the store's schema
// alone. pg_dump reads a snapshot that backup exports from a transaction
// of its own (pg_export_snapshot, pg_dump --snapshot), and the manifest's
// counts are read in that same transaction: they are exactly the dump's.
// Nodes keep serving meanwhile. The keys are read after the dump, from a
// keyring brought in step with the store's shared one once the dump is
// made: keys are only ever added, so every pass in the dump finds its key.
//
// restore runs pg_restore --single-transaction into the database of
// --store: the schema of the dump's name must hold no table there (pg_restore
// recreates the schema under the name it was dumped from, so the URL must
// name that schema too). Everything is checked first; if pg_restore fails,
// its transaction rolls back and nothing is placed.
//
// pg_dump and pg_restore speak libpq, not pgx: the store URL is translated
// (libpqConn). The password never goes on a command line: it is passed in
// the child's PGPASSWORD.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/postgres"
)

// manifestPG describes the PostgreSQL side of a backup of a PostgreSQL
// store.
type manifestPG struct {
	Schema        string `json:"schema"`          // the schema dumped; restored under the same name
	ServerVersion string `json:"server_version"`  // of the server dumped (server_version)
	PgDumpVersion string `json:"pg_dump_version"` // "pg_dump (PostgreSQL) 15.20 …"
}

func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// validSchemaName reports whether s may be a schema name of a manifest:
// an identifier of at most 63 bytes without control characters.
func validSchemaName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}

// pgTool finds pg_dump or pg_restore on PATH.
func pgTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", withHint(fmt.Errorf("%s is not installed (or not on PATH): a PostgreSQL store is backed up and restored with PostgreSQL's own tools", name),
			"install PostgreSQL's client tools (Debian: apt-get install postgresql-client) of the server's major version or newer")
	}
	return p, nil
}

// libpqParams are the query parameters of a connection URI that libpq
// knows and that Laminate passes on to pg_dump and pg_restore. Every other
// parameter of a store URL is pgx's own (pool_max_conns, search_path and
// other run-time settings, …) and is dropped; password and sslpassword
// never go on a command line.
var libpqParams = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true,
	"passfile": true, "channel_binding": true, "connect_timeout": true,
	"client_encoding": true, "options": true, "application_name": true,
	"fallback_application_name": true, "keepalives": true, "keepalives_idle": true,
	"keepalives_interval": true, "keepalives_count": true, "tcp_user_timeout": true,
	"sslmode": true, "requiressl": true, "sslcompression": true, "sslcert": true,
	"sslkey": true, "sslrootcert": true, "sslcrl": true, "sslcrldir": true,
	"sslsni": true, "requirepeer": true, "ssl_min_protocol_version": true,
	"ssl_max_protocol_version": true, "gssencmode": true, "krbsrvname": true,
	"gsslib": true, "service": true, "target_session_attrs": true,
	"load_balance_hosts": true,
}

// pgConn is how to reach a store's database from PostgreSQL's tools.
type pgConn struct {
	uri    string   // libpq connection URI, without password
	env    []string // the child's environment, with PGPASSWORD if the URL has a password
	secret string   // the password, scrubbed from the tools' messages
}

// libpqConn translates a store URL (postgres://…, as pgx reads it) into a
// connection for pg_dump and pg_restore.
func libpqConn(u, appName string) (*pgConn, error) {
	p, err := url.Parse(u)
	if err != nil || !isPostgresURL(u) {
		return nil, errors.New("cannot parse the PostgreSQL URL (not shown, as it may hold a password)")
	}
	c := &pgConn{}
	if p.User != nil {
		c.secret, _ = p.User.Password()
		p.User = url.User(p.User.Username())
	}
	in := p.Query()
	out := url.Values{}
	for k, vs := range in {
		switch {
		case k == "password":
			if c.secret == "" && len(vs) > 0 {
				c.secret = vs[0]
			}
		case libpqParams[k]:
			out[k] = vs
		}
	}
	if out.Get("connect_timeout") == "" {
		out.Set("connect_timeout", "10")
	}
	if out.Get("application_name") == "" {
		out.Set("application_name", appName)
	}
	p.RawQuery = out.Encode()
	p.Fragment = ""
	c.uri = p.String()
	c.env = pgToolEnv(os.Environ())
	if c.secret != "" {
		for i := 0; i < len(c.env); i++ {
			if strings.HasPrefix(c.env[i], "PGPASSWORD=") {
				c.env = append(c.env[:i], c.env[i+1:]...)
				i--
			}
		}
		c.env = append(c.env, "PGPASSWORD="+c.secret)
	}
	return c, nil
}

// pgToolEnv is the environment PostgreSQL's tools get: what finds them and
// their files (PATH, HOME for ~/.pgpass and ~/.postgresql, TMPDIR), the
// locale and time zone of their messages, libpq's own PG* settings and
// Kerberos's for GSSAPI. Nothing else: in particular not
// LAMINATE_KEY_PASSPHRASE (issue 11), nor anything a child has no use for.
func pgToolEnv(environ []string) []string {
	keep := map[string]bool{
		"PATH": true, "HOME": true, "USER": true, "LOGNAME": true, "TMPDIR": true,
		"LANG": true, "LANGUAGE": true, "TZ": true,
		"SYSTEMROOT": true, "WINDIR": true, // Windows needs these to run anything
	}
	out := make([]string, 0, len(keep)+8)
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if ok && (keep[name] || strings.HasPrefix(name, "LC_") || strings.HasPrefix(name, "PG") || strings.HasPrefix(name, "KRB5")) {
			out = append(out, kv)
		}
	}
	return out
}

// run runs a PostgreSQL tool and returns its standard output. A failure
// carries the tool's standard error, without the password.
func (c *pgConn) run(ctx context.Context, bin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = c.env
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	msg := strings.TrimSpace(stderr.String())
	if c.secret != "" {
		msg = strings.ReplaceAll(msg, c.secret, "xxxxx")
	}
	if len(msg) > 4000 {
		msg = "…" + msg[len(msg)-4000:]
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s stopped: %w", filepath.Base(bin), ctx.Err())
	}
	if msg == "" {
		return nil, fmt.Errorf("%s failed: %v", filepath.Base(bin), err)
	}
	return nil, fmt.Errorf("%s failed (%v):\n%s", filepath.Base(bin), err, msg)
}

// toolVersion is what "TOOL --version" prints: "pg_dump (PostgreSQL) 15.20 …".
func toolVersion(ctx context.Context, bin string) (string, error) {
	c := &pgConn{env: pgToolEnv(os.Environ())}
	out, err := c.run(ctx, bin, "--version")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// schemaPattern is a pg_dump --schema pattern matching exactly name:
// double quotes make every character literal (no case folding, no * or ?).
func schemaPattern(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// checkDump reads the table of contents of a custom-format dump
// (pg_restore --list) and checks that it is a dump of the Laminate schema
// named schema. It returns the list.
func checkDump(ctx context.Context, pgRestore, file, schema string) (string, error) {
	c := &pgConn{env: pgToolEnv(os.Environ())}
	out, err := c.run(ctx, pgRestore, "--list", file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", pgDumpFile, err)
	}
	marker := regexp.MustCompile(`^\d+; \d+ \d+ TABLE ` + regexp.QuoteMeta(schema) + ` laminate_schema `)
	found, data := false, false
	for line := range strings.Lines(string(out)) {
		if marker.MatchString(line) {
			found = true
		}
		if strings.Contains(line, " TABLE DATA "+schema+" laminate_schema ") {
			data = true
		}
	}
	if !found || !data {
		return "", fmt.Errorf("%s is not a dump of the Laminate schema %q", pgDumpFile, schema)
	}
	return string(out), nil
}

// backupPostgres is "laminate backup" of a PostgreSQL store.
func backupPostgres(ctx context.Context, a *app, out string, force bool) error {
	pgDump, err := pgTool("pg_dump")
	if err != nil {
		return err
	}
	pgRestore, err := pgTool("pg_restore")
	if err != nil {
		return err
	}
	conn, err := libpqConn(a.g.store, "laminate backup")
	if err != nil {
		return err
	}
	dumpVersion, err := toolVersion(ctx, pgDump)
	if err != nil {
		return err
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	st, ok := a.st.(*postgres.Store)
	if !ok {
		return fmt.Errorf("internal error: the store %s is not PostgreSQL", redactURL(a.g.store))
	}
	server, err := st.ServerVersion(ctx)
	if err != nil {
		return err
	}
	schema := st.Schema()

	dir := filepath.Dir(out)
	stage, err := os.MkdirTemp(dir, ".laminate-backup-*")
	if err != nil {
		return fmt.Errorf("cannot write the backup in %s: %w", dir, err)
	}
	defer os.RemoveAll(stage)

	// The database first, then the keys (see the top of this file).
	dump := filepath.Join(stage, pgDumpFile)
	var sum postgres.Summary
	err = st.Snapshot(ctx, func(snapshot string, s postgres.Summary) error {
		sum = s
		_, err := conn.run(ctx, pgDump, "--format=custom", "--schema="+schemaPattern(schema), "--strict-names",
			"--no-owner", "--no-privileges", "--no-password", "--lock-wait-timeout=60s",
			"--snapshot="+snapshot, "--file="+dump, "--dbname="+conn.uri)
		return err
	})
	if err != nil {
		err = fmt.Errorf("pg_dump of schema %q failed, so no backup was written: %w", schema, err)
		if strings.Contains(err.Error(), "version mismatch") {
			return withHint(err, "use the pg_dump and pg_restore of PostgreSQL %s or newer: put their folder first on PATH (Debian: /usr/lib/postgresql/MAJOR/bin)", server)
		}
		return err
	}
	if err := os.Chmod(dump, 0o600); err != nil {
		return err
	}
	if err := a.syncKeys(ctx); err != nil {
		return err
	}
	if err := copyConfigAndKeys(a.g.data, stage); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return withHint(err, "this node has no copy of a private signing key (keys made without a passphrase never leave the node that made them): back up on that node")
		}
		return err
	}
	nkeys, err := checkConfigAndKeys(stage)
	if err == nil {
		_, err = checkDump(ctx, pgRestore, dump, schema)
	}
	if err != nil {
		return fmt.Errorf("the backup would not restore, so none was written: %w", stagedError(stage, a.g.data, err))
	}
	m := manifest{Format: backupFormat, Version: backupVersion, Created: time.Now().UTC(), Store: storePostgres,
		Database: manifestDB{Schema: sum.Schema, Events: sum.Events, Passes: sum.Passes, Revocations: sum.Revocations, Scans: sum.Scans},
		Postgres: &manifestPG{Schema: schema, ServerVersion: server, PgDumpVersion: dumpVersion}}
	size, err := writeArchive(stage, out, force, m)
	if err != nil {
		return err
	}
	a.infof("wrote %s (%s): schema %q of PostgreSQL %s: %d events, %d passes, %d revocations, %d scans, %d signing keys",
		out, byteSize(size), schema, server, sum.Events, sum.Passes, sum.Revocations, sum.Scans, nkeys)
	a.infof("it holds the private keys: keep it as safe as the keys")
	return nil
}

// pgRestored is what restorePostgres put back.
type pgRestored struct {
	schema, server string
	sum            postgres.Summary
	nkeys          int
}

// restorePostgres checks the staged archive of a PostgreSQL store and the
// target database, then restores the dump into it with pg_restore in one
// transaction, and opens the result as a store. The staged data folder is
// left for the caller to place.
func restorePostgres(ctx context.Context, u, archive string, m *manifest, stage string) (*pgRestored, error) {
	schema := m.Postgres.Schema
	nkeys, err := checkConfigAndKeys(stage)
	if err != nil {
		return nil, restoreFailed(archive, stage, err)
	}
	if m.Database.Schema > int64(postgres.SchemaVersion()) {
		return nil, restoreFailed(archive, stage, fmt.Errorf("%w: the backup's schema %q has version %d, this program knows up to %d",
			store.ErrNewerSchema, schema, m.Database.Schema, postgres.SchemaVersion()))
	}
	pgRestore, err := pgTool("pg_restore")
	if err != nil {
		return nil, err
	}
	conn, err := libpqConn(u, "laminate restore")
	if err != nil {
		return nil, err
	}
	dump := filepath.Join(stage, pgDumpFile)
	list, err := checkDump(ctx, pgRestore, dump, schema)
	if err != nil && strings.Contains(err.Error(), "unsupported version") {
		return nil, withHint(fmt.Errorf("%s: %w", archive, stagedError(stage, "", err)),
			"the backup was made by %s: restore it with the pg_restore of that version or newer (put its folder first on PATH)", m.Postgres.PgDumpVersion)
	}
	if err != nil {
		return nil, restoreFailed(archive, stage, err)
	}

	// The target: the URL's schema must be the dumped one, and hold nothing.
	target, exists, objects, err := pgTarget(ctx, u, schema)
	if err != nil {
		return nil, err
	}
	if target != schema {
		return nil, withHint(fmt.Errorf("the backup is of schema %q, and the --store URL's schema is %q: pg_restore puts the tables back in the schema they were dumped from", schema, target),
			"name schema %s in the URL (…?search_path=%s), in a database where it holds no tables", schema, schema)
	}
	if objects > 0 {
		return nil, withHint(fmt.Errorf("will not restore into schema %q of %s: it already holds %d tables or other relations", schema, redactURL(u), objects),
			"restore never overwrites data: restore into another database where schema %s is empty or missing (CREATE DATABASE …; then --store postgres://…/NEWDB?search_path=%s)", schema, schema)
	}

	args := []string{"--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--no-password", "--dbname=" + conn.uri}
	if exists {
		// The schema is there, empty: restore into it rather than create it.
		f, err := os.CreateTemp("", "laminate-restore-*.list")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		_, err = f.WriteString(skipSchemaEntries(list, schema))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		args = append(args, "--use-list="+f.Name())
	}
	args = append(args, dump)
	if _, err := conn.run(ctx, pgRestore, args...); err != nil {
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
	res := &pgRestored{schema: st.Schema(), nkeys: nkeys}
	if res.schema != schema {
		return nil, fmt.Errorf("restored schema %q, but the store opens schema %q: check search_path in the --store URL", schema, res.schema)
	}
	if res.sum, err = st.Summary(ctx); err != nil {
		return nil, err
	}
	if res.server, err = st.ServerVersion(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// skipSchemaEntries comments out, in a pg_restore list, the creation of
// schema (and its comment): for a schema that exists already, as public
// always does.
func skipSchemaEntries(list, schema string) string {
	re := regexp.MustCompile(`^\d+; \d+ \d+ (SCHEMA - |COMMENT - SCHEMA )` + regexp.QuoteMeta(schema) + ` `)
	var b strings.Builder
	for line := range strings.Lines(list) {
		if re.MatchString(line) {
			b.WriteString(";")
		}
		b.WriteString(line)
	}
	return b.String()
}

// pgTarget connects to the database of u and reports the schema that the
// URL's search_path names first (as PostgreSQL does, "$user" only when
// such a schema exists), whether schema exists, and how many relations
// (tables, views, sequences, …) it holds.
func pgTarget(ctx context.Context, u, schema string) (target string, exists bool, objects int64, err error) {
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		return "", false, 0, errors.New("cannot parse the PostgreSQL URL (not shown, as it may hold a password)")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = postgres.ConnectTimeout
	}
	cfg.RuntimeParams["application_name"] = "laminate restore"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", false, 0, fmt.Errorf("%w: connecting to %s: %v", store.ErrUnavailable, redactURL(u), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var path, user string
	if err := conn.QueryRow(ctx, `SELECT current_setting('search_path'), current_user`).Scan(&path, &user); err != nil {
		return "", false, 0, fmt.Errorf("reading search_path: %w", err)
	}
	for _, s := range splitSearchPath(path) {
		if s == "$user" {
			var ok bool
			if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`, user).Scan(&ok); err != nil {
				return "", false, 0, fmt.Errorf("reading search_path: %w", err)
			}
			if !ok {
				continue
			}
			s = user
		}
		target = s
		break
	}
	if target == "" {
		return "", false, 0, withHint(errors.New("the --store URL names no schema (search_path is empty)"), "add ?search_path=%s to the URL", schema)
	}
	err = conn.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1),
		(SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S'))`, schema).Scan(&exists, &objects)
	if err != nil {
		return "", false, 0, fmt.Errorf("reading schema %q: %w", schema, err)
	}
	return target, exists, objects, nil
}

// splitSearchPath splits a search_path setting into schema names: quoted
// names unquoted, others folded to lower case, as PostgreSQL reads them.
func splitSearchPath(path string) []string {
	var names []string
	for {
		path = strings.TrimLeft(path, " \t\n")
		if path == "" {
			return names
		}
		var name string
		if path[0] == '"' {
			var b strings.Builder
			i := 1
			for ; i < len(path); i++ {
				if path[i] == '"' {
					if i+1 < len(path) && path[i+1] == '"' {
						b.WriteByte('"')
						i++
						continue
					}
					break
				}
				b.WriteByte(path[i])
			}
			name = b.String()
			path = path[min(i+1, len(path)):]
			if j := strings.IndexByte(path, ','); j >= 0 {
				path = path[j+1:]
			} else {
				path = ""
			}
		} else {
			j := strings.IndexByte(path, ',')
			if j < 0 {
				j = len(path)
			}
			name = strings.ToLower(strings.TrimSpace(path[:j]))
			path = path[min(j+1, len(path)):]
		}
		if name != "" {
			names = append(names, name)
		}
	}
}
