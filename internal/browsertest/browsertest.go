// Package browsertest runs the pages' tests in Debian's headless Chromium
// (server's door pages, office, dashboard): one Chromium per test binary
// and a tab in a browser context of its own per test (fresh storage, as a
// new profile), axe-core (npm, pinned in web/package-lock.json, read from
// web/node_modules, never embedded), and screenshots into LAMINATE_SHOTS.
//
// Starting a Chromium costs seconds on a loaded machine; one per binary
// lets the tests run side by side (t.Parallel) on tabs of it. A test of a
// browser calls [racetest.Skip] through [Tab] and [Own]: it runs in "make
// test"'s second step, without -race, so the Makefile's NORACE_RUN must
// name it (see the Makefile for the naming convention).
//
// A package that calls [Tab] has a TestMain that calls [Main], which stops
// the shared Chromium when the tests are done.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/internal/racetest"
)

// Timeout bounds each test's tab against a hung browser, loose enough for
// a loaded machine.
const Timeout = 180 * time.Second

// Flags are the Chromium flags of every test browser, with profile as its
// user data folder.
func Flags(path, profile string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(profile), chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Tabs side by side are all in the foreground: no timer throttled,
		// no renderer put to the back, as on a door device's one screen.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-ipc-flooding-protection", true),
	}
}

// Path is the Chromium to run. It skips t without one, and fails it under
// LAMINATE_CI, where one must be installed. It skips t under -race (see
// the package comment).
func Path(t testing.TB) string {
	t.Helper()
	racetest.Skip(t) // a new browser test is named in the Makefile's NORACE_RUN, or fails under make test
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("LAMINATE_CI") != "" {
			t.Fatal("chromium not installed (Debian package chromium); .ci/run should have installed it")
		}
		t.Skip("chromium not installed: apt-get install chromium")
	}
	return path
}

// Tab is a new tab of the test binary's shared Chromium, started on first
// use, in a browser context of its own; it closes when t ends.
func Tab(t testing.TB) context.Context {
	t.Helper()
	path := Path(t)
	shared.once.Do(func() { shared.start(path) })
	if shared.err != nil {
		t.Fatalf("starting chromium: %v", shared.err)
	}
	ctx, cancelC := chromedp.NewContext(shared.ctx, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, Timeout)
	t.Cleanup(func() { cancelT(); cancelC() })
	return ctx
}

// Own is a Chromium of t's own, for what is a flag of the browser process
// (a fake camera): Flags and then extra. It stops when t ends.
func Own(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := Path(t)
	opts := append(Flags(path, t.TempDir()), extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, Timeout)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// Main runs the tests and then stops the shared Chromium, if one started.
func Main(m *testing.M) {
	code := m.Run()
	shared.close()
	os.Exit(code)
}

var shared chromium

type chromium struct {
	once    sync.Once
	ctx     context.Context // its first tab, which keeps it running
	err     error
	profile string
	stop    func()
}

func (b *chromium) start(path string) {
	if b.profile, b.err = os.MkdirTemp("", "laminate-chromium-"); b.err != nil {
		return
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), Flags(path, b.profile)...)
	ctx, cancelC := chromedp.NewContext(actx)
	b.ctx, b.stop = ctx, func() { cancelC(); cancelA() }
	b.err = chromedp.Do(ctx) // starts it
}

func (b *chromium) close() {
	if b.stop != nil {
		b.stop()
	}
	if b.profile != "" {
		os.RemoveAll(b.profile)
	}
}

// Axe is axe-core's browser build, fetched by "make web" into
// web/node_modules. It skips t without it, and fails it under LAMINATE_CI.
func Axe(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err == nil {
		var b []byte
		if b, err = os.ReadFile(filepath.Join(root, "web", "node_modules", "axe-core", "axe.min.js")); err == nil {
			return string(b)
		}
	}
	if os.Getenv("LAMINATE_CI") != "" {
		t.Fatal("web/node_modules/axe-core/axe.min.js missing: run make web (npm ci in web/) first")
	}
	t.Skip("axe-core missing (web/node_modules/axe-core): run make web")
	return ""
}

// moduleRoot is the folder of go.mod above the working directory (a
// test's working directory is its package's folder).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = up
	}
}

// Eval evaluates script in the page (awaiting a promise) and fails t on an
// error.
func Eval[T any](ctx context.Context, t testing.TB, script string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%.80s…: %v", script, err)
	}
	return v
}

// AxeCheck runs axe-core (the source Axe returned) on the page as it is,
// injected through DevTools so that the page's CSP is not loosened. It
// fails t on any serious or critical violation and logs the lesser ones.
func AxeCheck(ctx context.Context, t testing.TB, axe, name string) {
	t.Helper()
	if !Eval[bool](ctx, t, `typeof axe === "object"`) {
		Eval[chromedp.Void](ctx, t, axe+"\n;undefined")
	}
	type node struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	}
	var vs []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []node `json:"nodes"`
	}
	raw := Eval[string](ctx, t, `axe.run(document, {resultTypes: ["violations"]}).then((r) => JSON.stringify(r.violations))`)
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		msg := fmt.Sprintf("axe %s: %s (%s): %s", name, v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			msg += fmt.Sprintf("\n    %v: %s", n.Target, n.Summary)
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
}

// NoSideScroll fails t when the page is wider than the window.
func NoSideScroll(ctx context.Context, t testing.TB, name string) {
	t.Helper()
	w := Eval[[]float64](ctx, t, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)
	if w[0] > w[1] {
		t.Errorf("%s: the page is %v px wide in a %v px window (it scrolls sideways)", name, w[0], w[1])
	}
}

// Shot saves a screenshot as name.png in the folder LAMINATE_SHOTS names,
// when it is set: of the whole page when full, else of the window.
func Shot(ctx context.Context, t testing.TB, name string, full bool) {
	t.Helper()
	dir := os.Getenv("LAMINATE_SHOTS")
	if dir == "" {
		return
	}
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Enter puts text into the element sel in one go and presses Enter, as a
// scanner in burst mode or a paste gives it: one input event
// (Input.insertText) and one Enter key. chromedp.SendKeys sends three
// DevTools calls a character, 12 ms a character on a quiet 2-core machine
// (3 s for a 250-character pass), and on a loaded one its typing stalled
// past the scan page's 1 s end-of-code pause. Keystroke by keystroke is
// what TestScanPageKeyboardWedge tests; every other test enters a code
// with Enter.
func Enter[S chromedp.Selectable](sel S, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Focus(sel, chromedp.NodeVisible)(ctx, tg); err != nil {
			return err
		}
		if err := tg.Call(ctx, "Input.insertText", map[string]any{"text": text}, nil); err != nil {
			return err
		}
		_, err := chromedp.KeyEvent("\n")(ctx, tg)
		return err
	})
}
