package httpkit

import (
	"net/http/httptest"
	"testing"
)

func TestSameSite(t *testing.T) {
	for _, tc := range []struct {
		site, origin string
		want         bool
	}{
		{"", "", true},            // an older browser, no Origin on a GET
		{"same-origin", "", true}, // the dashboard's own fetch
		{"none", "", true},        // typed or bookmarked
		{"same-origin", "http://doors.example", true},
		{"same-origin", "http://DOORS.example", true},
		{"cross-site", "", false},
		{"same-site", "", false},            // a sibling subdomain
		{"", "https://evil.example", false}, // no Sec-Fetch-Site, another Origin
		{"same-origin", "null", false},      // an opaque origin
		{"", "http://doors.example.evil", false},
	} {
		r := httptest.NewRequest("GET", "http://doors.example/v1/events/e/live", nil)
		if tc.site != "" {
			r.Header.Set("Sec-Fetch-Site", tc.site)
		}
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := SameSite(r); got != tc.want {
			t.Errorf("Sec-Fetch-Site %q, Origin %q: %v, want %v", tc.site, tc.origin, got, tc.want)
		}
	}
}
