package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/server"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/postgres"
	"github.com/laminate/laminate/store/sqlite"
	"github.com/laminate/laminate/store/storetest"
	"github.com/laminate/laminate/verifier"
)

// env is a server with the dashboard mounted, on SQLite, with a clock
// the test moves; the event "ev" shows from base+1h to base+3h.
type env struct {
	t     testing.TB
	srv   *server.Server
	st    store.Store
	dash  *Dashboard
	ts    *httptest.Server
	clock *atomic.Int64 // shared by the nodes of one database
	base  time.Time
	ev    *pass.Event
	sg    *signer.Signer
	ring  *keys.Keyring
	peers []*env // every node of the database, this one first (node)
}

func (e *env) now() time.Time       { return time.Unix(0, e.clock.Load()).UTC() }
func (e *env) setNow(t time.Time)   { e.clock.Store(t.UnixNano()) }
func (e *env) show(d time.Duration) { e.setNow(e.ev.Schedule.ShowStart.Add(d)) }

func newEnv(t testing.TB, pol *pass.Policy, cfg Config) *env {
	t.Helper()
	return newEnvWith(t, pol, cfg)
}

// newEnvWith is newEnv with more surfaces mounted beside the dashboard.
func newEnvWith(t testing.TB, pol *pass.Policy, cfg Config, more ...httpkit.Surface) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/laminate.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, st, pol, cfg, more...)
}

// newEnvOn is newEnv on st, a new database.
func newEnvOn(t testing.TB, st store.Store, pol *pass.Policy, cfg Config, more ...httpkit.Surface) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, base: time.Date(2027, 3, 5, 18, 0, 0, 0, time.UTC), clock: new(atomic.Int64)}
	e.setNow(e.base)
	ring, err := keys.Init(t.TempDir(), keys.EdDSA, nil, e.base)
	if err != nil {
		t.Fatal(err)
	}
	e.ring = ring
	e.ev = &pass.Event{ID: "ev", Name: "Show", Policy: pol, Schedule: pass.Schedule{
		ShowStart: e.base.Add(time.Hour), ShowEnd: e.base.Add(3 * time.Hour)}}
	if err := e.ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateEvent(ctx, e.ev, "test"); err != nil {
		t.Fatal(err)
	}
	js, key, _ := ring.Signer(nil)
	e.sg = signer.New(js, key.KID, "lam")
	e.sg.Now = func() time.Time { return e.base }
	e.start(st, cfg, more...)
	return e
}

// node is another node of e's database, on its own handle st: its own
// server and dashboard, the same keys and clock.
func (e *env) node(st store.Store, cfg Config) *env {
	e.t.Helper()
	n := &env{t: e.t, base: e.base, clock: e.clock, ev: e.ev, sg: e.sg, ring: e.ring}
	n.start(st, cfg)
	e.peers = append(e.peers, n)
	return n
}

// start runs e's server with its dashboard (and more surfaces) on st.
func (e *env) start(st store.Store, cfg Config, more ...httpkit.Surface) {
	t := e.t
	e.st = st
	e.peers = []*env{e}
	revs := verifier.NewRevocationSet()
	v, _ := verifier.New(verifier.Config{Keys: e.ring, Revocations: revs})
	cfg.Now = e.now
	e.dash = New(cfg)
	e.srv = server.New(server.Config{Store: st, Keys: e.ring, Verifier: v, Revocations: revs, Now: e.now,
		ArtworkSecret: []byte("0123456789abcdef0123456789abcdef"), Signer: e.sg, Surfaces: append([]httpkit.Surface{e.dash}, more...)})
	if err := e.srv.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.ts.Close)
	t.Cleanup(e.dash.stop)
}

func (e *env) passes(typ pass.Type, n int) []store.Issued {
	e.t.Helper()
	reqs := make([]signer.Request, n)
	for i := range reqs {
		reqs[i] = signer.Request{Type: typ, Name: fmt.Sprintf("%s Holder %d", typ.Label(), i), Org: "Press Co"}
	}
	return e.issue(reqs)
}

// issue issues reqs and lets every node know them.
func (e *env) issue(reqs []signer.Request) []store.Issued {
	e.t.Helper()
	issued, err := issue.Batch(context.Background(), e.sg, e.st, e.ev, reqs, "test", issue.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, n := range e.peers {
		if err := n.srv.SyncOnce(context.Background()); err != nil {
			e.t.Fatal(err)
		}
	}
	return issued
}

func (e *env) token(role string) string {
	e.t.Helper()
	tok, rec, err := server.NewToken(role, role+" test", e.base)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.CreateAPIToken(context.Background(), &rec, "test"); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

var scanN atomic.Int64

// scan posts a scan and returns the door's answer.
func (e *env) scan(auth, token, gate, zone, dir string) server.ScanResponse {
	e.t.Helper()
	body, _ := json.Marshal(server.ScanRequest{Token: token, Gate: gate, Zone: zone, Direction: dir, ScanID: fmt.Sprintf("scan-%d", scanN.Add(1))})
	r := e.do(auth, "POST", "/v1/scans", string(body))
	var out server.ScanResponse
	if r.StatusCode != 200 || json.NewDecoder(r.Body).Decode(&out) != nil {
		e.t.Fatalf("scan: HTTP %d", r.StatusCode)
	}
	r.Body.Close()
	return out
}

func (e *env) do(auth, method, path, body string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+auth)
	req.Header.Set("Content-Type", "application/json")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// stream is an open /live stream.
type stream struct {
	resp  *http.Response
	snaps chan *Snapshot
}

func (e *env) live(auth string) *stream {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+"/v1/events/ev/live", nil)
	req.Header.Set("Authorization", "Bearer "+auth)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.StatusCode != 200 {
		b, _ := io.ReadAll(r.Body)
		e.t.Fatalf("live: HTTP %d %s", r.StatusCode, b)
	}
	s := &stream{resp: r, snaps: make(chan *Snapshot, 1000)}
	e.t.Cleanup(func() { r.Body.Close() })
	go func() {
		defer close(s.snaps)
		sc := bufio.NewScanner(r.Body)
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		var event string
		var doors []DoorView
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				event = ev
			}
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var snap Snapshot
				if json.Unmarshal([]byte(d), &snap) != nil {
					continue
				}
				if event == "update" { // no doors: the last ones stand
					snap.Doors = doors
				}
				doors = snap.Doors
				s.snaps <- &snap
			}
		}
	}()
	return s
}

// until waits for a snapshot that ok accepts.
func (s *stream) until(t testing.TB, what string, ok func(*Snapshot) bool) *Snapshot {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case snap, open := <-s.snaps:
			if !open {
				t.Fatalf("stream closed waiting for %s", what)
			}
			if ok(snap) {
				return snap
			}
		case <-deadline:
			t.Fatalf("no snapshot with %s", what)
		}
	}
}

func zoneOf(s *Snapshot, z string) ZoneView {
	for _, v := range s.Zones {
		if v.Zone == z {
			return v
		}
	}
	return ZoneView{}
}

func TestLiveStreamShowsScan(t *testing.T) {
	pol := pass.DefaultPolicy()
	if err := pol.SetCapacity("stage", pass.ZoneCapacity{Max: 4, WhenFull: pass.FullDeny}); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, pol, Config{})
	ps := e.passes(pass.AAA, 2)
	e.show(30 * time.Minute)
	scanner, stage := e.token(server.RoleScanner), e.token(server.RoleStage)
	s := e.live(stage)
	first := s.until(t, "the first snapshot", func(*Snapshot) bool { return true })
	if z := zoneOf(first, "stage"); z.Inside != 0 || z.Capacity != 4 {
		t.Fatalf("first snapshot stage = %+v, want empty, capacity 4", z)
	}
	if a := e.scan(scanner, ps[0].Token, "north", "stage", "in"); a.Decision != record.Admit {
		t.Fatalf("scan: %+v", a)
	}
	snap := s.until(t, "the scan", func(s *Snapshot) bool { return zoneOf(s, "stage").Inside == 1 && len(s.Doors) > 0 })
	z := zoneOf(snap, "stage")
	if z.In5 != 1 || z.In15 != 1 || z.Percent != 25 || z.Full {
		t.Errorf("stage after one scan in = %+v, want 1 in, 25%%", z)
	}
	if len(snap.Doors) != 1 || snap.Doors[0].Gate != "north" || !snap.Doors[0].Online || snap.Doors[0].Scans15 != 1 {
		t.Errorf("doors = %+v, want north online with 1 scan", snap.Doors)
	}
	// A heartbeat tells the door's revocation data age.
	r := e.do(scanner, "POST", "/v1/events/ev/heartbeat", `{"gate":"north","revocation_age_s":3}`)
	if r.StatusCode != http.StatusNoContent {
		t.Fatalf("heartbeat: HTTP %d", r.StatusCode)
	}
	s.until(t, "the heartbeat", func(s *Snapshot) bool {
		return len(s.Doors) == 1 && s.Doors[0].RevocationAge != nil && *s.Doors[0].RevocationAge == 3
	})
	// An issuer token may not watch.
	req, _ := http.NewRequest("GET", e.ts.URL+"/v1/events/ev/live", nil)
	req.Header.Set("Authorization", "Bearer "+e.token(server.RoleIssuer))
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusForbidden {
		t.Errorf("live with an issuer token: %v %v, want 403", r.StatusCode, err)
	}
	if h := s.resp.Header; h.Get("Content-Type") != "text/event-stream" || h.Get("X-Accel-Buffering") != "no" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("stream headers = %v", h)
	}
}

// A client that does not take its snapshots is dropped; scans and the
// other clients carry on.
func TestSlowClientDropped(t *testing.T) {
	e := newEnv(t, nil, Config{ClientBuffer: 1, MinInterval: time.Millisecond})
	ps := e.passes(pass.AAA, 6)
	e.show(30 * time.Minute)
	scanner := e.token(server.RoleScanner)
	fast := e.live(scanner)
	fast.until(t, "the first snapshot", func(*Snapshot) bool { return true })
	r, slow := e.dash.join("ev") // never read
	defer e.dash.leave(r, slow)
	for i, p := range ps {
		e.scan(scanner, p.Token, "north", "stage", "in")
		fast.until(t, fmt.Sprintf("scan %d", i), func(s *Snapshot) bool { return zoneOf(s, "stage").Inside == i+1 })
	}
	select {
	case <-slow.gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow client was not dropped")
	}
	if n := e.dash.clients(); n != 1 {
		t.Errorf("%d clients left, want the fast one", n)
	}
}

func TestClearList(t *testing.T) {
	e := newEnv(t, nil, Config{})
	ph := e.passes(pass.Photo, 3)
	scanner, stage := e.token(server.RoleScanner), e.token(server.RoleStage)
	e.show(2 * time.Minute) // the photo window: first songs
	for _, p := range ph {
		if a := e.scan(scanner, p.Token, "pit", "photo-pit", "in"); a.Decision != record.Admit {
			t.Fatalf("photo pass in: %+v", a)
		}
	}
	list := func() ClearResponse {
		t.Helper()
		r := e.do(scanner, "GET", "/v1/events/ev/clear?zone=photo-pit", "")
		defer r.Body.Close()
		var c ClearResponse
		if r.StatusCode != 200 || json.NewDecoder(r.Body).Decode(&c) != nil {
			t.Fatalf("clear: HTTP %d", r.StatusCode)
		}
		return c
	}
	if c := list(); len(c.Passes) != 0 || c.GraceSeconds != 120 {
		t.Fatalf("clear list in the photo window = %+v, want empty, grace 120", c)
	}
	// "Song 3 ended": the stage manager's cue closes the window.
	e.show(6 * time.Minute)
	body := fmt.Sprintf(`{"cue":"photo_closed","at":%q}`, e.now().Format(time.RFC3339Nano))
	if r := e.do(stage, "POST", "/v1/events/ev/cues", body); r.StatusCode != 200 {
		t.Fatalf("cue: HTTP %d", r.StatusCode)
	}
	c := list()
	if len(c.Passes) != 3 || c.Passes[0].Name == "" || c.Passes[0].Org != "Press Co" || c.Passes[0].Type != pass.Photo || c.Passes[0].Overdue {
		t.Fatalf("clear list after the cue = %+v, want the 3 photo passes, not overdue", c.Passes)
	}
	// One scans out: dropped from the list.
	e.scan(scanner, ph[0].Token, "pit", "photo-pit", "out")
	if c := list(); len(c.Passes) != 2 {
		t.Fatalf("clear list after one out = %d passes, want 2", len(c.Passes))
	}
	stillInside := func() int {
		as, err := e.st.Alerts(context.Background(), store.AlertFilter{Event: "ev"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range as {
			if a.Kind == record.AlertStillInside {
				n++
			}
		}
		return n
	}
	// Within the grace period: no alert.
	e.show(7 * time.Minute)
	if err := e.dash.clearAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := stillInside(); n != 0 {
		t.Fatalf("%d still_inside alerts within the grace period, want 0", n)
	}
	// Past it: one alert per pass still inside, once however often looked.
	e.show(9 * time.Minute)
	e.dash.raised = raisedSet{m: map[string]time.Time{}} // another node's view: the store dedupes too
	for range 2 {
		if err := e.dash.clearAll(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.dash.raised = raisedSet{m: map[string]time.Time{}}
	}
	list()
	if n := stillInside(); n != 2 {
		t.Fatalf("%d still_inside alerts past the grace period, want 2 (one per pass inside)", n)
	}
	if c := list(); len(c.Passes) != 2 || !c.Passes[0].Overdue {
		t.Errorf("clear list past the grace period = %+v, want 2 overdue", c.Passes)
	}
	// A stream shows the list and the alerts.
	s := e.live(stage)
	snap := s.until(t, "the clear list", func(s *Snapshot) bool { return len(s.Clear) == 1 && len(s.Clear[0].Passes) == 2 })
	if len(snap.Alerts) != 2 || snap.Alerts[0].Kind != record.AlertStillInside {
		t.Errorf("alerts on the dashboard = %+v, want 2 still_inside", snap.Alerts)
	}
	// A bad zone is refused.
	if r := e.do(scanner, "GET", "/v1/events/ev/clear?zone=roof", ""); r.StatusCode != http.StatusBadRequest {
		t.Errorf("clear?zone=roof: HTTP %d, want 400", r.StatusCode)
	}
}

func TestPage(t *testing.T) {
	e := newEnv(t, nil, Config{})
	r, err := http.Get(e.ts.URL + "/dashboard?event=ev")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || r.Header.Get("Content-Security-Policy") != httpkit.PageCSP || !strings.Contains(string(b), `src="/dashboard/dashboard.js"`) ||
		strings.Contains(string(b), "<script>") {
		t.Fatalf("page: %d %v", r.StatusCode, r.Header)
	}
	for _, f := range []string{"/dashboard/dashboard.js", "/dashboard/dashboard.css"} {
		if r, err := http.Get(e.ts.URL + f); err != nil || r.StatusCode != 200 {
			t.Errorf("GET %s: %v %v", f, r.StatusCode, err)
		}
	}
	if r, _ := http.Get(e.ts.URL + "/dashboard/secret.go"); r.StatusCode != 404 {
		t.Errorf("GET /dashboard/secret.go: %d, want 404", r.StatusCode)
	}
}

// The server's WriteTimeout (30 s in serve) must not cut a stream: each
// write has its own deadline.
func TestStreamOutlivesWriteTimeout(t *testing.T) {
	e := newEnv(t, nil, Config{Heartbeat: 50 * time.Millisecond})
	ts := httptest.NewUnstartedServer(e.srv.Handler())
	ts.Config.WriteTimeout = 300 * time.Millisecond
	ts.Start()
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/v1/events/ev/live", nil)
	req.Header.Set("Authorization", "Bearer "+e.token(server.RoleStage))
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	start := time.Now()
	beats := 0
	for time.Since(start) < time.Second && sc.Scan() {
		if sc.Text() == ": keep-alive" {
			beats++
		}
	}
	if time.Since(start) < time.Second || beats < 5 {
		t.Fatalf("stream ended after %s with %d keep-alives (%v); want it open past the 300 ms WriteTimeout", time.Since(start), beats, sc.Err())
	}
}

// twoHandles opens two stores on one new database of backend, as two
// nodes have.
func twoHandles(t *testing.T, backend string) (store.Store, store.Store) {
	t.Helper()
	ctx := context.Background()
	var open func() (store.Store, error)
	if backend == "postgres" {
		u := storetest.PostgresURL(t)
		open = func() (store.Store, error) { return postgres.Open(ctx, u) }
	} else {
		path := filepath.Join(t.TempDir(), "laminate.db")
		open = func() (store.Store, error) { return sqlite.Open(ctx, path) }
	}
	var out [2]store.Store
	for i := range out {
		st, err := open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out[i] = st
	}
	return out[0], out[1]
}

// A door's heartbeat to node A shows on node B's dashboard: the nodes
// share doors' heartbeats through the store (written by A's Sync a few
// seconds at most after the heartbeat).
func TestHeartbeatOnOtherNode(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			sa, sb := twoHandles(t, backend)
			a := newEnvOn(t, sa, nil, Config{})
			b := a.node(sb, Config{})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); a.srv.Sync(ctx) }()
			t.Cleanup(func() { cancel(); <-done })
			a.show(30 * time.Minute)
			scanner, stage := a.token(server.RoleScanner), a.token(server.RoleStage)
			s := b.live(stage)
			door := func(s *Snapshot) *DoorView {
				for i, d := range s.Doors {
					if d.Gate == "north" && d.Credential != "" {
						return &s.Doors[i]
					}
				}
				return nil
			}
			if first := s.until(t, "the first snapshot", func(*Snapshot) bool { return true }); door(first) != nil {
				t.Fatalf("door north before any heartbeat: %+v", door(first))
			}
			if r := a.do(scanner, "POST", "/v1/events/ev/heartbeat", `{"gate":"north","revocation_age_s":3}`); r.StatusCode != http.StatusNoContent {
				t.Fatalf("heartbeat to node A: HTTP %d", r.StatusCode)
			}
			got := door(s.until(t, "node A's heartbeat on node B", func(s *Snapshot) bool { return door(s) != nil }))
			if !got.Online || got.RevocationAge == nil || *got.RevocationAge != 3 || !got.LastSeen.Equal(a.now()) {
				t.Errorf("door north on node B = %+v, want online, revocation data 3 s old, last seen %s", got, a.now())
			}
		})
	}
}
