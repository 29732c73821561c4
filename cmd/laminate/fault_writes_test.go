//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every route that writes, driven through a database outage by
// TestFaultPostgresRestart beside its scans (issue 11, item 8): each
// answers at once, with success or 503 store_unavailable and nothing of
// the driver's text, and works again once the database is back.

// writeRoute is one route that writes.
type writeRoute struct {
	name, method string
	path         func(k int) string
	bearer       string
	body         func(k int) any // nil: no body; []byte is sent as CSV
	ok           int             // its status when the database answers
}

// outageWriteRoutes lists the routes: each request k writes something new
// (a pass, a scan) or is a write that can be repeated (a cue, a scoped
// revocation that matches nothing, a revocation of a serial never issued).
func outageWriteRoutes(admin, issuer, scanner, stage, event string, p issuedPass) []writeRoute {
	forged := p.Token[:len(p.Token)-4] + "AAAA" // stored as a deny of no pass: the scan workers' passes stay untouched
	run := randHex(3)
	return []writeRoute{
		{"issue-one", http.MethodPost, fixed("/v1/passes"), issuer, func(k int) any {
			return map[string]string{"event": event, "type": "VIP", "name": fmt.Sprintf("Outage %s %d", run, k)}
		}, http.StatusCreated},
		{"issue-batch", http.MethodPost, fixed("/v1/passes/batch?event=" + event), issuer, func(k int) any {
			return fmt.Appendf(nil, "name,type\nBatch %s %d a,VIP\nBatch %s %d b,VIP\n", run, k, run, k)
		}, http.StatusCreated},
		// A serial never issued: the revocation's transaction runs and
		// finds no pass (404), or cannot run (503).
		{"revoke", http.MethodPost, func(int) string { return "/v1/passes/2222-2222/revoke" }, admin, func(int) any {
			return map[string]string{"reason": "lost"}
		}, http.StatusNotFound},
		{"mass-revoke", http.MethodPost, fixed("/v1/revocations"), admin, func(k int) any {
			return map[string]string{"event": event, "org": fmt.Sprintf("nobody-%s-%d", run, k), "reason": "stolen"}
		}, http.StatusOK},
		{"cue", http.MethodPost, fixed("/v1/events/" + event + "/cues"), stage, func(int) any {
			return map[string]string{"cue": "doors_open"}
		}, http.StatusOK},
		{"offline-upload", http.MethodPost, fixed("/v1/scans/offline"), scanner, func(k int) any {
			return map[string]any{"scans": []map[string]any{{"token": forged, "gate": "north", "zone": "backstage", "direction": "in",
				"scan_id": fmt.Sprintf("outage-offline-%s-%d", run, k), "at": time.Now().Add(-time.Hour).UTC(), "decision": "deny", "code": "forged"}}}
		}, http.StatusOK},
		{"print-pdf", http.MethodGet, fixed("/v1/passes/" + p.Serial + "/pdf?template=badge-a6-a4"), issuer, nil, http.StatusOK},
	}
}

func fixed(path string) func(int) string { return func(int) string { return path } }

// writeOutcome is one request of a write route.
type writeOutcome struct {
	route, phase string
	status       int
	code         string
	body         string // of an error answer
	serial       string // of a pass issued by issue-one
	answered     bool
	took         time.Duration
}

// writeLoad drives the write routes, one worker each, until stop closes.
type writeLoad struct {
	n      *proc
	routes []writeRoute
	mu     sync.Mutex
	out    []writeOutcome
	seq    atomic.Int64
}

func (w *writeLoad) send(ctx context.Context, r writeRoute, phase string) writeOutcome {
	k := int(w.seq.Add(1))
	var body any
	if r.body != nil {
		body = r.body(k)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	began := time.Now()
	status, raw, err := w.n.call(ctx, r.method, r.path(k), r.bearer, body)
	o := writeOutcome{route: r.name, phase: phase, status: status, answered: err == nil, took: time.Since(began)}
	if err == nil && status >= 400 {
		var e apiError
		json.Unmarshal(raw, &e)
		o.code, o.body = e.Error.Code, string(raw)
	}
	if err == nil && status == http.StatusCreated && r.name == "issue-one" {
		var p issuedPass
		json.Unmarshal(raw, &p)
		o.serial = p.Serial
	}
	return o
}

func (w *writeLoad) start(ctx context.Context, wg *sync.WaitGroup, stop <-chan struct{}, phase *atomic.Value) {
	for _, r := range w.routes {
		wg.Go(func() {
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				o := w.send(ctx, r, phase.Load().(string))
				w.mu.Lock()
				w.out = append(w.out, o)
				w.mu.Unlock()
			}
		})
	}
}

// leaked is internal text an error body must never carry.
func leaked(body string) string {
	for _, s := range []string{"store:", "database unavailable", "dial ", "connect:", "connection refused", "SQLSTATE", "pgx", "postgres", "127.0.0.1"} {
		if strings.Contains(body, s) {
			return s
		}
	}
	return ""
}

// probe sends each route once, watched closely: during the outage each
// must answer 503 store_unavailable within failFast; after it, its
// success status.
func (w *writeLoad) probe(ctx context.Context, t *testing.T, phase string, failFast time.Duration) {
	t.Helper()
	var issued string
	for _, r := range w.routes {
		o := w.send(ctx, r, phase+" probe")
		if o.serial != "" {
			issued = o.serial
		}
		switch {
		case !o.answered:
			t.Errorf("%s: %s %s got no answer", phase, r.method, r.name)
		case phase == "down" && (o.status != http.StatusServiceUnavailable || o.code != "store_unavailable" || o.took > failFast):
			t.Errorf("%s during the outage: %d %q after %v (%s); want 503 store_unavailable within %v",
				r.name, o.status, o.code, o.took.Round(time.Millisecond), o.body, failFast)
		case phase != "down" && o.status != r.ok:
			t.Errorf("%s after the outage: %d %s; want %d", r.name, o.status, o.body, r.ok)
		}
		if s := leaked(o.body); s != "" {
			t.Errorf("%s (%s): the answer carries internal text %q: %s", r.name, phase, s, o.body)
		}
	}
	if phase == "down" {
		return
	}
	// The revocation of a real pass, the one just issued.
	for _, r := range w.routes {
		if r.name == "revoke" && issued != "" {
			r.path = fixed("/v1/passes/" + issued + "/revoke")
			if o := w.send(ctx, r, phase+" probe"); o.status != http.StatusOK {
				t.Errorf("%s: revoking pass %s: %d %s; want 200", phase, issued, o.status, o.body)
			}
		}
	}
	if issued == "" {
		t.Errorf("%s: issue-one issued no pass to revoke", phase)
	}
}

// check looks at every answer of the load: answered, each with success or
// 503 store_unavailable, fast while the database was away, no internal
// text; and logs the figures per route and phase.
func (w *writeLoad) check(t *testing.T, failFast time.Duration) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	ok := map[string]int{}
	for _, r := range w.routes {
		ok[r.name] = r.ok
	}
	figures := map[string]map[string]int{}
	for _, o := range w.out {
		key := o.route + "/" + o.phase
		if figures[key] == nil {
			figures[key] = map[string]int{}
		}
		switch {
		case !o.answered:
			figures[key]["no answer"]++
			t.Errorf("%s: no answer within 10 s", key)
		case o.status == ok[o.route]:
			figures[key][fmt.Sprint(o.status)]++
		case o.status == http.StatusServiceUnavailable && o.code == "store_unavailable":
			figures[key]["503 store_unavailable"]++
		default:
			figures[key][fmt.Sprintf("%d %s", o.status, o.code)]++
			t.Errorf("%s: answered %d %s; want %d or 503 store_unavailable", key, o.status, o.body, ok[o.route])
		}
		if s := leaked(o.body); s != "" {
			t.Errorf("%s: the answer carries internal text %q: %s", key, s, o.body)
		}
		if o.answered && o.took > failFast && (o.phase == "down" || o.phase == "recovering") {
			t.Errorf("%s: took %v (over %v)", key, o.took.Round(time.Millisecond), failFast)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(figures)) {
		t.Logf("writes %s: %v", k, figures[k])
	}
}
