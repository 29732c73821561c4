package server

import (
	"strings"
	"testing"
)

// --trusted-proxy takes CIDRs and addresses, repeated or as a comma list.
func TestTrustedProxyFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // the list, or the start of the error
	}{
		{"ok/cidr", []string{"10.0.0.0/8"}, "10.0.0.0/8"},
		{"ok/address", []string{"192.0.2.10"}, "192.0.2.10/32"},
		{"ok/ipv6", []string{"fd00::/8", "2001:db8::1"}, "fd00::/8,2001:db8::1/128"},
		{"ok/comma-list", []string{"10.0.0.0/8, 172.16.0.0/12"}, "10.0.0.0/8,172.16.0.0/12"},
		{"ok/masked", []string{"10.1.2.3/8"}, "10.0.0.0/8"},
		{"ok/v4-mapped", []string{"::ffff:10.0.0.0/104"}, "10.0.0.0/8"},
		{"fail/name", []string{"proxy.example"}, `"proxy.example" is not a CIDR`},
		{"fail/everyone", []string{"0.0.0.0/0"}, `"0.0.0.0/0" would trust every address`},
		{"fail/everyone-v6", []string{"::/0"}, `"::/0" would trust every address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p ProxyList
			var err error
			for _, a := range tt.args {
				if err = p.Set(a); err != nil {
					break
				}
			}
			got := p.String()
			if err != nil {
				got = err.Error()
			}
			if !strings.HasPrefix(got, tt.want) || (err == nil) != strings.HasPrefix(tt.name, "ok/") {
				t.Fatalf("Set(%q) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}
