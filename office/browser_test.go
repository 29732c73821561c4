package office

// The office end to end in Debian's headless Chromium (issue 13, item 7):
// sign in by keyboard, open every page, make an account (a form with
// errors first), sign out; at a laptop's 1280 px and a phone's 390 px, no
// sideways scroll, a visible focus, and axe-core (npm, pinned in
// web/package-lock.json, read from web/node_modules, never embedded) with
// no serious or critical violation on every page. LAMINATE_SHOTS=<dir>
// saves a screenshot of each page at each width.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/internal/browsertest"
	"github.com/laminate/laminate/internal/racetest"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store/storetest"
)

// chromium is a tab of the test binary's shared headless Chromium
// (internal/browsertest), in a browser context of its own. It skips under
// -race: a test that calls it is named by the Makefile's NORACE_RUN (an
// office browser test's name ends in Browser: TestOffice...Browser).
func chromium(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Tab(t)
}

// TestMain stops the shared Chromium when the tests are done.
func TestMain(m *testing.M) { browsertest.Main(m) }

// browserTest starts a browser test: it skips under -race (make test runs
// it in its second step), and runs beside the other browser tests, each on
// its own tab.
func browserTest(t *testing.T) {
	t.Helper()
	racetest.Skip(t)
	t.Parallel()
}

func axeSource(t *testing.T) string {
	t.Helper()
	return browsertest.Axe(t)
}

func js[T any](ctx context.Context, t *testing.T, script string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%.80s…: %v", script, err)
	}
	return v
}

func run(ctx context.Context, t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// at waits for a page: its path and its h1. A navigation under way
// destroys the context an evaluation runs in, so errors only mean "not yet".
func at(ctx context.Context, t *testing.T, path, h1 string) {
	t.Helper()
	expr := fmt.Sprintf(`window.staleDoc !== true && document.readyState === "complete" && location.pathname === %q && !!document.querySelector("h1") && document.querySelector("h1").textContent.trim() === %q`, path, h1)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + " " + (document.querySelector("h1") || {}).textContent`))
			t.Fatalf("waiting for %s %q: at %q (%v)", path, h1, got, err)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// goTo runs actions that load another page (the same path maybe: a form
// posted back with errors) and waits for it.
func goTo(ctx context.Context, t *testing.T, path, h1 string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	js[chromedp.Void](ctx, t, `window.staleDoc = true; undefined`)
	run(ctx, t, actions...)
	at(ctx, t, path, h1)
}

// check is what every page must pass: no sideways scroll, axe-core, and
// a screenshot.
func check(ctx context.Context, t *testing.T, axe, name string) {
	t.Helper()
	browsertest.NoSideScroll(ctx, t, name)
	browsertest.AxeCheck(ctx, t, axe, name)
	browsertest.Shot(ctx, t, "office-"+name, true)
}

// focusVisible fails unless the focused element is el and draws an outline.
func focusVisible(ctx context.Context, t *testing.T, el string) {
	t.Helper()
	got := js[[]string](ctx, t, `(() => { const a = document.activeElement; const s = getComputedStyle(a); return [a.id || a.tagName, s.outlineStyle, s.outlineWidth]; })()`)
	if got[0] != el || got[1] == "none" || got[2] == "0px" {
		t.Fatalf("focus on %s with outline %s %s, want %s with a visible outline", got[0], got[1], got[2], el)
	}
}

func TestOfficeBrowser(t *testing.T) {
	browserTest(t)
	axe := axeSource(t)
	e := newEnv(t, Config{}, false)
	e.clk.Set(time.Now())
	e.st.Now = time.Now
	e.o.cfg.Now = time.Now
	for _, ev := range []struct{ id, name string }{{"ber-2027", "Berlin, Velodrom"}, {"ams-2027", "Amsterdam, Ziggo Dome"}} {
		x := storetest.NewEvent(t, ev.id, time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("", 3600)))
		x.Name, x.Venue = "Tour 2027: "+ev.name, ev.name
		storetest.MustCreate(t, e.st, x)
	}
	e.user("admin", staff.RoleAdmin)
	for _, size := range [][2]int64{{1280, 800}, {390, 844}} {
		t.Run(fmt.Sprint(size[0]), func(t *testing.T) {
			ctx := chromium(t)
			w := fmt.Sprint(size[0])
			run(ctx, t, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(e.srv.URL+"/office/"))
			at(ctx, t, "/office/sign-in", "Sign in")
			check(ctx, t, axe, w+"-sign-in")

			// Sign in by keyboard alone: Tab past the skip link and the
			// brand to the username, type, Tab, type, Enter.
			run(ctx, t, chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
			focusVisible(ctx, t, "f-username")
			goTo(ctx, t, "/office/", "Events", chromedp.KeyEvent("admin"), chromedp.KeyEvent("\t"), chromedp.KeyEvent(goodPassword), chromedp.KeyEvent("\r"))
			check(ctx, t, axe, w+"-home")
			if n := js[int](ctx, t, `document.querySelectorAll("main td a[href^='/office/events/']").length`); n != 2 {
				t.Errorf("home lists %d events, want 2", n)
			}

			goTo(ctx, t, "/office/events/ber-2027", "Tour 2027: Berlin, Velodrom", chromedp.Click(chromedp.CSS(`a[href="/office/events/ber-2027"]`)))
			check(ctx, t, axe, w+"-event")

			goTo(ctx, t, "/office/users", "Users", chromedp.Click(chromedp.CSS(`nav a[href="/office/users"]`)))
			check(ctx, t, axe, w+"-users")

			// A form with mistakes: the errors stand next to their fields.
			goTo(ctx, t, "/office/users", "Users",
				chromedp.SendKeys(chromedp.CSS("#f-username"), "Carol Smith"),
				chromedp.SendKeys(chromedp.CSS("#f-events"), "ber-2027, nosuch"),
				chromedp.SendKeys(chromedp.CSS("#f-password"), "short"),
				chromedp.Click(chromedp.CSS(`form[action="/office/users"] button[type=submit]`)))
			errs := js[[]string](ctx, t, `[...document.querySelectorAll("[aria-invalid=true]")].map((el) => el.id)`)
			if strings.Join(errs, " ") != "f-username f-display_name f-role f-events f-password" {
				t.Errorf("fields marked invalid: %v", errs)
			}
			check(ctx, t, axe, w+"-users-errors")

			user := "carol-" + w
			goTo(ctx, t, "/office/users/"+user, "Carol Smith",
				chromedp.SetValue(chromedp.CSS("#f-username"), user),
				chromedp.SetValue(chromedp.CSS("#f-display_name"), "Carol Smith"),
				chromedp.SetValue(chromedp.CSS("#f-role"), "printer"),
				chromedp.SetValue(chromedp.CSS("#f-events"), "ber-2027"),
				chromedp.SetValue(chromedp.CSS("#f-password"), "carol's long password"),
				chromedp.SetValue(chromedp.CSS("#f-confirm"), "carol's long password"),
				chromedp.Click(chromedp.CSS(`form[action="/office/users"] button[type=submit]`)))
			if got := js[string](ctx, t, `document.querySelector(".notice").textContent`); got != "Account created." {
				t.Errorf("notice %q", got)
			}
			check(ctx, t, axe, w+"-user")

			goTo(ctx, t, "/office/account", "Your account", chromedp.Click(chromedp.CSS(`nav a[href="/office/account"]`)))
			check(ctx, t, axe, w+"-account")

			goTo(ctx, t, "/office/sign-in", "Sign in", chromedp.Click(chromedp.CSS(`form[action="/office/sign-out"] button`)))
			if got := js[string](ctx, t, `document.querySelector(".notice").textContent`); got != "You are signed out." {
				t.Errorf("after sign-out the notice is %q", got)
			}
			check(ctx, t, axe, w+"-signed-out")
			goTo(ctx, t, "/office/sign-in", "Sign in", chromedp.Navigate(e.srv.URL+"/office/users"))
		})
	}
	if a, err := e.st.User(context.Background(), "carol-390"); err != nil || a.Role != staff.RolePrinter || len(a.Events) != 1 {
		t.Fatalf("the account made in the browser: %+v, %v", a, err)
	}
}
