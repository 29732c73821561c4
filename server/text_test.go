package server

import (
	"strings"
	"testing"
)

// TestNewTokenNameText: a token's name becomes the actor of what it does
// (a revocation's "by"), so it follows the rules of all free text.
func TestNewTokenNameText(t *testing.T) {
	f := newFixture(t, 0)
	tests := []struct {
		name, in, want string
	}{
		{"ok/plain", "north gate phone 3", ""},
		{"ok/arabic", "بوابة الشمال", ""},
		{"fail/rlo", "north gate\u202e3", "token name has an invisible character U+202E (right-to-left override)"},
		{"fail/control", "north\x1bgate", "token name has a control character"},
		{"fail/empty", "  ", "1 to 80 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := NewToken(RoleScanner, tt.in, f.now)
			if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewToken(%q) error = %v, want %q", tt.in, err, tt.want)
			}
		})
	}
}
