package webhooks

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
)

func openStore(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "laminate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// receiver is a webhook receiver that checks every signature and counts
// what it got by webhook-id.
type receiver struct {
	t      testing.TB
	secret []byte
	status int // answer; 0: 204

	mu   sync.Mutex
	got  map[string]int       // webhook-id → requests
	at   map[string]time.Time // webhook-id → first receipt
	bad  int
	body map[string]string
}

func newReceiver(t testing.TB) *receiver {
	return &receiver{t: t, got: map[string]int{}, at: map[string]time.Time{}, body: map[string]string{}}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := Verify(rc.secret, r.Header, body, time.Now(), 0); err != nil || r.Header.Get("Content-Type") != "application/json" {
		rc.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(HeaderID)
	if rc.got[id] == 0 {
		rc.at[id] = time.Now()
	}
	rc.got[id]++
	rc.body[id] = string(body)
	if rc.status != 0 {
		w.WriteHeader(rc.status)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) count(id string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.got[id]
}

// waitFor waits for cond, checking every few milliseconds, and fails
// the test after a generous deadline: it waits on the condition, never
// for a fixed time.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func deliveries(t testing.TB, s store.Store, wh string) map[string]store.Delivery {
	t.Helper()
	ds, err := s.Deliveries(context.Background(), wh, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Delivery{}
	for _, d := range ds {
		out[d.MsgID] = d
	}
	return out
}

func enqueue(t testing.TB, s store.Store, id string) {
	t.Helper()
	if _, err := s.EnqueueWebhook(context.Background(), store.WebhookEvent{ID: id, Type: store.WebhookZoneFull, At: time.Now(),
		Data: map[string]any{"event": "ev", "zone": "stage"}}); err != nil {
		t.Fatal(err)
	}
}

func addEndpoint(t testing.TB, s store.Store, url string, rc *receiver) *store.Webhook {
	t.Helper()
	w, secret, err := Add(context.Background(), s, url, []string{store.WebhookZoneFull, store.WebhookPassRevoked}, true, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if rc.secret, err = ParseSecret(secret); err != nil {
		t.Fatal(err)
	}
	return w
}

func fastWorker(s store.Store) *Worker {
	return &Worker{Store: s, MinBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, MaxAttempts: 100000,
		Poll: 5 * time.Millisecond, Timeout: 5 * time.Second}
}

// TestWorkerReceiverDown: a receiver that is down (connection refused)
// while events are enqueued loses none of them: they are retried with
// the same webhook-id until it is back, then delivered, each signed.
func TestWorkerReceiverDown(t *testing.T) {
	s := openStore(t)
	rc := newReceiver(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	srv := httptest.NewUnstartedServer(rc)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	wh := addEndpoint(t, s, "http://"+addr+"/hook", rc)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := fastWorker(s)
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	enqueue(t, s, "msg_before")
	waitFor(t, "the first delivery", func() bool { return deliveries(t, s, wh.ID)["msg_before"].State == store.DeliveryDelivered })

	srv.Close() // the receiver dies
	const n = 20
	for i := range n {
		enqueue(t, s, fmt.Sprintf("msg_down_%d", i))
	}
	waitFor(t, "three failed attempts of each", func() bool {
		ds := deliveries(t, s, wh.ID)
		for i := range n {
			if d := ds[fmt.Sprintf("msg_down_%d", i)]; d.Attempts < 3 || d.State != store.DeliveryPending || d.LastError == "" {
				return false
			}
		}
		return true
	})

	// It comes back on the same address.
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewUnstartedServer(rc)
	srv2.Listener.Close()
	srv2.Listener = ln2
	srv2.Start()
	defer srv2.Close()
	waitFor(t, "every delivery", func() bool {
		for _, d := range deliveries(t, s, wh.ID) {
			if d.State != store.DeliveryDelivered {
				return false
			}
		}
		return true
	})
	for i := range n {
		id := fmt.Sprintf("msg_down_%d", i)
		if c := rc.count(id); c != 1 {
			t.Errorf("%s received %d times, want once", id, c)
		}
	}
	if rc.bad != 0 {
		t.Errorf("%d requests with a bad signature", rc.bad)
	}
	d := deliveries(t, s, wh.ID)["msg_down_0"]
	if d.Attempts < 4 || d.LastStatus != http.StatusNoContent || d.LastError != "" || d.Done.IsZero() {
		t.Errorf("delivery after the outage: %+v", d)
	}
	if want := `{"type":"zone.full","timestamp":`; rc.body["msg_down_0"][:len(want)] != want {
		t.Errorf("body %s", rc.body["msg_down_0"])
	}
}

// TestWorkerGivesUp: a receiver that keeps failing gets MaxAttempts
// attempts, then the delivery is failed with the last status kept; 410
// Gone gives up at once; 3xx is a failure, not followed.
func TestWorkerGivesUp(t *testing.T) {
	s := openStore(t)
	for _, tc := range []struct {
		status, attempts int
	}{
		{http.StatusInternalServerError, 3},
		{http.StatusGone, 1},
		{http.StatusFound, 3},
	} {
		rc := newReceiver(t)
		rc.status = tc.status
		srv := httptest.NewServer(rc)
		wh := addEndpoint(t, s, srv.URL, rc)
		w := fastWorker(s)
		w.MaxAttempts = 3
		id := fmt.Sprintf("msg_%d", tc.status)
		enqueue(t, s, id)
		waitFor(t, "the delivery to end", func() bool {
			if _, err := w.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			return deliveries(t, s, wh.ID)[id].State == store.DeliveryFailed
		})
		d := deliveries(t, s, wh.ID)[id]
		if d.Attempts != tc.attempts || d.LastStatus != tc.status || rc.count(id) != tc.attempts {
			t.Errorf("status %d: delivery %+v, received %d, want %d attempts", tc.status, d, rc.count(id), tc.attempts)
		}
		srv.Close()
		if err := s.DeleteWebhook(context.Background(), wh.ID, "admin"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWorkersShareOutbox: two workers (two nodes) on one outbox send
// each event once to a healthy receiver.
func TestWorkersShareOutbox(t *testing.T) {
	s := openStore(t)
	rc := newReceiver(t)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	wh := addEndpoint(t, s, srv.URL, rc)
	const n = 50
	for i := range n {
		enqueue(t, s, fmt.Sprintf("msg_%d", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 2 {
		w := fastWorker(s)
		w.Owner, w.Batch = fmt.Sprintf("node-%d", i), 4
		wg.Go(func() { w.Run(ctx) })
	}
	waitFor(t, "every delivery", func() bool {
		ds := deliveries(t, s, wh.ID)
		for _, d := range ds {
			if d.State != store.DeliveryDelivered {
				return false
			}
		}
		return len(ds) == n
	})
	cancel()
	wg.Wait()
	for i := range n {
		if c := rc.count(fmt.Sprintf("msg_%d", i)); c != 1 {
			t.Errorf("msg_%d received %d times, want once", i, c)
		}
	}
}

// TestWorkerRefusesPrivate: an endpoint not allowed private addresses
// never reaches one, whether its URL names it or a resolver answers it.
func TestWorkerRefusesPrivate(t *testing.T) {
	s := openStore(t)
	rc := newReceiver(t)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	// Stored directly: Add refuses these URLs already.
	for _, u := range []string{srv.URL, "https://127.0.0.1:" + port + "/", "https://rebind.example.com:" + port + "/"} {
		w := &store.Webhook{ID: fmt.Sprintf("wh_%d", len(u)), URL: u, Events: []string{store.WebhookZoneFull}, Secret: NewSecret()}
		if err := s.CreateWebhook(context.Background(), w, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	enqueue(t, s, "msg_1")
	w := fastWorker(s)
	w.MaxAttempts = 1
	w.Guard = &Guard{Lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}}
	if n, err := w.RunOnce(context.Background()); err != nil || n != 3 {
		t.Fatalf("RunOnce() = %d, %v, want 3", n, err)
	}
	ws, _ := s.Webhooks(context.Background())
	for _, wh := range ws {
		d := deliveries(t, s, wh.ID)["msg_1"]
		if d.State != store.DeliveryFailed || d.LastStatus != 0 {
			t.Errorf("%s: %+v, want failed without an answer", wh.URL, d)
		}
		t.Logf("%s: %s", wh.URL, d.LastError)
	}
	if rc.count("msg_1") != 0 {
		t.Error("the private receiver got a delivery")
	}
}

// TestWorkerBoundedAnswer: a receiver that answers without end is read
// up to MaxResponse, then the connection is dropped; the delivery counts.
func TestWorkerBoundedAnswer(t *testing.T) {
	s := openStore(t)
	rc := newReceiver(t)
	var written atomic.Int64
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		rc.ServeHTTP(httptest.NewRecorder(), r)
		w.WriteHeader(http.StatusOK)
		chunk := make([]byte, 32<<10)
		for {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	wh := addEndpoint(t, s, srv.URL, rc)
	enqueue(t, s, "msg_1")
	w := fastWorker(s)
	w.Timeout = 30 * time.Second
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-done // the receiver's writes fail once the worker hangs up
	if d := deliveries(t, s, wh.ID)["msg_1"]; d.State != store.DeliveryDelivered || rc.count("msg_1") != 1 {
		t.Errorf("delivery %+v", d)
	}
	// What the receiver wrote: what was read, plus the sockets' buffers.
	if n := written.Load(); n > 32<<20 {
		t.Errorf("the receiver wrote %d MiB before the worker hung up", n>>20)
	}
}

func TestBackoff(t *testing.T) {
	prev := time.Duration(0)
	for n := 1; n <= 14; n++ {
		d := Backoff(n, DefaultMinBackoff, DefaultMaxBackoff)
		if d < DefaultMinBackoff*4/5 || d > DefaultMaxBackoff {
			t.Errorf("Backoff(%d) = %v, out of [4 s, 6 h]", n, d)
		}
		if n < 8 && d < prev {
			t.Errorf("Backoff(%d) = %v < Backoff(%d) = %v", n, d, n-1, prev)
		}
		prev = d
	}
	if d := Backoff(20, DefaultMinBackoff, DefaultMaxBackoff); d < DefaultMaxBackoff*4/5 {
		t.Errorf("Backoff(20) = %v, want about 6 h", d)
	}
}
