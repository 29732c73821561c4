package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// MaxURLLen bounds an endpoint's URL.
const MaxURLLen = 2048

// ErrForbiddenAddress is the guard's refusal of an address: loopback,
// private and the like, for an endpoint not allowed private addresses.
var ErrForbiddenAddress = errors.New("webhooks: address refused")

// ranges are the addresses a webhook may not reach. An endpoint allowed
// private addresses may reach loopback, RFC 1918 private, unique-local
// and carrier-grade NAT ones (the entries with always false), for a
// receiver on the operator's own network or overlay (Tailscale gives its
// machines 100.64.0.0/10 addresses); every other range is refused always:
// link-local and the cloud metadata addresses (an API token must not
// reach the instance's credentials; Alibaba's, inside 100.64.0.0/10, is
// matched first), and the ranges that hide another address (NAT64, 6to4)
// or are no receiver's (documentation, multicast).
var ranges = []struct {
	prefix netip.Prefix
	what   string
	always bool // refused even for an endpoint allowed private addresses
}{
	// Cloud metadata first, so the refusal names it.
	{netip.MustParsePrefix("169.254.169.254/32"), "a cloud metadata address", true},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "a cloud metadata address (AWS IPv6)", true},
	{netip.MustParsePrefix("100.100.100.200/32"), "a cloud metadata address (Alibaba)", true},
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified (\"this network\")", true},
	{netip.MustParsePrefix("10.0.0.0/8"), "private", false},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT (shared address space, as Tailscale gives)", false},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback", false},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (cloud metadata lives here)", true},
	{netip.MustParsePrefix("172.16.0.0/12"), "private", false},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments", true},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation", true},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay", true},
	{netip.MustParsePrefix("192.168.0.0/16"), "private", false},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking", true},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation", true},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation", true},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast", true},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved", true}, // and 255.255.255.255, broadcast
	{netip.MustParsePrefix("::/128"), "unspecified", true},
	{netip.MustParsePrefix("::1/128"), "loopback", false},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64 (an IPv4 address inside)", true},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64 (an IPv4 address inside)", true},
	{netip.MustParsePrefix("100::/64"), "discard", true},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation", true},
	{netip.MustParsePrefix("2002::/16"), "6to4 (an IPv4 address inside)", true},
	{netip.MustParsePrefix("fc00::/7"), "unique-local (private)", false},
	{netip.MustParsePrefix("fe80::/10"), "link-local", true},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)", true},
	{netip.MustParsePrefix("ff00::/8"), "multicast", true},
}

// CheckAddr refuses an address a webhook may not reach: loopback, RFC
// 1918 private, unique-local and carrier-grade NAT unless allowPrivate;
// link-local, cloud metadata, NAT64, 6to4, documentation, reserved,
// multicast, broadcast and unspecified addresses always. An IPv4 address
// written as IPv6 (::ffff:a.b.c.d) is checked as IPv4.
func CheckAddr(a netip.Addr, allowPrivate bool) error {
	if !a.IsValid() {
		return fmt.Errorf("%w: not an address", ErrForbiddenAddress)
	}
	a = a.Unmap().WithZone("")
	for _, r := range ranges {
		if r.prefix.Contains(a) && (r.always || !allowPrivate) {
			return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, a, r.what)
		}
	}
	return nil
}

// privateHint is the advice after a refusal of a: --allow-private when it
// would let a through, else that no endpoint may reach it.
func privateHint(a netip.Addr) string {
	if CheckAddr(a, true) == nil {
		return " (use --allow-private for a receiver on your own network)"
	}
	return " (refused for every endpoint, even with --allow-private)"
}

// CheckURL checks an endpoint's URL as an admin enters it: absolute,
// https (http only for an endpoint allowed private addresses), a host,
// no user name or password, no fragment, at most MaxURLLen bytes. An IP
// literal is checked at once with [CheckAddr]; a name is resolved at
// dial time (see [Guard]).
func CheckURL(raw string, allowPrivate bool) (*url.URL, error) {
	if len(raw) > MaxURLLen {
		return nil, fmt.Errorf("webhook URL longer than %d bytes", MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("webhook URL: %w", err)
	}
	switch {
	case u.Scheme == "http" && !allowPrivate:
		return nil, errors.New("webhook URL must be https (http only with --allow-private, for a receiver on your own network)")
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("webhook URL must be https, not %q", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("webhook URL has no host")
	case u.User != nil:
		return nil, errors.New("webhook URL must not hold a user name or password: the signature authenticates Laminate")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, errors.New("webhook URL must not have a #fragment")
	case u.Opaque != "":
		return nil, errors.New("webhook URL must be absolute, such as https://hooks.example.com/laminate")
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil {
		if err := CheckAddr(a, allowPrivate); err != nil {
			return nil, fmt.Errorf("webhook URL: %w%s", err, privateHint(a))
		}
	}
	return u, nil
}

// Guard dials for the delivery client: it resolves the host itself, and
// checks, in the dialer's Control hook, the address actually dialled, so
// a name that resolves to a public address when checked and to a private
// one when dialled (DNS rebinding) is still refused.
type Guard struct {
	// Lookup resolves a host name; nil: net.DefaultResolver.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// Timeout bounds one connection attempt; 0: 10 s.
	Timeout time.Duration
}

type allowKey struct{}

// withAllowPrivate marks a request's context: its endpoint may reach
// private addresses.
func withAllowPrivate(ctx context.Context, allow bool) context.Context {
	return context.WithValue(ctx, allowKey{}, allow)
}

// DialContext dials address (host:port) for a delivery.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	allow, _ := ctx.Value(allowKey{}).(bool)
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		lookup := g.Lookup
		if lookup == nil {
			lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		if addrs, err = lookup(ctx, host); err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("webhooks: %s has no address", host)
		}
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	d := &net.Dialer{
		Timeout: timeout,
		// Control runs on the socket about to connect: the address here is
		// the one dialled, whatever a resolver said before.
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %q", ErrForbiddenAddress, address)
			}
			return CheckAddr(ap.Addr(), allow)
		},
	}
	var errs []error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}
