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
)

// browserList is a 200-row guest list: a pass already issued (dup), a
// row repeating an earlier one, and on line 6 the pass type typ.
func browserList(dup, typ string) string {
	var b strings.Builder
	b.WriteString("name,type,role,org,ref,valid_until\n")
	b.WriteString(dup + ",AAA,,Band,,\n")
	for i := 1; i <= 197; i++ {
		t := "VIP"
		if i == 4 {
			t = typ
		}
		fmt.Fprintf(&b, "Guest Number %03d,%s,,Guest Agency Worldwide,R-%04d,2027-03-06 02:00\n", i, t, i)
	}
	b.WriteString("Guest Number 001,VIP,,Guest Agency Worldwide,,\n")
	b.WriteString("Staff Person,STAFF,catering,Catering & Co,,\n")
	return b.String()
}

// TestGuestlistBrowser: upload a list with an error and duplicates, see
// the errors and that nothing can be confirmed, upload the fixed list,
// skip the duplicates, confirm, see the count; at 1280 and 390 px with
// axe-core on each page (check in browser_test.go). At 390 px the rows
// scroll sideways inside their frame, not the page.
func TestGuestlistBrowser(t *testing.T) {
	browserTest(t)
	axe := axeSource(t)
	e := newEnv(t, Config{}, false)
	e.clk.Set(time.Now())
	e.st.Now = time.Now
	e.o.cfg.Now = time.Now
	e.withPasses()
	e.user("admin", staff.RoleAdmin)
	dir := t.TempDir()
	for _, tc := range []struct {
		size  [2]int64
		event string
		dup   string
	}{
		{[2]int64{1280, 800}, "ber", "Ana Lopez"},
		{[2]int64{390, 844}, "par", "Max Moe"},
	} {
		t.Run(fmt.Sprint(tc.size[0]), func(t *testing.T) {
			bad, fixed := filepath.Join(dir, tc.event+"-bad.csv"), filepath.Join(dir, tc.event+"-fixed.csv")
			if err := os.WriteFile(bad, []byte(browserList(tc.dup, "GOLD")), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(fixed, []byte(browserList(tc.dup, "VIP")), 0o644); err != nil {
				t.Fatal(err)
			}
			// Two browsers, one after the other, each within chromium's
			// deadline: axe-core over a 200-row table is slow on a busy machine.
			signedIn := func() context.Context {
				ctx := chromium(t)
				run(ctx, t, chromedp.EmulateViewport(tc.size[0], tc.size[1]), chromedp.Navigate(e.srv.URL+"/office/sign-in"))
				at(ctx, t, "/office/sign-in", "Sign in")
				goTo(ctx, t, "/office/", "Events",
					chromedp.SendKeys(chromedp.CSS("#f-username"), "admin"),
					chromedp.SendKeys(chromedp.CSS("#f-password"), goodPassword+"\r"))
				return ctx
			}
			ctx := signedIn()
			w := fmt.Sprint(tc.size[0])
			page := "/office/events/" + tc.event + "/guestlist"
			goTo(ctx, t, "/office/events/"+tc.event, "Show "+tc.event, chromedp.Navigate(e.srv.URL+"/office/events/"+tc.event))
			goTo(ctx, t, page, "Upload a guest list", chromedp.Click(chromedp.CSS(`a[href="`+page+`"]`)))
			check(ctx, t, axe, w+"-guestlist")

			// The list with an error: shown by line and column, no confirm.
			run(ctx, t, chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{bad}))
			js[chromedp.Void](ctx, t, `window.staleDoc = true; undefined`)
			run(ctx, t, chromedp.Click(chromedp.CSS(`form[enctype] button[type=submit]`)))
			waitFor(ctx, t, `window.staleDoc !== true && document.readyState === "complete" && (document.querySelector("h1") || {}).textContent === "Check the guest list"`)
			if got := js[string](ctx, t, `document.querySelector("#counts").textContent`); got != "200 rows: 1 error, 1 already issued, 197 new, 1 repeated in the list" {
				t.Errorf("counts %q", got)
			}
			if got := js[string](ctx, t, `document.querySelector("#errs").parentElement.textContent`); !strings.Contains(got, "Line 6, column 2 (type)") {
				t.Errorf("the error list says %q", got)
			}
			if n := js[int](ctx, t, `document.querySelectorAll("form.confirm").length`); n != 0 {
				t.Error("a list with an error can be confirmed")
			}
			if n := js[int](ctx, t, `document.querySelectorAll("table.rows tbody tr").length`); n != 200 {
				t.Errorf("%d rows in the table, want 200", n)
			}
			wrap := js[[]float64](ctx, t, `(() => { const d = document.querySelector(".table-wrap.scroll"); return [d.scrollWidth, d.clientWidth]; })()`)
			if tc.size[0] == 390 && wrap[0] <= wrap[1] {
				t.Errorf("at 390 px the rows do not scroll inside their frame: %v", wrap)
			}
			check(ctx, t, axe, w+"-guestlist-errors")

			if got := js[string](ctx, t, `document.querySelector("#errs + p a").getAttribute("href")`); got != page {
				t.Errorf("the errors link to %q, want the upload page", got)
			}

			// The fixed list: choose, confirm, the count.
			ctx = signedIn()
			goTo(ctx, t, page, "Upload a guest list", chromedp.Navigate(e.srv.URL+page))
			run(ctx, t, chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{fixed}))
			js[chromedp.Void](ctx, t, `window.staleDoc = true; undefined`)
			run(ctx, t, chromedp.Click(chromedp.CSS(`form[enctype] button[type=submit]`)))
			waitFor(ctx, t, `window.staleDoc !== true && document.readyState === "complete" && (document.querySelector("h1") || {}).textContent === "Check the guest list"`)
			if got := js[string](ctx, t, `document.querySelector("#counts").textContent`); got != "200 rows: 0 errors, 1 already issued, 198 new, 1 repeated in the list" {
				t.Errorf("counts %q", got)
			}
			if !js[bool](ctx, t, `document.querySelector("input[name=duplicates][value=skip]").checked && !document.querySelector("input[name=duplicates][value=issue]").checked`) {
				t.Error(`"skip" is not the preselected choice`)
			}
			check(ctx, t, axe, w+"-guestlist-preview")
			js[chromedp.Void](ctx, t, `window.staleDoc = true; undefined`)
			run(ctx, t, chromedp.Click(chromedp.CSS(`form.confirm button[type=submit]`)))
			waitFor(ctx, t, `window.staleDoc !== true && document.readyState === "complete" && (document.querySelector("h1") || {}).textContent === "198 passes issued"`)
			if got := js[string](ctx, t, `document.querySelector(".notice").textContent`); !strings.Contains(got, "198 passes issued, 2 duplicates skipped") {
				t.Errorf("result notice %q", got)
			}
			if n := js[int](ctx, t, `document.querySelectorAll("main tbody a[href^='/office/passes/']").length`); n != 198 {
				t.Errorf("%d passes linked, want 198", n)
			}
			check(ctx, t, axe, w+"-guestlist-done")
			// The print link chooses them on the print page.
			if n := js[int](ctx, t, `new URL(document.querySelector('a.button[href^="/office/print?"]').href).searchParams.getAll("serial").length`); n != 198 {
				t.Errorf("the print link chooses %d passes, want 198", n)
			}
		})
	}
}
