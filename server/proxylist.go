package server

import (
	"fmt"
	"net/netip"
	"strings"
)

// ProxyList is the value of serve --trusted-proxy (a flag.Value): CIDRs
// or single addresses, the flag repeated or a comma list.
type ProxyList []netip.Prefix

func (p *ProxyList) String() string {
	out := make([]string, len(*p))
	for i, pr := range *p {
		out[i] = pr.String()
	}
	return strings.Join(out, ",")
}

func (p *ProxyList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		pr, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil || a.Zone() != "" {
				return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or an address such as 10.0.0.5", part)
			}
			pr = netip.PrefixFrom(a, a.BitLen())
		}
		if pr.Addr().Is4In6() && pr.Bits() >= 96 { // client addresses are compared unmapped
			pr = netip.PrefixFrom(pr.Addr().Unmap(), pr.Bits()-96)
		}
		if pr.Bits() == 0 {
			return fmt.Errorf("%q would trust every address to name its own client: name your proxies", part)
		}
		*p = append(*p, pr.Masked())
	}
	return nil
}
