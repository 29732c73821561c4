package server

import (
	"net"
	"strings"
	"testing"
)

// TestWriteNextSteps: the pages at the bound address (localhost for every
// address), the HTTPS hint away from loopback, and the token command.
func TestWriteNextSteps(t *testing.T) {
	for _, tt := range []struct {
		scheme, addr string
		want, not    []string
	}{
		{"http", "127.0.0.1:8080", []string{"  the door page   http://127.0.0.1:8080/scan (sign in", "  check a pass    http://127.0.0.1:8080/verify\n",
			"    lam --data d tokens create --role scanner", "  every command   lam help\n\n"}, []string{"HTTPS", "every address"}},
		{"http", "0.0.0.0:9090", []string{"http://localhost:9090/scan", "(listening on every address", "(phone cameras need HTTPS"}, nil},
		{"https", "[::]:8443", []string{"https://localhost:8443/verify", "(listening on every address"}, []string{"phone cameras"}},
	} {
		var b strings.Builder
		WriteNextSteps(&b, tt.scheme, &net.TCPAddr{IP: net.ParseIP(strings.Trim(tt.addr[:strings.LastIndex(tt.addr, ":")], "[]")), Port: port(tt.addr)}, "lam", "lam --data d")
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s %s: missing %q in:\n%s", tt.scheme, tt.addr, w, b.String())
			}
		}
		for _, w := range tt.not {
			if strings.Contains(b.String(), w) {
				t.Errorf("%s %s: %q in:\n%s", tt.scheme, tt.addr, w, b.String())
			}
		}
	}
}

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := net.LookupPort("tcp", p)
	return n
}
