package pass

import (
	"strings"
	"testing"
)

func TestBrandingValidate(t *testing.T) {
	tests := []struct {
		name string
		b    Branding
		want string // substring of the error; "" for ok
	}{
		{"ok/empty", Branding{}, ""},
		{"ok/all", Branding{Tour: "Ágætis byrjun — World Tour 2027", Short: "BER 05 MAR", Accent: "#0B6E4F", Contact: "Kim +49 30 1234"}, ""},
		{"fail/accent-name", Branding{Accent: "red"}, `accent colour "red": want a hex colour #rrggbb, such as #c8102e`},
		{"fail/accent-short", Branding{Accent: "#abc"}, "want a hex colour #rrggbb"},
		{"fail/accent-no-hash", Branding{Accent: "c8102e"}, "want a hex colour #rrggbb"},
		{"fail/tour-long", Branding{Tour: strings.Repeat("x", MaxTourLen+1)}, "tour line"},
		{"fail/short-long", Branding{Short: strings.Repeat("x", MaxShortLen+1)}, "short name"},
		{"fail/contact-bidi", Branding{Contact: "call \u202e4321"}, "contact line"},
		{"fail/tour-spaces", Branding{Tour: " tour"}, "tour line"},
		{"fail/logo-huge", Branding{Logo: make([]byte, MaxLogoBytes+1)}, "logo: 262145 bytes stored, more than 256 KiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			err := b.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				if tc.b.Accent != "" && b.Accent != strings.ToLower(tc.b.Accent) {
					t.Errorf("accent %q not lower-cased: %q", tc.b.Accent, b.Accent)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
