package verifier

import (
	"testing"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
)

func TestDecideCapacity(t *testing.T) {
	hard := pass.ZoneCapacity{Max: 10, WhenFull: pass.FullDeny}
	soft := pass.ZoneCapacity{Max: 10, WhenFull: pass.FullAttention}
	tests := []struct {
		name     string
		c        pass.ZoneCapacity
		inside   int
		decision record.Decision
		code     record.Code
		want     record.Decision
		wantCode record.Code
	}{
		{"admit/room-left", hard, 9, Admit, "ok", Admit, "ok"},
		{"deny/hard-full", hard, 10, Admit, "ok", Deny, CodeZoneFull},
		{"deny/hard-over", hard, 12, Admit, "ok", Deny, CodeZoneFull},
		{"deny/hard-full-attention", hard, 10, Attention, CodePossibleClone, Deny, CodeZoneFull},
		{"attention/soft-full", soft, 10, Admit, "ok", Attention, CodeZoneFull},
		{"attention/soft-full-keeps-clone", soft, 10, Attention, CodePossibleClone, Attention, CodePossibleClone},
		{"deny/stays", hard, 10, Deny, CodeAlreadyInside, Deny, CodeAlreadyInside},
		{"admit/no-cap", pass.ZoneCapacity{}, 1000, Admit, "ok", Admit, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, code, reason, next := DecideCapacity(tt.c, "photo-pit", tt.inside, tt.decision, tt.code, "", "")
			if d != tt.want || code != tt.wantCode {
				t.Fatalf("DecideCapacity() = %s, %s; want %s, %s", d, code, tt.want, tt.wantCode)
			}
			if code == CodeZoneFull && (reason == "" || next == "") {
				t.Errorf("DecideCapacity() reason %q, next %q: want both", reason, next)
			}
			if !KnownCode(code) {
				t.Errorf("KnownCode(%q) = false", code)
			}
		})
	}
}
