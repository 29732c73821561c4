package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
)

// clientIP is the address of the client a request comes from: the
// connection's peer, unless that peer is one of Config.TrustedProxies.
// Then it is the rightmost address of X-Forwarded-For that is not a
// trusted proxy: each proxy appends the address it was reached from, so
// everything left of the first untrusted hop may be made up by the client.
// An entry that is not an address stops the walk at the hop to its right.
func (s *Server) clientIP(r *http.Request) string {
	peer, ok := parseAddr(r.RemoteAddr, true)
	if !ok {
		return ""
	}
	xff := r.Header.Values(echo.HeaderXForwardedFor)
	if len(xff) == 0 || !s.trusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(xff, ","), ",") // header lines are one list (RFC 9110 §5.3)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseAddr(strings.TrimSpace(hops[i]), false)
		if !ok {
			break
		}
		client = hop
		if !s.trusted(hop) {
			break
		}
	}
	return client.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr reads an address as a connection (host:port) or an
// X-Forwarded-For entry (an address, IPv6 maybe in brackets) has it, with
// no zone and IPv4 in IPv6 unmapped.
func parseAddr(s string, hostPort bool) (netip.Addr, bool) {
	if hostPort {
		if h, _, err := net.SplitHostPort(s); err == nil {
			s = h
		}
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// rateKey is the rate-limit bucket of a client address: the address, or
// for IPv6 its /64, since one home or phone is given a whole /64 and would
// otherwise have 2^64 buckets.
func rateKey(ip string) string { return httpkit.RateKey(ip) }
