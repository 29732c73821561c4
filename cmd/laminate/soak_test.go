//go:build linux

package main

// The soak (issue 11): doors walk many passes in and out at random against
// real "laminate serve" processes that are killed with SIGKILL and started
// again, and at the end the database itself is read to check the promises
// a door relies on:
//
//   - every acknowledged scan (a 200 answer) is stored exactly once, with
//     the decision and code its door was given;
//   - no pass is admitted "in" twice in a zone without an admitted "out"
//     between, read in stored order (SQLite rowid, PostgreSQL id) and in
//     time order (at, then stored order);
//   - no 5xx answer (see soakDeliver for the kill windows).
//
// Directions are random, so "in" after "in" and "out" after "out" happen,
// and some scans are dated up to 90 s in the past, as doors with skewed
// clocks date them (within the 2 minutes the server accepts): that is what
// made two scans of one pass be decided in one order and stored in the
// other. Every request carries a fresh scan_id; a request that got no
// answer, or a 503 in a kill window, is sent again with the same body,
// possibly to the other node; after each restart the scans answered just
// before the kill are sent again and must be replayed, not decided again.
//
// A short run (a few kill cycles) is part of "go test". The long run is
// selected by LAMINATE_SOAK, the duration of the load (README, Development):
//
//	LAMINATE_SOAK=10m LAMINATE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	    go test ./cmd/laminate -run 'TestSoak$' -v -timeout 60m

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/internal/racetest"
)

// soakPlan is the shape of one soak run.
type soakPlan struct {
	cycles    int           // kill-and-restart cycles
	killEvery time.Duration // load between two kills
	minAcks   int           // and at least this many answers since the last restart
	workers   int           // doors, each one request (or one pair) at a time
	passes    int
	pastShare float64       // share of scans dated in the past
	maxSkew   time.Duration // how far in the past, at most
	pairShare float64       // share of steps that scan one pass at two gates at once
}

// soakSkew bounds the past dates: the server accepts online scans within
// 2 minutes of its clock, and a retry after a restart sends the same date
// a few seconds later.
const soakSkew = 90 * time.Second

func soakSettings(t *testing.T) soakPlan {
	p := soakPlan{cycles: 4, killEvery: 2 * time.Second, minAcks: 60, workers: 6, passes: 24,
		pastShare: 0.3, maxSkew: soakSkew, pairShare: 0.15}
	if v := os.Getenv("LAMINATE_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("LAMINATE_SOAK=%q: want the duration of the load, such as 10m", v)
		}
		// The issue's soak: 8 doors, 300 passes, a kill every 40 s.
		p.killEvery, p.workers, p.passes, p.minAcks = 40*time.Second, 8, 300, 1000
		p.cycles = max(1, int(d/p.killEvery))
	}
	return p
}

func TestSoak(t *testing.T) {
	racetest.Skip(t) // kill -9 cycles test durability, not races; a race-built child made the cycles miss their deadline under load. TestFaultPostgresRestart keeps serve under -race
	t.Parallel()     // its cycles wait on restarts more than they compute: beside the scripts
	plan := soakSettings(t)
	t.Run("sqlite", func(t *testing.T) { testSoak(t, "", 1, plan) })
	t.Run("postgres-two-nodes", func(t *testing.T) { testSoak(t, pgSchemaStore(t), 2, plan) })
}

// soakBody is the body of POST /v1/scans; "at" is left out for a scan the
// server dates on arrival.
type soakBody struct {
	Token     string     `json:"token"`
	Gate      string     `json:"gate"`
	Zone      string     `json:"zone"`
	Direction string     `json:"direction"`
	ScanID    string     `json:"scan_id"`
	At        *time.Time `json:"at,omitempty"`
}

// soakAck is what a door was told about one scan (its first 200).
type soakAck struct {
	body     soakBody
	decision string
	code     string
}

// killWindow is from just before a SIGKILL until a little after the new
// process serves. A request overlapping one may get no answer, or a 503.
type killWindow struct{ from, to time.Time }

// soakGrace extends a kill window past the restart: a door's request to
// the other node may have waited on a lock the dead node held.
const soakGrace = 2 * time.Second

// soak is one run: its nodes, its doors and what they were told.
type soak struct {
	t      *testing.T
	d      *deployment
	plan   soakPlan
	bearer string
	passes []issuedPass
	seed   uint64
	f      *tally

	mu      sync.Mutex
	nodes   []*proc
	windows []killWindow
	acks    map[string]soakAck // by scan_id
	recent  []soakAck          // the last answered scans, sent again after a kill
	lat     []time.Duration    // of each acknowledged request
	sent    int

	sinceRestart atomic.Int64 // answers since the last restart
	stop         atomic.Bool  // no new scans: finish the ones under way
	giveUp       atomic.Int64 // unix nanoseconds: stop retrying (set with stop)
}

func (s *soak) node(i int) *proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nodes[i]
}

// duringKill reports whether [from, to] overlaps a kill window (an open
// one, a kill under way, included).
func (s *soak) duringKill(from, to time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.windows {
		if !w.from.After(to) && (w.to.IsZero() || !w.to.Before(from)) {
			return true
		}
	}
	return false
}

func testSoak(t *testing.T, store string, nodes int, plan soakPlan) {
	limit := time.Duration(plan.cycles)*(plan.killEvery+30*time.Second) + 3*time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	d := newDeployment(t, store)
	d.mustCLI(ctx, 0, "init")
	s := &soak{t: t, d: d, plan: plan, bearer: d.token(ctx, "scanner"), seed: uint64(time.Now().UnixNano()),
		f: &tally{t: t, n: map[string]int{}}, acks: map[string]soakAck{}}
	d.event(ctx, "soak")
	s.passes = d.issueAAA(ctx, "soak", plan.passes)
	for i := range nodes {
		s.nodes = append(s.nodes, d.start(ctx, i))
	}

	var wg sync.WaitGroup
	defer func() { s.stop.Store(true); cancel(); wg.Wait() }()
	for w := range plan.workers {
		wg.Go(func() { s.door(ctx, w, w%nodes) })
	}

	began := time.Now()
	cycles := 0
	for c := range plan.cycles {
		s.waitLoad(ctx, c, began)
		victim := c % nodes
		s.mu.Lock()
		s.windows = append(s.windows, killWindow{from: time.Now()})
		s.mu.Unlock()
		s.node(victim).kill()
		n := d.start(ctx, victim)
		s.mu.Lock()
		s.nodes[victim] = n
		s.windows[len(s.windows)-1].to = time.Now().Add(soakGrace)
		again := slices.Clone(s.recent)
		s.mu.Unlock()
		s.sinceRestart.Store(0)
		began = time.Now()
		cycles++
		s.resend(ctx, again)
	}
	// The load ends; the doors finish their scans under way.
	s.giveUp.Store(time.Now().Add(60 * time.Second).UnixNano())
	s.stop.Store(true)
	wg.Wait()
	for _, n := range s.nodes {
		n.kill()
	}
	s.check(ctx, store, cycles)
}

// waitLoad waits for the next kill: killEvery after the last restart, with
// at least minAcks answers since.
func (s *soak) waitLoad(ctx context.Context, c int, since time.Time) {
	s.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for time.Since(since) < s.plan.killEvery || s.sinceRestart.Load() < int64(s.plan.minAcks) {
		if time.Since(since) > s.plan.killEvery+60*time.Second {
			s.t.Fatalf("cycle %d: %d answers in %v, want %d before the kill", c, s.sinceRestart.Load(),
				time.Since(since).Round(time.Second), s.plan.minAcks)
		}
		select {
		case <-ctx.Done():
			s.t.Fatalf("cycle %d: %v", c, ctx.Err())
		case <-tick.C:
		}
	}
}

// door is one door: a random pass, a random direction and gate, a fresh
// scan_id, sometimes a date in the past; sometimes the same pass at two
// gates at once (on two nodes when there are two).
func (s *soak) door(ctx context.Context, w, home int) {
	rng := rand.New(rand.NewPCG(s.seed, uint64(w)+1))
	gates := []string{"north", "south"}
	for k := 0; !s.stop.Load() && ctx.Err() == nil; k++ {
		p := s.passes[rng.IntN(len(s.passes))]
		dir := "in"
		if rng.IntN(2) == 0 {
			dir = "out"
		}
		rng.Shuffle(2, func(i, j int) { gates[i], gates[j] = gates[j], gates[i] })
		mk := func(i int) soakBody {
			b := soakBody{Token: p.Token, Gate: gates[i], Zone: "backstage", Direction: dir,
				ScanID: fmt.Sprintf("soak-%d-%06d-%d-%s", w, k, i, randHex(3))}
			if rng.Float64() < s.plan.pastShare {
				at := time.Now().Add(-time.Second - time.Duration(rng.Int64N(int64(s.plan.maxSkew-time.Second))))
				b.At = &at
			}
			return b
		}
		if rng.Float64() >= s.plan.pairShare {
			s.deliver(ctx, rng, mk(0), home)
			continue
		}
		a, b := mk(0), mk(1)
		var pg sync.WaitGroup
		pg.Go(func() { s.deliver(ctx, rand.New(rand.NewPCG(s.seed, uint64(k)<<8|uint64(w))), a, 0) })
		s.deliver(ctx, rng, b, 1%len(s.nodes))
		pg.Wait()
	}
}

// soakTimeout bounds one request; answers take milliseconds.
const soakTimeout = 10 * time.Second

// deliver sends one scan until it is answered.
//
// Connection errors and timeouts are not answers: the scan is sent again,
// with the same body, after a short pause, to any node (a door fails over).
// They are expected only in a kill window; from a node that was not being
// killed they are failures ("no answer"), still retried so that the scan
// is settled. A 503 store_unavailable is the server saying "not now,
// retry": retried, and a failure outside a kill window (no database is
// stopped here). Any other 5xx is a failure, retried. A 4xx is a failure
// and ends the scan (the same body would be refused again).
func (s *soak) deliver(ctx context.Context, rng *rand.Rand, b soakBody, to int) {
	s.mu.Lock()
	s.sent++
	s.mu.Unlock()
	pause := 10 * time.Millisecond
	for try := 0; ; try++ {
		if gu := s.giveUp.Load(); (gu != 0 && time.Now().UnixNano() > gu) || ctx.Err() != nil {
			s.f.fail("unanswered", "scan %s: no answer after %d tries", b.ScanID, try)
			return
		}
		if try > 0 {
			s.f.add("retries", 1)
			time.Sleep(pause)
			pause = min(2*pause, 200*time.Millisecond)
			to = rng.IntN(len(s.nodes))
		}
		n := s.node(to)
		rctx, cancel := context.WithTimeout(ctx, soakTimeout)
		began := time.Now()
		status, raw, err := n.call(rctx, http.MethodPost, "/v1/scans", s.bearer, b)
		took := time.Since(began)
		cancel()
		killed := s.duringKill(began, time.Now())
		switch {
		case err != nil && killed:
			s.f.add("no answer in a kill window", 1)
		case err != nil:
			s.f.fail("no answer", "scan %s: no answer from node %d, which was not being killed: %v", b.ScanID, n.i, err)
		case status == http.StatusOK:
			var a struct {
				Decision, Code string
				Replayed       bool
			}
			if err := json.Unmarshal(raw, &a); err != nil || a.Decision == "" {
				s.f.fail("bad answer", "scan %s: 200 with %q: %v", b.ScanID, raw, err)
				return
			}
			if a.Replayed {
				s.f.add("answered on retry after being stored", 1)
			}
			s.acked(soakAck{body: b, decision: a.Decision, code: a.Code}, took)
			return
		case status >= 500:
			var e apiError
			json.Unmarshal(raw, &e)
			if status == http.StatusServiceUnavailable && e.Error.Code == "store_unavailable" && killed {
				s.f.add("503 in a kill window", 1)
				break
			}
			s.f.fail("5xx", "scan %s: node %d answered %d %s", b.ScanID, n.i, status, raw)
		default:
			s.f.fail("refused", "scan %s: node %d answered %d %s", b.ScanID, n.i, status, raw)
			return
		}
	}
}

const soakRecent = 32

func (s *soak) acked(a soakAck, took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.acks[a.body.ScanID]; ok {
		if prev.decision != a.decision || prev.code != a.code {
			s.f.fail("changed", "scan %s answered %s/%s, then %s/%s", a.body.ScanID, prev.decision, prev.code, a.decision, a.code)
		}
		return
	}
	s.acks[a.body.ScanID] = a
	s.lat = append(s.lat, took)
	s.recent = append(s.recent, a)
	if len(s.recent) > 2*soakRecent {
		s.recent = slices.Clone(s.recent[len(s.recent)-soakRecent:])
	}
	s.sinceRestart.Add(1)
}

// resend sends again, after a restart, scans answered just before the
// kill, each to a random node: each must be replayed with the answer its
// door was given; one decided again was lost.
func (s *soak) resend(ctx context.Context, again []soakAck) {
	rng := rand.New(rand.NewPCG(s.seed, uint64(len(again))))
	for _, a := range again[max(0, len(again)-soakRecent):] {
		if a.body.At != nil && time.Since(*a.body.At) > soakSkew+20*time.Second {
			continue // the server would refuse the date now
		}
		n := s.node(rng.IntN(len(s.nodes)))
		rctx, cancel := context.WithTimeout(ctx, soakTimeout)
		status, raw, err := n.call(rctx, http.MethodPost, "/v1/scans", s.bearer, a.body)
		cancel()
		var got struct {
			Decision, Code string
			Replayed       bool
		}
		switch {
		case err != nil || status != http.StatusOK:
			s.f.fail("resend failed", "resending %s after a restart: %d %s %v", a.body.ScanID, status, raw, err)
			continue
		case json.Unmarshal(raw, &got) != nil:
			s.f.fail("bad answer", "resending %s: 200 with %q", a.body.ScanID, raw)
			continue
		case !got.Replayed:
			s.f.fail("lost", "scan %s was answered %s/%s before the kill, but decided again (%s/%s) after it",
				a.body.ScanID, a.decision, a.code, got.Decision, got.Code)
		case got.Decision != a.decision || got.Code != a.code:
			s.f.fail("changed", "scan %s answered %s/%s before the kill, replayed as %s/%s",
				a.body.ScanID, a.decision, a.code, got.Decision, got.Code)
		}
		s.f.add("resent", 1)
	}
}

// dbScan is one row of the scans table.
type dbScan struct {
	pos       int64 // stored order: SQLite rowid, PostgreSQL id
	id        string
	serial    string
	zone      string
	direction string
	decision  string
	code      string
	at        time.Time
}

// storedScans reads every scan from the database itself, in stored order,
// after the nodes are gone.
func storedScans(ctx context.Context, t *testing.T, d *deployment) []dbScan {
	t.Helper()
	const cols = `scan_id, serial, zone, direction, decision, code, at`
	var out []dbScan
	if d.store == "" {
		db, err := sql.Open("sqlite", filepath.Join(d.data(0), dbFile))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.QueryContext(ctx, `SELECT rowid, `+cols+` FROM scans ORDER BY rowid`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var sc dbScan
			var at string
			if err := rows.Scan(&sc.pos, &sc.id, &sc.serial, &sc.zone, &sc.direction, &sc.decision, &sc.code, &at); err != nil {
				t.Fatal(err)
			}
			if sc.at, err = time.Parse(time.RFC3339Nano, at); err != nil {
				t.Fatalf("scan %s: at %q: %v", sc.id, at, err)
			}
			out = append(out, sc)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	conn, err := pgx.Connect(ctx, d.store)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT id, `+cols+` FROM scans ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var sc dbScan
		if err := rows.Scan(&sc.pos, &sc.id, &sc.serial, &sc.zone, &sc.direction, &sc.decision, &sc.code, &sc.at); err != nil {
			t.Fatal(err)
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// doubleAdmits walks scans in the order given and counts, per pass and
// zone, the "in" scans admitted while the pass was inside (its last
// admitted scan there was an "in"). Only admitted scans move a pass; an
// admitted "out" while outside is allowed. It returns a few examples.
func doubleAdmits(scans []dbScan) (n int, examples []string) {
	type key struct{ serial, zone string }
	last := map[key]*dbScan{}
	for i := range scans {
		sc := &scans[i]
		if sc.decision != "admit" {
			continue
		}
		k := key{sc.serial, sc.zone}
		if prev := last[k]; prev != nil && prev.direction == "in" && sc.direction == "in" {
			n++
			if len(examples) < 5 {
				examples = append(examples, fmt.Sprintf("pass %s: in %s (at %s, #%d) admitted after in %s (at %s, #%d) with no out between",
					sc.serial, sc.id, sc.at.Format("15:04:05.000"), sc.pos, prev.id, prev.at.Format("15:04:05.000"), prev.pos))
			}
		}
		last[k] = sc
	}
	return n, examples
}

// inTimeOrder sorts scans by at, then stored order.
func inTimeOrder(scans []dbScan) []dbScan {
	out := slices.Clone(scans)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].at.Equal(out[j].at) {
			return out[i].at.Before(out[j].at)
		}
		return out[i].pos < out[j].pos
	})
	return out
}

// check reads the database and checks the promises; it logs the figures.
func (s *soak) check(ctx context.Context, store string, cycles int) {
	t := s.t
	stored := storedScans(ctx, t, s.d)
	slices.SortFunc(stored, func(a, b dbScan) int { return int(a.pos - b.pos) })
	times := map[string]int{}
	byID := map[string]dbScan{}
	for _, sc := range stored {
		times[sc.id]++
		byID[sc.id] = sc
		if !strings.HasPrefix(sc.id, "soak-") {
			s.f.fail("never sent", "stored scan %s was never sent", sc.id)
		}
	}
	for id, a := range s.acks {
		sc, ok := byID[id]
		switch {
		case !ok:
			s.f.fail("lost", "scan %s was answered %s/%s but is not stored", id, a.decision, a.code)
		case times[id] > 1:
			s.f.fail("stored twice", "scan %s is stored %d times", id, times[id])
		case sc.decision != a.decision || sc.code != a.code:
			s.f.fail("stored differs", "scan %s is stored as %s/%s, its door was told %s/%s", id, sc.decision, sc.code, a.decision, a.code)
		}
	}
	inStored, ex1 := doubleAdmits(stored)
	inTime, ex2 := doubleAdmits(inTimeOrder(stored))
	for _, e := range ex1 {
		t.Errorf("stored order: %s", e)
	}
	for _, e := range ex2 {
		t.Errorf("time order: %s", e)
	}
	if inStored > 0 || inTime > 0 {
		t.Errorf("double admits: %d in stored order, %d in time order (in %d scans)", inStored, inTime, len(stored))
	}
	decisions := map[string]int{}
	for _, sc := range stored {
		decisions[sc.decision]++
	}

	s.mu.Lock()
	lat := slices.Clone(s.lat)
	sent := s.sent
	s.mu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(10 * time.Microsecond)
	}
	f := s.f.get
	t.Logf("soak (%s, %d node(s), seed %d): %d kill-and-restart cycles; %d scans sent, %d acknowledged (%d answered on a retry after being stored), %d stored (%v); %d retries, %d no answer and %d 503 in kill windows; %d resent after restarts and replayed",
		storeName(store), len(s.nodes), s.seed, cycles, sent, len(s.acks), f("answered on retry after being stored"), len(stored), decisions,
		f("retries"), f("no answer in a kill window"), f("503 in a kill window"), f("resent"))
	t.Logf("soak (%s, %d node(s)): lost %d, stored twice %d, stored differs %d, changed on retry %d, double admits %d in stored order and %d in time order, 5xx %d, no answer outside a kill %d, refused %d, unanswered %d; latency of acknowledged scans p50 %v, p99 %v",
		storeName(store), len(s.nodes), f("lost"), f("stored twice"), f("stored differs"), f("changed"), inStored, inTime,
		f("5xx"), f("no answer"), f("refused"), f("unanswered"), pct(0.50), pct(0.99))
}

// TestSoakDoubleAdmits checks the soak's checker on made-up histories, the
// first being the reproduction of issue 11.
func TestSoakDoubleAdmits(t *testing.T) {
	t0 := time.Date(2027, 3, 5, 19, 0, 0, 0, time.UTC)
	k := 0
	sc := func(sec int, dir, decision string) dbScan {
		k++
		return dbScan{pos: int64(k), id: fmt.Sprint("s", k), serial: "P1", zone: "backstage", direction: dir, decision: decision,
			at: t0.Add(time.Duration(sec) * time.Second)}
	}
	tests := []struct {
		name           string
		h              []dbScan
		stored, inTime int
	}{
		{"fail/issue-11-reproduction", []dbScan{sc(-30, "in", "admit"), sc(-10, "out", "admit"), sc(-20, "in", "admit"),
			sc(0, "in", "admit"), sc(1, "in", "deny")}, 1, 1},
		{"ok/in-out-in", []dbScan{sc(0, "in", "admit"), sc(5, "out", "admit"), sc(9, "in", "admit")}, 0, 0},
		{"ok/in-in-denied", []dbScan{sc(0, "in", "admit"), sc(5, "in", "deny"), sc(6, "in", "attention")}, 0, 0},
		{"ok/out-out", []dbScan{sc(0, "out", "admit"), sc(5, "out", "admit"), sc(6, "in", "admit")}, 0, 0},
		{"fail/in-in", []dbScan{sc(0, "in", "admit"), sc(5, "in", "admit")}, 1, 1},
		// Stored in-out-in, but the out is dated after the second in.
		{"fail/time-order-only", []dbScan{sc(0, "in", "admit"), sc(9, "out", "admit"), sc(5, "in", "admit")}, 0, 1},
		// Stored in-in-out, the out dated between them.
		{"fail/stored-order-only", []dbScan{sc(0, "in", "admit"), sc(9, "in", "admit"), sc(5, "out", "admit")}, 1, 0},
		{"ok/two-passes", []dbScan{sc(0, "in", "admit"), {pos: 99, id: "x", serial: "P2", zone: "backstage", direction: "in", decision: "admit", at: t0}}, 0, 0},
		{"ok/two-zones", []dbScan{sc(0, "in", "admit"), {pos: 99, id: "x", serial: "P1", zone: "stage", direction: "in", decision: "admit", at: t0}}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored, _ := doubleAdmits(tt.h)
			inTime, _ := doubleAdmits(inTimeOrder(tt.h))
			if stored != tt.stored || inTime != tt.inTime {
				t.Errorf("doubleAdmits() = %d in stored order, %d in time order; want %d, %d", stored, inTime, tt.stored, tt.inTime)
			}
		})
	}
}
