package office

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/devices"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// TestShowControlBrowser: the door devices' page, an enrolment whose page
// notices by itself that its code was used, a revoke, and the webhooks'
// pages, at 1280 and 390 px, with axe-core on each (check in
// browser_test.go).
func TestShowControlBrowser(t *testing.T) {
	browserTest(t)
	axe := axeSource(t)
	e := newEnv(t, Config{}, false)
	e.clk.Set(time.Now())
	e.st.Now = time.Now
	e.o.cfg.Now = time.Now
	e.withGatedEvent()
	e.user("admin", staff.RoleAdmin)
	e.scannerToken("old23456", "south phone 2", "ber-2027", "south")
	for _, size := range [][2]int64{{1280, 800}, {390, 844}} {
		t.Run(fmt.Sprint(size[0]), func(t *testing.T) {
			ctx := chromium(t)
			w := fmt.Sprint(size[0])
			run(ctx, t, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(e.srv.URL+"/office/sign-in"))
			at(ctx, t, "/office/sign-in", "Sign in")
			goTo(ctx, t, "/office/", "Events",
				chromedp.SendKeys(chromedp.CSS("#f-username"), "admin"),
				chromedp.SendKeys(chromedp.CSS("#f-password"), goodPassword+"\r"))
			goTo(ctx, t, "/office/devices", "Door devices", chromedp.Click(chromedp.CSS(`nav a[href="/office/devices"]`)))
			check(ctx, t, axe, w+"-devices")

			// Choose the event, then the door.
			js[chromedp.Void](ctx, t, `document.querySelector("#f-event").value = "ber-2027"; undefined`)
			goTo(ctx, t, "/office/devices", "Door devices", chromedp.Click(chromedp.CSS(`form[action="/office/devices"] button`)))
			js[chromedp.Void](ctx, t, `document.querySelector("#f-gate").value = "north"; undefined`)
			name := "north phone " + w
			run(ctx, t, chromedp.SendKeys(chromedp.CSS("#f-name"), name))
			check(ctx, t, axe, w+"-devices-enrol")
			js[chromedp.Void](ctx, t, `window.staleDoc = true; undefined`)
			run(ctx, t, chromedp.Click(chromedp.CSS(`form[action="/office/devices/enrol"] button[type=submit]`)))
			waitFor(ctx, t, `window.staleDoc !== true && document.readyState === "complete" && location.pathname.startsWith("/office/devices/enrolment/")`)
			waitFor(ctx, t, `(() => { const i = document.querySelector("#enrolment img"); return !!i && i.complete && i.naturalWidth === 320; })()`)
			waitFor(ctx, t, `/\d+ min \d\d s left/.test(document.querySelector("#countdown").textContent)`)
			check(ctx, t, axe, w+"-enrolment")

			// The device redeems the code: the page sees it and shows no code.
			// The test reads the code as the device does: from the image.
			b64 := js[string](ctx, t, `fetch(document.querySelector("#enrolment img").src).then((r) => r.arrayBuffer()).then((b) => btoa(String.fromCharCode(...new Uint8Array(b))))`)
			png, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			code, err := devices.ParseCode(zbar(t, png))
			if err != nil {
				t.Fatal(err)
			}
			hash := devices.Hash(code)
			if _, err := e.st.RedeemEnrolment(context.Background(), hash, time.Now(), func(en store.Enrolment) (*store.APIToken, error) {
				return &store.APIToken{ID: "new" + w[:3] + "ab", Name: en.Name, Role: staff.RoleScanner, Event: en.Event, Gate: en.Gate, Hash: make([]byte, 32), Created: time.Now()}, nil
			}); err != nil {
				t.Fatal(err)
			}
			waitFor(ctx, t, `document.querySelector("#enrolment").dataset.state === "used" && !document.querySelector("#enrolment img")`)
			check(ctx, t, axe, w+"-enrolment-used")

			// Revoke (the confirmation accepted).
			goTo(ctx, t, "/office/devices", "Door devices", chromedp.Click(chromedp.CSS(`#enrolment a[href="/office/devices"]`)))
			js[chromedp.Void](ctx, t, `window.confirm = () => true; undefined`)
			id := "new" + w[:3] + "ab"
			goTo(ctx, t, "/office/devices", "Door devices", chromedp.Click(chromedp.CSS(`form[action="/office/devices/`+id+`/revoke"] button`)))
			if got := js[string](ctx, t, `document.querySelector(".notice").textContent`); !strings.HasPrefix(got, "Door device revoked") {
				t.Errorf("notice after revoke: %q", got)
			}
			check(ctx, t, axe, w+"-devices-revoked")

			goTo(ctx, t, "/office/webhooks", "Webhooks", chromedp.Click(chromedp.CSS(`nav a[href="/office/webhooks"]`)))
			check(ctx, t, axe, w+"-webhooks")
			goTo(ctx, t, "/office/webhooks", "Webhooks",
				chromedp.SendKeys(chromedp.CSS("#f-url"), "https://93.184.216.34/hooks/"+w),
				chromedp.Click(chromedp.CSS(`form[action="/office/webhooks"] button[type=submit]`)))
			if got := js[string](ctx, t, `document.querySelector("#secret").textContent`); !strings.HasPrefix(got, "whsec_") {
				t.Errorf("secret shown: %q", got)
			}
			check(ctx, t, axe, w+"-webhook-created")
			href := js[string](ctx, t, fmt.Sprintf(`[...document.querySelectorAll("#webhooks a")].find((a) => a.textContent.endsWith("/hooks/%s")).getAttribute("href")`, w))
			goTo(ctx, t, href, "Webhook "+strings.TrimPrefix(href, "/office/webhooks/"), chromedp.Click(chromedp.CSS(`#webhooks a[href="`+href+`"]`)))
			check(ctx, t, axe, w+"-webhook")
		})
	}
}
