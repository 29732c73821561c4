package server

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// Issue 11, security 9: /static/ lists no directory.
func TestStaticNoListing(t *testing.T) {
	f := newFixture(t, 0)
	tests := []struct {
		name, path string
		status     int
	}{
		{"ok/file", "/static/app.css", 200},
		{"ok/script", "/static/offline.js", 200},
		{"fail/root-listing", "/static/", 404},
		{"fail/root-dot", "/static/.", 404},
		{"fail/sub-listing", "/static/vendor/", 404},
		{"fail/no-such-file", "/static/nope.js", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "GET", tt.path, "")
			if rec.Code != tt.status {
				t.Fatalf("GET %s = %d, want %d", tt.path, rec.Code, tt.status)
			}
			if strings.Contains(rec.Body.String(), `<a href="`) {
				t.Fatalf("GET %s lists a directory: %.200s", tt.path, rec.Body)
			}
		})
	}
}

// Issue 11, security 9: over TLS every answer carries HSTS for at least a
// year; over plain HTTP none does (RFC 6797 §7.2).
func TestHSTS(t *testing.T) {
	f := newFixture(t, 0)
	tlsSrv := httptest.NewTLSServer(f.s.Handler())
	defer tlsSrv.Close()
	plain := httptest.NewServer(f.s.Handler())
	defer plain.Close()
	maxAge := regexp.MustCompile(`^max-age=(\d+)(; |$)`)
	for _, path := range []string{"/healthz", "/verify", "/static/app.css", "/v1/nosuch"} {
		resp, err := tlsSrv.Client().Get(tlsSrv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header.Get("Strict-Transport-Security")
		m := maxAge.FindStringSubmatch(h)
		if m == nil {
			t.Fatalf("HTTPS %s: Strict-Transport-Security = %q", path, h)
		}
		if n, _ := strconv.Atoi(m[1]); n < 365*24*3600 {
			t.Errorf("HTTPS %s: max-age %d, want at least a year", path, n)
		}
		resp, err = http.Get(plain.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("HTTP %s: Strict-Transport-Security = %q, want none over plain HTTP", path, h)
		}
	}
}

// Issue 11, security 9: a client's X-Request-ID is reflected only when it
// is short and plain; otherwise the request gets an ID of its own.
func TestRequestIDBounded(t *testing.T) {
	f := newFixture(t, 0)
	fresh := regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	tests := []struct {
		name, in string
		kept     bool
	}{
		{"kept/uuid", "0b6c3f7e-3c1a-4b0e-9d3a-2f1e5c7a9b10", true},
		{"kept/hex", strings.Repeat("ab", 16), true},
		{"kept/trace", "Root=1-67891233-abcdef012345678912345678", true},
		{"kept/64", strings.Repeat("x", 64), true},
		{"fresh/65", strings.Repeat("x", 65), false},
		{"fresh/30000", strings.Repeat("x", 30_000), false},
		{"fresh/space", "a b", false},
		{"fresh/markup", "<script>alert(1)</script>", false},
		{"fresh/quote", `a"b`, false},
		{"fresh/non-ascii", "zoë", false},
		{"fresh/empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.in != "" {
				hdr = []string{echo.HeaderXRequestID, tt.in}
			}
			rec := f.do(t, "POST", "/v1/verify", `{}`, hdr...)
			got := rec.Header().Get(echo.HeaderXRequestID)
			if tt.kept && got != tt.in {
				t.Fatalf("X-Request-ID %.40q came back as %.40q", tt.in, got)
			}
			if !tt.kept && !fresh.MatchString(got) {
				t.Fatalf("X-Request-ID %.40q came back as %.80q, want a fresh ID", tt.in, got)
			}
			if body := rec.Body.String(); !strings.Contains(body, `"request_id":"`+got+`"`) {
				t.Fatalf("error body %.200s lacks the request ID %q", body, got)
			}
		})
	}
}

// Issue 11, security 9: only a trusted proxy may name the client, and the
// client is the rightmost address in X-Forwarded-For that is not a
// trusted proxy; IPv6 clients are one client per /64.
func TestClientAddress(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     []string
		client  string
		rateKey string
	}{
		{"direct/no-proxies", nil, "192.0.2.7:5555", nil, "192.0.2.7", "192.0.2.7"},
		{"direct/xff-ignored-without-proxies", nil, "192.0.2.7:5555", []string{"203.0.113.9"}, "192.0.2.7", "192.0.2.7"},
		{"direct/xff-from-untrusted", trusted, "192.0.2.7:5555", []string{"203.0.113.9"}, "192.0.2.7", "192.0.2.7"},
		{"proxy/one-hop", trusted, "10.1.2.3:40000", []string{"203.0.113.9"}, "203.0.113.9", "203.0.113.9"},
		{"proxy/client-spoofs-left", trusted, "10.1.2.3:40000", []string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9", "203.0.113.9"},
		{"proxy/two-proxies", trusted, "10.1.2.3:40000", []string{"203.0.113.9, 10.9.9.9"}, "203.0.113.9", "203.0.113.9"},
		{"proxy/two-header-lines", trusted, "10.1.2.3:40000", []string{"198.51.100.1", "203.0.113.9, 10.9.9.9"}, "203.0.113.9", "203.0.113.9"},
		{"proxy/garbage-right-of-client", trusted, "10.1.2.3:40000", []string{"203.0.113.9, junk"}, "10.1.2.3", "10.1.2.3"},
		{"proxy/garbage-left-of-client", trusted, "10.1.2.3:40000", []string{"junk, 203.0.113.9"}, "203.0.113.9", "203.0.113.9"},
		{"proxy/all-trusted", trusted, "10.1.2.3:40000", []string{"10.4.4.4, 10.9.9.9"}, "10.4.4.4", "10.4.4.4"},
		{"proxy/no-xff", trusted, "10.1.2.3:40000", nil, "10.1.2.3", "10.1.2.3"},
		{"proxy/ipv6-client", trusted, "[fd00::1]:40000", []string{"2001:db8:1:2:aaaa::1"}, "2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"proxy/ipv6-bracketed", trusted, "10.1.2.3:40000", []string{"[2001:db8:1:2::7]"}, "2001:db8:1:2::7", "2001:db8:1:2::/64"},
		{"proxy/v4-mapped", trusted, "[::ffff:10.1.2.3]:40000", []string{"::ffff:203.0.113.9"}, "203.0.113.9", "203.0.113.9"},
		{"direct/ipv6", nil, "[2001:db8:1:2:3:4:5:6]:5555", nil, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"direct/ipv6-zone", nil, "[fe80::1%eth0]:5555", nil, "fe80::1", "fe80::/64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{cfg: Config{TrustedProxies: tt.trusted}}
			req := httptest.NewRequest("GET", "/v1/verify", nil)
			req.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				req.Header.Add(echo.HeaderXForwardedFor, v)
			}
			if got := s.clientIP(req); got != tt.client {
				t.Errorf("client = %q, want %q", got, tt.client)
			}
			if got := rateKey(s.clientIP(req)); got != tt.rateKey {
				t.Errorf("rate-limit key = %q, want %q", got, tt.rateKey)
			}
		})
	}
}

// Behind a trusted proxy, each client has its own rate-limit bucket, and
// an IPv6 client cannot get a new bucket by changing the low 64 bits.
func TestRateLimitPerClient(t *testing.T) {
	f := newFixture(t, 1) // 1/s, burst 3
	f.s = New(func() Config {
		c := f.s.cfg
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		return c
	}())
	verify := func(remote, xff string) int {
		req := httptest.NewRequest("POST", "/v1/verify", strings.NewReader(`{"token":"x"}`))
		req.RemoteAddr = remote
		if xff != "" {
			req.Header.Set(echo.HeaderXForwardedFor, xff)
		}
		rec := httptest.NewRecorder()
		f.s.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	limited := func(remote string, xff func(i int) string) int {
		n := 0
		for i := range 10 {
			if verify(remote, xff(i)) == http.StatusTooManyRequests {
				n++
			}
		}
		return n
	}
	if n := limited("10.0.0.1:1", func(i int) string { return "203.0.113." + strconv.Itoa(i+1) }); n != 0 {
		t.Errorf("10 clients behind the proxy, one request each: %d limited, want 0 (one bucket each)", n)
	}
	if n := limited("10.0.0.1:1", func(int) string { return "198.51.100.7" }); n == 0 {
		t.Error("one client behind the proxy, 10 quick requests: none limited")
	}
	if n := limited("192.0.2.50:1", func(i int) string { return "203.0.113." + strconv.Itoa(100+i) }); n == 0 {
		t.Error("an untrusted client naming 10 addresses in X-Forwarded-For: none limited (it chose its own buckets)")
	}
	if n := limited("[2001:db8:5:6::1]:1", func(int) string { return "" }); n == 0 {
		t.Fatal("one IPv6 client, 10 quick requests: none limited")
	}
	if code := verify("[2001:db8:5:6:ffff:1:2:3]:1", ""); code != http.StatusTooManyRequests {
		t.Errorf("same /64, another address: %d, want 429 (one bucket per /64)", code)
	}
	if code := verify("[2001:db8:5:7::1]:1", ""); code == http.StatusTooManyRequests {
		t.Errorf("another /64: %d, want its own bucket", code)
	}
}

// FuzzClientIP: whatever a connection sends in X-Forwarded-For, the client
// address is the peer or one of the hops, a clean address, and never
// panics; the rate-limit key is bounded.
func FuzzClientIP(f *testing.F) {
	f.Add("10.1.2.3:40000", "203.0.113.9, 10.9.9.9")
	f.Add("[fd00::1]:1", "[2001:db8::1], junk")
	f.Add("192.0.2.7:5555", "")
	f.Add("10.0.0.1:1", " , ,,")
	f.Add("10.0.0.1:1", "::ffff:10.0.0.1%eth0")
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		req.Header.Set(echo.HeaderXForwardedFor, xff)
		ip := s.clientIP(req)
		if ip == "" {
			return // no usable peer address: the rate limit refuses the request
		}
		a, err := netip.ParseAddr(ip)
		if err != nil || a.Zone() != "" || a.Is4In6() || a.String() != ip {
			t.Fatalf("client %q is not a clean address", ip)
		}
		peer, _ := parseAddr(remote, true)
		if a != peer {
			if !s.trusted(peer) {
				t.Fatalf("an untrusted peer %q named its client %q", remote, ip)
			}
			found := false
			for _, h := range strings.Split(xff, ",") {
				if p, ok := parseAddr(strings.TrimSpace(h), false); ok && p == a {
					found = true
				}
			}
			if !found {
				t.Fatalf("client %q is neither the peer %q nor a hop of %q", ip, remote, xff)
			}
		}
		if k := rateKey(ip); k != ip && !(a.Is6() && strings.HasSuffix(k, "/64")) {
			t.Fatalf("rate key %q of %q", k, ip)
		}
	})
}
