package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
)

// bkRun runs the CLI in this process and fails the test unless it exits 0.
func bkRun(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("laminate %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// bkEnv is the environment of a laminate child process: nothing of the
// caller's LAMINATE_ settings, and no pause at exit under -race.
func bkEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "LAMINATE_") || strings.HasPrefix(kv, "GORACE=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LAMINATE_KEY_PASSPHRASE=", "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
}

// bkLog keeps a child's log lines, for a failure message.
type bkLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *bkLog) add(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }

func (l *bkLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

type bkIssued struct {
	serial, token string
	revoked       bool
}

// TestBackupWhileServing backs up a data folder while a real `laminate
// serve` process on it issues and revokes passes over HTTP, restores the
// archive, and checks that the restored database is one consistent state:
// every pass and revocation answered before the backup began is there,
// each with its audit row, nothing is there that was never issued, and
// the restored folder verifies the passes.
func TestBackupWhileServing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	t.Setenv("LAMINATE_KEY_PASSPHRASE", "")
	t.Setenv("LAMINATE_STORE", "")
	bin, err := exec.LookPath("laminate") // put on PATH by testscript.Main
	if err != nil {
		t.Fatalf("no laminate command on PATH: %v", err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	bkRun(t, "--data", data, "init")
	bkRun(t, "--data", data, "event", "create", "--id", "ev", "--name", "Show",
		"--start", "2027-06-12T20:00:00+01:00", "--end", "2027-06-12T22:30:00+01:00")
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(bkRun(t, "--data", data, "tokens", "create", "--role", "admin", "--name", "backup test", "--json")), &tok); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "--data", data, "serve", "--addr", "127.0.0.1:0", "--verify-rate", "0")
	srv.Env = bkEnv()
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	defer func() {
		srv.Process.Signal(os.Interrupt)
		<-served
	}()
	addrc := make(chan string, 1)
	var logs bkLog
	go func() {
		re := regexp.MustCompile(`serving on (http://\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
			logs.add(sc.Text())
		}
		served <- srv.Wait()
	}()
	var base string
	select {
	case base = <-addrc:
	case err := <-served:
		served <- err
		t.Fatalf("laminate serve stopped: %v\n%s", err, logs.String())
	}

	post := func(path string, body any) (map[string]any, error) {
		b, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, "POST", base+path, bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			return nil, fmt.Errorf("POST %s: %s: %v", path, resp.Status, err)
		}
		if resp.StatusCode/100 != 2 {
			return nil, fmt.Errorf("POST %s: %s: %v", path, resp.Status, m)
		}
		return m, nil
	}

	w := startPassWriter(post)
	w.waitFor(ctx, t, 10, &logs)
	before := w.snapshot()
	archive := filepath.Join(dir, "backup.tar.gz")
	var out, errb bytes.Buffer
	if code := run([]string{"--data", data, "backup", "--out", archive}, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("backup while serving: exit %d\n%s", code, errb.String())
	}
	w.waitFor(ctx, t, len(before)+3, &logs) // the server kept going
	all := map[string]bkIssued{}
	for _, p := range w.finish(t) {
		all[p.serial] = p
	}

	restored := filepath.Join(dir, "restored")
	bkRun(t, "--data", restored, "restore", archive)

	st, err := sqlite.Open(ctx, filepath.Join(restored, dbFile))
	if err != nil {
		t.Fatalf("restored database: Open() error = %v", err)
	}
	defer st.Close()
	if err := st.Check(ctx); err != nil {
		t.Fatalf("restored database: Check() error = %v", err)
	}
	checkRestored(ctx, t, st, all, before)

	// The restored folder verifies with its own keys and revocations.
	for _, p := range before[:2] {
		var out bytes.Buffer
		run([]string{"--data", restored, "verify", p.token, "--at", "2027-06-12T21:00:00+01:00", "--json"}, strings.NewReader(""), &out, io.Discard)
		want := `"status":"valid"`
		if p.revoked {
			want = `"status":"revoked"`
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("verify %s in the restored folder = %s, want %s", p.serial, out.String(), want)
		}
	}
}

// bkEntry is one entry of a hand-made archive.
type bkEntry struct {
	hdr  tar.Header
	body []byte
}

// bkBackup makes a data folder with a few passes and backs it up; it
// returns the archive's entries.
func bkBackup(t *testing.T) []bkEntry {
	t.Helper()
	t.Setenv("LAMINATE_KEY_PASSPHRASE", "")
	t.Setenv("LAMINATE_STORE", "")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	bkRun(t, "--data", data, "init")
	bkRun(t, "--data", data, "event", "create", "--id", "ev", "--name", "Show",
		"--start", "2027-06-12T20:00:00+01:00", "--end", "2027-06-12T22:30:00+01:00")
	bkRun(t, "--data", data, "issue", "--event", "ev", "--type", "AAA", "--name", "A")
	archive := filepath.Join(dir, "b.tar.gz")
	var errb bytes.Buffer
	if code := run([]string{"--data", data, "backup", "--out", archive}, strings.NewReader(""), io.Discard, &errb); code != exitOK {
		t.Fatalf("backup: exit %d\n%s", code, errb.String())
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var es []bkEntry
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return es
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, bkEntry{*hdr, b})
	}
}

// bkWrite writes entries as an archive. With fix, the manifest (the first
// entry) is rewritten to match the other entries' sizes and checksums, so
// that only the change under test is wrong.
func bkWrite(t *testing.T, path string, es []bkEntry, fix bool) {
	t.Helper()
	if fix {
		var m manifest
		if err := json.Unmarshal(es[0].body, &m); err != nil {
			t.Fatal(err)
		}
		m.Files = nil
		for _, e := range es[1:] {
			sum := sha256.Sum256(e.body)
			m.Files = append(m.Files, manifestFile{Name: e.hdr.Name, Size: int64(len(e.body)), SHA256: hex.EncodeToString(sum[:])})
		}
		es[0].body, _ = json.Marshal(m)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range es {
		hdr := e.hdr
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func bkIndex(es []bkEntry, name string) int {
	for i, e := range es {
		if e.hdr.Name == name {
			return i
		}
	}
	return -1
}

// bkSQL changes a copy of a database file with raw SQL.
func bkSQL(t *testing.T, db []byte, stmts ...string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.db")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := h.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRestoreRefuses(t *testing.T) {
	good := bkBackup(t)
	if good[0].hdr.Name != manifestName {
		t.Fatalf("first entry %q, want %s", good[0].hdr.Name, manifestName)
	}
	clone := func() []bkEntry {
		es := make([]bkEntry, len(good))
		for i, e := range good {
			es[i] = bkEntry{e.hdr, bytes.Clone(e.body)}
		}
		return es
	}
	reg := func(name string, body string) bkEntry {
		return bkEntry{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600}, []byte(body)}
	}
	tests := []struct {
		name   string
		change func(es []bkEntry) []bkEntry
		fix    bool   // rewrite the manifest to match
		want   string // in the error
	}{
		{"ok/as-made", func(es []bkEntry) []bkEntry { return es }, false, ""},
		{"fail/checksum", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, configFile)
			es[i].body = bytes.Replace(es[i].body, []byte(`"lam"`), []byte(`"LAM"`), 1)
			return es
		}, false, "SHA-256 of laminate.json does not match"},
		{"fail/size", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, configFile)
			es[i].body = append(es[i].body, ' ')
			return es
		}, false, "laminate.json is 38 bytes, the manifest says 37"},
		{"fail/missing-file", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, dbFile)
			return append(es[:i], es[i+1:]...)
		}, false, "laminate.db is missing"},
		{"fail/manifest-not-first", func(es []bkEntry) []bkEntry {
			es[0], es[1] = es[1], es[0]
			return es
		}, false, "not a Laminate backup"},
		{"fail/dot-dot", func(es []bkEntry) []bkEntry {
			return append(es, reg("../escape", "x"))
		}, true, `"../escape", which has no place in a data folder`},
		{"fail/dot-dot-in-keys", func(es []bkEntry) []bkEntry {
			return append(es, reg("keys/../../escape.key", "x"))
		}, true, "has no place in a data folder"},
		{"fail/absolute", func(es []bkEntry) []bkEntry {
			return append(es, reg("/tmp/laminate-escape", "x"))
		}, true, "has no place in a data folder"},
		{"fail/unlisted-entry", func(es []bkEntry) []bkEntry {
			es = append(es, reg("keys/zzzzzz.key", "x"))
			return es
		}, false, `entry "keys/zzzzzz.key" is not in the manifest`},
		{"fail/twice", func(es []bkEntry) []bkEntry {
			return append(es, es[bkIndex(es, configFile)])
		}, false, "comes twice"},
		{"fail/symlink", func(es []bkEntry) []bkEntry {
			return append(es, bkEntry{tar.Header{Typeflag: tar.TypeSymlink, Name: "keys/artwork.secret", Linkname: "/etc/passwd"}, nil})
		}, false, "not a regular file"},
		{"fail/hardlink", func(es []bkEntry) []bkEntry {
			return append(es, bkEntry{tar.Header{Typeflag: tar.TypeLink, Name: "keys/artwork.secret", Linkname: "laminate.json"}, nil})
		}, false, "not a regular file"},
		{"fail/folder-entry", func(es []bkEntry) []bkEntry {
			return append(es, bkEntry{tar.Header{Typeflag: tar.TypeDir, Name: "keys/", Mode: 0o755}, nil})
		}, false, "not a regular file"},
		{"fail/too-large", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, configFile)
			es[i].body = bytes.Repeat([]byte(" "), 65<<10)
			return es
		}, true, "more than the 65536 a Laminate file may be"},
		{"fail/newer-format", func(es []bkEntry) []bkEntry {
			es[0].body = bytes.Replace(es[0].body, []byte(`"version": 1`), []byte(`"version": 2`), 1)
			return es
		}, false, "backup format version 2 is newer than this program knows (1)"},
		{"fail/other-format", func(es []bkEntry) []bkEntry {
			es[0].body = []byte(`{"format":"something-else","version":1}`)
			return es
		}, false, "not a Laminate backup"},
		{"fail/foreign-database", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, dbFile)
			es[i].body = bkSQL(t, nil, "PRAGMA application_id = 1234", "CREATE TABLE t (x)")
			return es
		}, true, "SQLite database of another program"},
		{"fail/newer-database", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, dbFile)
			es[i].body = bkSQL(t, es[i].body, "PRAGMA user_version = 99")
			return es
		}, true, "schema version 99"},
		{"fail/not-a-database", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, dbFile)
			es[i].body = []byte("hello")
			return es
		}, true, "not a SQLite database"},
		{"fail/damaged-keyring", func(es []bkEntry) []bkEntry {
			i := bkIndex(es, keyringName)
			es[i].body = []byte("{")
			return es
		}, true, "keyring.json"},
		{"fail/key-of-another-keyring", func(es []bkEntry) []bkEntry {
			other := bkBackup(t)
			for i, e := range es {
				if keyFileName.MatchString(e.hdr.Name) {
					for _, o := range other {
						if keyFileName.MatchString(o.hdr.Name) {
							es[i].body = o.body
						}
					}
				}
			}
			return es
		}, true, "active signing key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "b.tar.gz")
			bkWrite(t, archive, tc.change(clone()), tc.fix)
			target := filepath.Join(dir, "data")
			var out, errb bytes.Buffer
			code := run([]string{"--data", target, "restore", archive}, strings.NewReader(""), &out, &errb)
			if tc.want == "" {
				if code != exitOK {
					t.Fatalf("restore = exit %d, want 0\n%s", code, errb.String())
				}
				return
			}
			if code != exitFail || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("restore = exit %d, %q; want exit 1 and an error with %q", code, errb.String(), tc.want)
			}
			// Nothing placed, nothing left behind, nothing outside.
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("after a refused restore the folder holds %v, want only b.tar.gz", names)
			}
			if _, err := os.Lstat("/tmp/laminate-escape"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a restore wrote /tmp/laminate-escape")
			}
		})
	}
}

// TestBackupOfNoFolder: a backup that cannot start leaves nothing behind.
func TestBackupOfNoFolder(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "b.tar.gz")
	var errb bytes.Buffer
	code := run([]string{"--data", filepath.Join(dir, "none"), "backup", "--out", out}, strings.NewReader(""), io.Discard, &errb)
	if code != exitFail || !strings.Contains(errb.String(), "no Laminate data folder") {
		t.Errorf("backup of a missing folder = exit %d, %q", code, errb.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed backup left %d files", len(entries))
	}
}

// passWriter issues passes one by one through post (POST /v1/passes, every
// third one revoked) until stopped, so a backup can run while the database
// changes. issued holds what the server acknowledged, in order.
type passWriter struct {
	mu       sync.Mutex
	issued   []bkIssued
	stop     chan struct{}
	progress chan struct{}
	wrote    chan error
}

func startPassWriter(post func(path string, body any) (map[string]any, error)) *passWriter {
	w := &passWriter{stop: make(chan struct{}), progress: make(chan struct{}, 1), wrote: make(chan error, 1)}
	go func() {
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				w.wrote <- nil
				return
			default:
			}
			m, err := post("/v1/passes", map[string]string{"event": "ev", "type": "AAA", "name": fmt.Sprintf("Holder %d", i)})
			if err != nil {
				w.wrote <- err
				return
			}
			p := bkIssued{serial: fmt.Sprint(m["serial"]), token: fmt.Sprint(m["token"])}
			if i%3 == 0 {
				if _, err := post("/v1/passes/"+p.serial+"/revoke", map[string]string{"reason": "lost"}); err != nil {
					w.wrote <- err
					return
				}
				p.revoked = true
			}
			w.mu.Lock()
			w.issued = append(w.issued, p)
			w.mu.Unlock()
			select {
			case w.progress <- struct{}{}:
			default:
			}
		}
	}()
	return w
}

// waitFor waits until n passes are acknowledged; logs is shown if the
// writer fails.
func (w *passWriter) waitFor(ctx context.Context, t testing.TB, n int, logs fmt.Stringer) {
	t.Helper()
	for {
		if len(w.snapshot()) >= n {
			return
		}
		select {
		case <-w.progress:
		case err := <-w.wrote:
			t.Fatalf("writer stopped: %v\n%s", err, logs)
		case <-ctx.Done():
			t.Fatalf("waiting for %d passes: %v", n, ctx.Err())
		}
	}
}

// snapshot is a copy of what has been acknowledged so far.
func (w *passWriter) snapshot() []bkIssued {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.issued)
}

// finish stops the writer and returns everything acknowledged.
func (w *passWriter) finish(t testing.TB) []bkIssued {
	t.Helper()
	close(w.stop)
	if err := <-w.wrote; err != nil {
		t.Fatalf("writer: %v", err)
	}
	return w.snapshot()
}

// checkRestored checks a restored store against what a writer was told:
// every pass and revocation acknowledged before the backup began is there,
// nothing that was never issued is, and every row has its audit entry (the
// snapshot is one transaction). It returns how many passes it holds.
func checkRestored(ctx context.Context, t testing.TB, st store.Store, all map[string]bkIssued, before []bkIssued) int {
	t.Helper()
	passes, err := st.Passes(ctx, store.PassFilter{})
	if err != nil {
		t.Fatal(err)
	}
	revs, err := st.RevocationsSince(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := st.Audit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	audited := map[string]bool{}
	for _, e := range audit {
		audited[e.Action+" "+e.Subject] = true
	}
	inDB := map[string]bool{}
	for _, p := range passes {
		s := string(p.Serial)
		inDB[s] = true
		if _, ok := all[s]; !ok {
			t.Errorf("restored pass %s was never issued", s)
		}
		if !audited[store.ActionPassIssue+" "+s] {
			t.Errorf("restored pass %s has no %s audit row", s, store.ActionPassIssue)
		}
	}
	revoked := map[string]bool{}
	for _, r := range revs {
		s := string(r.Serial)
		revoked[s] = true
		if !inDB[s] {
			t.Errorf("restored revocation of %s, a pass not in the database", s)
		}
		if !audited[store.ActionPassRevoke+" "+s] {
			t.Errorf("restored revocation of %s has no %s audit row", s, store.ActionPassRevoke)
		}
	}
	for _, p := range before {
		if !inDB[p.serial] {
			t.Errorf("pass %s, acknowledged before the backup began, is not in it", p.serial)
		}
		if p.revoked && !revoked[p.serial] {
			t.Errorf("revocation of %s, acknowledged before the backup began, is not in it", p.serial)
		}
	}
	t.Logf("%d passes before the backup, %d in it, %d issued in all", len(before), len(passes), len(all))
	return len(passes)
}
