package postgres

// Backup and restore with PostgreSQL's own tools, pg_dump and pg_restore:
// the PostgreSQL half of package backup, which holds the archive and the
// checks around it.
//
// A backup is pg_dump --format=custom of the store's schema alone
// ([Store.BackupSnapshot]). pg_dump reads a snapshot exported from a
// transaction of the store's own (pg_export_snapshot, pg_dump --snapshot),
// and the counts returned are read in that same transaction: they are
// exactly the dump's. Nodes keep serving meanwhile.
//
// A restore runs pg_restore --single-transaction into the database of a
// URL ([RestoreDump]) once [CheckDump] has read the dump's table of
// contents and [RestoreTarget] has found the schema to hold no table: if
// pg_restore fails, its transaction rolls back.
//
// pg_dump and pg_restore speak libpq, not pgx: the store URL is translated
// (newToolConn). The password never goes on a command line: it is passed
// in the child's PGPASSWORD, and the child gets nothing else of this
// process's environment but what finds and configures the tools
// (toolEnv).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/store"
)

// IsURL reports whether u names a PostgreSQL store: postgres://… or
// postgresql://….
func IsURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Errors of PostgreSQL's tools; test them with [errors.Is].
var (
	// ErrNoTool: pg_dump or pg_restore is not installed, or not on PATH.
	ErrNoTool = errors.New("not installed (or not on PATH)")
	// ErrToolVersion: pg_dump is older than the server, or pg_restore
	// older than the pg_dump that made the dump.
	ErrToolVersion = errors.New("postgres: pg_dump or pg_restore is too old")
)

// versionError marks a tool's failure as [ErrToolVersion].
type versionError struct{ error }

func (e versionError) Unwrap() error        { return e.error }
func (e versionError) Is(target error) bool { return target == ErrToolVersion }

// lookTool finds pg_dump or pg_restore on PATH.
func lookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is %w: a PostgreSQL store is backed up and restored with PostgreSQL's own tools", name, ErrNoTool)
	}
	return p, nil
}

// CheckTools checks that the tools named (pg_dump, pg_restore) are on PATH
// and that they can use the store URL u, before anything connects. An
// absent tool gives an error matching [ErrNoTool].
func CheckTools(u string, names ...string) error {
	for _, name := range names {
		if _, err := lookTool(name); err != nil {
			return err
		}
	}
	_, err := newToolConn(u, "laminate")
	return err
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

// toolConn is how to reach a store's database from PostgreSQL's tools.
type toolConn struct {
	uri    string   // libpq connection URI, without password
	env    []string // the child's environment, with PGPASSWORD if the URL has a password
	secret string   // the password, scrubbed from the tools' messages
}

// newToolConn translates a store URL (postgres://…, as pgx reads it) into
// a connection for pg_dump and pg_restore.
func newToolConn(u, appName string) (*toolConn, error) {
	p, err := url.Parse(u)
	if err != nil || !IsURL(u) {
		return nil, errors.New("cannot parse the PostgreSQL URL (not shown, as it may hold a password)")
	}
	c := &toolConn{}
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
	c.env = toolEnv(os.Environ())
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

// toolEnv is the environment PostgreSQL's tools get: what finds them and
// their files (PATH, HOME for ~/.pgpass and ~/.postgresql, TMPDIR), the
// locale and time zone of their messages, libpq's own PG* settings and
// Kerberos's for GSSAPI. Nothing else: in particular not
// LAMINATE_KEY_PASSPHRASE (issue 11), nor anything a child has no use for.
func toolEnv(environ []string) []string {
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
func (c *toolConn) run(ctx context.Context, bin string, args ...string) ([]byte, error) {
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
	c := &toolConn{env: toolEnv(os.Environ())}
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

// A DumpError is the failure of the pg_dump of [Store.BackupSnapshot], or
// of the snapshot it reads. It matches [ErrToolVersion] when pg_dump is
// older than the server.
type DumpError struct {
	Schema        string // the schema dumped
	ServerVersion string // the server's: pg_dump must be of its major version or newer
	Err           error
}

func (e *DumpError) Error() string {
	return fmt.Sprintf("pg_dump of schema %q failed: %v", e.Schema, e.Err)
}
func (e *DumpError) Unwrap() error { return e.Err }

// SnapshotFormat is that of [Store.BackupSnapshot]: pg_dump's custom
// format.
func (s *Store) SnapshotFormat() store.SnapshotFormat { return store.SnapshotPgDump }

// BackupSnapshot writes pg_dump --format=custom of the store's schema to
// the file path (mode 0600), from a snapshot exported by [Store.Snapshot],
// and returns the counts of that snapshot with the schema and the versions
// of the server and of pg_dump. pg_dump must be on PATH ([ErrNoTool]); a
// failure of the dump or of its snapshot is a [*DumpError]. On failure
// the file is removed.
func (s *Store) BackupSnapshot(ctx context.Context, path string) (snap store.Snapshot, err error) {
	pgDump, err := lookTool("pg_dump")
	if err != nil {
		return snap, err
	}
	conn, err := newToolConn(s.url, "laminate backup")
	if err != nil {
		return snap, err
	}
	if snap.ToolVersion, err = toolVersion(ctx, pgDump); err != nil {
		return snap, err
	}
	if snap.ServerVersion, err = s.ServerVersion(ctx); err != nil {
		return snap, err
	}
	snap.Schema = s.schema
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	err = s.Snapshot(ctx, func(id string, sum Summary) error {
		snap.Summary = sum
		_, err := conn.run(ctx, pgDump, "--format=custom", "--schema="+schemaPattern(s.schema), "--strict-names",
			"--no-owner", "--no-privileges", "--no-password", "--lock-wait-timeout=60s",
			"--snapshot="+id, "--file="+path, "--dbname="+conn.uri)
		if err != nil && strings.Contains(err.Error(), "version mismatch") {
			err = versionError{err}
		}
		return err
	})
	if err != nil {
		return store.Snapshot{}, &DumpError{Schema: s.schema, ServerVersion: snap.ServerVersion, Err: err}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return store.Snapshot{}, err
	}
	return snap, nil
}

// CheckDump reads the table of contents of the custom-format dump file
// (pg_restore --list) and checks that it is a dump of the Laminate schema
// named schema. It returns the list, for [RestoreDump]. A dump made by a
// newer pg_dump than this pg_restore reads gives an error matching
// [ErrToolVersion].
func CheckDump(ctx context.Context, file, schema string) (string, error) {
	pgRestore, err := lookTool("pg_restore")
	if err != nil {
		return "", err
	}
	name := filepath.Base(file)
	c := &toolConn{env: toolEnv(os.Environ())}
	out, err := c.run(ctx, pgRestore, "--list", file)
	if err != nil {
		err = fmt.Errorf("%s: %w", name, err)
		if strings.Contains(err.Error(), "unsupported version") {
			err = versionError{err}
		}
		return "", err
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
		return "", fmt.Errorf("%s is not a dump of the Laminate schema %q", name, schema)
	}
	return string(out), nil
}

// RestoreTarget connects to the database of u and reports the schema that
// the URL's search_path names first (as PostgreSQL does, "$user" only when
// such a schema exists; "" if it names none), whether schema exists, and
// how many relations (tables, views, sequences, …) it holds. An error
// connecting names the URL with its password hidden (store.RedactURL).
func RestoreTarget(ctx context.Context, u, schema string) (target string, exists bool, objects int64, err error) {
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		return "", false, 0, errors.New("cannot parse the PostgreSQL URL (not shown, as it may hold a password)")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = ConnectTimeout
	}
	cfg.RuntimeParams["application_name"] = "laminate restore"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", false, 0, fmt.Errorf("%w: connecting to %s: %v", store.ErrUnavailable, store.RedactURL(u), err)
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
		return "", false, 0, nil
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

// RestoreDump restores the custom-format dump file, whose table of
// contents [CheckDump] returned as list, into the database of u with
// pg_restore in one transaction: if it fails, nothing is restored. With
// exists, the schema is there already (empty, as [RestoreTarget] found
// it) and is restored into rather than created.
func RestoreDump(ctx context.Context, u, file, list, schema string, exists bool) error {
	pgRestore, err := lookTool("pg_restore")
	if err != nil {
		return err
	}
	conn, err := newToolConn(u, "laminate restore")
	if err != nil {
		return err
	}
	args := []string{"--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--no-password", "--dbname=" + conn.uri}
	if exists {
		f, err := os.CreateTemp("", "laminate-restore-*.list")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		_, err = f.WriteString(skipSchemaEntries(list, schema))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		args = append(args, "--use-list="+f.Name())
	}
	args = append(args, file)
	_, err = conn.run(ctx, pgRestore, args...)
	return err
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
