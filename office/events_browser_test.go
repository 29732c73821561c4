package office

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store/storetest"
)

// The event pages in Chromium at 1280 and 390 px: create (with a mistake
// first), edit, the policy table (a capacity set by keyboard), clone; axe
// on each, no sideways scroll. LAMINATE_SHOTS=<dir> saves screenshots.
func TestEventsBrowser(t *testing.T) {
	browserTest(t)
	axe := axeSource(t)
	e := newEnv(t, Config{}, false)
	e.clk.Set(time.Now())
	e.st.Now = time.Now
	e.o.cfg.Now = time.Now
	x := storetest.NewEvent(t, "ber-2027", time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("", 3600)))
	x.Name, x.Venue = "Tour 2027: Berlin, Velodrom", "Velodrom"
	storetest.MustCreate(t, e.st, x)
	e.user("admin", staff.RoleAdmin)
	for _, size := range [][2]int64{{1280, 800}, {390, 844}} {
		t.Run(fmt.Sprint(size[0]), func(t *testing.T) {
			ctx := chromium(t)
			w := fmt.Sprint(size[0])
			run(ctx, t, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(e.srv.URL+"/office/"))
			at(ctx, t, "/office/sign-in", "Sign in")
			goTo(ctx, t, "/office/", "Events", chromedp.SetValue(chromedp.CSS("#f-username"), "admin"),
				chromedp.SetValue(chromedp.CSS("#f-password"), goodPassword), chromedp.Click(chromedp.CSS(`main button[type=submit]`)))

			goTo(ctx, t, "/office/events/new", "New event", chromedp.Click(chromedp.CSS(`a[href="/office/events/new"]`)))
			check(ctx, t, axe, w+"-event-new")
			id := "ham-" + w
			goTo(ctx, t, "/office/events/new", "New event",
				chromedp.SetValue(chromedp.CSS("#f-id"), id),
				chromedp.SetValue(chromedp.CSS("#f-name"), "Tour 2027: Hamburg"),
				chromedp.SetValue(chromedp.CSS("#f-time_zone"), "Berlin"),
				chromedp.SetValue(chromedp.CSS("#f-show_start"), "2027-03-07T20:00"),
				chromedp.SetValue(chromedp.CSS("#f-show_end"), "2027-03-07T23:00"),
				chromedp.Click(chromedp.CSS(`main button[type=submit]`)))
			if got := js[string](ctx, t, `document.querySelector("#e-time_zone").textContent`); got != `bad time zone "Berlin": want an offset from UTC such as +01:00, -05:00 or UTC` {
				t.Errorf("time zone error %q", got)
			}
			check(ctx, t, axe, w+"-event-new-errors")
			goTo(ctx, t, "/office/events/"+id, "Tour 2027: Hamburg",
				chromedp.SetValue(chromedp.CSS("#f-time_zone"), "+01:00"),
				chromedp.Click(chromedp.CSS(`main button[type=submit]`)))

			goTo(ctx, t, "/office/events/"+id+"/edit", "Edit Tour 2027: Hamburg", chromedp.Click(chromedp.CSS(`a[href$="/edit"]`)))
			check(ctx, t, axe, w+"-event-edit")

			goTo(ctx, t, "/office/events/"+id+"/policy", "Policy of Tour 2027: Hamburg", chromedp.Navigate(e.srv.URL+"/office/events/"+id+"/policy"))
			check(ctx, t, axe, w+"-event-policy")
			// A capacity typed with the keyboard, saved with Enter.
			run(ctx, t, chromedp.Focus(chromedp.CSS(`#f-cap\.photo-pit`)))
			goTo(ctx, t, "/office/events/"+id+"/policy", "Policy of Tour 2027: Hamburg", chromedp.KeyEvent("25"), chromedp.KeyEvent("\r"))
			if got := js[string](ctx, t, `document.querySelector("#f-cap\\.photo-pit").value`); got != "25" {
				t.Errorf("capacity after save %q", got)
			}

			goTo(ctx, t, "/office/events/"+id+"/clone", "Next show from Tour 2027: Hamburg", chromedp.Navigate(e.srv.URL+"/office/events/"+id+"/clone"))
			check(ctx, t, axe, w+"-event-clone")
		})
	}
	for _, id := range []string{"ham-1280", "ham-390"} {
		ev, err := e.st.Event(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := ev.EffectivePolicy().CapacityOf("photo-pit"); !ok || c.Max != 25 {
			t.Errorf("%s: photo-pit capacity %+v, %v", id, c, ok)
		}
	}
}
