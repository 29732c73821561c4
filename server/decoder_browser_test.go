package server

// Chromium tests of the pages' QR decoder (static/decoder.js: zxing-wasm,
// issue 12): the WebAssembly loads under the pages' CSP with no violation,
// it reads a worn code cut from a printed pass, and /verify reads a worn
// code from the camera. The scan page's camera is in browser_test.go.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/internal/racetest"
)

// cspWatch records the page's CSP violations (securitypolicyviolation
// events) from the next navigation on, in window.cspViolations.
func cspWatch(ctx context.Context, t testing.TB) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		return chromedp.Void{}, tg.Call(ctx, "Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": `window.cspViolations = [];
			document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(e.effectiveDirective + " blocked " + e.blockedURI));`}, nil)
	}))
	if err != nil {
		t.Fatal(err)
	}
}

// noCSPViolations fails on any CSP violation recorded since cspWatch.
func noCSPViolations(ctx context.Context, t testing.TB) {
	t.Helper()
	if v := evalJS[[]string](ctx, t, `window.cspViolations || ["cspWatch was not set up"]`); len(v) > 0 {
		t.Fatalf("CSP violations on the page: %s", strings.Join(v, "; "))
	}
}

// TestPageDecoder feeds codes cut from printed passes (testdata/decoder:
// a 2 in sticker at 2.7 px a module, and a 4x3 badge), clean and blurred
// by the canvas, to /verify's own decoder, under the page's CSP.
func TestPageDecoder(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	ctx := browser(t, "")
	if _, err := os.Stat("static/vendor/zxing_reader.wasm"); err != nil {
		if os.Getenv("LAMINATE_CI") != "" {
			t.Fatal("static/vendor/zxing_reader.wasm missing: run make web (npm) first")
		}
		t.Skip("static/vendor/zxing_reader.wasm missing: run make web")
	}
	cspWatch(ctx, t)
	f := newFixture(t, 0)
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	var codes map[string]string
	b, err := os.ReadFile("../testdata/decoder/codes.json")
	if err == nil {
		err = json.Unmarshal(b, &codes)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/verify"), chromedp.WaitVisible(chromedp.ID("code"))); err != nil {
		t.Fatal(err)
	}
	if got := evalJS[string](ctx, t, `LaminateDecoder.load()`); got != "zxing" {
		t.Fatalf("the page's decoder is %q (%s), want zxing", got, evalJS[string](ctx, t, `LaminateDecoder.zxingError()`))
	}
	for file, want := range codes {
		png, err := os.ReadFile("../testdata/decoder/" + file)
		if err != nil {
			t.Fatal(err)
		}
		for _, blur := range []string{"none", "blur(0.8px)", "blur(1.2px)"} {
			// The PNG becomes a bitmap in the page (not through img-src),
			// drawn to a canvas with the blur, and read as the camera's
			// frames are.
			got := evalJS[string](ctx, t, `(async () => {
				const bytes = Uint8Array.from(atob(`+jsLit(t, base64.StdEncoding.EncodeToString(png))+`), (c) => c.charCodeAt(0));
				const bmp = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
				const c = document.createElement("canvas"); c.width = bmp.width; c.height = bmp.height;
				const ctx = c.getContext("2d"); ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, c.width, c.height);
				ctx.filter = `+jsLit(t, blur)+`; ctx.drawImage(bmp, 0, 0);
				return LaminateDecoder.decode(ctx.getImageData(0, 0, c.width, c.height));
			})()`)
			if got != want {
				t.Errorf("%s, %s: the page read %.30q, want %.30q…", file, blur, got, want)
			}
		}
	}
	noCSPViolations(ctx, t)
}

// TestVerifyPageCamera: /verify reads a worn sticker code from the camera
// (3 px a module, 1 px out of focus: jsQR reads nothing) and shows the
// verdict.
func TestVerifyPageCamera(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	f := newFixture(t, 0)
	f.s.cfg.Now = time.Now
	iss := f.issue(t, "Sigur Rós")
	ctx := browser(t, y4m(t, iss.Token, 3, 1))
	cspWatch(ctx, t)
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), // a phone
		chromedp.Navigate(ts.URL+"/verify"),
		chromedp.WaitVisible(chromedp.ID("camera-btn")),
		chromedp.Click(chromedp.ID("camera-btn")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the verdict", `document.getElementById("verdict").dataset.status === "valid"`, 60*time.Second)
	if got := evalJS[string](ctx, t, `document.getElementById("code").value`); got == "" {
		t.Fatal("the code box is empty after a camera read")
	}
	noCSPViolations(ctx, t)
	noSideScroll(ctx, t, "verify after a camera read")
	shot(ctx, t, "verify-camera-390")
}

// TestPageCSP: the pages and their files carry the CSP, and its script-src
// allows this server's scripts and WebAssembly compilation only: no
// 'unsafe-eval', no inline script, no other origin. The .wasm is served as
// application/wasm (streaming compilation needs it).
func TestPageCSP(t *testing.T) {
	f := newFixture(t, 0)
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	paths := []string{"/scan", "/verify", "/static/decoder.js", "/scan-sw.js"}
	wasm := "/static/vendor/zxing_reader.wasm"
	if _, err := os.Stat("static/vendor/zxing_reader.wasm"); err == nil {
		paths = append(paths, wasm)
	}
	for _, p := range paths {
		r, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 200 {
			t.Fatalf("%s: HTTP %d", p, r.StatusCode)
		}
		var script string
		for _, d := range strings.Split(r.Header.Get("Content-Security-Policy"), ";") {
			if d = strings.TrimSpace(d); strings.HasPrefix(d, "script-src ") {
				script = d
			}
		}
		if script != "script-src 'self' 'wasm-unsafe-eval'" {
			t.Errorf("%s: %q, want script-src 'self' 'wasm-unsafe-eval'", p, script)
		}
		if ct := r.Header.Get("Content-Type"); p == wasm && ct != "application/wasm" {
			t.Errorf("%s: Content-Type %q, want application/wasm", p, ct)
		}
	}
}
