package main

import (
	"context"
	"os"
	"path/filepath"
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
	c, err := libpqConn("postgres://laminate:url-secret@db.example/lam?sslmode=require", "laminate-test")
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
