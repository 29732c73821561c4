package webhooks

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestCheckAddr: each refused range is refused, without --allow-private;
// with it, only loopback, RFC 1918 private and unique-local addresses are
// allowed: link-local and cloud metadata addresses stay refused.
func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr          string
		public, never bool // allowed for every endpoint; refused even allowed private
	}{
		{"93.184.215.14", true, false},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true, false},
		{"8.8.8.8", true, false},
		{"127.0.0.1", false, false},
		{"127.255.0.9", false, false},
		{"::1", false, false},
		{"::ffff:127.0.0.1", false, false}, // IPv4-mapped
		{"::ffff:10.1.2.3", false, false},
		{"10.0.0.1", false, false},
		{"172.16.0.1", false, false},
		{"172.31.255.255", false, false},
		{"192.168.1.1", false, false},
		{"169.254.169.254", false, true}, // cloud metadata (AWS, GCP, Azure)
		{"169.254.0.1", false, true},
		{"::ffff:169.254.169.254", false, true},
		{"fd00:ec2::254", false, true},   // AWS metadata over IPv6, inside fc00::/7
		{"100.100.100.200", false, true}, // Alibaba metadata
		{"fe80::1", false, true},
		{"fe80::1%eth0", false, true},
		{"febf::1", false, true},
		{"fc00::1", false, false},
		{"fd12:3456::1", false, false},
		{"fd00:ec2::253", false, false},
		{"100.64.0.1", false, false}, // CGNAT, as Tailscale gives
		{"100.127.255.254", false, false},
		{"100.100.100.199", false, false},
		{"64:ff9b::7f00:1", false, true},    // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false, true}, // NAT64 of 169.254.169.254
		{"2002:7f00:1::", false, true},      // 6to4 of 127.0.0.1
		{"192.0.2.1", false, true},
		{"198.18.0.1", false, true},
		{"0.0.0.0", false, true},
		{"0.1.2.3", false, true},
		{"::", false, true},
		{"224.0.0.1", false, true},
		{"239.255.255.250", false, true},
		{"255.255.255.255", false, true},
		{"ff02::1", false, true},
	} {
		a := netip.MustParseAddr(tc.addr)
		err := CheckAddr(a, false)
		if (err == nil) != tc.public {
			t.Errorf("CheckAddr(%s, private refused) = %v, want allowed %v", tc.addr, err, tc.public)
		}
		if err != nil && !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("CheckAddr(%s) = %v, not ErrForbiddenAddress", tc.addr, err)
		}
		if err := CheckAddr(a, true); (err != nil) != tc.never {
			t.Errorf("CheckAddr(%s, private allowed) = %v, want refused %v", tc.addr, err, tc.never)
		}
	}
	// Just outside the ranges.
	for _, s := range []string{"172.32.0.1", "100.128.0.1", "11.0.0.1", "192.169.0.1", "169.255.0.1"} {
		if err := CheckAddr(netip.MustParseAddr(s), false); err != nil {
			t.Errorf("CheckAddr(%s) = %v, want allowed", s, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		private bool
		bad     string // a word of the error; "" for accepted
	}{
		{"https://hooks.example.com/laminate", false, ""},
		{"https://hooks.example.com:8443/x?token=abc", false, ""},
		{"http://hooks.example.com/laminate", false, "https"},
		{"http://127.0.0.1:9000/hook", true, ""},
		{"https://127.0.0.1/hook", false, "loopback"},
		{"https://[::1]/hook", false, "loopback"},
		{"https://169.254.169.254/latest/meta-data", false, "metadata"},
		{"http://169.254.169.254/latest/meta-data", true, "even with --allow-private"},
		{"http://[fe80::1]/hook", true, "link-local"},
		{"http://[fd00:ec2::254]/", true, "metadata"},
		{"http://100.100.100.200/", true, "metadata"},
		{"http://10.0.0.8:8080/hook", true, ""},
		{"http://[fd00::8]/hook", true, ""},
		{"https://10.0.0.8/", false, "use --allow-private"},
		{"https://10.0.0.8/", false, "private"},
		{"https://[fd00::8]/", false, "unique-local"},
		{"https://100.64.1.1/", false, "carrier-grade"},
		{"http://100.101.102.103/hook", true, ""},
		{"https://0.0.0.0/", true, "unspecified"},
		{"https://224.0.0.1/", true, "multicast"},
		{"ftp://hooks.example.com/", true, "https"},
		{"file:///etc/passwd", true, "https"},
		{"https://user:pass@hooks.example.com/", false, "password"},
		{"https://hooks.example.com/#frag", false, "fragment"},
		{"https:///nohost", false, "host"},
		{"/relative", false, "https"},
		{"https://hooks.example.com/" + strings.Repeat("a", MaxURLLen), false, "longer"},
	} {
		_, err := CheckURL(tc.url, tc.private)
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("CheckURL(%q) = %v, want accepted", tc.url, err)
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("CheckURL(%q) = %v, want an error about %q", tc.url, err, tc.bad)
		}
	}
}

// TestGuardRebinding: a name checked when the admin entered it may
// resolve elsewhere later; the guard checks the address it dials, so a
// resolver answering a private address is refused at dial time, and the
// receiver never hears of it.
func TestGuardRebinding(t *testing.T) {
	hit := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit <- struct{}{} }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	g := &Guard{Lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil // the rebinding answer
	}, Timeout: 5 * time.Second}
	// The URL passes the check: a name is not resolved until dialled.
	u := "https://rebind.example.com:" + port + "/hook"
	if _, err := CheckURL(u, false); err != nil {
		t.Fatal(err)
	}
	_, err := g.DialContext(context.Background(), "tcp", "rebind.example.com:"+port)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("dial through a rebinding resolver: %v, want ErrForbiddenAddress", err)
	}
	// Through the client too, and for an IP literal that skips the resolver.
	c := NewClient(g, 5*time.Second)
	for _, target := range []string{"http://rebind.example.com:" + port + "/", srv.URL} {
		req, _ := http.NewRequest(http.MethodPost, target, nil)
		if _, err := c.Do(req); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("POST %s: %v, want ErrForbiddenAddress", target, err)
		}
	}
	// An endpoint allowed private addresses reaches it.
	req, _ := http.NewRequestWithContext(withAllowPrivate(context.Background(), true), http.MethodPost, "http://rebind.example.com:"+port+"/", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST allowed private: %v", err)
	}
	resp.Body.Close()
	select {
	case <-hit:
	default:
		t.Error("the receiver allowed private got no request")
	}
	select {
	case <-hit:
		t.Error("a refused request reached the receiver")
	default:
	}
}

// TestNoRedirect: a 3xx is the answer, never followed.
func TestNoRedirect(t *testing.T) {
	followed := false
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/inside", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/inside", func(w http.ResponseWriter, r *http.Request) { followed = true })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := NewClient(&Guard{}, 5*time.Second)
	req, _ := http.NewRequestWithContext(withAllowPrivate(context.Background(), true), http.MethodPost, srv.URL+"/hook", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || followed {
		t.Errorf("status %d, followed %v: want the 307 itself", resp.StatusCode, followed)
	}
}

// TestAddResolves: a name that resolves to a refused address is refused
// when the endpoint is added; one that does not resolve yet is accepted
// (the dial check still guards it).
func TestAddResolves(t *testing.T) {
	s := openStore(t)
	old := lookup
	defer func() { lookup = old }()
	lookup = func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "internal.example.com":
			return []netip.Addr{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("10.1.2.3")}, nil
		case "hooks.example.com":
			return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
		}
		return nil, errors.New("no such host")
	}
	ctx := context.Background()
	if _, _, err := Add(ctx, s, "https://internal.example.com/h", []string{"zone.full"}, false, "admin"); err == nil || !strings.Contains(err.Error(), "10.1.2.3 is private") {
		t.Errorf("Add(name of a private address) = %v", err)
	}
	for _, u := range []string{"https://hooks.example.com/h", "https://not-yet.example.com/h"} {
		if _, _, err := Add(ctx, s, u, []string{"zone.full"}, false, "admin"); err != nil {
			t.Errorf("Add(%s) = %v", u, err)
		}
	}
	if _, _, err := Add(ctx, s, "http://internal.example.com/h", []string{"zone.full"}, true, "admin"); err != nil {
		t.Errorf("Add(allowed private) = %v", err)
	}
}
