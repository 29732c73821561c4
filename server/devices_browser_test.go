package server

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/internal/browsertest"
	"github.com/laminate/laminate/internal/racetest"
)

// TestEnrolBrowser: a door device opened at the enrolment address (what a
// phone's camera app does with the QR code) enrols itself, with nobody
// typing, and scans; the code leaves the address bar, and a second device
// with the same code is refused (issue 14, item 1). The log line gives
// the figure: sign-in to first scan.
func TestEnrolBrowser(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	f := newFixture(t, 0)
	f.s.cfg.Now = time.Now
	ctx := browser(t, "")
	p := f.issue(t, "Enrolled Guest") // the event "live", running now
	admin := f.apiToken(t, RoleAdmin, "office")
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	e := f.enrolment(t, admin, `{"event":"live","gate":"north","zone":"backstage","name":"north phone 3"}`)

	start := time.Now()
	url := ts.URL + "/scan#enrol=" + e.Code
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the enrolled door", `window.laminateDoor && window.laminateDoor.status().signed_in && window.laminateDoor.status().gate === "north"`, 30*time.Second)
	if got := evalJS[string](ctx, t, `location.href`); strings.Contains(got, "enrol") {
		t.Fatalf("the code stayed in the address bar: %s", got)
	}
	if got := evalJS[string](ctx, t, `document.getElementById("event").value + "/" + document.getElementById("zone").value`); got != "live/backstage" {
		t.Fatalf("door settings after enrolment: %s, want live/backstage", got)
	}
	if err := chromedp.Do(ctx, browsertest.Enter(chromedp.ID("wedge"), p.Token)); err != nil {
		t.Fatal(err)
	}
	screen(ctx, t, "admit")
	t.Logf("enrolment: page opened at the enrolment address to first scan answered: %.2f s", time.Since(start).Seconds())

	// The device reported itself on its requests.
	list := f.devices(t, admin)
	if len(list) != 1 || list[0].Name != "north phone 3" || !list[0].Online || list[0].App == "" {
		t.Fatalf("devices = %+v", list)
	}

	// Someone who photographed the screen: the code is spent.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`localStorage.clear(); sessionStorage.clear()`), chromedp.Navigate("about:blank"), chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the refusal", `document.getElementById("signin-msg").textContent.includes("not valid")`, 30*time.Second)
	if evalJS[bool](ctx, t, `window.laminateDoor.status().signed_in`) {
		t.Fatal("a spent enrolment code signed a second device in")
	}
}

// TestEnrolBrowserWedge: a scanner gun reading the enrolment QR code into
// the sign-in box enrols the device too.
func TestEnrolBrowserWedge(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	f := newFixture(t, 0)
	f.s.cfg.Now = time.Now
	ctx := browser(t, "")
	f.issue(t, "Someone")
	admin := f.apiToken(t, RoleAdmin, "office")
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	e := f.enrolment(t, admin, `{"event":"live","gate":"south","name":"south gun"}`)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/scan"), browsertest.Enter(chromedp.ID("token"), e.URL)); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the enrolled door", `window.laminateDoor.status().signed_in && window.laminateDoor.status().gate === "south"`, 30*time.Second)
}
