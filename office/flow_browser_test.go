package office

// The production office's whole flow in one run of headless Chromium
// (issue 13, item 7), as a new production coordinator does it: sign in,
// create an event (a mistake first), set a capacity, upload a guest list
// with an error and a duplicate, fix it, skip the duplicate, confirm,
// print the passes not printed yet (the preview, and the PDF whose QR
// codes are read back with pdftoppm and zbarimg), search a holder as you
// type, reissue a damaged pass with a photo, revoke another, print and
// hand out the new badge at the desk, sign out. At 1280 and at 390 px,
// axe-core on every page (check in browser_test.go); LAMINATE_SHOTS=<dir>
// saves a screenshot of each step, named office-flow-<width>-<step>.png.

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/printing"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// flowList is the guest list of the flow: Ana Lopez is issued before
// the upload (a duplicate), and typ is the type of Jonas Weber's row,
// line 4.
func flowList(typ string) string {
	return "name,type,role,org,ref,valid_until\n" +
		"Ana Lopez,AAA,,Band,,\n" +
		"Mara Kowalski,VIP,,Guest Agency,R-0001,\n" +
		"Jonas Weber," + typ + ",,Guest Agency,R-0002,\n" +
		"Ines Duarte,WRK,lighting,Lights Co,,\n" +
		"Tom Berger,STAFF,catering,Catering & Co,,\n"
}

// needTools skips (or fails under LAMINATE_CI) without the programs.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("LAMINATE_CI") != "" {
				t.Fatalf("%s not installed (Debian packages poppler-utils, zbar-tools)", tool)
			}
			t.Skipf("%s not installed: apt-get install poppler-utils zbar-tools", tool)
		}
	}
}

// loaded is a script that answers whether the image sel loaded.
func loaded(sel string) string {
	return fmt.Sprintf(`new Promise((res) => { const i = document.querySelector(%q); if (!i) return res(false); if (i.complete) return res(i.naturalWidth > 0); i.onload = () => res(i.naturalWidth > 0); i.onerror = () => res(false); })`, sel)
}

func TestOfficeFlowBrowser(t *testing.T) {
	browserTest(t)
	needTools(t, "pdftoppm", "zbarimg")
	axe := axeSource(t)
	e := newEnv(t, Config{}, false)
	e.o.cfg.Printer = printing.Desk{Store: e.st, ArtworkSecret: []byte("0123456789abcdef0123456789abcdef")}
	e.clk.Set(time.Now())
	e.st.Now = time.Now
	e.o.cfg.Now = time.Now
	e.withPasses() // a signer, and events ber and par of other shows
	sg := e.o.host.(host).sg
	sg.Now = time.Now
	e.user("admin", staff.RoleAdmin)

	var face store.Issued
	withPhoto(t, &face)
	dir := t.TempDir()
	photo := filepath.Join(dir, "face.jpg")
	bad, fixed := filepath.Join(dir, "guests.csv"), filepath.Join(dir, "guests-fixed.csv")
	for name, b := range map[string][]byte{photo: face.PhotoJPEG, bad: []byte(flowList("GOLD")), fixed: []byte(flowList("VIP"))} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The show, three days on, in the event's own zone (+01:00).
	start := time.Now().Add(72 * time.Hour).In(time.FixedZone("", 3600)).Truncate(time.Hour)
	const local = "2006-01-02T15:04"

	for _, size := range [][2]int64{{1280, 800}, {390, 844}} {
		t.Run(fmt.Sprint(size[0]), func(t *testing.T) {
			began := time.Now()
			// The flow is long and the machine may be busy: a deadline of
			// its own instead of chromium's 180 s. The browser starts on this
			// context (the first Run) and stops with it.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(chromium(t)), 8*time.Minute)
			t.Cleanup(cancel)
			w := fmt.Sprint(size[0])
			step := func(name string) { t.Helper(); check(ctx, t, axe, "flow-"+w+"-"+name) }
			id, name := "ham-"+w, "Tour 2027: Hamburg "+w

			// Sign in by keyboard.
			run(ctx, t, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(e.srv.URL+"/office/"))
			at(ctx, t, "/office/sign-in", "Sign in")
			step("01-sign-in")
			goTo(ctx, t, "/office/", "Events",
				chromedp.SendKeys(chromedp.CSS("#f-username"), "admin"),
				chromedp.SendKeys(chromedp.CSS("#f-password"), goodPassword+"\r"))
			step("02-home")

			// A new event, the show ending before it starts first.
			goTo(ctx, t, "/office/events/new", "New event", chromedp.Click(chromedp.CSS(`a[href="/office/events/new"]`)))
			goTo(ctx, t, "/office/events/new", "New event",
				chromedp.SendKeys(chromedp.CSS("#f-id"), id),
				chromedp.SendKeys(chromedp.CSS("#f-name"), name),
				chromedp.SendKeys(chromedp.CSS("#f-venue"), "Barclays Arena"),
				chromedp.SetValue(chromedp.CSS("#f-time_zone"), "+01:00"),
				chromedp.SetValue(chromedp.CSS("#f-show_start"), start.Format(local)),
				chromedp.SetValue(chromedp.CSS("#f-show_end"), start.Add(-time.Hour).Format(local)),
				chromedp.Click(chromedp.CSS(`main button[type=submit]`)))
			if errs := js[[]string](ctx, t, `[...document.querySelectorAll("[aria-invalid=true]")].map((el) => el.id)`); !slices.Contains(errs, "f-show_end") {
				t.Errorf("a show ending before it starts: fields marked invalid %v, want f-show_end", errs)
			}
			if got := js[string](ctx, t, `(document.querySelector("#e-show_end") || {}).textContent || ""`); got == "" {
				t.Error("no error stands by the show end")
			}
			step("03-event-errors")
			goTo(ctx, t, "/office/events/"+id, name,
				chromedp.SetValue(chromedp.CSS("#f-show_end"), start.Add(3*time.Hour).Format(local)),
				chromedp.Click(chromedp.CSS(`main button[type=submit]`)))
			step("04-event")

			// The policy table: a capacity for the photo pit, saved with Enter.
			goTo(ctx, t, "/office/events/"+id+"/policy", "Policy of "+name, chromedp.Click(chromedp.CSS(`a[href="/office/events/`+id+`/policy"]`)))
			run(ctx, t, chromedp.Focus(chromedp.CSS(`#f-cap\.photo-pit`)))
			goTo(ctx, t, "/office/events/"+id+"/policy", "Policy of "+name, chromedp.KeyEvent("12"), chromedp.KeyEvent("\r"))
			if got := js[string](ctx, t, `document.querySelector("#f-cap\\.photo-pit").value`); got != "12" {
				t.Errorf("photo pit capacity after save %q, want 12", got)
			}
			step("05-policy")
			ev, err := e.st.Event(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := ev.EffectivePolicy().CapacityOf("photo-pit"); !ok || c.Max != 12 {
				t.Errorf("the stored photo pit capacity %+v, %v, want 12", c, ok)
			}

			// Ana Lopez already has her pass (issued from the command line).
			if _, err := issue.Batch(context.Background(), sg, e.st, ev, []signer.Request{{Type: pass.AAA, Name: "Ana Lopez", Org: "Band"}}, "cli:test", issue.Options{}); err != nil {
				t.Fatal(err)
			}

			// The guest list with a bad type on line 4: shown, no confirm.
			page := "/office/events/" + id + "/guestlist"
			goTo(ctx, t, "/office/events/"+id, name, chromedp.Click(chromedp.CSS(`.crumbs a[href="/office/events/`+id+`"]`)))
			goTo(ctx, t, page, "Upload a guest list", chromedp.Click(chromedp.CSS(`a[href="`+page+`"]`)))
			step("06-guestlist")
			upload := func(file string) {
				t.Helper()
				run(ctx, t, chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{file}))
				js[chromedp.Void](ctx, t, `window.staleDoc = true; undefined`)
				run(ctx, t, chromedp.Click(chromedp.CSS(`form[enctype] button[type=submit]`)))
				waitFor(ctx, t, `window.staleDoc !== true && document.readyState === "complete" && (document.querySelector("h1") || {}).textContent === "Check the guest list"`)
			}
			upload(bad)
			if got := js[string](ctx, t, `document.querySelector("#counts").textContent`); got != "5 rows: 1 error, 1 already issued, 3 new" {
				t.Errorf("counts %q", got)
			}
			if got := js[string](ctx, t, `document.querySelector("#errs").parentElement.textContent`); !strings.Contains(got, "Line 4, column 2 (type)") {
				t.Errorf("the error list says %q", got)
			}
			if n := js[int](ctx, t, `document.querySelectorAll("form.confirm").length`); n != 0 {
				t.Error("a list with an error can be confirmed")
			}
			step("07-guestlist-errors")

			// The fixed list: skip the duplicate, confirm.
			goTo(ctx, t, page, "Upload a guest list", chromedp.Click(chromedp.CSS(`#errs + p a`)))
			upload(fixed)
			if got := js[string](ctx, t, `document.querySelector("#counts").textContent`); got != "5 rows: 0 errors, 1 already issued, 4 new" {
				t.Errorf("counts %q", got)
			}
			run(ctx, t, chromedp.Click(chromedp.CSS(`input[name=duplicates][value=skip]`)))
			step("08-guestlist-preview")
			js[chromedp.Void](ctx, t, `window.staleDoc = true; undefined`)
			run(ctx, t, chromedp.Click(chromedp.CSS(`form.confirm button[type=submit]`)))
			waitFor(ctx, t, `window.staleDoc !== true && document.readyState === "complete" && (document.querySelector("h1") || {}).textContent === "4 passes issued"`)
			if got := js[string](ctx, t, `document.querySelector(".notice").textContent`); !strings.Contains(got, "4 passes issued, 1 duplicate skipped") {
				t.Errorf("result notice %q", got)
			}
			step("09-guestlist-done")
			passes := e.passesOf(id)
			if len(passes) != 5 {
				t.Fatalf("%d passes of %s stored, want Ana Lopez's and 4 new", len(passes), id)
			}
			byName := map[string]*store.Issued{}
			for _, p := range passes {
				byName[p.Name] = p
			}

			// Print what is not printed yet: the preview, then the PDF.
			goTo(ctx, t, "/office/events/"+id, name, chromedp.Navigate(e.srv.URL+"/office/events/"+id))
			goTo(ctx, t, "/office/print", "Print passes", chromedp.Click(chromedp.CSS(`a[href="/office/print?event=`+id+`"]`)))
			step("10-print")
			goTo(ctx, t, "/office/print", "Print passes",
				chromedp.Click(chromedp.CSS(`input[name=mode][value=unprinted]`)),
				chromedp.SetValue(chromedp.CSS("#f-template"), DefaultTemplate),
				chromedp.SetValue(chromedp.CSS("#f-format"), "pdf"),
				chromedp.Click(chromedp.CSS(`form[action="/office/print"][method=get] button[type=submit]`)))
			if got := js[string](ctx, t, `(document.querySelector(".result strong") || {}).textContent || ""`); got != "5 passes" {
				t.Errorf("not printed yet chooses %q, want 5 passes", got)
			}
			if !js[bool](ctx, t, loaded(".preview img")) {
				t.Error("the print preview of page 1 did not load")
			}
			step("11-print-preview")
			// The download, fetched by the page with its cookie and form.
			pdf64 := js[string](ctx, t, `(async () => {
				const f = document.querySelector('form[action="/office/print"][method=post]');
				const r = await fetch(f.action, {method: "POST", body: new URLSearchParams(new FormData(f))});
				if (!r.ok || r.headers.get("Content-Type") !== "application/pdf") return "";
				const b = new Uint8Array(await r.arrayBuffer());
				let s = ""; for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
				return btoa(s);
			})()`)
			pdf, err := base64.StdEncoding.DecodeString(pdf64)
			if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
				t.Fatalf("the PDF download: %d bytes, %v", len(pdf), err)
			}
			codes := qrCodesOfPDF(t, pdf)
			for _, n := range []string{"Mara Kowalski", "Tom Berger"} {
				want, err := pass.EncodeTransport(byName[n].Token)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(codes, want) {
					t.Errorf("the PDF has no QR code of %s's pass %s (%d codes read)", n, byName[n].Serial, len(codes))
				}
			}

			// Search as you type, then the printed filter.
			goTo(ctx, t, "/office/passes", "Passes", chromedp.Navigate(e.srv.URL+"/office/passes"))
			run(ctx, t, chromedp.SetValue(chromedp.CSS("#f-event"), id))
			run(ctx, t, chromedp.SendKeys(chromedp.CSS("#f-q"), "kowal"))
			waitFor(ctx, t, `location.search.includes("q=kowal") && document.querySelectorAll("#results tbody tr").length === 1 && document.querySelector("#results").textContent.includes("Mara Kowalski")`)
			step("12-passes")
			js[chromedp.Void](ctx, t, `document.querySelector("#f-printed").value = "yes"; document.querySelector("#f-printed").dispatchEvent(new Event("change", {bubbles: true})); undefined`)
			waitFor(ctx, t, `location.search.includes("printed=yes") && document.querySelectorAll("#results tbody tr").length === 1 && document.querySelector("#results tbody").textContent.includes("printed 1×")`)
			step("13-passes-printed")

			// Reissue Mara's damaged pass with a new photo.
			old := js[string](ctx, t, `document.querySelector("#results tbody a[href^='/office/passes/']").getAttribute("href")`)
			if want := "/office/passes/" + byName["Mara Kowalski"].Serial.String(); old != want {
				t.Errorf("the search links %q, want %q", old, want)
			}
			goTo(ctx, t, old, "Mara Kowalski", chromedp.Click(chromedp.CSS(`#results tbody a[href^='/office/passes/']`)))
			step("14-pass")
			run(ctx, t, chromedp.SetValue(chromedp.CSS("#f-reissue-reason"), "damaged"),
				chromedp.SetUploadFiles(chromedp.CSS("#f-photo"), []string{photo}),
				chromedp.SendKeys(chromedp.CSS("#f-note"), "coffee on the badge"))
			js[chromedp.Void](ctx, t, `window.staleDoc = true; undefined`)
			run(ctx, t, chromedp.Click(chromedp.CSS(`form[action$="/reissue"] button[type=submit]`)))
			waitFor(ctx, t, fmt.Sprintf(`window.staleDoc !== true && document.readyState === "complete" && location.pathname.startsWith("/office/passes/") && location.pathname !== %q && (document.querySelector("h1") || {}).textContent === "Mara Kowalski"`, old))
			if got := js[string](ctx, t, `(document.querySelector(".notice") || {}).textContent || ""`); !strings.HasPrefix(got, "New pass issued") {
				t.Errorf("after reissue the notice is %q", got)
			}
			newer := js[string](ctx, t, `location.pathname`)
			if !js[bool](ctx, t, loaded("img.photo")) {
				t.Error("the new pass's photo did not load")
			}
			step("15-pass-reissued")
			goTo(ctx, t, old, "Mara Kowalski", chromedp.Navigate(e.srv.URL+old))
			if got := js[string](ctx, t, `(document.querySelector(".alert") || {}).textContent || ""`); !strings.HasPrefix(got, "Replaced by a newer pass") {
				t.Errorf("the old pass says %q", got)
			}
			if !js[bool](ctx, t, fmt.Sprintf(`!!document.querySelector('.alert a[href=%q]')`, newer)) {
				t.Error("the superseded pass does not link to its replacement")
			}
			step("16-pass-superseded")

			// Revoke Tom Berger's pass: a category and a note.
			tom := "/office/passes/" + byName["Tom Berger"].Serial.String()
			goTo(ctx, t, tom, "Tom Berger", chromedp.Navigate(e.srv.URL+tom))
			js[chromedp.Void](ctx, t, `window.confirm = () => true; undefined`)
			goTo(ctx, t, tom, "Tom Berger",
				chromedp.SetValue(chromedp.CSS("#f-revoke-reason"), "stolen"),
				chromedp.SendKeys(chromedp.CSS("#f-revoke_note"), "taken from a car"),
				chromedp.Click(chromedp.CSS(`form[action$="/revoke"] button[type=submit]`)))
			if got := js[string](ctx, t, `(document.querySelector(".alert") || {}).textContent || ""`); !strings.Contains(got, "Revoked (stolen)") || !strings.Contains(got, "taken from a car") {
				t.Errorf("after revoke the page says %q", got)
			}
			step("17-pass-revoked")

			// The desk: Mara's new badge printed and handed out.
			goTo(ctx, t, "/office/desk", "Accreditation desk", chromedp.Click(chromedp.CSS(`nav a[href="/office/desk"]`)))
			goTo(ctx, t, "/office/desk", "Accreditation desk", chromedp.Click(chromedp.CSS(`main a[href="/office/desk?event=`+id+`"]`)))
			goTo(ctx, t, "/office/desk", "Accreditation desk",
				chromedp.SendKeys(chromedp.CSS("#f-q"), "mara"),
				chromedp.Click(chromedp.CSS(`form[role=search] button[type=submit]`)))
			if n := js[int](ctx, t, `document.querySelectorAll(".hit").length`); n != 2 {
				t.Errorf("the desk finds %d passes of Mara, want the old and the new", n)
			}
			if n := js[int](ctx, t, `document.querySelectorAll('.hit form[action="/office/desk/print"]').length`); n != 1 {
				t.Fatalf("%d passes of Mara can be printed at the desk, want only the new one", n)
			}
			// The old pass is not to be printed: no reprint warning on it.
			if js[bool](ctx, t, `[...document.querySelectorAll(".hit")].some((h) => !h.querySelector('form[action="/office/desk/print"]') && h.textContent.includes("Reprint"))`) {
				t.Error("the desk warns of reprinting the superseded pass, which it cannot print")
			}
			if !js[bool](ctx, t, loaded(".hit img.thumb")) {
				t.Error("the desk's photo of Mara did not load")
			}
			step("18-desk")
			newSerial, err := pass.ParseSerial(strings.TrimPrefix(newer, "/office/passes/"))
			if err != nil {
				t.Fatal(err)
			}
			run(ctx, t, chromedp.Click(chromedp.CSS(`.hit form[action="/office/desk/print"] button`)))
			for deadline := time.Now().Add(60 * time.Second); ; {
				st, err := e.st.PrintStatus(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if s := st[newSerial]; s.Count == 1 && s.Last.Actor == "user:admin (Admin Example)" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the badge printed at the desk is not in the print log: %+v", st[newSerial])
				}
				time.Sleep(50 * time.Millisecond)
			}
			goTo(ctx, t, "/office/desk", "Accreditation desk", chromedp.Click(chromedp.CSS(`.hit form[action="/office/desk/collected"] button`)))
			if got := js[string](ctx, t, `(document.querySelector("main .notice") || {}).textContent || ""`); !strings.Contains(got, "Mara Kowalski ("+newSerial.String()+"): collected at") {
				t.Errorf("after Mark collected the notice is %q", got)
			}
			step("19-desk-collected")

			// Sign out: the office is closed again.
			js[chromedp.Void](ctx, t, `window.confirm = () => true; undefined`)
			goTo(ctx, t, "/office/sign-in", "Sign in", chromedp.Click(chromedp.CSS(`form[action="/office/sign-out"] button`)))
			step("20-signed-out")
			goTo(ctx, t, "/office/sign-in", "Sign in", chromedp.Navigate(e.srv.URL+"/office/passes?event="+id))
			t.Logf("%s px: the flow took %v", w, time.Since(began).Round(time.Second))
		})
	}
}

// qrCodesOfPDF reads every QR code of a PDF: pdftoppm at 150 dpi, then
// zbarimg on each page.
func qrCodesOfPDF(t *testing.T, pdf []byte) []string {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "passes.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "150", "-png", f, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	var codes []string
	for _, pg := range pages {
		out, _ := exec.Command("zbarimg", "-q", "--raw", pg).Output() // exit 4: nothing found
		codes = append(codes, strings.Fields(string(out))...)
	}
	return codes
}
