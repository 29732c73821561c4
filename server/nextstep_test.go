package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// TestScanNextStep: a denied scan and a refused verification say what the
// door does next (issue 11), as the verifier and the policy word it.
func TestScanNextStep(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	auth := scannerToken(t, f)
	ev, err := f.st.Event(ctx, "tour27-ber01")
	if err != nil {
		t.Fatal(err)
	}
	out, err := issue.Batch(ctx, f.s.cfg.Signer, f.st, ev, []signer.Request{{Type: pass.VIP, Name: "Lost Card"}}, "test", issue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.Revoke(ctx, &store.Revocation{Serial: out[0].Serial, Category: pass.RevokeLost, By: "test", At: f.now}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	show := f.now.Add(9 * time.Hour)
	dawn := ev.Schedule.AccessFrom.Add(-time.Hour)
	early := ev.Decide(&pass.Pass{Event: ev.ID, Type: pass.AAA}, "stage", dawn)
	if early.Code != pass.CodeOutsideAccess || early.NextStep == "" {
		t.Fatalf("the fixture's event before access opens: %+v, want a denial with a next step", early)
	}
	cases := []struct {
		name, token, zone string
		at                time.Time
		code, next        string
	}{
		{"deny/revoked", out[0].Token, "stage", f.now, "revoked", "Keep the pass and call the production office"},
		{"deny/forged", f.token[:len(f.token)-6] + "AAAAAA", "stage", f.now, "forged", "Scan once more; if refused again, keep the pass and call security"},
		{"deny/outside-access", f.token, "stage", dawn, string(early.Code), early.NextStep},
		{"admit/none", f.token, "stage", show, "ok", ""},
	}
	for i, c := range cases {
		f.setNow(c.at)
		code, r, body := f.scan(t, auth, c.token, "north", c.zone, "in", fmt.Sprint("n", i), c.at)
		if code != 200 || string(r.Code) != c.code || r.NextStep != c.next {
			t.Errorf("%s: %d %s, want code %s next step %q", c.name, code, body, c.code, c.next)
		}
	}
	f.setNow(f.now)
	rec := f.do(t, "POST", "/v1/verify", `{"token":"`+out[0].Token+`"}`, "Content-Type", "application/json")
	if m := decode(t, rec); m["next_step"] != "Keep the pass and call the production office" {
		t.Errorf("verify a revoked pass: %s, want its next step", rec.Body)
	}
	rec = f.do(t, "POST", "/v1/verify", `{"token":"`+f.token+`"}`, "Content-Type", "application/json")
	if m := decode(t, rec); m["status"] != "valid" || m["next_step"] != nil {
		t.Errorf("verify a valid pass: %s, want no next step", rec.Body)
	}
}
