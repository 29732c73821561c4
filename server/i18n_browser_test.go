package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/internal/browsertest"
	"github.com/laminate/laminate/internal/racetest"
)

// TestVerifyPageLanguages opens /verify in a browser whose language is
// German: the page and the verdict are in German, worded from the
// verdict's message key (no English line). The switch turns it to Dutch at once, and Dutch it stays
// on the next visit (localStorage), over the browser's German.
func TestVerifyPageLanguages(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	f := newFixture(t, 0)
	ctx := browser(t, "")
	f.s.cfg.Now = time.Now
	iss := f.issue(t, "Sigur Rós")
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()

	// The browser's languages, as a German phone sends them (raw protocol:
	// Emulation.setUserAgentOverride of cdproto v0.159).
	_, err := chromedp.Run(ctx, chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		return chromedp.Void{}, tg.Call(ctx, "Emulation.setUserAgentOverride", map[string]any{
			"userAgent": "Mozilla/5.0 (X11; Linux x86_64) laminate-test", "acceptLanguage": "de-DE,de;q=0.9,en;q=0.5"}, nil)
	}))
	if err != nil {
		t.Fatal(err)
	}
	verify := func(code, status string) {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.Navigate(ts.URL+"/verify"),
			chromedp.WaitVisible(chromedp.ID("code")),
			chromedp.SetValue(chromedp.ID("code"), code),
			chromedp.Click(chromedp.ID("check")),
		); err != nil {
			t.Fatal(err)
		}
		waitJS(ctx, t, "the verdict", `document.getElementById("verdict").dataset.status === "`+status+`"`, 20*time.Second)
	}
	text := func(id string) string { return evalJS[string](ctx, t, `document.getElementById("`+id+`").textContent`) }

	verify(iss.Token, "valid")
	if l := evalJS[string](ctx, t, `navigator.language + " " + document.documentElement.lang`); l != "de-DE de" {
		t.Fatalf("browser and page language %q, want de-DE de", l)
	}
	for id, want := range map[string]string{"v-status": "ECHT", "v-message": "Echter Pass", "check": "Prüfen",
		"v-server": ""} { // worded from its key: no English line
		if got := text(id); got != want {
			t.Errorf("German page: #%s is %q, want %q", id, got, want)
		}
	}

	// The switch: Dutch at once, the verdict on screen too.
	evalJS[bool](ctx, t, `(() => { const s = document.getElementById("lang"); s.value = "nl"; s.dispatchEvent(new Event("change")); return true })()`)
	for id, want := range map[string]string{"v-status": "ECHT", "v-message": "Echte pas", "check": "Controleren"} {
		if got := text(id); got != want {
			t.Errorf("after the switch to Dutch: #%s is %q, want %q", id, got, want)
		}
	}
	// Remembered: a forged pass on the next visit, in Dutch.
	verify(iss.Token[:len(iss.Token)-6]+"AAAAAA", "forged")
	if got := text("v-status"); got != "VERVALST" {
		t.Errorf("Dutch remembered: #v-status is %q, want VERVALST", got)
	}
	if got := text("v-message"); got != "De handtekening klopt niet: geen pas van ons" {
		t.Errorf("Dutch forged verdict %q", got)
	}
	if next := text("v-next"); next != "" && next != "Volgende stap: Houd de pas in en roep de beveiliging" {
		t.Errorf("Dutch next step %q", next)
	}
	// The translated page is
	// as accessible as the English one (last: it skips without make web).
	axeCheck(ctx, t, axeSource(t), "verify in Dutch")
}

// TestScanPageLanguages: the door page in German (chosen with the switch,
// remembered): the screen word, the reason and next step by their keys,
// no English words below; the switch to Dutch changes the settings'
// summary at once.
func TestScanPageLanguages(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	f := newFixture(t, 0)
	ctx := browser(t, "")
	f.s.cfg.Now = time.Now
	auth := scannerToken(t, f)
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	iss := f.issue(t, "Zoë Wanamaker")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/scan"),
		chromedp.WaitVisible(chromedp.ID("token")),
	); err != nil {
		t.Fatal(err)
	}
	evalJS[bool](ctx, t, `(() => { const s = document.getElementById("lang"); s.value = "de"; s.dispatchEvent(new Event("change")); return true })()`)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/scan"), // remembered over the browser's English
		chromedp.WaitVisible(chromedp.ID("token")),
		browsertest.Enter(chromedp.ID("token"), auth),
		chromedp.WaitVisible(chromedp.ID("wedge")),
	); err != nil {
		t.Fatal(err)
	}
	text := func(id string) string { return evalJS[string](ctx, t, `document.getElementById("`+id+`").textContent`) }
	if got := text("signin-btn"); got != "Anmelden" {
		t.Errorf("sign-in button %q, want Anmelden", got)
	}
	for _, c := range []struct{ token, class, code, word, reason, next string }{
		{iss.Token, "admit", "ok", "EINLASS", "Zutritt zu", ""},
		{iss.Token[:len(iss.Token)-6] + "AAAAAA", "deny", "forged", "KEIN EINLASS", "Gefälscht: die Signatur stimmt nicht", "Pass einbehalten"},
	} {
		if err := chromedp.Do(ctx, browsertest.Enter(chromedp.ID("wedge"), c.token)); err != nil {
			t.Fatal(err)
		}
		class, code, _ := result(ctx, t)
		if class != c.class || code != c.code {
			t.Fatalf("screen %s/%s, want %s/%s", class, code, c.class, c.code)
		}
		if got := text("r-word"); got != c.word {
			t.Errorf("%s: word %q, want %q", c.code, got, c.word)
		}
		if got := text("r-reason"); !strings.Contains(got, c.reason) {
			t.Errorf("%s: reason %q, want it to hold %q", c.code, got, c.reason)
		}
		if got := text("r-detail"); got != "" { // worded from its key and parameters
			t.Errorf("%s: the server's English words %q still under the German reason", c.code, got)
		}
		if got := text("r-next"); !strings.Contains(got, c.next) {
			t.Errorf("%s: next step %q, want it to hold %q", c.code, got, c.next)
		}
		dismiss(ctx, t)
	}
	evalJS[bool](ctx, t, `(() => { const s = document.getElementById("lang"); s.value = "nl"; s.dispatchEvent(new Event("change")); return true })()`)
	if got := text("summary-text"); !strings.HasPrefix(got, "Ingang ") {
		t.Errorf("Dutch summary %q, want Ingang …", got)
	}
}
