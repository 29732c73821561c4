package office

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/printing"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/storetest"
)

var cet = time.FixedZone("CET", 3600)

// printEnv is an office with the print desk and one event "ev1" of four
// passes: ps[0] printed once by Ana at 18:04 +01:00, ps[3] revoked.
func printEnv(t *testing.T) (*env, []store.Issued) {
	t.Helper()
	e := newEnv(t, Config{}, false)
	e.o.cfg.Printer = printing.Desk{Store: e.st, ArtworkSecret: []byte("0123456789abcdef0123456789abcdef")}
	ctx := context.Background()
	start := time.Date(2026, 12, 2, 20, 0, 0, 0, cet)
	storetest.MustCreate(t, e.st, storetest.NewEvent(t, "ev1", start), storetest.NewEvent(t, "ev2", start))
	ps := storetest.NewPasses(t, "ev1", 4, start.Add(-48*time.Hour))
	withPhoto(t, &ps[3]) // revoked: never printed (the tests' tokens sign no photo)
	storetest.MustInsert(t, e.st, ps)
	storetest.MustInsert(t, e.st, storetest.NewPasses(t, "ev2", 1, start.Add(-48*time.Hour)))
	if err := e.st.Revoke(ctx, &store.Revocation{Serial: ps[3].Serial, Category: pass.RevokeLost, By: "t"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 2, 17, 4, 0, 0, time.UTC)
	if err := e.st.RecordPrints(ctx, []record.Print{{Serial: ps[0].Serial, At: at, Actor: "user:ana (Ana)", Template: "badge-4x3-letter", Format: "pdf"}}); err != nil {
		t.Fatal(err)
	}
	return e, ps
}

func printQuery(mode string, serials ...pass.Serial) string {
	v := url.Values{"event": {"ev1"}, "mode": {mode}, "template": {"badge-4x3-letter"}, "format": {"pdf"}}
	for _, s := range serials {
		v.Add("serial", string(s))
	}
	return v.Encode()
}

func TestPrintSelection(t *testing.T) {
	e, ps := printEnv(t)
	e.user("alice", staff.RoleIssuer)
	b := e.browser()
	b.mustSignIn("alice")
	wantStatus(t, "page", b.get("/office/print?event=ev1"), http.StatusOK, "Print passes", ps[1].Serial.String(), `name="serial"`)
	wantStatus(t, "not printed yet", b.get("/office/print?"+printQuery("unprinted")), http.StatusOK, "<strong>2 passes</strong>", "/office/print/preview?")
	all := b.get("/office/print?" + printQuery("all"))
	wantStatus(t, "all", all, http.StatusOK, "<strong>3 passes</strong>",
		"Pass "+ps[0].Serial.String()+" (Holder 0): already printed 1 time, last at 18:04 &#43;01:00 by user:ana (Ana).", "and log the reprint")
	wantStatus(t, "selected", b.get("/office/print?"+printQuery("selected", ps[2].Serial)), http.StatusOK, "<strong>1 pass</strong>")
	wantStatus(t, "selected none", b.get("/office/print?"+printQuery("selected")), http.StatusUnprocessableEntity, "Tick at least one pass")
	wantStatus(t, "selected revoked", b.get("/office/print?"+printQuery("selected", ps[3].Serial)), http.StatusUnprocessableEntity, "is revoked")
	wantStatus(t, "bad template", b.get("/office/print?event=ev1&mode=all&template=..%2Fetc"), http.StatusUnprocessableEntity, "Choose one of the templates listed.")

	// The preview is a PNG of the first pass's label.
	pv := b.get("/office/print/preview?event=ev1&template=badge-4x3-letter&serial=" + string(ps[1].Serial))
	if pv.status != http.StatusOK || pv.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(pv.body, "\x89PNG") {
		t.Fatalf("preview = %d %s", pv.status, pv.header.Get("Content-Type"))
	}

	// The download needs the CSRF token, is logged under the person's
	// name, and carries the reprint warning.
	form, _ := url.ParseQuery(printQuery("all"))
	wantStatus(t, "download without CSRF", b.post("/office/print", form, ""), http.StatusForbidden)
	form, _ = url.ParseQuery(printQuery("all"))
	d := b.post("/office/print", form, "auto")
	if d.status != http.StatusOK || d.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(d.body, "%PDF") {
		t.Fatalf("download = %d %s", d.status, d.header.Get("Content-Type"))
	}
	if w := d.header.Get("Laminate-Warning"); !strings.Contains(w, "already printed 1 time, last at 18:04 +01:00 by user:ana (Ana)") {
		t.Errorf("warning header = %q", w)
	}
	st, _ := e.st.PrintStatus(context.Background(), "ev1")
	if st[ps[0].Serial].Count != 2 || st[ps[1].Serial].Count != 1 || st[ps[1].Serial].Last.Actor != "user:alice (Alice Example)" {
		t.Errorf("print status after download = %+v", st)
	}
	wantStatus(t, "after", b.get("/office/print?"+printQuery("all")), http.StatusOK,
		"already printed 2 times, last at 19:00 &#43;01:00 by user:alice (Alice Example).")
	wantStatus(t, "nothing left", b.get("/office/print?"+printQuery("unprinted")), http.StatusUnprocessableEntity, "no passes left unprinted")

	// ZPL at 300 dpi.
	form, _ = url.ParseQuery(printQuery("selected", ps[1].Serial))
	form.Set("format", "zpl300")
	z := b.post("/office/print", form, "auto")
	if z.status != http.StatusOK || z.header.Get("Content-Type") != "application/x-zpl" || !strings.Contains(z.body, "^XA") {
		t.Fatalf("zpl = %d %s", z.status, z.header.Get("Content-Type"))
	}
}

func TestPrintRoles(t *testing.T) {
	e, _ := printEnv(t)
	e.user("pat", staff.RolePrinter)
	e.user("sam", staff.RoleScanner)
	pat := e.browser()
	pat.mustSignIn("pat")
	home := pat.get("/office/")
	wantStatus(t, "printer home", home, http.StatusOK, `href="/office/print"`, `href="/office/desk"`)
	wantStatus(t, "printer print", pat.get("/office/print?event=ev1"), http.StatusOK, "Print passes")
	wantStatus(t, "printer desk", pat.get("/office/desk?event=ev1"), http.StatusOK, "Printing and collecting are not entry.")
	wantStatus(t, "printer picks", pat.get("/office/print"), http.StatusOK, `href="/office/print?event=ev1"`)
	sam := e.browser()
	sam.mustSignIn("sam")
	if strings.Contains(sam.get("/office/").body, `href="/office/print"`) {
		t.Error("the navigation links the print page for a scanner")
	}
	for _, p := range []string{"/office/print?event=ev1", "/office/desk?event=ev1", "/office/print/preview?event=ev1"} {
		wantStatus(t, "scanner "+p, sam.get(p), http.StatusForbidden, "your account has the scanner role")
	}
	f, _ := url.ParseQuery(printQuery("all"))
	sam.get("/office/")
	wantStatus(t, "scanner download", sam.post("/office/print", f, "auto"), http.StatusForbidden)
}

func TestPrintEventLimits(t *testing.T) {
	e, ps := printEnv(t)
	e.user("lim", staff.RolePrinter, "ev2")
	b := e.browser()
	b.mustSignIn("lim")
	pick := b.get("/office/desk")
	wantStatus(t, "pick", pick, http.StatusOK, `href="/office/desk?event=ev2"`)
	if strings.Contains(pick.body, "event=ev1") {
		t.Error("the event list offers an event the account is not limited to")
	}
	for _, p := range []string{"/office/print?event=ev1", "/office/desk?event=ev1&q=holder", "/office/desk/photo?event=ev1&serial=" + string(ps[0].Serial)} {
		wantStatus(t, p, b.get(p), http.StatusForbidden, "cannot see or act for event ev1")
	}
	b.get("/office/desk?event=ev2")
	wantStatus(t, "collect ev1", b.post("/office/desk/collected", url.Values{"event": {"ev1"}, "serial": {string(ps[0].Serial)}}, "auto"), http.StatusForbidden)
	// A pass of another event is not found through an event allowed.
	wantStatus(t, "collect ev1 pass via ev2", b.post("/office/desk/collected", url.Values{"event": {"ev2"}, "serial": {string(ps[0].Serial)}}, "auto"), http.StatusNotFound)
}

func TestDeskCollectedTwice(t *testing.T) {
	e, ps := printEnv(t)
	e.user("dora", staff.RolePrinter)
	b := e.browser()
	b.mustSignIn("dora")
	res := b.get("/office/desk?event=ev1&q=holder+1")
	wantStatus(t, "search", res, http.StatusOK, "1 pass found", "Holder 1", "Print badge", "Mark collected")
	wantStatus(t, "search revoked", b.get("/office/desk?event=ev1&q=holder+3"), http.StatusOK, `alt="Photo of Holder 3"`, "Do not hand this pass out")
	ph := b.get("/office/desk/photo?event=ev1&serial=" + string(ps[3].Serial))
	if ph.status != http.StatusOK || ph.header.Get("Content-Type") != "image/jpeg" || !bytes.Equal([]byte(ph.body), ps[3].PhotoJPEG) {
		t.Fatalf("photo = %d %s", ph.status, ph.header.Get("Content-Type"))
	}
	wantStatus(t, "no photo", b.get("/office/desk/photo?event=ev1&serial="+string(ps[2].Serial)), http.StatusNotFound, "has no photo")

	// Print that one badge: a PDF, logged.
	d := b.post("/office/desk/print", url.Values{"event": {"ev1"}, "serial": {string(ps[1].Serial)}, "template": {"badge-4x3-letter"}}, "auto")
	if d.status != http.StatusOK || !strings.HasPrefix(d.body, "%PDF") {
		t.Fatalf("desk print = %d %s", d.status, d.body)
	}
	wantStatus(t, "desk print without CSRF", b.post("/office/desk/print", url.Values{"event": {"ev1"}, "serial": {string(ps[1].Serial)}}, ""), http.StatusForbidden)

	b.get("/office/desk?event=ev1&q=holder+1")
	form := url.Values{"event": {"ev1"}, "serial": {string(ps[1].Serial)}, "q": {"holder 1"}}
	wantStatus(t, "collect without CSRF", b.post("/office/desk/collected", form, ""), http.StatusForbidden)
	a := b.post("/office/desk/collected", form, "auto")
	wantStatus(t, "collect", a, http.StatusSeeOther)
	if r := lastAudit(t, e.st); r.Actor != "user:dora (Dora Example)" {
		t.Errorf("audit = %+v", r)
	}
	first := b.get(strings.TrimPrefix(a.location, e.srv.URL))
	wantStatus(t, "collected", first, http.StatusOK, "Holder 1 ("+ps[1].Serial.String()+"): collected at Wed 2 Dec 2026 19:00 &#43;01:00 by user:dora (Dora Example)",
		"printed 1×")
	e.clk.Add(10 * time.Minute)
	a = b.post("/office/desk/collected", form, "auto")
	wantStatus(t, "collect again", b.get(strings.TrimPrefix(a.location, e.srv.URL)), http.StatusOK,
		"was already collected at Wed 2 Dec 2026 19:00 &#43;01:00 by user:dora (Dora Example)")
	// A revoked pass is not handed out.
	wantStatus(t, "collect revoked", b.post("/office/desk/collected", url.Values{"event": {"ev1"}, "serial": {string(ps[3].Serial)}}, "auto"), http.StatusConflict, "do not hand it out")
}

// withPhoto gives p a small JPEG photo that its pass signs.
func withPhoto(t testing.TB, p *store.Issued) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 240, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 240; x++ {
			c := color.RGBA{0x6b, 0x8f, 0xb5, 0xff}
			if (x-120)*(x-120)+(y-120)*(y-120) < 60*60 || y > 210 && (x-120)*(x-120) < (y-150)*(y-150) {
				c = color.RGBA{0xe8, 0xc4, 0xa0, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	p.PhotoJPEG = buf.Bytes()
	p.Photo = pass.PhotoHash(p.PhotoJPEG)
}
