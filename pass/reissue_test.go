package pass

import (
	"strings"
	"testing"
)

func TestParseReissueReason(t *testing.T) {
	for _, tt := range []struct {
		in, want, err string
	}{
		{"lost", "lost", ""},
		{" Name_Change ", "name_change", ""},
		{"", "", ""},
		{"stolen", "", "want one of lost, damaged, name_change, new_photo"},
	} {
		got, err := ParseReissueReason(tt.in)
		if string(got) != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseReissueReason(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestSupersededIsNotChosenByHand: the category a reissue gives is kept
// and shown, but a person revoking cannot pick it.
func TestSupersededIsNotChosenByHand(t *testing.T) {
	if !RevokeSuperseded.Valid() || RevokeSuperseded.Label() != "replaced by a newer pass" {
		t.Errorf("RevokeSuperseded: Valid %v, Label %q", RevokeSuperseded.Valid(), RevokeSuperseded.Label())
	}
	for _, c := range RevokeCategories {
		if c == RevokeSuperseded {
			t.Error("RevokeCategories lists superseded")
		}
	}
	for _, in := range []string{"superseded", "Superseded"} {
		if _, err := ParseRevokeCategory(in); err == nil || !strings.Contains(err.Error(), "reissue") {
			t.Errorf("ParseRevokeCategory(%q) error = %v, want it to point to reissue", in, err)
		}
		if _, _, _, err := ParseRevokeReason(in, ""); err == nil {
			t.Errorf("ParseRevokeReason(%q) succeeded (as a legacy free-text reason?)", in)
		}
	}
}
