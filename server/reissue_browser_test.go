package server

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/internal/racetest"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
)

// TestVerifyPageSuperseded: the public /verify page shows a reissued
// pass as genuine but replaced, never forged, with the desk as the next
// step (issue 13).
func TestVerifyPageSuperseded(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	f := newFixture(t, 0)
	ctx := browser(t, "")
	f.s.cfg.Now = time.Now
	old := f.issue(t, "Sigur Rós")
	sg := *f.s.cfg.Signer
	sg.Now = time.Now
	if _, err := issue.Reissue(context.Background(), &sg, f.st, issue.ReissueRequest{Serial: old.Serial, Reason: pass.ReissueLost, By: "desk"}, issue.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/verify"),
		chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SetValue(chromedp.ID("code"), old.Token),
		chromedp.Click(chromedp.ID("check")),
	)
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("verdict").dataset.status`))
	if err != nil || status != "superseded" {
		t.Fatalf("verify page status = %q, %v; want superseded", status, err)
	}
	word, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("v-status").textContent`))
	class, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("v-status").className`))
	next, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("v-next").textContent`))
	if word != "GENUINE, BUT REPLACED" || class != "status genuine" || next != "Next step: Keep this one and send the holder to the desk" {
		t.Errorf("verify page shows %q (class %q), %q; want GENUINE, BUT REPLACED, genuine, and the desk", word, class, next)
	}
}
