package dashboard

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/server"
)

// sessions stands in for the office (httpkit.SessionResolver): GET
// /test/sign-in?as=ROLE sets a cookie, which names a person of that role
// limited to event ev.
type sessions struct{}

func (sessions) Mount(e *echo.Echo, h httpkit.Host) {
	e.GET("/test/sign-in", func(c echo.Context) error {
		c.SetCookie(&http.Cookie{Name: "test_session", Value: c.QueryParam("as"), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return c.Redirect(http.StatusSeeOther, "/dashboard?event=ev")
	})
}

func (sessions) ResolveSession(c echo.Context) (httpkit.Caller, bool, error) {
	ck, err := c.Cookie("test_session")
	if err != nil || ck.Value == "" {
		return httpkit.Caller{}, false, nil
	}
	return httpkit.Caller{Kind: httpkit.KindUser, ID: ck.Value, Name: "Pat " + ck.Value, Role: ck.Value, Event: "ev", Events: []string{"ev"}}, true, nil
}

// TestPageWithSessionBrowser: a person signed in (to the office, here its
// stand-in) with a role that may watch opens the page and sees the event
// live without a token; one whose role may not is told which role it
// needs and offered the token form.
func TestPageWithSessionBrowser(t *testing.T) {
	ctx := headless(t)
	e := newEnvWith(t, nil, Config{}, sessions{})
	ps := e.passes(pass.AAA, 1)
	e.show(30 * time.Minute)
	scanner := e.token(server.RoleScanner)
	insideJS := `(() => { const s = laminateDashboard.snapshot(); if (!s) return false; const z = s.zones.find((z) => z.zone === "stage"); return z ? z.inside : false; })()`
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/test/sign-in?as=stage")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(`+insideJS+`) === 0 && document.getElementById("signin").hidden && !document.getElementById("live").hidden`)); err != nil {
		t.Fatalf("the page did not watch with the session: %v", err)
	}
	e.scan(scanner, ps[0].Token, "north", "stage", "in")
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(`+insideJS+`) === 1`)); err != nil {
		t.Fatalf("the page did not show the scan: %v", err)
	}
	who, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("who").textContent`))
	if err != nil || !strings.Contains(who, "Pat stage (stage)") {
		t.Errorf("who: %q, %v", who, err)
	}

	// A printer may not watch: the page says so and asks for a token.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/test/sign-in?as=printer")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState === "complete" && !document.getElementById("signin").hidden && !document.getElementById("token-label").hidden`)); err != nil {
		t.Fatalf("a printer's page: %v", err)
	}
	who, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("who").textContent`))
	if !strings.Contains(who, "cannot watch live; that needs the role admin, scanner or stage") {
		t.Errorf("a printer is told %q", who)
	}
}
