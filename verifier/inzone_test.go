package verifier

import (
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
)

func TestVerdictInZone(t *testing.T) {
	cest := time.FixedZone("CEST", 2*3600)
	until := time.Date(2027, 9, 18, 18, 0, 0, 0, time.UTC)
	p := &pass.Pass{Event: "ev", ValidUntil: until, ValidFrom: until.Add(-6 * time.Hour)}
	for _, tt := range []struct {
		name string
		vd   Verdict
		loc  *time.Location
		want string
	}{
		{"expired", Verdict{Status: StatusExpired, Pass: p}, cest, "Genuine pass, expired 2027-09-18 20:00 +02:00"},
		{"not-yet-valid", Verdict{Status: StatusNotYetValid, Pass: p}, cest, "Genuine pass, not valid before 2027-09-18 14:00 +02:00"},
		{"revoked", Verdict{Status: StatusRevoked, Pass: p, Revocation: &RevokedInfo{Reason: pass.RevokeLost, At: until}}, cest, "Genuine pass, revoked 2027-09-18 20:00 +02:00: " + pass.RevokeLost.Label()},
		{"valid-untouched", Verdict{Status: StatusValid, Pass: p, Message: "Genuine pass"}, cest, "Genuine pass"},
		{"no-zone-untouched", Verdict{Status: StatusExpired, Pass: p, Message: "as it was"}, nil, "as it was"},
		{"no-pass-untouched", Verdict{Status: StatusForged, Message: "forged"}, cest, "forged"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vd := tt.vd
			vd.InZone(tt.loc)
			if vd.Message != tt.want {
				t.Errorf("Message = %q, want %q", vd.Message, tt.want)
			}
		})
	}
}
