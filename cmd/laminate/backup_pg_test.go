package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/backup"
	"github.com/laminate/laminate/store/postgres"
)

// TestBackupRestorePostgres backs up a deployment on a PostgreSQL store
// while a real "laminate serve" node on it keeps issuing and revoking
// passes, restores the archive into a throwaway database, and checks the
// restored deployment: every pass and revocation answered before the
// backup began is there, nothing that was never issued is, the counts are
// those of the manifest (the dump is one snapshot), and the restored
// folder and store verify the passes the same way.
func TestBackupRestorePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "%s is not installed (Debian: postgresql-client): PostgreSQL backup not tested", tool)
		}
	}
	src := pgSchemaStore(t) // skips (or fails under LAMINATE_CI) without LAMINATE_TEST_POSTGRES
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	d := newDeployment(t, src)
	d.mustCLI(ctx, 0, "init")
	d.event(ctx, "ev")
	admin := d.token(ctx, "admin")
	n := d.start(ctx, 0)

	post := func(path string, body any) (map[string]any, error) {
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		status, raw, err := n.call(pctx, http.MethodPost, path, admin, body)
		if err != nil {
			return nil, err
		}
		if status/100 != 2 {
			return nil, fmt.Errorf("POST %s: %d %s", path, status, raw)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("POST %s: %v", path, err)
		}
		return m, nil
	}

	w := startPassWriter(post)
	w.waitFor(ctx, t, 10, &n.log)
	before := w.snapshot()

	archive := filepath.Join(d.dir, "pg-backup.tar.gz")
	_, errb, err := d.cli(ctx, 0, "backup", "--out", archive)
	if err != nil {
		t.Fatalf("backup while serving: %v\n%s", err, errb)
	}
	if !strings.Contains(string(errb), "wrote "+archive) {
		t.Errorf("backup said %q", errb)
	}
	w.waitFor(ctx, t, len(before)+3, &n.log) // the node kept issuing
	issued := w.finish(t)
	if !n.running() {
		t.Fatalf("the node stopped during the backup: %v\n%s", n.err, n.log.String())
	}
	all := map[string]bkIssued{}
	for _, p := range issued {
		all[p.serial] = p
	}

	m, names := readPGArchive(t, archive)
	srcURL, _ := url.Parse(src)
	schema := srcURL.Query().Get("search_path")
	if m.Store != backup.StorePostgres || m.Postgres == nil || m.Postgres.Schema != schema ||
		m.Postgres.ServerVersion == "" || !strings.HasPrefix(m.Postgres.PgDumpVersion, "pg_dump (PostgreSQL) ") {
		t.Errorf("manifest: store %q, postgres %+v; want postgres, schema %q and both versions", m.Store, m.Postgres, schema)
	}
	if !slices.Contains(names, backup.PgDumpName) || slices.Contains(names, backup.DatabaseName) || !slices.Contains(names, backup.KeyringName) {
		t.Errorf("archive holds %v, want %s and keys, no %s", names, backup.PgDumpName, backup.DatabaseName)
	}

	// Restore into a throwaway database, under the same schema name.
	base := os.Getenv("LAMINATE_TEST_POSTGRES")
	db := "lam_restore_" + randHex(6)
	if err := pgExec(ctx, base, "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pgExec(context.Background(), base, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping the restore database: %v", err)
		}
	})
	dst := *srcURL
	dst.Path = "/" + db
	restoreURL := dst.String()
	restored := filepath.Join(d.dir, "restored")
	lam := func(args ...string) ([]byte, []byte, error) {
		cctx, cancel := context.WithTimeout(ctx, cliTimeout)
		defer cancel()
		cmd := exec.CommandContext(cctx, d.bin, append([]string{"--data", restored, "--store", restoreURL}, args...)...)
		cmd.Env = childEnv()
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return []byte(out.String()), []byte(errb.String()), err
	}
	out, errb, err := lam("restore", archive)
	if err != nil {
		t.Fatalf("restore: %v\n%s%s", err, out, errb)
	}
	if !strings.Contains(string(out), fmt.Sprintf("schema %q", schema)) {
		t.Errorf("restore said %q", out)
	}
	if _, err := os.Stat(filepath.Join(restored, backup.PgDumpName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the restored data folder holds %s (%v)", backup.PgDumpName, err)
	}

	// The restored store: one consistent state, with everything answered
	// before the backup began.
	st, err := postgres.Open(ctx, restoreURL)
	if err != nil {
		t.Fatalf("restored store: %v", err)
	}
	defer st.Close()
	if st.Schema() != schema {
		t.Errorf("restored store opens schema %q, want %q", st.Schema(), schema)
	}
	sum, err := st.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Passes != m.Database.Passes || sum.Revocations != m.Database.Revocations || sum.Events != m.Database.Events {
		t.Errorf("restored counts %+v, manifest %+v: the dump and the counts are not one snapshot", sum, m.Database)
	}
	checkRestored(ctx, t, st, all, before)

	// The restored deployment verifies: a valid pass valid, the revoked
	// one revoked.
	var valid, lost *bkIssued
	for i := range before {
		switch p := &before[i]; {
		case p.revoked && lost == nil:
			lost = p
		case !p.revoked && valid == nil:
			valid = p
		}
	}
	for _, c := range []struct {
		p    *bkIssued
		want string
	}{{valid, `"status":"valid"`}, {lost, `"status":"revoked"`}} {
		out, errb, _ := lam("verify", c.p.token, "--json")
		if !strings.Contains(string(out), c.want) {
			t.Errorf("verify %s in the restored deployment = %s%s, want %s", c.p.serial, out, errb, c.want)
		}
	}

	// Restoring again into the same database is refused: the schema holds
	// tables now. Nothing changes.
	os.RemoveAll(restored)
	if out, errb, err := lam("restore", archive); err == nil || !strings.Contains(string(errb), "will not restore into schema") {
		t.Errorf("second restore: %v\n%s%s", err, out, errb)
	}
	if _, err := os.Stat(restored); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused restore left %s (%v)", restored, err)
	}
}

// readPGArchive reads the manifest and the entry names of a backup.
func readPGArchive(t *testing.T, path string) (*backup.Manifest, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var m *backup.Manifest
	var names []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if hdr.Name == backup.ManifestName {
			raw, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if m, err = backup.ParseManifest(raw); err != nil {
				t.Fatalf("manifest: %v\n%s", err, raw)
			}
		}
	}
	if m == nil {
		t.Fatalf("%s has no manifest", path)
	}
	return m, names
}
