package server

import (
	"bytes"
	"context"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/internal/browsertest"
	"github.com/laminate/laminate/internal/racetest"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// browser is a tab of the test binary's shared headless Chromium
// (internal/browsertest), or, with frame (a .y4m file) set, a Chromium of
// the test's own with a fake camera showing it (a flag of the browser
// process). It skips under -race (racetest.Skip).
func browser(t *testing.T, frame string) context.Context {
	t.Helper()
	if frame == "" {
		return browsertest.Tab(t)
	}
	browsertest.Path(t) // skips under -race or without Chromium, first
	if _, err := os.Stat("static/vendor/zxing_reader.wasm"); err != nil {
		if os.Getenv("LAMINATE_CI") != "" {
			t.Fatal("static/vendor/zxing_reader.wasm missing: run make web (npm) first")
		}
		t.Skip("static/vendor/zxing_reader.wasm missing: run make web")
	}
	return browsertest.Own(t, chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", frame))
}

// TestMain stops the shared Chromium when the tests are done.
func TestMain(m *testing.M) { browsertest.Main(m) }

// y4m writes a one-frame 640x480 video (which Chromium's fake camera loops)
// with a pass's QR code in the middle, px pixels a module (fractions are
// area-averaged, as a camera sees them), blurred by a Gaussian of sigma px
// (defocus; 0 for none), white around it.
func y4m(t *testing.T, token string, px, sigma float64) string {
	t.Helper()
	q, err := render.NewQR(token, "M")
	if err != nil {
		t.Fatal(err)
	}
	const w, h, sub = 640, 480, 4
	y := make([]float64, w*h)
	side := float64(q.Size()) * px
	ox, oy := (w-side)/2, (h-side)/2
	for i := range y {
		dark := 0
		for s := range sub * sub {
			// The module under each of sub x sub points in the pixel.
			mx := (float64(i%w) + (float64(s%sub)+0.5)/sub - ox) / px
			my := (float64(i/w) + (float64(s/sub)+0.5)/sub - oy) / px
			if mx >= 0 && my >= 0 && int(my) < q.Size() && int(mx) < q.Size() && q.Modules[int(my)][int(mx)] {
				dark++
			}
		}
		y[i] = 235 - 219*float64(dark)/(sub*sub) // video range: 16 black, 235 white
	}
	if sigma > 0 {
		y = gaussianBlur(y, w, h, sigma)
	}
	var buf bytes.Buffer
	buf.WriteString("YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\nFRAME\n")
	for _, v := range y {
		buf.WriteByte(byte(math.Round(v)))
	}
	buf.Write(bytes.Repeat([]byte{128}, w*h/2)) // U and V: no colour
	path := filepath.Join(t.TempDir(), "frame.y4m")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// gaussianBlur blurs a w x h image by a separable Gaussian of sigma px,
// repeating the edge pixels.
func gaussianBlur(img []float64, w, h int, sigma float64) []float64 {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	sum := 0.0
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	pass := func(src []float64, dx, dy int) []float64 {
		out := make([]float64, len(src))
		for y := range h {
			for x := range w {
				v := 0.0
				for i, kv := range k {
					sx, sy := min(w-1, max(0, x+(i-r)*dx)), min(h-1, max(0, y+(i-r)*dy))
					v += kv * src[sy*w+sx]
				}
				out[y*w+x] = v / sum
			}
		}
		return out
	}
	return pass(pass(img, 1, 0), 0, 1)
}

// result waits for the answer screen and returns its class and code.
func result(ctx context.Context, t *testing.T) (class, code string, elapsed int) {
	t.Helper()
	res, err := chromedp.Run(ctx, chromedp.Poll[[]any](
		`(() => { const r = document.getElementById("result"); return r.className ? [r.className, r.dataset.code, Number(r.dataset.elapsed)] : null })()`))
	if err != nil {
		t.Fatalf("no answer screen: %v", err)
	}
	return res[0].(string), res[1].(string), int(res[2].(float64))
}

// dismiss clears the answer screen.
func dismiss(ctx context.Context, t *testing.T) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`document.getElementById("result").className = ""`)); err != nil {
		t.Fatal(err)
	}
}

func TestScanPageKeyboardWedge(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	f := newFixture(t, 0)
	ctx := browser(t, "")
	f.s.cfg.Now = time.Now // the browser works in real time
	auth := scannerToken(t, f)
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	iss, revoked := f.issue(t, "Zoë Wanamaker"), f.issue(t, "Lost Card")
	if err := f.st.Revoke(context.Background(), &store.Revocation{Serial: revoked.Serial, Category: pass.RevokeLost, By: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/scan"),
		chromedp.WaitVisible(chromedp.ID("token")),
		browsertest.Enter(chromedp.ID("token"), auth),
		chromedp.WaitVisible(chromedp.ID("wedge")),
	)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, code, class, want string
	}{
		{"admit/genuine", iss.Token, "admit", "ok"},
		{"deny/revoked", revoked.Token, "deny", "revoked"},
		{"deny/forged", iss.Token[:len(iss.Token)-6] + "AAAAAA", "deny", "forged"},
		{"deny/already-inside", iss.Token, "deny", "already_inside"},
	}
	for _, c := range cases {
		// A keyboard-wedge scanner types the code and Enter into the focused
		// box, a key at a time: the first code so (3 s in DevTools), the
		// others in one go, as every other test enters a code.
		enter := browsertest.Enter(chromedp.ID("wedge"), c.code)
		if c.name == "admit/genuine" {
			enter = chromedp.SendKeys(chromedp.ID("wedge"), c.code+"\n")
		}
		if err := chromedp.Do(ctx, enter); err != nil {
			t.Fatal(err)
		}
		class, code, _ := result(ctx, t)
		if class != c.class || code != c.want {
			t.Fatalf("%s: screen %s/%s, want %s/%s", c.name, class, code, c.class, c.want)
		}
		dismiss(ctx, t) // no code follows itself: the page drops a repeat within 2 s
	}
	name, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("history")))
	if err != nil || !strings.Contains(name, "Zoë Wanamaker") || !strings.Contains(name, "DENY") {
		t.Fatalf("last scans = %q, %v", name, err)
	}
}

// TestScanPageCamera: a pass shown to the fake camera gets the green
// screen, through the page's zxing-wasm decoder under the page's CSP. The
// worn sticker (3 px a module, what a 0.5 mm module gives a 1920 px camera
// at 20 cm, and a defocus of 1 px) is a frame that jsQR, the pages'
// decoder before issue 12, does not read.
func TestScanPageCamera(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	for _, c := range []struct {
		name      string
		px, sigma float64
	}{
		{"clean", 4, 0},
		{"worn-sticker", 3, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, 0)
			f.s.cfg.Now = time.Now
			iss := f.issue(t, "Björk Guðmundsdóttir")
			ctx := browser(t, y4m(t, iss.Token, c.px, c.sigma))
			cspWatch(ctx, t)
			auth := scannerToken(t, f)
			ts := httptest.NewServer(f.s.Handler())
			defer ts.Close()
			err := chromedp.Do(ctx,
				chromedp.Navigate(ts.URL+"/scan"),
				chromedp.WaitVisible(chromedp.ID("token")),
				browsertest.Enter(chromedp.ID("token"), auth),
				chromedp.WaitVisible(chromedp.ID("camera-btn")),
				chromedp.Click(chromedp.ID("camera-btn")),
			)
			if err != nil {
				t.Fatal(err)
			}
			// The screen and its name read at once: on a loaded machine a
			// separate read can come after the answer screen has gone.
			res, err := chromedp.Run(ctx, chromedp.Poll[[]any](
				`(() => { const r = document.getElementById("result"); return r.className ? [r.className, r.dataset.code, Number(r.dataset.elapsed), document.getElementById("r-name").textContent] : null })()`))
			if err != nil {
				t.Fatalf("no answer screen: %v", err)
			}
			class, code, elapsed, name := res[0].(string), res[1].(string), int(res[2].(float64)), res[3].(string)
			if class != "admit" || code != "ok" {
				t.Fatalf("camera scan: %s/%s, want admit/ok", class, code)
			}
			if name != "Björk Guðmundsdóttir" {
				t.Fatalf("answer screen name %q", name)
			}
			if got := evalJS[string](ctx, t, `LaminateDecoder.engine()`); got != "zxing" {
				t.Fatalf("the page decoded with %q (%s), want zxing", got, evalJS[string](ctx, t, `LaminateDecoder.zxingError()`))
			}
			noCSPViolations(ctx, t)
			shot(ctx, t, "scan-camera-"+c.name)
			t.Logf("frame with the QR -> green screen: %d ms; camera %s; BarcodeDetector in this Chromium: %v", elapsed,
				evalJS[string](ctx, t, `(() => { const s = document.getElementById("video").srcObject.getVideoTracks()[0].getSettings(); return s.width + "x" + s.height })()`),
				evalJS[bool](ctx, t, `"BarcodeDetector" in window`))
		})
	}
}

func TestVerifyPage(t *testing.T) {
	racetest.Skip(t) // Chromium drives the pages; the handlers' concurrency is tested under -race without it
	t.Parallel()     // a browser test waits on its pages more than it computes: they run side by side
	f := newFixture(t, 0)
	ctx := browser(t, "")
	f.s.cfg.Now = time.Now
	iss := f.issue(t, "Sigur Rós")
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	for _, c := range []struct{ code, want string }{
		{iss.Token, "valid"},
		{iss.Token[:len(iss.Token)-6] + "AAAAAA", "forged"},
		{"<img src=x onerror=alert(1)>", "malformed"},
	} {
		err := chromedp.Do(ctx,
			chromedp.Navigate(ts.URL+"/verify"),
			chromedp.WaitVisible(chromedp.ID("code")),
			chromedp.SetValue(chromedp.ID("code"), c.code),
			chromedp.Click(chromedp.ID("check")),
		)
		if err != nil {
			t.Fatal(err)
		}
		status, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("verdict").dataset.status`))
		if err != nil || status != c.want {
			t.Fatalf("verify page for %.20s: %q, %v; want %s", c.code, status, err, c.want)
		}
	}
	// Text, not markup: the page shows what it was given and runs nothing.
	imgs, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelectorAll("img[src='x']").length`))
	if imgs != 0 {
		t.Fatal("markup from the input reached the page")
	}
}

// issue signs and stores a pass for an event running now (the browser
// works in real time).
func (f *fixture) issue(t *testing.T, name string) store.Issued {
	t.Helper()
	ctx := context.Background()
	ev, err := f.st.Event(ctx, "live")
	if err != nil {
		now := time.Now()
		ev = &pass.Event{ID: "live", Name: "Live Show", Schedule: pass.Schedule{ShowStart: now.Add(time.Hour), ShowEnd: now.Add(3 * time.Hour)}}
		if err := ev.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := f.st.CreateEvent(ctx, ev, "test"); err != nil {
			t.Fatal(err)
		}
	}
	sg := *f.s.cfg.Signer
	sg.Now = time.Now
	out, err := issue.Batch(ctx, &sg, f.st, ev, []signer.Request{{Type: pass.AAA, Name: name}}, "test", issue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	return out[0]
}
