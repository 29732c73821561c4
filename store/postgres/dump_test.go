package postgres

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Issue 11, security 6: pg_dump and pg_restore get only the environment
// they need: PATH, HOME, the locale, libpq's PG* settings and the URL's
// password, never LAMINATE_KEY_PASSPHRASE or anything else of ours.
func TestPgToolEnvironment(t *testing.T) {
	t.Setenv("LAMINATE_KEY_PASSPHRASE", "the-key-passphrase")
	t.Setenv("LAMINATE_STORE", "postgres://u:store-secret@db/x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "cloud-secret")
	t.Setenv("PGSSLMODE", "verify-full")
	t.Setenv("PGPASSWORD", "stale")
	t.Setenv("LC_ALL", "C.UTF-8")
	t.Setenv("HOME", "/home/laminate")
	tool := filepath.Join(t.TempDir(), "pg_fake")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\nenv\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	c, err := newToolConn("postgres://laminate:url-secret@db.example/lam?sslmode=require", "laminate-test")
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.run(context.Background(), tool, "--list")
	if err != nil {
		t.Fatal(err)
	}
	version, err := toolVersion(context.Background(), tool) // "pg_dump --version" runs with the same environment
	if err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string]string{"run": string(out), "toolVersion": version} {
		vars := map[string]string{}
		for _, line := range strings.Split(env, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				vars[k] = v
			}
		}
		for _, gone := range []string{"LAMINATE_KEY_PASSPHRASE", "LAMINATE_STORE", "AWS_SECRET_ACCESS_KEY"} {
			if _, ok := vars[gone]; ok {
				t.Errorf("%s: the child got %s", name, gone)
			}
		}
		for _, secret := range []string{"the-key-passphrase", "store-secret", "cloud-secret"} {
			if strings.Contains(env, secret) {
				t.Errorf("%s: the child's environment holds %q", name, secret)
			}
		}
		want := map[string]string{"PGSSLMODE": "verify-full", "LC_ALL": "C.UTF-8", "HOME": "/home/laminate", "PATH": os.Getenv("PATH")}
		if name == "run" {
			want["PGPASSWORD"] = "url-secret" // the URL's, not the caller's stale one
		}
		for k, v := range want {
			if vars[k] != v {
				t.Errorf("%s: %s=%q, want %q", name, k, vars[k], v)
			}
		}
	}
}

// TestBackupLibpqConn: a store URL becomes a libpq URI for pg_dump and
// pg_restore without the password (it goes to PGPASSWORD) and without
// pgx's own parameters.
func TestBackupLibpqConn(t *testing.T) {
	c, err := newToolConn("postgres://lam:s3cret@db.tour.lan:5433/laminate?sslmode=verify-full&search_path=tour&pool_max_conns=8&connect_timeout=3&application_name=x", "laminate backup")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(c.uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if strings.Contains(c.uri, "s3cret") || u.User.Username() != "lam" || u.Host != "db.tour.lan:5433" || u.Path != "/laminate" {
		t.Errorf("uri = %s", c.uri)
	}
	if q.Get("sslmode") != "verify-full" || q.Get("connect_timeout") != "3" || q.Get("application_name") != "x" || q.Has("search_path") || q.Has("pool_max_conns") {
		t.Errorf("uri = %s: want sslmode, connect_timeout and application_name kept, search_path and pool_max_conns dropped", c.uri)
	}
	if !slices.Contains(c.env, "PGPASSWORD=s3cret") || c.secret != "s3cret" {
		t.Errorf("env has no PGPASSWORD=s3cret")
	}

	c, err = newToolConn("postgresql://lam@127.0.0.1/laminate?password=pw2", "laminate restore")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.uri, "pw2") || !slices.Contains(c.env, "PGPASSWORD=pw2") ||
		!strings.Contains(c.uri, "connect_timeout=10") || !strings.Contains(c.uri, "application_name=laminate+restore") {
		t.Errorf("uri = %s", c.uri)
	}
	if _, err := newToolConn("postgres://lam:pw@[bad", "x"); err == nil || strings.Contains(err.Error(), "pw") {
		t.Errorf("bad URL: %v", err)
	}

	for in, want := range map[string][]string{
		`"$user", public`:         {"$user", "public"},
		`Tour,"Mixed ""Q"" Case"`: {"tour", `Mixed "Q" Case`},
		` lam_x `:                 {"lam_x"},
		``:                        nil,
	} {
		if got := splitSearchPath(in); !slices.Equal(got, want) {
			t.Errorf("splitSearchPath(%q) = %q, want %q", in, got, want)
		}
	}
	if got := schemaPattern(`a"b*`); got != `"a""b*"` {
		t.Errorf("schemaPattern = %s", got)
	}
}

// TestToolErrors: a missing tool and a tool too old for the dump are
// errors package backup can tell apart (and give their hints).
func TestToolErrors(t *testing.T) {
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	err := CheckTools("postgres://u@db/x", "pg_dump", "pg_restore")
	if !errors.Is(err, ErrNoTool) || err.Error() != "pg_dump is not installed (or not on PATH): a PostgreSQL store is backed up and restored with PostgreSQL's own tools" {
		t.Errorf("CheckTools(no pg_dump) = %v, want %v", err, ErrNoTool)
	}
	fake := "#!/bin/sh\necho 'pg_restore: error: unsupported version (1.16) in file header' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "pg_restore"), []byte(fake), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = CheckDump(context.Background(), filepath.Join(t.TempDir(), "postgres.dump"), "public")
	if !errors.Is(err, ErrToolVersion) || !strings.HasPrefix(err.Error(), "postgres.dump: pg_restore failed (exit status 1):") {
		t.Errorf("CheckDump(newer dump) = %v, want %v", err, ErrToolVersion)
	}
	if err := CheckTools("postgres://u@db/x", "pg_restore"); err != nil {
		t.Errorf("CheckTools(pg_restore) = %v", err)
	}
	if err := CheckTools("mysql://u@db/x", "pg_restore"); err == nil || strings.Contains(err.Error(), "mysql") {
		t.Errorf("CheckTools(not PostgreSQL) = %v", err)
	}
}
