package render

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/laminate/laminate/internal/racetest"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render/logo"
	"github.com/laminate/laminate/templates"
)

// logoGreen is the colour of the test logo: no artwork or type colour
// comes near it.
var logoGreen = color.NRGBA{0, 200, 0, 255}

func greenLogo(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 200, 120))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = logoGreen.R, logoGreen.G, logoGreen.B, 255
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	out, err := logo.Sanitize(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const testSVGLogo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 60">
<rect x="0" y="0" width="120" height="60" rx="8" fill="#1a1a40"/>
<circle cx="30" cy="30" r="20" fill="#f2c14e"/>
<path d="M60 45 L75 15 L90 45 Z" fill="none" stroke="#ffffff" stroke-width="4"/>
<path d="M95 15 h15 v30 h-15 z M99 19 v22 h7 v-22 z" fill="#e63946" fill-rule="evenodd"/>
</svg>`

// brandedItems are testItems of an event with the given logo, a tour line,
// an accent colour and a contact.
func brandedItems(t testing.TB, n int, logoBytes []byte) []Item {
	items, _ := testItems(t, n)
	ev := *testEvent
	ev.Branding = &pass.Branding{Tour: "Ágætis byrjun — World Tour 2027", Short: "BER 05 MAR", Accent: "#0b6e4f",
		Contact: "Production office: Kim Larsen +49 30 1234 5678, prod@sigur.example", Logo: logoBytes}
	if err := ev.Branding.Validate(); err != nil {
		t.Fatal(err)
	}
	for i := range items {
		items[i].Event = &ev
	}
	return items
}

func renderFile(t testing.TB, items []Item, tpl *templates.Template, dir, name string) string {
	var buf bytes.Buffer
	if err := WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret, Duplex: tpl.Back != nil}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRenderBranding: the tour line and the contact are printed as text;
// the logo is drawn in its box; the panel under the text is clear of the
// artwork, which stays visible around it.
func TestRenderBranding(t *testing.T) {
	racetest.Skip(t) // one goroutine drawing, printing and reading back; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	needTool(t, "pdftoppm", "poppler-utils")
	needTool(t, "pdftotext", "poppler-utils")
	dir := t.TempDir()
	for _, tpl := range templates.List() {
		if tpl.Back == nil {
			continue
		}
		t.Run(tpl.Name, func(t *testing.T) {
			items := brandedItems(t, 1, greenLogo(t))
			pdf := renderFile(t, items, tpl, dir, tpl.Name)
			out, err := exec.Command("pdftotext", "-raw", pdf, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(strings.Fields(string(out)), " ")
			for _, want := range []string{"Ágætis byrjun", "Kim Larsen +49 30 1234 5678", "PRODUCTION OFFICE"} {
				if !strings.Contains(text, want) {
					t.Errorf("pdftotext does not find %q in:\n%s", want, text)
				}
			}
			const dpi = 300
			pages := rasterise(t, pdf, dpi)
			front := pages[0]
			px := func(mm float64) int { return int(mm / 25.4 * dpi) }
			x0, y0 := tpl.LabelOrigin(0)
			at := func(x, y float64) color.NRGBA {
				return color.NRGBAModel.Convert(front.At(px(x0+x), px(y0+y))).(color.NRGBA)
			}
			// The logo: its box's centre is the logo's green.
			lb := tpl.Front.Logo
			// (JPEG and the rasteriser move it a little; nothing else on the
			// badge is this green.)
			if c := at(lb.X+lb.W/2, lb.Y+lb.H/2); c.G < 170 || c.R > 60 || c.B > 60 {
				t.Errorf("logo box centre is %v, want the logo's green %v", c, logoGreen)
			}
			// The tour line is printed in the accent colour (#0b6e4f), not
			// white on the white panel (a gofpdf colour-state trap).
			tb, inked := tpl.Front.Tour, 0
			for y := tb.Y; y < tb.Y+tb.H; y += 0.05 {
				for x := tb.X; x < tb.X+tb.W; x += 0.05 {
					if c := at(x, y); c.G > c.R+40 && c.G < 160 {
						inked++
					}
				}
			}
			if inked == 0 {
				t.Errorf("tour box: no accent-coloured ink")
			}
			// The panel: the strip between the name box and the panel's edge
			// holds no artwork line (every pixel nearly white), while the
			// artwork beside the panel does.
			nb := tpl.Front.Name
			light, dark := 0, 0
			for y := nb.Y + 0.5; y < nb.Y+nb.H-0.5; y += 0.1 {
				for x := nb.X - panelPad + 0.15; x < nb.X-0.1; x += 0.05 {
					if c := at(x, y); min(c.R, c.G, c.B) >= 200 {
						light++
					} else {
						dark++
					}
				}
			}
			if dark > 0 {
				t.Errorf("panel strip left of the name: %d of %d pixels are not clear", dark, light+dark)
			}
			// Where no photo is printed the artwork shows: the control.
			art := 0
			pb := tpl.Front.Photo
			for y := pb.Y; y < pb.Y+pb.H; y += 0.1 {
				for x := pb.X; x < pb.X+pb.W; x += 0.05 {
					if c := at(x, y); min(c.R, c.G, c.B) < 200 {
						art++
					}
				}
			}
			if art == 0 {
				t.Errorf("no artwork in the empty photo box: the check above would prove nothing")
			}
		})
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// TestRenderSVGLogo draws an SVG logo as vector paths: the PDF holds no
// image, and the logo's colours are in its box.
func TestRenderSVGLogo(t *testing.T) {
	racetest.Skip(t) // one goroutine drawing, printing and reading back; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	needTool(t, "pdftoppm", "poppler-utils")
	stored, err := logo.Sanitize([]byte(testSVGLogo))
	if err != nil {
		t.Fatal(err)
	}
	tpl, _ := templates.Get("badge-a6-a4")
	dir := t.TempDir()
	pdf := renderFile(t, brandedItems(t, 1, stored), tpl, dir, "svg")
	data, _ := os.ReadFile(pdf)
	if bytes.Contains(data, []byte("/Subtype /Image")) {
		t.Errorf("the SVG logo was embedded as an image")
	}
	const dpi = 300
	front := rasterise(t, pdf, dpi)[0]
	x0, y0 := tpl.LabelOrigin(0)
	lb := tpl.Front.Logo
	// The logo is 2:1 in a 24 x 13 box: 24 x 12, centred. Its circle's
	// centre is at a quarter of its width.
	s := min(lb.W/120, lb.H/60)
	cx := x0 + lb.X + (lb.W-120*s)/2 + 30*s
	cy := y0 + lb.Y + (lb.H-60*s)/2 + 30*s
	c := color.NRGBAModel.Convert(front.At(int(cx/25.4*dpi), int(cy/25.4*dpi))).(color.NRGBA)
	if absDiff(c.R, 0xf2)+absDiff(c.G, 0xc1)+absDiff(c.B, 0x4e) > 30 {
		t.Errorf("SVG logo circle drawn as %v, want #f2c14e", c)
	}
}

// TestRenderBrandShots writes every shipped template, front and back, with
// and without branding, as PDF and PNG into $LAMINATE_SHOTS: for looking
// at, not for asserting.
func TestRenderBrandShots(t *testing.T) {
	dir := os.Getenv("LAMINATE_SHOTS")
	if dir == "" {
		t.Skip("set LAMINATE_SHOTS=DIR to write the sheets")
	}
	svg, err := logo.Sanitize([]byte(testSVGLogo))
	if err != nil {
		t.Fatal(err)
	}
	for _, tpl := range templates.List() {
		for _, v := range []struct {
			name  string
			items []Item
		}{
			{"plain", func() []Item { it, _ := testItems(t, tpl.PerPage()); return it }()},
			{"logo-png", brandedItems(t, tpl.PerPage(), greenLogo(t))},
			{"logo-svg", brandedItems(t, tpl.PerPage(), svg)},
		} {
			pdf := renderFile(t, v.items, tpl, dir, tpl.Name+"-"+v.name)
			if out, err := exec.Command("pdftoppm", "-r", "150", "-png", pdf, strings.TrimSuffix(pdf, ".pdf")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
		}
	}
}

// BenchmarkWritePDF1000Branded is BenchmarkWritePDF1000 with a logo, a
// tour line, an accent and a contact: the logo is embedded once per
// document, so branding costs the panels and the extra text only.
func BenchmarkWritePDF1000Branded(b *testing.B) {
	for _, kind := range []string{"png", "svg"} {
		b.Run(kind, func(b *testing.B) {
			tpl, _ := templates.Get("badge-4x3-letter")
			l := greenLogo(b)
			if kind == "svg" {
				var err error
				if l, err = logo.Sanitize([]byte(testSVGLogo)); err != nil {
					b.Fatal(err)
				}
			}
			items := brandedItems(b, 1000, l)
			benchWritePDF(b, tpl, items)
		})
	}
}
