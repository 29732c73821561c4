//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
)

// BenchmarkPropagation measures how soon one node honours what another
// node did, two real "laminate serve" processes on one PostgreSQL store
// (LAMINATE_TEST_POSTGRES): each iteration revokes a pass through node 0's
// API and polls node 1's public /v1/verify every millisecond until it
// answers "revoked" (the time includes the revocation request itself).
// Reported: p50 and max in milliseconds; the goal is at most 1 s. Run
//
//	go test ./cmd/laminate -run '^$' -bench Propagation -benchtime 100x
//
// for the issue's 100 revocations. BenchmarkCuePropagation does the same
// for a live cue, seen in node 1's event status.
func BenchmarkPropagation(b *testing.B) {
	ctx := context.Background()
	d, n0, n1 := twoNodes(b)
	admin := d.token(ctx, "admin")
	d.event(ctx, "prop")
	passes := d.issueAAA(ctx, "prop", b.N)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		p := passes[i]
		t0 := time.Now()
		code, raw, err := n0.call(ctx, http.MethodPost, "/v1/passes/"+p.Serial+"/revoke", admin, map[string]string{"reason": "propagation benchmark"})
		if err != nil || code != http.StatusOK {
			b.Fatalf("revoke on node 0: %d %s %v", code, raw, err)
		}
		waitFor(b, func() bool {
			_, raw, err := n1.call(ctx, http.MethodPost, "/v1/verify", "", map[string]string{"token": p.Token})
			var v struct{ Status string }
			return err == nil && json.Unmarshal(raw, &v) == nil && v.Status == "revoked"
		})
		lat = append(lat, time.Since(t0))
	}
	reportLatency(b, lat)
}

// BenchmarkCuePropagation: a live cue given on node 0 (show_started, then
// show_ended, on a fresh event every two iterations) until node 1's status
// shows the new phase.
func BenchmarkCuePropagation(b *testing.B) {
	ctx := context.Background()
	d, n0, n1 := twoNodes(b)
	stage := d.token(ctx, "stage")
	scanner := d.token(ctx, "scanner")
	st, err := openStore(ctx, d.store)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	for i := range b.N/2 + 1 {
		ev := &pass.Event{ID: fmt.Sprintf("cues%d", i), Name: "Cue benchmark", Schedule: pass.Schedule{ShowStart: start, ShowEnd: start.Add(3 * time.Hour)}}
		if err := ev.Validate(); err != nil {
			b.Fatal(err)
		}
		if err := st.CreateEvent(ctx, ev, "benchmark"); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	time.Sleep(time.Second) // the nodes load the new events
	lat := make([]time.Duration, 0, b.N)
	cues := []struct{ cue, phase string }{{"show_started", "during"}, {"show_ended", "after"}}
	b.ResetTimer()
	for i := range b.N {
		c, ev := cues[i%2], fmt.Sprintf("cues%d", i/2)
		t0 := time.Now()
		code, raw, err := n0.call(ctx, http.MethodPost, "/v1/events/"+ev+"/cues", stage, map[string]string{"cue": c.cue})
		if err != nil || code != http.StatusOK {
			b.Fatalf("cue on node 0: %d %s %v", code, raw, err)
		}
		waitFor(b, func() bool {
			_, raw, err := n1.call(ctx, http.MethodGet, "/v1/events/"+ev+"/status", scanner, nil)
			var st struct{ Phase string }
			return err == nil && json.Unmarshal(raw, &st) == nil && st.Phase == c.phase
		})
		lat = append(lat, time.Since(t0))
	}
	reportLatency(b, lat)
}

// twoNodes starts two nodes on a fresh PostgreSQL schema: node 0 makes the
// deployment, node 1 joins by the store alone.
func twoNodes(b *testing.B) (*deployment, *proc, *proc) {
	u := pgSchemaStore(b)
	ctx := context.Background()
	d := newDeployment(b, u)
	d.mustCLI(ctx, 0, "init")
	return d, d.start(ctx, 0), d.start(ctx, 1)
}

// waitFor polls ok every millisecond; 5 s without it fails the benchmark
// (a correctness bound: the change never arrived).
func waitFor(b *testing.B, ok func() bool) {
	b.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			b.Fatal("node 1 did not see the change within 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d changes: p50 %.1f ms, max %.1f ms", len(lat), ms(lat[len(lat)/2]), ms(lat[len(lat)-1]))
}
