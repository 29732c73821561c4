package render

// The wear suite (issue 12, item 5): sheets of every shipped template are
// rendered (WritePDF), rasterised (pdftoppm, 150 dpi), each code is cut
// out with a little of its label around it, worn the way a pass wears on
// a lanyard and at the door, decoded by an independent decoder (zbarimg)
// and by the door page's decoders when web/decode.mjs is there, and every
// decoded text is VERIFIED with the verifier: a code counts when it gives
// back a valid pass with its own serial.
//
//	go test ./render -run TestWear -count=1 -v              # short: one sheet per template
//	LAMINATE_WEAR=full go test ./render -run TestWear -count=1 -v -timeout 60m
//
// The full run prints, per template and level (L, M, Q) and in the
// transport form printed before issue 12 (numeric), the rate per kind of
// wear, and for the stickers the smallest module each kind of wear needs
// (TestWearModuleSize). Badge templates must decode and verify at least
// 97% of their codes over the whole suite; stickers are measured and
// reported. Without zbarimg or pdftoppm the suite skips, saying which
// Debian package to install; with LAMINATE_CI set it fails instead.

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/internal/racetest"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/templates"
	"github.com/laminate/laminate/verifier"
)

// wearDPI is the resolution sheets are rasterised at, as a door camera
// sees a pass held at 15-25 cm (and as TestRenderEveryTemplateScans reads).
const wearDPI = 150.0

// wearKind is one kind of wear. Physical sizes are on paper, in mm, so a
// larger module meets the same blur with more room.
type wearKind struct {
	name string
	wear func(img *image.Gray, rng *rand.Rand) *image.Gray
}

var pxPerMM = wearDPI / 25.4

var wearKinds = []wearKind{
	{"none", func(img *image.Gray, _ *rand.Rand) *image.Gray { return img }},
	{"blur-mild", func(img *image.Gray, _ *rand.Rand) *image.Gray { return gaussBlur(img, 0.15*pxPerMM) }},
	{"blur-strong", func(img *image.Gray, _ *rand.Rand) *image.Gray { return gaussBlur(img, 0.30*pxPerMM) }},
	// Sensor noise of 30 grey levels a pixel, then the camera's own
	// demosaicing blur (0.7 px).
	{"noise", func(img *image.Gray, rng *rand.Rand) *image.Gray { return gaussBlur(addNoise(img, 30, rng), 0.7) }},
	{"rotation", func(img *image.Gray, rng *rand.Rand) *image.Gray {
		deg := 5 + 25*rng.Float64()
		if rng.IntN(2) == 0 {
			deg = -deg
		}
		return rotate(img, deg)
	}},
	{"fading", func(img *image.Gray, _ *rand.Rand) *image.Gray { return fade(img, 0.35) }},
	{"jpeg-q10", func(img *image.Gray, _ *rand.Rand) *image.Gray { return jpegRoundTrip(img, 10) }},
	{"crease", crease},
	{"half-resolution", func(img *image.Gray, _ *rand.Rand) *image.Gray { return halfRes(img) }},
	{"perspective", func(img *image.Gray, rng *rand.Rand) *image.Gray { return perspective(img, 0.10+0.10*rng.Float64()) }},
}

// ---- wear: image operations ------------------------------------------------

func newWhite(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	return img
}

func clamp8(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }

// gaussBlur is defocus: a separable Gaussian of sigma pixels.
func gaussBlur(img *image.Gray, sigma float64) *image.Gray {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		x := float64(i - r)
		k[i] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	at := func(x, y int) float64 { // edges repeat
		return float64(img.Pix[min(max(y, 0), h-1)*img.Stride+min(max(x, 0), w-1)])
	}
	tmp := make([]float64, w*h)
	for y := range h {
		for x := range w {
			var v float64
			for i, kv := range k {
				v += kv * at(x+i-r, y)
			}
			tmp[y*w+x] = v
		}
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var v float64
			for i, kv := range k {
				v += kv * tmp[min(max(y+i-r, 0), h-1)*w+x]
			}
			out.Pix[y*out.Stride+x] = clamp8(v)
		}
	}
	return out
}

// addNoise is a sensor in poor light: Gaussian noise of sigma grey levels.
func addNoise(img *image.Gray, sigma float64, rng *rand.Rand) *image.Gray {
	out := image.NewGray(img.Bounds())
	for i, p := range img.Pix {
		out.Pix[i] = clamp8(float64(p) + sigma*rng.NormFloat64())
	}
	return out
}

// fade is toner worn or sun-bleached: dark is left at contrast of its
// strength, on slightly grey paper.
func fade(img *image.Gray, contrast float64) *image.Gray {
	out := image.NewGray(img.Bounds())
	for i, p := range img.Pix {
		out.Pix[i] = clamp8(235 - (255-float64(p))*contrast)
	}
	return out
}

func jpegRoundTrip(img *image.Gray, quality int) *image.Gray {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		panic(err)
	}
	dec, err := jpeg.Decode(&buf)
	if err != nil {
		panic(err)
	}
	return toGray(dec)
}

func toGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Rect.Min == (image.Point{}) {
		return g
	}
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

// halfRes is a camera with half the pixels: 2x2 boxes averaged.
func halfRes(img *image.Gray) *image.Gray {
	w, h := img.Bounds().Dx()/2, img.Bounds().Dy()/2
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			s := int(img.Pix[2*y*img.Stride+2*x]) + int(img.Pix[2*y*img.Stride+2*x+1]) +
				int(img.Pix[(2*y+1)*img.Stride+2*x]) + int(img.Pix[(2*y+1)*img.Stride+2*x+1])
			out.Pix[y*out.Stride+x] = uint8((s + 2) / 4)
		}
	}
	return out
}

// warp draws a w x h image whose pixel (x, y) shows img at src(x, y),
// sampled bilinearly; white outside img.
func warp(img *image.Gray, w, h int, src func(x, y float64) (float64, float64)) *image.Gray {
	out := newWhite(w, h)
	iw, ih := img.Bounds().Dx(), img.Bounds().Dy()
	px := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= iw || y >= ih {
			return 255
		}
		return float64(img.Pix[y*img.Stride+x])
	}
	for y := range h {
		for x := range w {
			sx, sy := src(float64(x)+0.5, float64(y)+0.5)
			sx, sy = sx-0.5, sy-0.5
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(x0), sy-float64(y0)
			v := (1-fy)*((1-fx)*px(x0, y0)+fx*px(x0+1, y0)) + fy*((1-fx)*px(x0, y0+1)+fx*px(x0+1, y0+1))
			out.Pix[y*out.Stride+x] = clamp8(v)
		}
	}
	return out
}

// rotate turns img by deg degrees about its centre, on a canvas that
// holds all of it.
func rotate(img *image.Gray, deg float64) *image.Gray {
	w, h := float64(img.Bounds().Dx()), float64(img.Bounds().Dy())
	a := deg * math.Pi / 180
	c, s := math.Cos(a), math.Sin(a)
	ow, oh := math.Abs(w*c)+math.Abs(h*s), math.Abs(w*s)+math.Abs(h*c)
	return warp(img, int(ow), int(oh), func(x, y float64) (float64, float64) {
		dx, dy := x-ow/2, y-oh/2
		return c*dx + s*dy + w/2, -s*dx + c*dy + h/2
	})
}

// perspective is a pass seen at an angle: a homography that maps the
// crop onto a trapezoid whose far (top) edge is tilt narrower, as a
// camera sees a card tilted back about its horizontal axis.
func perspective(img *image.Gray, tilt float64) *image.Gray {
	w, h := float64(img.Bounds().Dx()), float64(img.Bounds().Dy())
	dst := [4][2]float64{{w * tilt / 2, 0}, {w - w*tilt/2, 0}, {w, h}, {0, h}}
	src := [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
	m := homography(dst, src)
	return warp(img, int(w), int(h), func(x, y float64) (float64, float64) {
		d := m[6]*x + m[7]*y + 1
		return (m[0]*x + m[1]*y + m[2]) / d, (m[3]*x + m[4]*y + m[5]) / d
	})
}

// homography solves for the 8 coefficients that map the points from onto
// the points to (Gaussian elimination with partial pivoting).
func homography(from, to [4][2]float64) [8]float64 {
	var a [8][9]float64
	for i := range 4 {
		x, y, u, v := from[i][0], from[i][1], to[i][0], to[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for c := range 8 {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := range 8 {
			if r != c {
				f := a[r][c] / a[c][c]
				for k := c; k < 9; k++ {
					a[r][k] -= f * a[c][k]
				}
			}
		}
	}
	var m [8]float64
	for i := range 8 {
		m[i] = a[i][8] / a[i][i]
	}
	return m
}

// crease is a fold across the code: a line of cracked ink (white) with
// a shadow on one side, at a random angle through the middle third.
func crease(img *image.Gray, rng *rand.Rand) *image.Gray {
	out := image.NewGray(img.Bounds())
	copy(out.Pix, img.Pix)
	w, h := float64(img.Bounds().Dx()), float64(img.Bounds().Dy())
	a := rng.Float64() * math.Pi
	nx, ny := -math.Sin(a), math.Cos(a) // the line's normal
	cx, cy := w/2+(rng.Float64()-0.5)*w/3, h/2+(rng.Float64()-0.5)*h/3
	crack, shadow := 0.35*pxPerMM, 1.2*pxPerMM
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			d := (float64(x)-cx)*nx + (float64(y)-cy)*ny
			i := y*out.Stride + x
			switch {
			case math.Abs(d) < crack/2:
				out.Pix[i] = clamp8(float64(out.Pix[i]) + 180)
			case d > 0 && d < crack/2+shadow:
				out.Pix[i] = clamp8(float64(out.Pix[i]) - 70*(1-(d-crack/2)/shadow))
			}
		}
	}
	return out
}

// ---- the suite ---------------------------------------------------------------

// wearKeys is a KeySource holding the test items' key.
type wearKeys struct{ k keys.Key }

func (w wearKeys) VerifyKey(kid string) (keys.Key, bool) { return w.k, kid == w.k.KID }

func wearVerifier(t testing.TB, pub ed25519.PublicKey) *verifier.Verifier {
	v, err := verifier.New(verifier.Config{Keys: wearKeys{keys.Key{KID: "test01", Alg: jose.EdDSA, Public: pub}},
		Revocations: verifier.NewRevocationSet()})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// wearCase is one code cut from a sheet, with the serial it must verify to.
type wearCase struct {
	img    *image.Gray
	serial pass.Serial
}

// decoders are the decoders the suite runs: zbarimg always, and the door
// page's (web/decode.mjs, issue 12 item 6) when it and node are there.
func decoders(t *testing.T) []string {
	out := []string{"zbar"}
	if _, err := os.Stat("../web/decode.mjs"); err == nil {
		if _, err := exec.LookPath("node"); err == nil {
			out = append(out, "zxing", "jsqr")
		} else {
			t.Log("web/decode.mjs is there but node is not: the door decoders are not measured")
		}
	}
	return out
}

var zbarSymbol = regexp.MustCompile(`(?s)<source href='([^']*)'>(.*?)</source>`)
var zbarData = regexp.MustCompile(`(?s)<data><!\[CDATA\[(.*?)\]\]></data>`)

// decodeAll decodes every file with one decoder: file -> texts.
func decodeAll(t *testing.T, decoder string, files []string) map[string][]string {
	got := map[string][]string{}
	for start := 0; start < len(files); start += 200 {
		batch := files[start:min(start+200, len(files))]
		if decoder == "zbar" {
			out, _ := exec.Command("zbarimg", append([]string{"--xml", "-q"}, batch...)...).Output() // exit 4: some found nothing
			for _, m := range zbarSymbol.FindAllStringSubmatch(string(out), -1) {
				for _, d := range zbarData.FindAllStringSubmatch(m[2], -1) {
					got[m[1]] = append(got[m[1]], d[1])
				}
			}
			continue
		}
		out, err := exec.Command("node", append([]string{"../web/decode.mjs", "--decoder", decoder}, batch...)...).Output()
		if err != nil {
			t.Errorf("node web/decode.mjs --decoder %s: %v", decoder, err)
			return got
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var r struct {
				File, Text string
				OK         bool
				MS         float64
			}
			if json.Unmarshal([]byte(line), &r) != nil {
				continue
			}
			decodeMS[decoder] = append(decodeMS[decoder], r.MS)
			if r.OK {
				got[r.File] = append(got[r.File], r.Text)
			}
		}
	}
	return got
}

// decodeMS holds the time per image that web/decode.mjs reports, per
// decoder, for the report.
var decodeMS = map[string][]float64{}

// wearResult counts codes decoded and verified, per decoder and kind.
type wearResult map[string]map[string][2]int // decoder -> kind -> {ok, total}

func (r wearResult) add(dec, kind string, ok bool) {
	if r[dec] == nil {
		r[dec] = map[string][2]int{}
	}
	c := r[dec][kind]
	c[1]++
	if ok {
		c[0]++
	}
	r[dec][kind] = c
}

func (r wearResult) total(dec string) (ok, n int) {
	for _, c := range r[dec] {
		ok, n = ok+c[0], n+c[1]
	}
	return
}

// runWear wears every case with every kind, decodes, verifies and counts.
func runWear(t *testing.T, v *verifier.Verifier, cases []wearCase, kinds []wearKind, seed uint64) wearResult {
	clear(decodeMS)
	dir := t.TempDir()
	type file struct {
		kind   string
		serial pass.Serial
	}
	files := map[string]file{}
	var names []string
	for ki, k := range kinds {
		for i, c := range cases {
			rng := rand.New(rand.NewPCG(seed, uint64(ki*100000+i)))
			name := filepath.Join(dir, fmt.Sprintf("%s-%04d.png", k.name, i))
			f, err := os.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(f, k.wear(c.img, rng)); err != nil {
				t.Fatal(err)
			}
			f.Close()
			files[name] = file{k.name, c.serial}
			names = append(names, name)
		}
	}
	if out := os.Getenv("LAMINATE_WEAR_KEEP"); out != "" { // the worn crops, to look at or to feed another decoder
		for _, n := range names {
			b, _ := os.ReadFile(n)
			os.WriteFile(filepath.Join(out, filepath.Base(n)), b, 0o644)
		}
	}
	at := testEvent.Schedule.ShowStart
	res := wearResult{}
	for _, dec := range decoders(t) {
		got := decodeAll(t, dec, names)
		for _, n := range names {
			ok := false
			for _, text := range got[n] {
				vd := v.Verify(text, at)
				ok = ok || vd.Status == verifier.StatusValid && vd.Serial == files[n].serial
			}
			res.add(dec, files[n].kind, ok)
		}
	}
	return res
}

// sheetCases renders items on t's sheets (front sides) and cuts out
// every code with 2 mm of its label around its box.
func sheetCases(t *testing.T, tpl *templates.Template, items []Item) []wearCase {
	var buf bytes.Buffer
	if err := WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "sheet.pdf")
	if err := os.WriteFile(pdfPath, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var imgs []*image.Gray
	for _, img := range rasterise(t, pdfPath, int(wearDPI), "-gray") {
		imgs = append(imgs, toGray(img))
	}
	if len(imgs) != (len(items)+tpl.PerPage()-1)/tpl.PerPage() {
		t.Fatalf("%d pages for %d passes", len(imgs), len(items))
	}
	px := func(mm float64) int { return int(math.Round(mm * pxPerMM)) }
	qr := tpl.Front.QR
	cases := make([]wearCase, len(items))
	for i, it := range items {
		page := imgs[i/tpl.PerPage()]
		x, y := tpl.LabelOrigin(i % tpl.PerPage())
		r := image.Rect(px(x+qr.X-2), px(y+qr.Y-2), px(x+qr.X+qr.W+2), px(y+qr.Y+qr.H+2)).Intersect(page.Bounds())
		crop := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
		for yy := range r.Dy() {
			copy(crop.Pix[yy*crop.Stride:yy*crop.Stride+r.Dx()], page.Pix[(r.Min.Y+yy)*page.Stride+r.Min.X:])
		}
		cases[i] = wearCase{img: crop, serial: it.Pass.Serial}
	}
	return cases
}

func wearFull() bool { return os.Getenv("LAMINATE_WEAR") == "full" }

// TestWear is the wear suite over every shipped template, at its own
// qr_level. Short: one sheet each. Full (LAMINATE_WEAR=full): 4 sheets
// each, and the same at levels L, M and Q and in the numeric form printed
// before issue 12, for the figures.
func TestWear(t *testing.T) {
	racetest.Skip(t) // one goroutine drawing, printing and reading back; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	needTool(t, "zbarimg", "zbar-tools")
	needTool(t, "pdftoppm", "poppler-utils")
	type variant struct {
		name, level string
		numeric     bool
	}
	for _, tpl := range templates.List() {
		t.Run(tpl.Name, func(t *testing.T) {
			sheets := 1
			variants := []variant{{"shipped", tpl.QRLevel, false}}
			if wearFull() {
				sheets = max(4, (48+tpl.PerPage()-1)/tpl.PerPage())
			}
			if wearFull() && os.Getenv("LAMINATE_WEAR_SHIPPED") == "" { // LAMINATE_WEAR_SHIPPED=1: the shipped levels only
				variants = append(variants, variant{"L", "L", false}, variant{"M", "M", false}, variant{"Q", "Q", false},
					variant{"before (numeric, M)", "M", true})
				if tpl.QRLevel == "L" {
					variants[len(variants)-1] = variant{"before (numeric, L)", "L", true}
				}
			}
			items, pub := seededItems(t, sheets*tpl.PerPage(), rand.NewChaCha8([32]byte{12}))
			v := wearVerifier(t, pub)
			for _, vr := range variants {
				tv := *tpl
				tv.QRLevel = vr.level
				if vr.numeric {
					encodeTransport = pass.EncodeNumeric
				}
				q, err := NewQR(items[0].Token, vr.level)
				if err != nil {
					t.Fatal(err)
				}
				cases := sheetCases(t, &tv, items)
				encodeTransport = pass.EncodeTransport
				res := runWear(t, v, cases, wearKinds, 12)
				report(t, fmt.Sprintf("%s %s: version %d, %.2f mm modules", tpl.Name, vr.name, q.Version, tpl.Front.QR.W/float64(q.Size())), res)
				if vr.name != "shipped" || !strings.HasPrefix(tpl.Name, "badge-") {
					continue
				}
				// The figure (issue 12) is 97% over the full suite, 48-60
				// codes a template (LAMINATE_WEAR=full). The short suite of
				// make test has 4-6 codes a kind of wear, where one creased
				// code is 2%: it holds a floor that a broken layout, level or
				// transport falls far below, not the figure.
				floor := 0.90
				if wearFull() {
					floor = 0.97
				}
				if ok, n := res.total("zbar"); float64(ok) < floor*float64(n) {
					t.Errorf("%s: %d of %d worn codes decoded and verified by zbar (%.1f%%), want at least %.0f%%", tpl.Name, ok, n, 100*float64(ok)/float64(n), 100*floor)
				}
			}
		})
	}
}

// report logs one line per decoder: the rate per kind of wear and overall.
func report(t *testing.T, title string, res wearResult) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", title)
	for _, dec := range decoders(t) {
		ok, n := res.total(dec)
		fmt.Fprintf(&b, "  %-5s %5.1f%% |", dec, 100*float64(ok)/float64(max(n, 1)))
		if ms := decodeMS[dec]; len(ms) > 0 {
			slices.Sort(ms)
			fmt.Fprintf(&b, " median %.1f ms/image, p95 %.1f |", ms[len(ms)/2], ms[len(ms)*95/100])
		}
		for _, k := range wearKinds {
			if c, in := res[dec][k.name]; in {
				fmt.Fprintf(&b, " %s %d/%d", k.name, c[0], c[1])
			}
		}
		b.WriteByte('\n')
	}
	t.Log(b.String())
	if out := os.Getenv("LAMINATE_WEAR_OUT"); out != "" {
		f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			f.WriteString(b.String())
			f.Close()
		}
	}
}

// drawQR rasterises q at mod mm per module and wearDPI, each pixel the
// share of dark it covers (as a printer and a lens would), with 2 mm of
// white around the quiet zone.
func drawQR(q *QR, mod float64) *image.Gray {
	const margin = 2.0
	side := (float64(q.Size())*mod + 2*margin) * pxPerMM
	n := int(math.Ceil(side))
	img := newWhite(n, n)
	const ss = 4 // 4x4 samples a pixel
	for y := range n {
		for x := range n {
			dark := 0
			for sy := range ss {
				for sx := range ss {
					mx := ((float64(x)+(float64(sx)+0.5)/ss)/pxPerMM - margin) / mod
					my := ((float64(y)+(float64(sy)+0.5)/ss)/pxPerMM - margin) / mod
					if mx >= 0 && my >= 0 && int(mx) < q.Size() && int(my) < q.Size() && q.Modules[int(my)][int(mx)] {
						dark++
					}
				}
			}
			img.Pix[y*img.Stride+x] = uint8(255 - 255*dark/(ss*ss))
		}
	}
	return img
}

// TestWearModuleSize measures, for the stickers' codes, the smallest
// module at which each kind of wear still leaves 97% of codes decoded and
// verified by zbar: what a sticker would need. Full run only.
func TestWearModuleSize(t *testing.T) {
	if !wearFull() {
		t.Skip("LAMINATE_WEAR=full only")
	}
	needTool(t, "zbarimg", "zbar-tools")
	items, pub := seededItems(t, 24, rand.NewChaCha8([32]byte{7}))
	v := wearVerifier(t, pub)
	for _, level := range []string{"L", "M"} {
		need := map[string]float64{}
		var lines []string
		for _, mod := range []float64{0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.70, 0.80, 1.00} {
			cases := make([]wearCase, len(items))
			for i, it := range items {
				q, err := NewQR(it.Token, level)
				if err != nil {
					t.Fatal(err)
				}
				cases[i] = wearCase{img: drawQR(q, mod), serial: it.Pass.Serial}
			}
			res := runWear(t, v, cases, wearKinds, 7)
			line := fmt.Sprintf("%.2f mm:", mod)
			for _, k := range wearKinds {
				c := res["zbar"][k.name]
				line += fmt.Sprintf(" %s %d/%d", k.name, c[0], c[1])
				if _, done := need[k.name]; !done && float64(c[0]) >= 0.97*float64(c[1]) {
					need[k.name] = mod
				}
			}
			lines = append(lines, line)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "module size sweep, level %s, %d codes a size (versions of the test passes), zbar:\n  %s\n  smallest module with >= 97%%:", level, len(items), strings.Join(lines, "\n  "))
		for _, k := range wearKinds {
			if m, ok := need[k.name]; ok {
				fmt.Fprintf(&b, " %s %.2f mm;", k.name, m)
			} else {
				fmt.Fprintf(&b, " %s > 1.00 mm;", k.name)
			}
		}
		t.Log(b.String())
		if out := os.Getenv("LAMINATE_WEAR_OUT"); out != "" {
			if f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				f.WriteString(b.String() + "\n")
				f.Close()
			}
		}
	}
}

// TestQRSizeFigures logs, per shipped template, the QR version and module
// size of a typical pass, with and without a photo hash, in the numeric
// form at the level printed before issue 12 and in the compact form at
// the template's level now (the figures of the note).
func TestQRSizeFigures(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	sign := func(payload string) string {
		in := b64([]byte(`{"alg":"EdDSA","kid":"test01"}`)) + "." + b64([]byte(payload))
		return in + "." + b64(ed25519.Sign(priv, []byte(in)))
	}
	serial, _ := pass.NewSerial(nil)
	p := pass.Pass{Serial: serial, Event: "tour26-lon01", Type: pass.VIP, Name: "Alex Rivera", Org: "Headliner",
		Issuer: "lam", ValidUntil: time.Date(2026, 3, 15, 23, 59, 0, 0, time.UTC)}
	payload, _ := jsonMarshal(p.Claims())
	plain := sign(string(payload))
	photo := sign(strings.TrimSuffix(string(payload), "}") + `,"ph":"q83vASNFZ4k"}`)
	before := map[string]string{"sticker-round-50mm-a4": "L"} // the levels shipped before issue 12: M but this one
	for _, tpl := range templates.List() {
		var line []string
		for _, tc := range []struct{ name, token string }{{"no photo", plain}, {"photo hash", photo}} {
			oldLevel := cmp.Or(before[tpl.Name], "M")
			encodeTransport = pass.EncodeNumeric
			old, err := NewQR(tc.token, oldLevel)
			encodeTransport = pass.EncodeTransport
			if err != nil {
				t.Fatal(err)
			}
			now, err := NewQR(tc.token, tpl.QRLevel)
			if err != nil {
				t.Fatal(err)
			}
			if !pass.IsCompactForm(now.Content) {
				t.Errorf("%s %s: not in the compact form", tpl.Name, tc.name)
			}
			line = append(line, fmt.Sprintf("%s: before v%d %s %d digits %.2f mm, now v%d %s %d digits %.2f mm",
				tc.name, old.Version, oldLevel, len(old.Content), tpl.Front.QR.W/float64(old.Size()),
				now.Version, cmp.Or(tpl.QRLevel, "M"), len(now.Content), tpl.Front.QR.W/float64(now.Size())))
		}
		t.Logf("%s (front box %.1f mm): %s", tpl.Name, tpl.Front.QR.W, strings.Join(line, "; "))
	}
}
