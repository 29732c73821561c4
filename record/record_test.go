package record

import (
	"testing"

	"github.com/laminate/laminate/pass"
)

func TestAdmitted(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		decision, resolution Decision
		want                 bool
	}{
		{"admit", Admit, "", true},
		{"deny", Deny, "", false},
		{"attention/unanswered", Attention, "", false},
		{"attention/let-in", Attention, Admit, true},
		{"attention/turned-away", Attention, Deny, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := Scan{Decision: tc.decision, Resolution: tc.resolution}
			if got := sc.Admitted(); got != tc.want {
				t.Errorf("Admitted() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecisionValid(t *testing.T) {
	for _, d := range []Decision{Admit, Deny, Attention} {
		if !d.Valid() {
			t.Errorf("%q.Valid() = false", d)
		}
	}
	for _, d := range []Decision{"", "ADMIT", "ok"} {
		if d.Valid() {
			t.Errorf("%q.Valid() = true", d)
		}
	}
}

func TestRevocationText(t *testing.T) {
	if got := (&Revocation{Category: pass.RevokeStolen, Note: "taken from the bus"}).Text(); got != "stolen: taken from the bus" {
		t.Errorf("Text = %q", got)
	}
	if got := (&Revocation{Category: pass.RevokeLost}).Text(); got != "lost" {
		t.Errorf("Text = %q", got)
	}
}
