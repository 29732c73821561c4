package server

import (
	"fmt"
	"io"
	"net"
	"net/netip"
)

// WriteNextSteps tells a first start where to go next: the door and check
// pages at the address the server is bound to, and the command that makes
// a door phone's token. prog is the program's name as the user ran it;
// cmd is prog with the flags that reach this node's store.
func WriteNextSteps(w io.Writer, scheme string, bound net.Addr, prog, cmd string) {
	host, everywhere, loopback := bound.String(), false, false
	if ap, err := netip.ParseAddrPort(host); err == nil {
		loopback = ap.Addr().IsLoopback()
		if ap.Addr().IsUnspecified() {
			host, everywhere = net.JoinHostPort("localhost", fmt.Sprint(ap.Port())), true
		}
	}
	base := scheme + "://" + host
	fmt.Fprintf(w, "\nnext steps:\n")
	fmt.Fprintf(w, "  the door page   %s/scan (sign in with a scanner token)\n", base)
	fmt.Fprintf(w, "  check a pass    %s/verify\n", base)
	fmt.Fprintf(w, "  the office      %s/office/ (make the first admin: %s users create --role admin --username NAME --name 'YOUR NAME')\n", base, cmd)
	if everywhere {
		fmt.Fprintf(w, "  (listening on every address: other devices use this machine's address)\n")
	}
	if scheme == "http" && !loopback {
		fmt.Fprintf(w, "  (phone cameras need HTTPS away from localhost: --tls-cert and --tls-key)\n")
	}
	fmt.Fprintf(w, "  a scanner token for each door phone, in another terminal (--event and --gate bind it to one door):\n")
	fmt.Fprintf(w, "    %s tokens create --role scanner --name 'north gate phone 1' [--event ID --gate G]\n", cmd)
	fmt.Fprintf(w, "  every command   %s help\n\n", prog)
}
