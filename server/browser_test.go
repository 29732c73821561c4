package server

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// browser starts Debian's headless Chromium for the scanner page, with a
// fake camera showing frame (a .y4m file) when it is set.
func browser(t *testing.T, frame string) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("LAMINATE_CI") != "" {
			t.Fatal("chromium not installed (Debian package chromium); .ci/run should have installed it")
		}
		t.Skip("chromium not installed: apt-get install chromium")
	}
	if _, err := os.Stat("static/vendor/jsQR.js"); err != nil && frame != "" {
		if os.Getenv("LAMINATE_CI") != "" {
			t.Fatal("static/vendor/jsQR.js missing: run make web (npm) first")
		}
		t.Skip("static/vendor/jsQR.js missing: run make web")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	}
	if frame != "" {
		opts = append(opts, chromedp.Flag("use-fake-ui-for-media-stream", true),
			chromedp.Flag("use-fake-device-for-media-stream", true),
			chromedp.Flag("use-file-for-fake-video-capture", frame))
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 180*time.Second) // a bound against a hung browser, loose enough for a loaded machine
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// y4m writes a one-frame 640x480 video (which Chromium's fake camera loops)
// with a pass's QR code in the middle, 4 px a module, white around it.
func y4m(t *testing.T, token string) string {
	t.Helper()
	q, err := render.NewQR(token, "M")
	if err != nil {
		t.Fatal(err)
	}
	const w, h, px = 640, 480, 4
	y := bytes.Repeat([]byte{235}, w*h)
	ox, oy := (w-q.Size()*px)/2, (h-q.Size()*px)/2
	for r, row := range q.Modules {
		for c, dark := range row {
			if !dark {
				continue
			}
			for dy := range px {
				for dx := range px {
					y[(oy+r*px+dy)*w+ox+c*px+dx] = 16
				}
			}
		}
	}
	var buf bytes.Buffer
	buf.WriteString("YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\nFRAME\n")
	buf.Write(y)
	buf.Write(bytes.Repeat([]byte{128}, w*h/2)) // U and V: no colour
	path := filepath.Join(t.TempDir(), "frame.y4m")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
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
		chromedp.SendKeys(chromedp.ID("token"), auth+"\n"),
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
		// A keyboard-wedge scanner types the code and Enter into the focused box.
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("wedge"), c.code+"\n")); err != nil {
			t.Fatal(err)
		}
		class, code, _ := result(ctx, t)
		if class != c.class || code != c.want {
			t.Fatalf("%s: screen %s/%s, want %s/%s", c.name, class, code, c.class, c.want)
		}
		dismiss(ctx, t)
		time.Sleep(2100 * time.Millisecond) // the page ignores a repeat of the same code within 2 s
	}
	name, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("history")))
	if err != nil || !strings.Contains(name, "Zoë Wanamaker") || !strings.Contains(name, "DENY") {
		t.Fatalf("last scans = %q, %v", name, err)
	}
}

func TestScanPageCamera(t *testing.T) {
	f := newFixture(t, 0)
	f.s.cfg.Now = time.Now
	iss := f.issue(t, "Björk Guðmundsdóttir")
	ctx := browser(t, y4m(t, iss.Token))
	auth := scannerToken(t, f)
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/scan"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), auth+"\n"),
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
	t.Logf("frame with the QR -> green screen: %d ms", elapsed)
	if name != "Björk Guðmundsdóttir" {
		t.Fatalf("answer screen name %q", name)
	}
}

func TestVerifyPage(t *testing.T) {
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
