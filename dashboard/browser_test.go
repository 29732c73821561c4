package dashboard

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/internal/browsertest"
	"github.com/laminate/laminate/internal/racetest"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/server"
)

// TestPageInBrowser: the page in headless Chromium, under its CSP, signs
// in with a token, reads the stream and shows a scan made afterwards.
func TestPageInBrowser(t *testing.T) {
	racetest.Skip(t) // Chromium drives the page; the stream's concurrency is tested under -race without it
	t.Parallel()
	ctx := headless(t)
	e := newEnv(t, nil, Config{})
	ps := e.passes(pass.AAA, 1)
	e.show(30 * time.Minute)
	scanner, stage := e.token(server.RoleScanner), e.token(server.RoleStage)
	insideJS := `(() => { const s = laminateDashboard.snapshot(); if (!s) return false; const z = s.zones.find((z) => z.zone === "stage"); return z ? z.inside : false; })()`
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/dashboard?event=ev"),
		chromedp.WaitVisible(chromedp.ID("token")),
		browsertest.Enter(chromedp.ID("token"), stage),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(`+insideJS+`) === 0`)); err != nil {
		t.Fatalf("page did not show the first snapshot: %v", err)
	}
	e.scan(scanner, ps[0].Token, "north", "stage", "in")
	start := time.Now()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(`+insideJS+`) === 1`)); err != nil {
		t.Fatalf("page did not show the scan: %v", err)
	}
	row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#zones tr[data-zone="stage"]').textContent`))
	if err != nil || row == "" {
		t.Errorf("stage row %q, %v", row, err)
	}
	t.Logf("scan shown on the page %s after its answer", time.Since(start).Round(time.Millisecond))
}

// headless is a tab of the test binary's shared headless Chromium
// (internal/browsertest). It skips under -race: make test runs the browser
// tests in its second step (the Makefile's NORACE_RUN names them).
func headless(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Tab(t)
}

// TestMain stops the shared Chromium when the tests are done.
func TestMain(m *testing.M) { browsertest.Main(m) }

// TestScanPageClearList: the /scan page of the photo pit's door lists
// the photo passes still inside once the photo window closed, and drops
// one that scans out; with their photos (the clear list's photo route).
func TestScanPageClearList(t *testing.T) {
	racetest.Skip(t) // Chromium drives the page; the stream's concurrency is tested under -race without it
	t.Parallel()
	ctx := headless(t)
	e := newEnv(t, nil, Config{})
	ph := e.photoPasses(pass.Photo, "Photographer", "Press Co", 2)
	scanner, stage := e.token(server.RoleScanner), e.token(server.RoleStage)
	e.show(2 * time.Minute)
	for _, p := range ph {
		e.scan(scanner, p.Token, "pit", "photo-pit", "in")
	}
	e.show(6 * time.Minute)
	if r := e.do(stage, "POST", "/v1/events/ev/cues", `{"cue":"photo_closed"}`); r.StatusCode != 200 {
		t.Fatalf("cue: HTTP %d", r.StatusCode)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/scan")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`for (const [k, v] of [["event","ev"],["gate","pit"],["zone","photo-pit"],["direction","out"]]) localStorage.setItem("laminate." + k, v)`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("token")), browsertest.Enter(chromedp.ID("token"), scanner)); err != nil {
		t.Fatal(err)
	}
	items := `document.getElementById("clear").hidden ? -1 : document.querySelectorAll("#clear-list li").length`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(`+items+`) === 2`)); err != nil {
		t.Fatalf("the clear list did not show 2 passes: %v", err)
	}
	photos := `[...document.querySelectorAll("#clear-list img")].filter((i) => i.complete && i.naturalWidth > 0).length`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(`+photos+`) === 2`)); err != nil {
		t.Fatalf("the clear list did not show the 2 photos: %v", err)
	}
	e.scan(scanner, ph[0].Token, "pit", "photo-pit", "out")
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(`+items+`) === 1`)); err != nil {
		t.Fatalf("the pass that scanned out stayed on the list: %v", err)
	}
}
