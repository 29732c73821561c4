package server

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/verifier"
)

// Every label value comes from a fixed set, whatever a client sends (issue
// 11): a label copied from input makes a series per distinct value, and
// Go's server accepts any method name, an offline upload any code.
const (
	metricOther     = "other"     // a value outside its label's set
	metricUnmatched = "unmatched" // a request that matched no registered route
)

// metricMethods are the methods of RFC 9110 (and PATCH); others count as
// "other".
var metricMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace,
}

// metricStatuses are the verifier's statuses.
var metricStatuses = []string{
	string(verifier.StatusValid), string(verifier.StatusExpired), string(verifier.StatusNotYetValid),
	string(verifier.StatusRevoked), string(verifier.StatusForged), string(verifier.StatusUnknownKey),
	string(verifier.StatusMalformed), string(verifier.StatusWrongEvent), string(verifier.StatusSuperseded),
}

// metricDecisions are the door's decisions.
var metricDecisions = []string{string(Admit), string(Deny), string(Attention)}

func inSet(set []string) func(string) string {
	m := make(map[string]bool, len(set))
	for _, v := range set {
		m[v] = true
	}
	return func(v string) string {
		if m[v] {
			return v
		}
		return metricOther
	}
}

var (
	metricMethod   = inSet(metricMethods)
	metricStatus   = inSet(metricStatuses)
	metricDecision = inSet(metricDecisions)
)

// metricCode is a door code as a label: one of the fixed set of codes a
// door may give (verifier.KnownCode), else "other".
func metricCode(code string) string {
	if verifier.KnownCode(record.Code(code)) {
		return code
	}
	return metricOther
}

// metricHTTPStatus is a response status as a label: a code net/http knows
// by name, else its class ("5xx").
func metricHTTPStatus(code int) string {
	if http.StatusText(code) != "" {
		return strconv.Itoa(code)
	}
	if code >= 100 && code < 600 {
		return strconv.Itoa(code/100) + "xx"
	}
	return metricOther
}

// boundedVec is a counter vector whose label values are first mapped into
// their fixed sets: callers pass what they have, the set stays bounded.
type boundedVec struct {
	*prometheus.CounterVec
	norm []func(string) string // one per label
}

// WithLabelValues is [prometheus.CounterVec.WithLabelValues] on the
// bounded values.
func (v boundedVec) WithLabelValues(lvs ...string) prometheus.Counter {
	out := make([]string, len(v.norm))
	for i, n := range v.norm {
		if i < len(lvs) {
			out[i] = n(lvs[i])
		} else {
			out[i] = metricOther
		}
	}
	return v.CounterVec.WithLabelValues(out...)
}

// metrics are the server's Prometheus series, on a registry of its own.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	verdicts  boundedVec // status
	decisions boundedVec // decision, code

	routes atomic.Pointer[map[string]bool] // the registered route patterns
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "laminate_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "laminate_http_request_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1},
		}, []string{"route"}),
		verdicts: boundedVec{prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "laminate_verdicts_total", Help: "Token verdicts by status (verify and scans).",
		}, []string{"status"}), []func(string) string{metricStatus}},
		decisions: boundedVec{prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "laminate_scan_decisions_total", Help: "Door scan decisions by decision and code.",
		}, []string{"decision", "code"}), []func(string) string{metricDecision, metricCode}},
	}
	m.reg.MustRegister(m.requests, m.latency, m.verdicts.CounterVec, m.decisions.CounterVec,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// setRoutes fixes the route patterns that may be labels: those registered
// when the server is built.
func (m *metrics) setRoutes(rs []*echo.Route) {
	set := make(map[string]bool, len(rs))
	for _, r := range rs {
		set[r.Path] = true
	}
	m.routes.Store(&set)
}

// route is a request's route pattern as a label: never the raw path
// (serials would make a series each), and "unmatched" for anything that is
// not a registered pattern.
func (m *metrics) route(p string) string {
	if set := m.routes.Load(); set != nil && p != "" && (*set)[p] {
		return p
	}
	return metricUnmatched
}

// observe is middleware counting requests by route pattern, method and
// status, each from its fixed set.
func (m *metrics) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := m.route(c.Path())
		m.requests.WithLabelValues(route, metricMethod(c.Request().Method), metricHTTPStatus(c.Response().Status)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return nil
	}
}

func (m *metrics) handler() echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}
