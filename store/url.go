package store

import (
	"net/url"
	"strings"
)

// RedactURL hides a password in a store URL, for messages.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		if i := strings.LastIndex(u, "@"); i >= 0 {
			return "…" + u[i:]
		}
		return u
	}
	return p.Redacted()
}
