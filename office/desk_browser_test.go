package office

// The print desk end to end in Chromium (issue 13, items 6 and 7): a
// printer opens the desk from the navigation, searches a name, prints
// that badge (logged under their name), marks it collected, and opens
// the print page with its preview; axe-core on every page, at 1280 and
// 390 px, screenshots in LAMINATE_SHOTS.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/printing"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store/storetest"
)

func TestOfficeDeskBrowser(t *testing.T) {
	browserTest(t)
	axe := axeSource(t)
	e := newEnv(t, Config{}, false)
	e.o.cfg.Printer = printing.Desk{Store: e.st, ArtworkSecret: []byte("0123456789abcdef0123456789abcdef")}
	e.clk.Set(time.Now())
	e.st.Now = time.Now
	e.o.cfg.Now = time.Now
	start := time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("", 3600))
	ev := storetest.NewEvent(t, "ber-2027", start)
	ev.Name, ev.Venue = "Tour 2027: Berlin, Velodrom", "Velodrom"
	storetest.MustCreate(t, e.st, ev)
	ps := storetest.NewPasses(t, "ber-2027", 3, start.Add(-72*time.Hour))
	ps[0].Name, ps[1].Name = "Mara Kowalski", "Jonas Weber"
	ps[2].Name = "Ines Duarte"
	withPhoto(t, &ps[2]) // not printed here: the tests' tokens sign no photo
	storetest.MustInsert(t, e.st, ps)
	e.user("pat", staff.RolePrinter)
	for i, size := range [][2]int64{{1280, 800}, {390, 844}} {
		t.Run(fmt.Sprint(size[0]), func(t *testing.T) {
			ctx := chromium(t)
			w := fmt.Sprint(size[0])
			p := ps[i]
			run(ctx, t, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(e.srv.URL+"/office/"))
			at(ctx, t, "/office/sign-in", "Sign in")
			goTo(ctx, t, "/office/", "Events",
				chromedp.SendKeys(chromedp.CSS("#f-username"), "pat"),
				chromedp.SendKeys(chromedp.CSS("#f-password"), goodPassword),
				chromedp.Click(chromedp.CSS(`form[action="/office/sign-in"] button[type=submit]`)))

			goTo(ctx, t, "/office/desk", "Accreditation desk", chromedp.Click(chromedp.CSS(`nav a[href="/office/desk"]`)))
			goTo(ctx, t, "/office/desk", "Accreditation desk", chromedp.Click(chromedp.CSS(`main a[href="/office/desk?event=ber-2027"]`)))
			check(ctx, t, axe, w+"-desk")

			first := strings.Fields(p.Name)[0]
			goTo(ctx, t, "/office/desk", "Accreditation desk",
				chromedp.SendKeys(chromedp.CSS("#f-q"), first),
				chromedp.Click(chromedp.CSS(`form[role=search] button[type=submit]`)))
			if got := js[string](ctx, t, `document.querySelector(".hit .name").textContent`); got != p.Name {
				t.Fatalf("first hit %q, want %q", got, p.Name)
			}
			check(ctx, t, axe, w+"-desk-found")

			// Print badge: a download; the print log shows it under pat's name.
			run(ctx, t, chromedp.Click(chromedp.CSS(`form[action="/office/desk/print"] button`)))
			deadline := time.Now().Add(20 * time.Second)
			for {
				st, err := e.st.PrintStatus(context.Background(), "ber-2027")
				if err != nil {
					t.Fatal(err)
				}
				if s := st[p.Serial]; s.Count == 1 && s.Last.Actor == "user:pat (Pat Example)" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the badge printed in the browser is not in the print log: %+v", st[p.Serial])
				}
				time.Sleep(50 * time.Millisecond)
			}

			goTo(ctx, t, "/office/desk", "Accreditation desk", chromedp.Click(chromedp.CSS(`form[action="/office/desk/collected"] button`)))
			if got := js[string](ctx, t, `document.querySelector("main .notice").textContent`); !strings.Contains(got, p.Name+" ("+p.Serial.String()+"): collected at") || !strings.Contains(got, "by user:pat (Pat Example)") {
				t.Errorf("after Mark collected the notice is %q", got)
			}
			if got := js[string](ctx, t, `document.querySelector(".hit").textContent`); !strings.Contains(got, "printed 1×") || !strings.Contains(got, "Reprint: already printed 1 time") {
				t.Errorf("the hit after printing and collecting says %q", got)
			}
			check(ctx, t, axe, w+"-desk-collected")

			// A holder with a photo.
			goTo(ctx, t, "/office/desk", "Accreditation desk", chromedp.Navigate(e.srv.URL+"/office/desk?event=ber-2027&q=ines"))
			if !js[bool](ctx, t, `new Promise((res) => { const i = document.querySelector(".hit img.thumb"); if (!i) return res(false); if (i.complete) return res(i.naturalWidth > 0); i.onload = () => res(true); i.onerror = () => res(false); })`) {
				t.Error("the photo thumbnail did not load")
			}
			check(ctx, t, axe, w+"-desk-photo")

			goTo(ctx, t, "/office/print", "Print passes", chromedp.Navigate(e.srv.URL+"/office/print?event=ber-2027&mode=all&template=badge-4x3-letter&format=pdf"))
			ok := js[bool](ctx, t, `new Promise((res) => { const i = document.querySelector(".preview img"); if (!i) return res(false); if (i.complete) return res(i.naturalWidth > 0); i.onload = () => res(true); i.onerror = () => res(false); })`)
			if !ok {
				t.Error("the print preview image did not load")
			}
			if got := js[string](ctx, t, `document.querySelector(".result .alert").textContent`); !strings.Contains(got, "already printed") {
				t.Errorf("the print page does not warn of the reprint: %q", got)
			}
			check(ctx, t, axe, w+"-print")
		})
	}
}
