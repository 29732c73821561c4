package verifier

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
)

func TestHumanAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 45 * time.Second: "45s", 3*time.Hour + 12*time.Minute + 20*time.Second: "3h12m",
		47 * time.Hour: "47h0m", 52 * time.Hour: "2d4h",
	} {
		if got := humanAge(d); got != want {
			t.Errorf("humanAge(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestVerdictWriteText(t *testing.T) {
	yes := true
	vd := Verdict{Authentic: true, Status: StatusValid, Message: "genuine", Serial: "ABCD-EFGH", Type: "AAA", Name: "Kim",
		Event: "e1", ExpiresAt: time.Date(2027, 3, 6, 5, 0, 0, 0, time.UTC), Zone: "stage", Allowed: &yes, Code: "allowed", Reason: "AAA may enter"}
	var b strings.Builder
	vd.WriteText(&b, time.FixedZone("CET", 3600))
	want := "VALID: genuine\nserial     ABCD-EFGH\ntype       AAA\nname       Kim\nevent      e1\nexpires    2027-03-06 06:00 +01:00\nADMIT stage: AAA may enter (allowed)\n"
	if b.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestBundleInfo(t *testing.T) {
	issued := time.Date(2027, 3, 5, 10, 0, 0, 0, time.UTC)
	b := &Bundle{IssuedAt: issued.Unix(), ExpiresAt: issued.Add(12 * time.Hour).Unix(), kid: "k1", Event: &pass.Event{ID: "e1"}}
	b.Revocations.Seq = 7
	info := b.Info(issued.Add(3*time.Hour + 12*time.Minute))
	if got, want := info.Line(), "bundle     e1, revocation list 7, made 2027-03-05 10:00 +00:00 (3h12m old), fresh until 2027-03-05 22:00 +00:00\n"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	j, _ := json.Marshal(info)
	if want := `{"event":"e1","revocation_seq":7,"issued_at":"2027-03-05T10:00:00Z","fresh_until":"2027-03-05T22:00:00Z","age_seconds":11520,"kid":"k1"}`; string(j) != want {
		t.Errorf("JSON = %s, want %s", j, want)
	}
}
