package webhooks

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/postgres"
)

// TestFigures is the load run of issue 14's webhook figures, not a timed
// test: LAMINATE_WEBHOOK_FIGURES=1 go test ./webhooks -run TestFigures -v
//
// With the worker's defaults (poll 500 ms, backoff from 5 s) against a
// loopback receiver it measures the delivery latency (commit of the event
// to its receipt) of events enqueued at 20 per second, then kills the
// receiver for 30 s while events keep coming, restarts it, and counts
// what arrived.
func TestFigures(t *testing.T) {
	backend := os.Getenv("LAMINATE_WEBHOOK_FIGURES")
	if backend == "" {
		t.Skip("set LAMINATE_WEBHOOK_FIGURES=sqlite (one node) or postgres (two nodes, LAMINATE_TEST_POSTGRES) for the load run (about 2 minutes)")
	}
	stores := []store.Store{}
	if backend == "postgres" {
		stores = pgNodes(t, 2)
	} else {
		stores = append(stores, openStore(t))
	}
	s := stores[0]
	rc := newReceiver(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	start := func(ln net.Listener) *httptest.Server {
		srv := httptest.NewUnstartedServer(rc)
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		return srv
	}
	srv := start(ln)
	wh := addEndpoint(t, s, "http://"+addr+"/hook", rc)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, st := range stores { // one worker per node
		w := &Worker{Store: st}
		wg.Go(func() { w.Run(ctx) })
	}
	t.Logf("%s, %d node(s)", backend, len(stores))
	defer func() { cancel(); wg.Wait() }()

	var mu sync.Mutex
	sent := map[string]time.Time{}
	send := func(id string) {
		enqueue(t, s, id)
		mu.Lock()
		sent[id] = time.Now()
		mu.Unlock()
	}
	latencies := func(prefix string) []time.Duration {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		mu.Lock()
		defer mu.Unlock()
		var out []time.Duration
		for id, at := range sent {
			if len(id) > len(prefix) && id[:len(prefix)] == prefix {
				if got, ok := rc.at[id]; ok {
					out = append(out, got.Sub(at))
				}
			}
		}
		slices.Sort(out)
		return out
	}
	pct := func(d []time.Duration, p int) time.Duration { return d[(len(d)-1)*p/100] }

	// 1. Latency, receiver up: 400 events at 20/s.
	const n = 400
	for i := range n {
		send(fmt.Sprintf("msg_up_%d", i))
		time.Sleep(50 * time.Millisecond) // the load's pace, not a wait for a result
	}
	waitFor(t, "the steady deliveries", func() bool { return len(latencies("msg_up_")) == n })
	up := latencies("msg_up_")
	t.Logf("receiver up: %d events at 20/s, latency p50 %v, p95 %v, max %v", n, pct(up, 50).Round(time.Millisecond), pct(up, 95).Round(time.Millisecond), up[len(up)-1].Round(time.Millisecond))

	// 2. The receiver is killed for 30 s; events keep coming at 10/s.
	srv.Close()
	down := time.Now()
	const m = 300
	for i := range m {
		send(fmt.Sprintf("msg_down_%d", i))
		time.Sleep(100 * time.Millisecond)
	}
	for time.Since(down) < 30*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	srv2 := start(ln2)
	defer srv2.Close()
	waitFor(t, "every delivery after the outage", func() bool { return len(latencies("msg_down_")) == m })
	var lastAt time.Time
	rc.mu.Lock()
	for id, at := range rc.at {
		if len(id) > 9 && id[:9] == "msg_down_" && at.After(lastAt) {
			lastAt = at
		}
	}
	dups := 0
	for _, c := range rc.got {
		dups += c - 1
	}
	rc.mu.Unlock()
	lost := 0
	for _, d := range deliveries(t, s, wh.ID) {
		if d.State != store.DeliveryDelivered {
			lost++
		}
	}
	t.Logf("receiver down %v: %d events sent meanwhile, %d delivered, %d not delivered, %d duplicates, last one %v after the receiver came back",
		back.Sub(down).Round(time.Second), m, len(latencies("msg_down_")), lost, dups, lastAt.Sub(back).Round(time.Millisecond))
	if lost != 0 || rc.bad != 0 {
		t.Errorf("%d deliveries lost, %d bad signatures", lost, rc.bad)
	}
}

// pgNodes opens n stores on one fresh PostgreSQL schema: n nodes.
func pgNodes(t *testing.T, n int) []store.Store {
	base := os.Getenv("LAMINATE_TEST_POSTGRES")
	if base == "" {
		t.Skip("LAMINATE_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("lam_hooks_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	var out []store.Store
	for range n {
		st, err := postgres.Open(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out = append(out, st)
	}
	return out
}
