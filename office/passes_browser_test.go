package office

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// TestPassesBrowser: search as you type (and the printed filter), the
// pass page, a reissue with a mistake first and then with a new photo,
// then a revoke, at 1280 and 390 px, with axe-core on each
// page (check in browser_test.go).
func TestPassesBrowser(t *testing.T) {
	browserTest(t)
	axe := axeSource(t)
	e := newEnv(t, Config{}, false)
	e.clk.Set(time.Now())
	e.st.Now = time.Now
	e.o.cfg.Now = time.Now
	e.withPasses()
	e.user("admin", staff.RoleAdmin)
	for _, tc := range []struct {
		size       [2]int64
		q, name    string
		newName    string
		reissueArg string
	}{
		{[2]int64{1280, 800}, "lights", "Jo Park", "Jo Parker", "name_change"},
		{[2]int64{390, 844}, "lopez", "Ana Lopez", "", "new_photo"},
	} {
		// Both reissues take a new photo, which the new pass page shows.
		var face store.Issued
		withPhoto(t, &face)
		photoFile := filepath.Join(t.TempDir(), "face.jpg")
		if err := os.WriteFile(photoFile, face.PhotoJPEG, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint(tc.size[0]), func(t *testing.T) {
			ctx := chromium(t)
			w := fmt.Sprint(tc.size[0])
			run(ctx, t, chromedp.EmulateViewport(tc.size[0], tc.size[1]), chromedp.Navigate(e.srv.URL+"/office/sign-in"))
			at(ctx, t, "/office/sign-in", "Sign in")
			goTo(ctx, t, "/office/", "Events",
				chromedp.SendKeys(chromedp.CSS("#f-username"), "admin"),
				chromedp.SendKeys(chromedp.CSS("#f-password"), goodPassword+"\r"))
			goTo(ctx, t, "/office/passes", "Passes", chromedp.Click(chromedp.CSS(`nav a[href="/office/passes"]`)))

			// Search as you type: no button pressed, the results follow.
			js[chromedp.Void](ctx, t, `document.querySelector("#f-event").value = "ber"; undefined`)
			run(ctx, t, chromedp.SendKeys(chromedp.CSS("#f-q"), tc.q))
			waitFor(ctx, t, fmt.Sprintf(`!!document.querySelector("#results a[href^='/office/passes/']") && document.querySelector("#results").textContent.includes(%q) && location.search.includes("q=%s")`, tc.name, tc.q))
			if n := js[int](ctx, t, `document.querySelectorAll("#results tbody tr").length`); n != 1 {
				t.Errorf("search %q: %d rows, want 1", tc.q, n)
			}
			check(ctx, t, axe, w+"-passes")
			// The printed filter follows as well: none is printed yet.
			js[chromedp.Void](ctx, t, `document.querySelector("#f-printed").value = "no"; document.querySelector("#f-printed").dispatchEvent(new Event("change", {bubbles: true})); undefined`)
			waitFor(ctx, t, fmt.Sprintf(`location.search.includes("printed=no") && document.querySelector("#results").textContent.includes(%q) && document.querySelector("#results").textContent.includes("not printed")`, tc.name))
			check(ctx, t, axe, w+"-passes-not-printed")

			href := js[string](ctx, t, `document.querySelector("#results a[href^='/office/passes/']").getAttribute("href")`)
			goTo(ctx, t, href, tc.name, chromedp.Click(chromedp.CSS(`#results a[href^='/office/passes/']`)))
			check(ctx, t, axe, w+"-pass")

			// Reissue without a reason: the error stands by the field.
			goTo(ctx, t, href+"/reissue", tc.name, chromedp.Click(chromedp.CSS(`form[action$="/reissue"] button[type=submit]`)))
			if got := js[string](ctx, t, `document.querySelector("#e-reissue-reason").textContent`); got != "Choose a reason." {
				t.Errorf("reissue without a reason: error %q", got)
			}
			check(ctx, t, axe, w+"-pass-errors")

			want := tc.name
			if tc.newName != "" {
				want = tc.newName
			}
			run(ctx, t, chromedp.SetUploadFiles(chromedp.CSS("#f-photo"), []string{photoFile}))
			js[chromedp.Void](ctx, t, fmt.Sprintf(`window.staleDoc = true; document.querySelector("#f-reissue-reason").value = %q; document.querySelector("#f-name").value = %q; document.querySelector("#f-note").value = "at the desk"; document.querySelector('form[action$="/reissue"]').submit(); undefined`, tc.reissueArg, tc.newName))
			waitFor(ctx, t, fmt.Sprintf(`window.staleDoc !== true && document.readyState === "complete" && location.pathname !== %q && document.querySelector("h1").textContent.trim() === %q`, href, want))
			if got := js[string](ctx, t, `document.querySelector(".notice").textContent`); !strings.HasPrefix(got, "New pass issued") {
				t.Errorf("after reissue the notice is %q", got)
			}
			newHref := js[string](ctx, t, `location.pathname`)
			waitFor(ctx, t, `!!document.querySelector("img.photo") && document.querySelector("img.photo").complete && document.querySelector("img.photo").naturalWidth > 0`)
			check(ctx, t, axe, w+"-pass-reissued")

			// Revoke the new pass (the confirmation answered yes).
			js[chromedp.Void](ctx, t, `window.confirm = () => true; undefined`)
			goTo(ctx, t, newHref, want,
				chromedp.SetValue(chromedp.CSS("#f-revoke-reason"), "stolen"),
				chromedp.SendKeys(chromedp.CSS("#f-revoke_note"), "taken from the desk"),
				chromedp.Click(chromedp.CSS(`form[action$="/revoke"] button[type=submit]`)))
			if got := js[string](ctx, t, `document.querySelector(".alert").textContent`); !strings.Contains(got, "Revoked (stolen)") {
				t.Errorf("after revoke the page says %q", got)
			}
			check(ctx, t, axe, w+"-pass-revoked")

			// The old pass links to the new.
			goTo(ctx, t, href, tc.name, chromedp.Navigate(e.srv.URL+href))
			if !js[bool](ctx, t, fmt.Sprintf(`!!document.querySelector('.alert a[href=%q]')`, newHref)) {
				t.Error("the superseded pass does not link to its replacement")
			}
		})
	}
}

// waitFor waits until expr is true on the page.
func waitFor(ctx context.Context, t *testing.T, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", expr, err)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
