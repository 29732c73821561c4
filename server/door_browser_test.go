package server

// Chromium tests of the door screens (issue 11, "the door screen"): text
// contrast on the ADMIT / DENY / CHECK screens (7:1, measured from the
// computed styles), a CHECK that waits for Let in or Turn away, the next
// step on DENY, dark and light themes, a phone's width with no sideways
// scroll, and axe-core (npm, pinned in web/package-lock.json, read from
// web/node_modules: never embedded) on /scan and /verify in every state.
// LAMINATE_SHOTS=<dir> saves a screenshot of each screen.

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/internal/browsertest"
	"github.com/laminate/laminate/internal/racetest"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// axeSource is axe-core's browser build, fetched by "make web".
func axeSource(t *testing.T) string { t.Helper(); return browsertest.Axe(t) }

// axeCheck fails on any serious or critical axe-core violation of the page
// as it is; lesser ones are logged.
func axeCheck(ctx context.Context, t *testing.T, axe, state string) {
	t.Helper()
	browsertest.AxeCheck(ctx, t, axe, state)
}

// textContrast is the lowest WCAG 2 contrast ratio of the visible text
// under root, from the computed styles: the text colour over its
// background, semi-transparent layers composed down to the first opaque
// one. It returns the ratio and the text that has it.
func textContrast(ctx context.Context, t *testing.T, root string) (float64, string) {
	t.Helper()
	js := `(() => {
		const rgba = (c) => { const p = c.match(/[\d.]+/g).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
		const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		const lum = (c) => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
		const over = (top, base) => [0, 1, 2].map((i) => top[i] * top[3] + base[i] * (1 - top[3]));
		const bgOf = (el) => {
			const layers = [];
			for (let e = el; e; e = e.parentElement) {
				const c = rgba(getComputedStyle(e).backgroundColor);
				if (c[3] > 0) layers.push(c);
				if (c[3] >= 1) break;
			}
			let base = [255, 255, 255];
			for (let i = layers.length - 1; i >= 0; i--) base = over(layers[i], base);
			return base;
		};
		let worst = {ratio: 99, text: "", n: 0};
		for (const el of document.querySelectorAll(` + jsLit(t, root) + ` + ", " + ` + jsLit(t, root) + ` + " *")) {
			const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent.trim()).join(" ");
			if (!own || !el.getClientRects().length || getComputedStyle(el).visibility !== "visible") continue;
			const bg = bgOf(el), fg = over(rgba(getComputedStyle(el).color), bg);
			const a = lum(fg) + 0.05, b = lum(bg) + 0.05, ratio = Math.max(a, b) / Math.min(a, b);
			worst.n++;
			if (ratio < worst.ratio) worst = {ratio, text: own.slice(0, 40), n: worst.n};
		}
		return worst; })()`
	out := evalJS[struct {
		Ratio float64 `json:"ratio"`
		Text  string  `json:"text"`
		N     int     `json:"n"`
	}](ctx, t, js)
	if out.N == 0 {
		t.Fatalf("no visible text under %s", root)
	}
	return out.Ratio, out.Text
}

// noSideScroll fails when the page is wider than the window.
func noSideScroll(ctx context.Context, t *testing.T, state string) {
	t.Helper()
	browsertest.NoSideScroll(ctx, t, state)
}

// shot saves a screenshot of the window when LAMINATE_SHOTS names a folder.
func shot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	browsertest.Shot(ctx, t, name, false)
}

// screenTimers changes the answer screen's own timers (2.5 s and 5 s, the
// page's other timers are left alone): "fire" runs them at once, so an
// answer that ends by itself is gone before the test looks and one that
// waits (CHECK) stays; "hold" never runs them, so a screen stays for
// measuring; "real" restores them.
func screenTimers(ctx context.Context, t *testing.T, mode string) {
	t.Helper()
	evalJS[chromedp.Void](ctx, t, `(() => {
		if (!window.realSetTimeout) window.realSetTimeout = window.setTimeout;
		const mode = `+jsLit(t, mode)+`, real = window.realSetTimeout;
		window.setTimeout = (f, ms, ...a) => (ms !== 2500 && ms !== 5000) || mode === "real" ? real(f, ms, ...a) : mode === "fire" ? real(f, 0, ...a) : 0;
	})()`)
}

// readyDoor loads /scan, signs in, sets event and gate and folds the
// settings (Done).
func readyDoor(ctx context.Context, t *testing.T, url, auth, gate string) {
	t.Helper()
	openDoor(ctx, t, url, auth, "live", gate)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("settings-done"))); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the folded settings", `!document.getElementById("settings-summary").hidden`, 5*time.Second)
}

// screen waits for the answer screen of the given class.
func screen(ctx context.Context, t *testing.T, class string) {
	t.Helper()
	waitJS(ctx, t, class+" screen", `document.getElementById("result").className === `+jsLit(t, class)+` && document.getElementById("result").dataset.paintMs`, 15*time.Second)
}

// TestDoorCheckWaits: a CHECK (possible clone) stays on screen until the
// door chooses Let in or Turn away; the choice goes to the server (online)
// or onto the queued scan (offline). Before issue 11 it ended by itself
// after 5 s.
func TestDoorCheckWaits(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	f := newFixture(t, 0)
	f.s.cfg.Now = time.Now
	// The clone window the CHECKs below fall in, wide enough that a loaded
	// CI machine never lets the wall clock carry a scan out of it.
	f.s.cfg.CloneWindow = time.Hour
	ctx := browser(t, "")
	auth := scannerToken(t, f)
	f.issue(t, "First Guest") // the event "live"
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	readyDoor(ctx, t, ts.URL, auth, "south")

	// clone scans the pass at north (through the API), then at this door.
	clone := func(name string) (scanID string, p store.Issued) {
		t.Helper()
		p = f.issue(t, name)
		// Out at north, then in at south seconds later: CHECK (verifier.DecideScan).
		if code, r, body := f.scan(t, auth, p.Token, "north", "stage", "out", newUUID(t), time.Now()); code != 200 || r.Decision != Admit {
			t.Fatalf("north: %s", body)
		}
		evalJS[chromedp.Void](ctx, t, `delete document.getElementById("result").dataset.paintMs`)
		if err := chromedp.Do(ctx, browsertest.Enter(chromedp.ID("wedge"), p.Token)); err != nil {
			t.Fatal(err)
		}
		screen(ctx, t, "attention")
		return evalJS[string](ctx, t, `document.getElementById("result").dataset.scanId`), p
	}
	// resolution is what the store holds of the door's answer to a CHECK.
	resolution := func(p store.Issued, id string) string {
		t.Helper()
		scans, err := f.st.Scans(context.Background(), p.Serial)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range scans {
			if sc.ID == id {
				return string(sc.Resolution) + " by " + sc.ResolvedBy
			}
		}
		return "(no scan " + id + ")"
	}

	screenTimers(ctx, t, "fire") // a timer that would end the screen fires at once
	id, p1 := clone("Twin One")
	// Two frames later the CHECK is still there, with its two buttons.
	evalJS[chromedp.Void](ctx, t, `new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => realSetTimeout(ok, 0))))`)
	if cls := evalJS[string](ctx, t, `document.getElementById("result").className + (document.getElementById("r-resolve").hidden ? "/no-buttons" : "")`); cls != "attention" {
		t.Fatalf("CHECK screen after its timers: %q, want it waiting with Let in / Turn away", cls)
	}
	// A tap on the screen or another scan does not end it either.
	p2 := f.issue(t, "Someone Else")
	evalJS[chromedp.Void](ctx, t, `document.getElementById("result").click()`)
	if err := chromedp.Do(ctx, browsertest.Enter(chromedp.ID("wedge"), p2.Token)); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the page to ask for a decision", `document.getElementById("resolve-msg").textContent.includes("Decide this check first")`, 5*time.Second)
	if cls := evalJS[string](ctx, t, `document.getElementById("result").className`); cls != "attention" {
		t.Fatalf("after a tap and another scan the screen is %q, want the CHECK", cls)
	}
	screenTimers(ctx, t, "hold") // the screens after a decision stay to be read
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("resolve-admit"))); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "let in", `document.getElementById("result").dataset.resolution === "admit"`, 10*time.Second)
	if cls := evalJS[string](ctx, t, `document.getElementById("result").className`); cls != "admit" {
		t.Fatalf("after Let in: %q, want admit", cls)
	}

	id2, p2b := clone("Twin Two")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("resolve-deny"))); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "turn away", `document.getElementById("result").dataset.resolution === "deny"`, 10*time.Second)
	if next := evalJS[string](ctx, t, `document.getElementById("r-next").textContent`); next == "" {
		t.Error("turned away: no next step on screen")
	}

	id3, p3 := clone("Twin Three")
	// The pass is scanned again (at north) before the door decides: let in
	// is refused, the page asks for a new scan.
	if code, _, body := f.scan(t, auth, p3.Token, "north", "stage", "in", newUUID(t), time.Now()); code != 200 {
		t.Fatal(body)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("resolve-admit"))); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "scan again", `document.getElementById("result").dataset.code === "scanned_since"`, 10*time.Second)
	if next := evalJS[string](ctx, t, `document.getElementById("r-next").textContent`); !strings.Contains(next, "Scan the pass again") {
		t.Errorf("admit refused (scanned since): next step %q, want to scan the pass again", next)
	}
	for _, c := range []struct {
		p        store.Issued
		id, want string
	}{{p1, id, "admit by "}, {p2b, id2, "deny by "}, {p3, id3, " by "}} {
		if got := resolution(c.p, c.id); !strings.HasPrefix(got, c.want) || (c.want != " by " && !strings.Contains(got, "north gate phone")) {
			t.Errorf("stored answer to the CHECK of %s: %q, want %q and who", c.p.Name, got, c.want+"token:… (north gate phone)")
		}
	}

	// Offline: the decision goes onto the queued scan. The same pass out
	// at another gate within the clone window (the numeric form: the page
	// ignores the same text twice in 2 s).
	screenTimers(ctx, t, "real")
	evalJS[chromedp.Void](ctx, t, `document.getElementById("result").className = ""`)
	p := f.issue(t, "Offline Twin")
	setOffline(ctx, t, true)
	waitJS(ctx, t, "offline", `!laminateDoor.status().online`, 10*time.Second)
	if a := wedge(ctx, t, p.Token); a.Class != "admit" || !a.Offline {
		t.Fatalf("offline first scan: %+v", a)
	}
	evalJS[chromedp.Void](ctx, t, `for (const [id, v] of [["gate", "west"], ["direction", "out"]]) {
		const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event("change")); }`)
	screenTimers(ctx, t, "fire")
	if err := chromedp.Do(ctx, browsertest.Enter(chromedp.ID("wedge"), numericForm(t, p.Token))); err != nil {
		t.Fatal(err)
	}
	screen(ctx, t, "attention")
	screenTimers(ctx, t, "hold")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("resolve-deny"))); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "turn away offline", `document.getElementById("result").dataset.resolution === "deny"`, 10*time.Second)
	q := evalJS[[]struct {
		Decision   string `json:"decision"`
		Code       string `json:"code"`
		Resolution string `json:"resolution"`
	}](ctx, t, `laminateDoor.queued()`)
	if len(q) != 2 || q[1].Decision != "attention" || q[1].Code != "possible_clone" || q[1].Resolution != "deny" {
		t.Fatalf("queue %+v, want the CHECK with the door's resolution deny", q)
	}
}

// TestDoorScreens walks /scan and /verify through every state in the dark
// and the light theme, at a phone's 390x844 and a laptop's 1280x800 (dark
// at 390 and light at 1280 unless LAMINATE_SHOTS or LAMINATE_DOOR_ALL is
// set): no
// sideways scroll, no serious or critical axe-core violation, and at
// least 7:1 contrast for every text on the answer screens.
func TestDoorScreens(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	f := newFixture(t, 0)
	f.s.cfg.Now = time.Now
	if _, err := exec.LookPath("chromium"); err != nil {
		browser(t, "") // skips, or fails under LAMINATE_CI
	}
	axe := axeSource(t)
	auth := scannerToken(t, f)
	lost := f.issue(t, "Lost Card")
	if err := f.st.Revoke(context.Background(), &store.Revocation{Serial: lost.Serial, Category: pass.RevokeLost, By: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()

	// Each theme and each width at least once in make test (a browser per
	// case is the cost); all four with LAMINATE_SHOTS (the screenshots).
	cases := map[string][][2]int64{"dark": {{390, 844}}, "light": {{1280, 800}}}
	if os.Getenv("LAMINATE_SHOTS") != "" || os.Getenv("LAMINATE_DOOR_ALL") != "" {
		cases = map[string][][2]int64{"dark": {{390, 844}, {1280, 800}}, "light": {{390, 844}, {1280, 800}}}
	}
	var report bytes.Buffer
	for _, theme := range []string{"dark", "light"} {
		for _, size := range cases[theme] {
			name := fmt.Sprintf("%s-%dx%d", theme, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				tctx := browser(t, "") // fresh storage, and its own time bound
				if err := chromedp.Do(tctx, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(ts.URL+"/scan"),
					chromedp.WaitVisible(chromedp.ID("token"))); err != nil {
					t.Fatal(err)
				}
				if theme == "light" { // the switch, remembered across a reload
					if err := chromedp.Do(tctx, chromedp.Click(chromedp.ID("theme")), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("token"))); err != nil {
						t.Fatal(err)
					}
				}
				if got := evalJS[string](tctx, t, `document.documentElement.dataset.theme + "/" + document.getElementById("theme").getAttribute("aria-checked")`); got != theme+"/"+fmt.Sprint(theme == "light") {
					t.Fatalf("theme %q, want %s", got, theme)
				}
				check := func(state string, verdict bool) {
					t.Helper()
					noSideScroll(tctx, t, state)
					axeCheck(tctx, t, axe, name+" "+state)
					if verdict {
						root := "#result"
						if strings.HasPrefix(state, "verify") {
							root = "#verdict"
						}
						ratio, text := textContrast(tctx, t, root)
						fmt.Fprintf(&report, "%-16s %-22s lowest contrast %5.2f:1 (%q)\n", name, state, ratio, text)
						if ratio < 7 {
							t.Errorf("%s: text %q has contrast %.2f:1, want at least 7:1", state, text, ratio)
						}
					}
					shot(tctx, t, name+"-"+state)
				}
				check("sign-in", false)

				readyDoor(tctx, t, ts.URL, auth, "south")
				h := evalJS[float64](tctx, t, `document.querySelector("header").getBoundingClientRect().height`)
				fmt.Fprintf(&report, "%-16s %-22s header %3.0f px of %d\n", name, "ready", h, size[1])
				check("ready", false)

				screenTimers(tctx, t, "hold")
				p := f.issue(t, "Zoë Wanamaker")
				if err := chromedp.Do(tctx, browsertest.Enter(chromedp.ID("wedge"), p.Token)); err != nil {
					t.Fatal(err)
				}
				screen(tctx, t, "admit")
				check("admit", true)

				evalJS[chromedp.Void](tctx, t, `(() => { const r = document.getElementById("result"); r.className = ""; delete r.dataset.paintMs; })()`)
				if err := chromedp.Do(tctx, browsertest.Enter(chromedp.ID("wedge"), lost.Token)); err != nil {
					t.Fatal(err)
				}
				screen(tctx, t, "deny")
				next := evalJS[string](tctx, t, `document.getElementById("r-next").hidden ? "" : document.getElementById("r-next").textContent`)
				if next != "Keep the pass and call the production office" {
					t.Errorf("DENY (revoked) next step on screen %q", next)
				}
				check("deny-next-step", true)

				evalJS[chromedp.Void](tctx, t, `(() => { const r = document.getElementById("result"); r.className = ""; delete r.dataset.paintMs; })()`)
				twin := f.issue(t, "Twin Peaks")
				if code, _, body := f.scan(t, auth, twin.Token, "north", "stage", "out", newUUID(t), time.Now()); code != 200 {
					t.Fatal(body)
				}
				if err := chromedp.Do(tctx, browsertest.Enter(chromedp.ID("wedge"), twin.Token)); err != nil {
					t.Fatal(err)
				}
				screen(tctx, t, "attention")
				check("check-waiting", true)
				if err := chromedp.Do(tctx, chromedp.Click(chromedp.ID("resolve-deny"))); err != nil {
					t.Fatal(err)
				}
				waitJS(tctx, t, "turned away", `document.getElementById("result").dataset.resolution === "deny"`, 10*time.Second)
				check("check-turned-away", true)
				evalJS[chromedp.Void](tctx, t, `document.getElementById("result").className = ""`)

				setOffline(tctx, t, true)
				waitJS(tctx, t, "the offline banner", `!laminateDoor.status().online && document.getElementById("offline").textContent.includes("OFFLINE")`, 10*time.Second)
				check("offline-banner", false)
				setOffline(tctx, t, false)

				if err := chromedp.Do(tctx, chromedp.Navigate(ts.URL+"/verify"), chromedp.WaitVisible(chromedp.ID("code"))); err != nil {
					t.Fatal(err)
				}
				check("verify-start", false)
				for _, c := range []struct{ state, code, want string }{
					{"verify-valid", p.Token, "valid"},
					{"verify-forged", p.Token[:len(p.Token)-6] + "AAAAAA", "forged"},
				} {
					if err := chromedp.Do(tctx, chromedp.Navigate(ts.URL+"/verify"), chromedp.WaitVisible(chromedp.ID("code")),
						chromedp.SetValue(chromedp.ID("code"), c.code), chromedp.Click(chromedp.ID("check"))); err != nil {
						t.Fatal(err)
					}
					waitJS(tctx, t, c.state, `document.getElementById("verdict").dataset.status === `+jsLit(t, c.want), 10*time.Second)
					if c.want == "valid" {
						waitJS(tctx, t, "the artwork", `!document.getElementById("v-art").hidden`, 10*time.Second)
					}
					check(c.state, true)
				}
			})
		}
	}
	t.Logf("door screens:\n%s", report.String())
}
