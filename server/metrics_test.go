package server

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/verifier"
)

// randToken is a random HTTP method: Go's server accepts any token
// characters there, of any length up to its header limit.
func randToken(r *rand.Rand, n int) string {
	const tchar = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = tchar[r.IntN(len(tchar))]
	}
	return string(b)
}

// randPath is a random path segment.
func randPath(r *rand.Rand, n int) string {
	const pchar = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = pchar[r.IntN(len(pchar))]
	}
	return string(b)
}

// series counts the series of the laminate_ families: every label set
// that has a value.
func series(t *testing.T, f *fixture) (n int, labels map[string]map[string]bool) {
	t.Helper()
	fams, err := f.s.m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	labels = map[string]map[string]bool{}
	for _, fam := range fams {
		if !strings.HasPrefix(fam.GetName(), "laminate_") {
			continue
		}
		for _, m := range fam.GetMetric() {
			n++
			for _, lp := range m.GetLabel() {
				key := fam.GetName() + "/" + lp.GetName()
				if labels[key] == nil {
					labels[key] = map[string]bool{}
				}
				labels[key][lp.GetValue()] = true
			}
		}
	}
	return n, labels
}

// Issue 11, security 1: no input grows the metrics. 10,000 requests with
// random methods and paths, 10,000 scan decisions with random codes and
// 10,000 verdicts with random statuses leave /metrics within 1% of its
// size and add no series.
func TestMetricsBounded(t *testing.T) {
	f := newFixture(t, 0)
	r := rand.New(rand.NewPCG(11, 1))
	paths := func() string {
		switch r.IntN(4) {
		case 0:
			return "/v1/passes/" + randPath(r, 9)
		case 1:
			return "/" + randPath(r, 1+r.IntN(200))
		case 2:
			return "/static/" + randPath(r, 20)
		}
		return "/v1/verify"
	}
	load := func(n int) {
		for range n {
			f.do(t, randToken(r, 1+r.IntN(2000)), paths(), "")
			f.s.m.decisions.WithLabelValues(randToken(r, 1+r.IntN(64)), randToken(r, 1+r.IntN(64))).Inc()
			f.s.m.decisions.WithLabelValues(string(Admit), randToken(r, 1+r.IntN(64))).Inc()
			f.s.m.verdicts.WithLabelValues(randToken(r, 1+r.IntN(64))).Inc()
		}
	}
	// Every series an unknown input can reach exists after a warm-up.
	load(1000)
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"} {
		f.do(t, m, "/nowhere", "")
	}
	metrics := func() int { return f.do(t, "GET", "/metrics", "").Body.Len() }
	metrics()
	before, beforeN := metrics(), 0
	beforeN, _ = series(t, f)
	load(10_000)
	after := metrics()
	afterN, labels := series(t, f)
	t.Logf("/metrics: %d bytes before, %d after 10,000 random requests, decisions and verdicts; %d series before, %d after", before, after, beforeN, afterN)
	if d := float64(after-before) / float64(before); d > 0.01 || d < -0.01 {
		t.Errorf("/metrics grew from %d to %d bytes (%.1f%%)", before, after, 100*d)
	}
	if afterN != beforeN {
		t.Errorf("series: %d before, %d after", beforeN, afterN)
	}
	checkLabels(t, f, labels)
}

// checkLabels: every label value is one of a fixed set.
func checkLabels(t *testing.T, f *fixture, labels map[string]map[string]bool) {
	t.Helper()
	routes := map[string]bool{metricUnmatched: true}
	for _, rt := range f.s.e.Routes() {
		routes[rt.Path] = true
	}
	in := func(set []string) func(string) bool { return func(v string) bool { return slices.Contains(set, v) } }
	allowed := map[string]func(string) bool{
		"laminate_http_requests_total/route":  func(v string) bool { return routes[v] },
		"laminate_http_request_seconds/route": func(v string) bool { return routes[v] },
		"laminate_http_requests_total/method": in(append(slices.Clone(metricMethods), metricOther)),
		"laminate_http_requests_total/status": func(v string) bool {
			return (len(v) == 3 && http.StatusText(atoi(v)) != "") || slices.Contains([]string{"1xx", "2xx", "3xx", "4xx", "5xx"}, v)
		},
		"laminate_verdicts_total/status":         in(append(slices.Clone(metricStatuses), metricOther)),
		"laminate_scan_decisions_total/decision": in(append(slices.Clone(metricDecisions), metricOther)),
		"laminate_scan_decisions_total/code":     func(v string) bool { return v == metricOther || verifier.KnownCode(record.Code(v)) },
	}
	for key, vals := range labels {
		ok := allowed[key]
		if ok == nil {
			t.Errorf("label %s is not known to this test", key)
			continue
		}
		for v := range vals {
			if !ok(v) {
				t.Errorf("label %s has value %.40q, outside its fixed set", key, v)
			}
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// The label sets themselves: every known value maps to itself, anything
// else to "other" (or "unmatched" for a route), and the sets are the
// documented ones.
func TestMetricLabelSets(t *testing.T) {
	f := newFixture(t, 0)
	tests := []struct {
		name string
		norm func(string) string
		in   string
		want string
	}{
		{"method/get", metricMethod, "GET", "GET"},
		{"method/lowercase-is-other", metricMethod, "get", metricOther},
		{"method/long", metricMethod, strings.Repeat("X", 30_000), metricOther},
		{"status/valid", metricStatus, "valid", "valid"},
		{"status/made-up", metricStatus, "pwned", metricOther},
		{"decision/admit", metricDecision, "admit", "admit"},
		{"decision/made-up", metricDecision, "maybe", metricOther},
		{"code/ok", metricCode, "ok", "ok"},
		{"code/revoked", metricCode, "revoked", "revoked"},
		{"code/already-inside", metricCode, "already_inside", "already_inside"},
		{"code/offline-conflict", metricCode, "offline_conflict", "offline_conflict"},
		{"code/made-up", metricCode, "x-1", metricOther},
		{"code/empty", metricCode, "", metricOther},
		{"route/registered", f.s.m.route, "/v1/passes/:serial", "/v1/passes/:serial"},
		{"route/raw-path", f.s.m.route, "/v1/passes/2222-2222", metricUnmatched},
		{"route/empty", f.s.m.route, "", metricUnmatched},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.norm(tt.in); got != tt.want {
				t.Errorf("%.40q -> %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	for _, set := range [][]string{metricMethods, metricStatuses, metricDecisions, doorCodes} {
		for _, v := range set {
			if metricMethod(v) != v && metricStatus(v) != v && metricDecision(v) != v && metricCode(v) != v {
				t.Errorf("%q is in a label set but maps to other", v)
			}
		}
	}
	// Every series the server can make, at most: the codes are those a
	// door may give, a fixed set (verifier.KnownCode).
	routes := len(f.s.e.Routes()) + 1
	max := routes*(len(metricMethods)+1)*70 + routes + len(metricStatuses) + 1 + (len(metricDecisions)+1)*(len(doorCodes)+1)
	t.Logf("at most %d series: %d routes x %d methods x ~70 HTTP statuses, %d verdict statuses, %d decisions x %d codes",
		max, routes, len(metricMethods)+1, len(metricStatuses)+1, len(metricDecisions)+1, len(doorCodes)+1)
}

// doorCodes are the codes a door gives today; each is a label of its own.
var doorCodes = []string{
	"ok", "wrong_event", "unknown_zone", "no_rule", "zone_not_allowed", "outside_access", "not_now",
	"expired", "not_yet_valid", "revoked", "forged", "unknown_key", "malformed", "unknown_event",
	"already_inside", "possible_clone", "offline_conflict", "no_offline_data", "bundle_expired", "clock_wrong",
}
