package main

// The harness of the fault tests (fault_test.go): real "laminate serve"
// processes on loopback, each in its own process group so that SIGKILL
// reaches it whole, with their standard error read for the "serving on"
// line, short HTTP timeouts, and the CLI run beside them on the same data
// folder and store.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/store"
)

const (
	// startTimeout bounds how long a node may take to say "serving on".
	startTimeout = 30 * time.Second
	// cliTimeout bounds one CLI command.
	cliTimeout = 30 * time.Second
)

// skipOrFail skips, or fails under CI (LAMINATE_CI set, as .ci/run does),
// where a missing tool must not pass silently.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("LAMINATE_CI") != "" {
		t.Fatalf(format+" (LAMINATE_CI is set: failing instead of skipping)", args...)
	}
	t.Skipf(format, args...)
}

// laminateBin is the laminate command: testscript.Main (main_test.go) puts
// a copy of this test binary on PATH under that name for every test of the
// package, and the copy runs the CLI when started as "laminate".
func laminateBin(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("laminate")
	if err != nil {
		t.Fatalf("no laminate command on PATH (testscript.Main in TestMain puts it there): %v", err)
	}
	return p
}

// childEnv is the environment of every laminate process: no data folder,
// store or passphrase from the caller's environment, and no one-second
// pause at exit when the binary is built with -race.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "LAMINATE_DATA=") || strings.HasPrefix(kv, "LAMINATE_STORE=") ||
			strings.HasPrefix(kv, "LAMINATE_KEY_PASSPHRASE=") || strings.HasPrefix(kv, "GORACE=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LAMINATE_KEY_PASSPHRASE=", "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// deployment is one Laminate deployment: a store (the first data folder's
// own SQLite file when store is "") and the data folders of its nodes.
type deployment struct {
	t     testing.TB
	bin   string
	dir   string
	store string // --store URL, or "" for the data folder's own file
}

func newDeployment(t testing.TB, store string) *deployment {
	return &deployment{t: t, bin: laminateBin(t), dir: t.TempDir(), store: store}
}

// data is the data folder of node i.
func (d *deployment) data(i int) string { return filepath.Join(d.dir, fmt.Sprintf("node%d", i)) }

// cli runs one laminate command on data folder i.
func (d *deployment) cli(ctx context.Context, i int, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	full := []string{"--data", d.data(i)}
	if d.store != "" {
		full = append(full, "--store", d.store)
	}
	cmd := exec.CommandContext(ctx, d.bin, append(full, args...)...)
	cmd.Env = childEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}

// mustCLI runs a laminate command that must succeed and returns its
// standard output.
func (d *deployment) mustCLI(ctx context.Context, i int, args ...string) []byte {
	d.t.Helper()
	out, errb, err := d.cli(ctx, i, args...)
	if err != nil {
		d.t.Fatalf("laminate %s: %v\n%s", strings.Join(args, " "), err, errb)
	}
	return out
}

// token creates an API token with role on node 0's folder.
func (d *deployment) token(ctx context.Context, role string) string {
	d.t.Helper()
	var v struct{ Token string }
	out := d.mustCLI(ctx, 0, "tokens", "create", "--role", role, "--name", "fault test "+role, "--json")
	if err := json.Unmarshal(out, &v); err != nil || v.Token == "" {
		d.t.Fatalf("tokens create --json printed %q: %v", out, err)
	}
	return v.Token
}

// event creates an event whose show starts in two hours: access is open
// from 10 hours ago to 11 hours from now.
func (d *deployment) event(ctx context.Context, id string) {
	d.t.Helper()
	start := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	d.mustCLI(ctx, 0, "event", "create", "--id", id, "--name", "Fault test "+id,
		"--start", start.Format(time.RFC3339), "--end", start.Add(3*time.Hour).Format(time.RFC3339))
}

// issuedPass is what the fault tests keep of a pass.
type issuedPass struct {
	Serial string `json:"serial"`
	Name   string `json:"name"`
	Token  string `json:"token"`
}

// passes lists the passes of an event, reading the store from this
// process as the CLI would (faster than starting "laminate passes list").
func (d *deployment) passes(ctx context.Context, event string) []issuedPass {
	d.t.Helper()
	u := d.store
	if u == "" {
		u = "sqlite:" + filepath.Join(d.data(0), dbFile)
	}
	st, err := openStore(ctx, u)
	if err != nil {
		d.t.Fatal(err)
	}
	defer st.Close()
	ps, err := st.Passes(ctx, store.PassFilter{Event: event})
	if err != nil {
		d.t.Fatal(err)
	}
	var out []issuedPass
	for _, p := range ps {
		out = append(out, issuedPass{Serial: string(p.Serial), Name: p.Name, Token: p.Token})
	}
	return out
}

// issueAAA issues n AAA passes through "laminate issue --csv".
func (d *deployment) issueAAA(ctx context.Context, event string, n int) []issuedPass {
	d.t.Helper()
	var csv strings.Builder
	csv.WriteString("name,type\n")
	for i := range n {
		fmt.Fprintf(&csv, "Door Test %02d,AAA\n", i)
	}
	f := filepath.Join(d.dir, "aaa-"+event+".csv")
	if err := os.WriteFile(f, []byte(csv.String()), 0o600); err != nil {
		d.t.Fatal(err)
	}
	ps := decodeLines[issuedPass](d.t, d.mustCLI(ctx, 0, "issue", "--event", event, "--csv", f, "--json"))
	if len(ps) != n {
		d.t.Fatalf("issue --csv: %d passes, want %d", len(ps), n)
	}
	return ps
}

func decodeLines[T any](t testing.TB, out []byte) []T {
	t.Helper()
	var vs []T
	for line := range bytes.Lines(out) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		vs = append(vs, v)
	}
	return vs
}

// logTail keeps the last lines a process wrote, for failure messages.
type logTail struct {
	mu    sync.Mutex
	lines []string
}

const tailLines = 60

func (tl *logTail) add(line string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.lines = append(tl.lines, line)
	if len(tl.lines) > 2*tailLines {
		tl.lines = slices.Clone(tl.lines[len(tl.lines)-tailLines:])
	}
}

func (tl *logTail) String() string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return strings.Join(tl.lines[max(0, len(tl.lines)-tailLines):], "\n")
}

// proc is one running "laminate serve" process.
type proc struct {
	t      testing.TB
	d      *deployment
	i      int // data folder number
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	client *http.Client
	log    logTail
	race   []string // a race report in the node's standard error
	raceMu sync.Mutex
	exited chan struct{}
	err    error // the process's exit, once exited is closed
}

// running reports whether the process is still there.
func (n *proc) running() bool {
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// apiError is the error shape of the API.
type apiError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// call sends one request: body is JSON-encoded unless it is a []byte
// (sent as text/csv). It returns the status and the body; err is a
// transport failure (no answer).
func (n *proc) call(ctx context.Context, method, path, bearer string, body any) (int, []byte, error) {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "text/csv"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		rd, ctype = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, n.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err // cut off mid-answer: not an answer
	}
	return resp.StatusCode, raw, nil
}

// get is a GET that must answer 200 with JSON, decoded into out.
func (n *proc) get(ctx context.Context, path, bearer string, out any) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	status, raw, err := n.call(ctx, http.MethodGet, path, bearer, nil)
	if err != nil || status != http.StatusOK {
		n.t.Fatalf("GET %s: %d %s %v\n%s", path, status, raw, err, n.log.String())
	}
	if err := json.Unmarshal(raw, out); err != nil {
		n.t.Fatalf("GET %s: %v", path, err)
	}
}

// readyStatus is the status of GET /readyz, 0 with no answer.
func (n *proc) readyStatus(ctx context.Context, timeout time.Duration) int {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	status, _, err := n.call(ctx, http.MethodGet, "/readyz", "", nil)
	if err != nil {
		return 0
	}
	return status
}

// waitReady polls /readyz until it answers want, for at most limit, and
// returns how long that took.
func (n *proc) waitReady(ctx context.Context, want int, limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if n.readyStatus(ctx, 5*time.Second) == want {
			return time.Since(start), true
		}
		if time.Since(start) > limit {
			return time.Since(start), false
		}
		select {
		case <-ctx.Done():
			return time.Since(start), false
		case <-tick.C:
		}
	}
}

// scanBody is the body of POST /v1/scans.
type scanBody struct {
	Token     string    `json:"token"`
	Gate      string    `json:"gate"`
	Zone      string    `json:"zone"`
	Direction string    `json:"direction"`
	ScanID    string    `json:"scan_id"`
	At        time.Time `json:"at,omitzero"` // zero: the server times the scan
}

// scanAnswer is what a door keeps of the answer.
type scanAnswer struct {
	ScanID   string `json:"scan_id"`
	Decision string `json:"decision"`
	Code     string `json:"code"`
	Replayed bool   `json:"replayed"`
}

// scan sends one scan. answered is false when no answer came back (the
// node died, or the request timed out); status and the error code are set
// for an answer that is not 200.
func (n *proc) scan(ctx context.Context, bearer string, b scanBody, timeout time.Duration) (a scanAnswer, status int, code string, answered bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	status, raw, err := n.call(ctx, http.MethodPost, "/v1/scans", bearer, b)
	if err != nil {
		return a, 0, "", false
	}
	if status != http.StatusOK {
		var e apiError
		json.Unmarshal(raw, &e)
		return a, status, e.Error.Code, true
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		n.t.Errorf("POST /v1/scans: 200 with %q: %v", raw, err)
	}
	return a, status, "", true
}

// storedScan is one scan in a pass's history (GET /v1/passes/{serial}).
type storedScan struct {
	ScanID    string    `json:"scan_id"`
	Gate      string    `json:"gate"`
	Direction string    `json:"direction"`
	Decision  string    `json:"decision"`
	Code      string    `json:"code"`
	At        time.Time `json:"at"`
}

// history is the stored scan history of a pass, in the store's order.
func (n *proc) history(ctx context.Context, bearer, serial string) []storedScan {
	n.t.Helper()
	var p struct{ Scans []storedScan }
	n.get(ctx, "/v1/passes/"+serial, bearer, &p)
	return p.Scans
}

// PostgreSQL.

// postgresStore reports whether this build has the PostgreSQL store: until
// store/postgres lands, --store postgres://… answers "not built yet".
var postgresStore = sync.OnceValues(func() (bool, string) {
	bin, err := exec.LookPath("laminate")
	if err != nil {
		return false, err.Error()
	}
	dir, err := os.MkdirTemp("", "laminate-pgprobe")
	if err != nil {
		return false, err.Error()
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	// Port 1 refuses at once: a built store fails to connect, an unbuilt
	// one says so before trying.
	cmd := exec.CommandContext(ctx, bin, "--data", filepath.Join(dir, "d"), "--store",
		"postgres://laminate-probe@127.0.0.1:1/probe?sslmode=disable&connect_timeout=2", "passes", "list")
	cmd.Env = childEnv()
	out, _ := cmd.CombinedOutput()
	if bytes.Contains(out, []byte("not built yet")) {
		return false, strings.TrimSpace(string(out))
	}
	return true, ""
})

// requirePostgresStore skips a test when the PostgreSQL store is not built.
func requirePostgresStore(t testing.TB) {
	t.Helper()
	if ok, why := postgresStore(); !ok {
		t.Skipf("the PostgreSQL store is not built yet (%s)", why)
	}
}

// pgExec runs one statement on the PostgreSQL database at u.
func pgExec(ctx context.Context, u, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// pgSchemaStore makes a fresh schema in the database of
// LAMINATE_TEST_POSTGRES, dropped when the test ends, and returns the store
// URL that uses it. It skips when the variable is not set or the store is
// not built.
func pgSchemaStore(t testing.TB) string {
	t.Helper()
	base := os.Getenv("LAMINATE_TEST_POSTGRES")
	if base == "" {
		skipOrFail(t, "LAMINATE_TEST_POSTGRES is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable): PostgreSQL variant not run")
	}
	requirePostgresStore(t)
	schema := "lam_fault_" + randHex(6)
	if err := pgExec(context.Background(), base, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	// Registered before any node starts, so it runs after they are killed.
	t.Cleanup(func() {
		if err := pgExec(context.Background(), base, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping the test schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("LAMINATE_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// pgCluster is a throwaway PostgreSQL cluster (Debian's postgresql-common)
// that a test may stop and start; never the machine's main cluster.
type pgCluster struct {
	t         testing.TB
	ver, name string
	port      int
}

// newPGCluster creates and starts a cluster on a free port, dropped when
// the test ends.
func newPGCluster(t testing.TB) *pgCluster {
	t.Helper()
	for _, tool := range []string{"pg_createcluster", "pg_ctlcluster", "pg_dropcluster"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "%s is not installed (Debian's postgresql-common): no throwaway PostgreSQL cluster to stop", tool)
		}
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "not root: pg_createcluster needs root to make a throwaway cluster")
	}
	vers, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(vers) == 0 {
		skipOrFail(t, "no PostgreSQL server under /usr/lib/postgresql")
	}
	// The newest major version installed.
	slices.SortFunc(vers, func(a, b string) int {
		va, vb := filepath.Base(filepath.Dir(filepath.Dir(a))), filepath.Base(filepath.Dir(filepath.Dir(b)))
		if len(va) != len(vb) {
			return len(va) - len(vb)
		}
		return strings.Compare(va, vb)
	})
	c := &pgCluster{t: t, ver: filepath.Base(filepath.Dir(filepath.Dir(vers[len(vers)-1]))), name: "lamfault" + randHex(4), port: freeLoopbackPort(t)}
	ctx := context.Background()
	if err := c.ctl(ctx, "pg_createcluster", c.ver, c.name, "-p", fmt.Sprint(c.port), "--", "--auth=trust"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.ctl(context.Background(), "pg_dropcluster", "--stop", c.ver, c.name); err != nil {
			t.Errorf("dropping the throwaway cluster: %v", err)
		}
	})
	if err := c.start(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *pgCluster) ctl(ctx context.Context, tool string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", tool, strings.Join(args, " "), err, out)
	}
	return nil
}

func (c *pgCluster) start(ctx context.Context) error {
	return c.ctl(ctx, "pg_ctlcluster", "--skip-systemctl-redirect", c.ver, c.name, "start")
}

func (c *pgCluster) stop(ctx context.Context) error {
	return c.ctl(ctx, "pg_ctlcluster", "--skip-systemctl-redirect", c.ver, c.name, "stop", "-m", "fast")
}

func (c *pgCluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

func freeLoopbackPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// watchWrites reports the first time the file at path changes (size or
// modification time) after the call, polling until ctx ends.
func watchWrites(ctx context.Context, path string) <-chan time.Time {
	ch := make(chan time.Time, 1)
	fi0, err0 := os.Stat(path)
	go func() {
		tick := time.NewTicker(500 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			fi, err := os.Stat(path)
			if err != nil {
				continue
			}
			if err0 != nil || fi.Size() != fi0.Size() || !fi.ModTime().Equal(fi0.ModTime()) {
				ch <- time.Now()
				return
			}
		}
	}()
	return ch
}
