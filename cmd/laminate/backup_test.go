package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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
