package record

import (
	"strings"
	"testing"
	"time"

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

func TestIssuedWriteText(t *testing.T) {
	at := time.Date(2027, 3, 5, 10, 0, 0, 0, time.UTC)
	p := &Issued{Pass: pass.Pass{Serial: "ABCD-EFGH", Event: "e1", Type: pass.Staff, Role: "security", Name: "Kim", ValidUntil: at.Add(time.Hour)},
		Token: "tok", KID: "k1", IssuedAt: at, Ref: "crew-17"}
	var b strings.Builder
	p.WriteText(&b, &Revocation{Category: pass.RevokeLost, By: "cli:kim", At: at}, time.FixedZone("CET", 3600))
	want := "serial      ABCD-EFGH\nevent       e1\ntype        STAFF\nrole        security\nname        Kim\n" +
		"valid until " + pass.FormatTime(at.Add(time.Hour), time.FixedZone("CET", 3600)) + "\nissued      " + pass.FormatTime(at, time.FixedZone("CET", 3600)) + "\nkey         k1\nref         crew-17\n" +
		"REVOKED     " + pass.FormatTime(at, time.FixedZone("CET", 3600)) + " by cli:kim: lost\ntoken       tok\n"
	if b.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", b.String(), want)
	}
}
