package webhooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/laminate/laminate/store"
)

// Defaults of a [Worker].
const (
	DefaultTimeout     = 15 * time.Second // one POST, connection included
	DefaultMaxAttempts = 12               // 5 s, 15 s, 45 s, … capped at 6 h: about a day in all
	DefaultMinBackoff  = 5 * time.Second
	DefaultMaxBackoff  = 6 * time.Hour
	DefaultPoll        = 500 * time.Millisecond
	DefaultBatch       = 16
	MaxResponse        = 64 << 10 // bytes of a receiver's answer read, at most
)

// Worker delivers the outbox: it claims due deliveries with a lease,
// POSTs each, signed, and records the outcome. Several workers, on one
// node or many, share one outbox: a lease keeps a delivery to one worker
// at a time, and a dead worker's lease expires.
type Worker struct {
	Store  store.Store
	Logger *slog.Logger // nil: discard
	Owner  string       // this worker's lease name; "": host name and a random suffix

	Timeout     time.Duration // of one POST; 0: DefaultTimeout
	MaxAttempts int           // then failed; 0: DefaultMaxAttempts
	MinBackoff  time.Duration // the first retry's delay; 0: DefaultMinBackoff
	MaxBackoff  time.Duration // the longest delay; 0: DefaultMaxBackoff
	Poll        time.Duration // between claims when idle; 0: DefaultPoll
	Batch       int           // deliveries claimed (and sent concurrently) at once; 0: DefaultBatch

	// Now is the clock of signatures and retry times; nil: time.Now.
	Now func() time.Time
	// Guard dials for deliveries; nil: a Guard on the system resolver.
	Guard *Guard

	once   sync.Once
	client *http.Client
}

func (w *Worker) init() {
	w.once.Do(func() {
		if w.Logger == nil {
			w.Logger = slog.New(slog.DiscardHandler)
		}
		if w.Owner == "" {
			host, _ := os.Hostname()
			b := make([]byte, 6)
			rand.Read(b)
			w.Owner = host + "-" + hex.EncodeToString(b)
		}
		if w.Timeout <= 0 {
			w.Timeout = DefaultTimeout
		}
		if w.MaxAttempts <= 0 {
			w.MaxAttempts = DefaultMaxAttempts
		}
		if w.MinBackoff <= 0 {
			w.MinBackoff = DefaultMinBackoff
		}
		if w.MaxBackoff <= 0 {
			w.MaxBackoff = DefaultMaxBackoff
		}
		if w.Poll <= 0 {
			w.Poll = DefaultPoll
		}
		if w.Batch <= 0 {
			w.Batch = DefaultBatch
		}
		if w.Now == nil {
			w.Now = time.Now
		}
		if w.Guard == nil {
			w.Guard = &Guard{}
		}
		w.client = NewClient(w.Guard, w.Timeout)
	})
}

// NewClient is the HTTP client of deliveries: every connection through
// g, no proxy (the guard checks the receiver itself), no redirect
// followed (a 3xx is a failed attempt), timeout per request.
func NewClient(g *Guard, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           g.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       30 * time.Second,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Backoff is the delay before attempt n+1 after n failed attempts: min
// times 3^(n-1), at most max, less a random jitter of up to a fifth, so
// receivers that failed together are not retried together.
func Backoff(n int, min, max time.Duration) time.Duration {
	d := min
	for i := 1; i < n && d < max; i++ {
		d *= 3
	}
	d = Clamp(d, min, max)
	return d - time.Duration(mrand.Int64N(int64(d)/5+1))
}

// Clamp is d within [lo, hi].
func Clamp(d, lo, hi time.Duration) time.Duration { return max(lo, min(d, hi)) }

// Run delivers until ctx ends. A store that notifies of changes
// ([store.Notifier]) wakes it at once; otherwise it polls.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	var wake, local <-chan struct{}
	if n, ok := w.Store.(store.Notifier); ok {
		wake = n.Changes(ctx)
	}
	if o, ok := w.Store.(store.OutboxWaker); ok {
		local = o.Enqueued()
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case _, ok := <-wake:
			if !ok {
				wake = nil
			}
		case <-local:
		}
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.Logger.Warn("webhooks: claiming deliveries", "err", err)
		}
		next := w.Poll
		if n == w.Batch {
			next = 0 // more may be due
		}
		t.Reset(next)
	}
}

// RunOnce claims one batch of due deliveries, sends them concurrently,
// records each outcome, and returns how many it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.init()
	// The lease outlives the POST, so a live worker never loses a row it
	// is sending; a dead one's rows come back after it.
	ds, err := w.Store.ClaimDeliveries(ctx, w.Owner, 2*w.Timeout+30*time.Second, w.Batch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() { w.deliver(ctx, d) })
	}
	wg.Wait()
	return len(ds), nil
}

// deliver makes one attempt and records it.
func (w *Worker) deliver(ctx context.Context, d store.Delivery) {
	status, err := w.post(ctx, &d)
	res := store.DeliveryResult{HTTPStatus: status}
	attempts := d.Attempts + 1
	switch {
	case err == nil:
		res.Delivered = true
	case status == http.StatusGone:
		res.GiveUp, res.Error = true, "the receiver answered 410 Gone: it wants no more deliveries"
	case attempts >= w.MaxAttempts:
		res.GiveUp, res.Error = true, fmt.Sprintf("gave up after %d attempts: %v", attempts, err)
	default:
		res.NextAt, res.Error = w.Now().Add(Backoff(attempts, w.MinBackoff, w.MaxBackoff)), err.Error()
	}
	log := w.Logger.With("webhook", d.Webhook, "delivery", d.ID, "webhook_id", d.MsgID, "attempt", attempts, "status", status)
	if err := w.Store.FinishDelivery(context.WithoutCancel(ctx), d.ID, w.Owner, res); err != nil {
		log.Warn("webhooks: recording a delivery", "err", err)
		return
	}
	switch {
	case res.Delivered:
		log.Debug("webhooks: delivered")
	case res.GiveUp:
		log.Warn("webhooks: delivery failed for good", "err", res.Error)
	default:
		log.Info("webhooks: delivery failed, will retry", "err", res.Error, "next", res.NextAt)
	}
}

// post sends d once; a 2xx answer is success.
func (w *Worker) post(ctx context.Context, d *store.Delivery) (int, error) {
	if _, err := CheckURL(d.URL, d.AllowPrivate); err != nil {
		return 0, err
	}
	ctx = withAllowPrivate(ctx, d.AllowPrivate)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Laminate-Webhooks/1")
	Headers(req.Header, d.Secret, d.MsgID, w.Now(), d.Body)
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Err != nil {
			err = ue.Err // the *url.Error repeats the URL, which may hold a receiver's token
		}
		return 0, err
	}
	// Read a bounded part of the answer, so the connection can be reused
	// and a receiver cannot make us read forever.
	io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponse))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("the receiver answered HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}
