package render

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/xml"
	"flag"
	"fmt"
	"hash/fnv"
	"image"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/laminate/laminate/internal/racetest"
)

var updateArtwork = flag.Bool("update-artwork", false, "rewrite the golden artwork SVGs in testdata/artwork")

var (
	artTestSecret  = []byte("artwork-test-secret-0123456789ab") // 32 bytes
	artTestSecret2 = []byte("another-artwork-secret-xyz987654")
	artGolden      = []string{"AAA-000001", "VIP-004217"}
)

func mustArtwork(t testing.TB, secret []byte, serial string) *Artwork {
	t.Helper()
	a, err := NewArtwork(secret, serial)
	if err != nil {
		t.Fatalf("NewArtwork(%q): %v", serial, err)
	}
	return a
}

func artDigest(secret []byte, serial string) [32]byte {
	// The derivation NewArtwork documents, to look at the parameters.
	var d [32]byte
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("laminate-artwork-v1|" + serial))
	m.Sum(d[:0])
	return d
}

func TestArtworkDeterministic(t *testing.T) {
	for _, s := range []string{"AAA-000001", "crew-42", "", "Björk ☃"} {
		a, b := mustArtwork(t, artTestSecret, s), mustArtwork(t, artTestSecret, s)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%q: two artworks differ", s)
		}
		if !bytes.Equal(a.SVG(), b.SVG()) {
			t.Fatalf("%q: SVGs differ", s)
		}
		pa, err := a.PNG(256)
		if err != nil {
			t.Fatal(err)
		}
		pb, _ := b.PNG(256)
		if !bytes.Equal(pa, pb) {
			t.Fatalf("%q: PNGs differ", s)
		}
		d := artDigest(artTestSecret, s)
		if len(a.Fingerprint) != 6 || a.Fingerprint != fmt.Sprintf("%X", d[:3]) {
			t.Fatalf("%q: fingerprint %q", s, a.Fingerprint)
		}
	}
}

// TestArtworkGolden pins the SVG of two serials: a change of the algorithm
// (or a platform whose arithmetic differs) changes every printed pass.
func TestArtworkGolden(t *testing.T) {
	for _, s := range artGolden {
		got := mustArtwork(t, artTestSecret, s).SVG()
		path := filepath.Join("testdata", "artwork", s+".svg")
		if *updateArtwork {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./render -run ArtworkGolden -update-artwork)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: SVG differs from %s (%d vs %d bytes); if the change is intended run with -update-artwork, "+
				"and know that every printed pass then shows a different artwork", s, path, len(got), len(want))
		}
	}
}

// TestArtworkCosTable checks the portable cosine table against math.Cos and
// pins its checksum, so that a platform computing it differently fails here.
func TestArtworkCosTable(t *testing.T) {
	tab := artCosTable()
	h := fnv.New64a()
	for k, v := range tab {
		want := math.Cos(2 * math.Pi * float64(k) / artTable)
		if d := math.Abs(float64(v) - want*(1<<30)); d > 1 {
			t.Fatalf("cos[%d] = %d, math.Cos gives %.2f", k, v, want*(1<<30))
		}
		fmt.Fprint(h, v, ",")
	}
	const pinned = 0x4236a65b9b6fee5c
	if got := h.Sum64(); got != pinned {
		t.Errorf("cos table checksum %#x, want %#x", got, uint64(pinned))
	}
	for _, a := range []int{0, 1, 7, artTable / 8, artTable/4 - 1, artTable / 4, artTable/2 + 3, artTable - 1, artTable + 5, -9} {
		c, s := artCosSin(tab, a)
		x := 2 * math.Pi * float64(a) / artTable
		if math.Abs(float64(c)-math.Cos(x)*(1<<30)) > 1.5 || math.Abs(float64(s)-math.Sin(x)*(1<<30)) > 1.5 {
			t.Errorf("artCosSin(%d) = %d, %d; want %.1f, %.1f", a, c, s, math.Cos(x)*(1<<30), math.Sin(x)*(1<<30))
		}
	}
}

func TestArtworkParamBits(t *testing.T) {
	for _, d := range [][32]byte{{}, bytes32(0xff), bytes32(0x55), bytes32(0xaa)} {
		if _, used := artDeriveParams(d); used > 256 {
			t.Fatalf("parameters use %d bits", used)
		}
		artFromDigest(d) // no panic at the extremes
	}
}

func bytes32(b byte) (d [32]byte) {
	for i := range d {
		d[i] = b
	}
	return d
}

func checkArtwork(t testing.TB, a *Artwork, label string) {
	t.Helper()
	if len(a.Strokes) < 5 || len(a.Strokes) > 40 {
		t.Fatalf("%s: %d strokes", label, len(a.Strokes))
	}
	total := 0
	for i, s := range a.Strokes {
		if len(s.Points) < 3 || len(s.Points) > ArtworkMaxStrokePoints {
			t.Fatalf("%s: stroke %d has %d points", label, i, len(s.Points))
		}
		if !(s.Width > 0 && s.Width < 0.01) {
			t.Fatalf("%s: stroke %d width %v", label, i, s.Width)
		}
		for _, p := range s.Points {
			if math.IsNaN(p.X) || math.IsNaN(p.Y) || p.X < 0 || p.X > 1 || p.Y < 0 || p.Y > 1 {
				t.Fatalf("%s: stroke %d point %v outside the unit square", label, i, p)
			}
		}
		total += len(s.Points)
	}
	if total > ArtworkMaxPoints || total != a.PointCount() {
		t.Fatalf("%s: %d points", label, total)
	}
	if len(a.Fingerprint) != 6 {
		t.Fatalf("%s: fingerprint %q", label, a.Fingerprint)
	}
}

// TestArtworkLimits checks many serials for the point budget and bounds,
// and that the SVG is well-formed XML.
func TestArtworkLimits(t *testing.T) {
	racetest.Skip(t) // one goroutine drawing 500 artworks; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	n := 500
	if testing.Short() {
		n = 50
	}
	sum, most := 0, 0
	for i := 0; i < n; i++ {
		a := mustArtwork(t, artTestSecret, fmt.Sprintf("L-%05d", i))
		checkArtwork(t, a, fmt.Sprint("L-", i))
		sum += a.PointCount()
		most = max(most, a.PointCount())
		if i < 20 {
			d := xml.NewDecoder(bytes.NewReader(a.SVG()))
			for {
				_, err := d.Token()
				if err != nil {
					if err != io.EOF {
						t.Fatalf("SVG: %v", err)
					}
					break
				}
			}
		}
	}
	t.Logf("%d serials: %d points on average, %d at most", n, sum/n, most)
	if sum/n > 4000 || most > 8000 {
		t.Errorf("artwork too heavy for the PDF: %d points on average, %d at most", sum/n, most)
	}
}

func TestArtworkErrors(t *testing.T) {
	racetest.Skip(t) // one goroutine rasterising a 2048 px PNG
	if _, err := NewArtwork(make([]byte, 15), "A"); err == nil {
		t.Error("15-byte secret accepted")
	}
	if _, err := NewArtwork(nil, "A"); err == nil {
		t.Error("nil secret accepted")
	}
	a := mustArtwork(t, make([]byte, 16), "A")
	for _, size := range []int{-1, 0, 63, 2049, 1 << 20} {
		if _, err := a.PNG(size); err == nil {
			t.Errorf("PNG(%d) accepted", size)
		}
	}
	for _, size := range []int{64, 2048} {
		b, err := a.PNG(size)
		if err != nil {
			t.Fatalf("PNG(%d): %v", size, err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width != size || cfg.Height != size {
			t.Fatalf("PNG(%d): %+v %v", size, cfg, err)
		}
	}
}

// artPixelDiff returns the share of pixels whose colours differ clearly
// (the faint background tints alone do not count).
func artPixelDiff(t testing.TB, a, b *Artwork, size int) float64 {
	t.Helper()
	dec := func(a *Artwork) *image.NRGBA {
		p, err := a.PNG(size)
		if err != nil {
			t.Fatal(err)
		}
		im, err := png.Decode(bytes.NewReader(p))
		if err != nil {
			t.Fatal(err)
		}
		n, ok := im.(*image.NRGBA)
		if !ok {
			t.Fatalf("PNG decodes to %T", im)
		}
		return n
	}
	ia, ib := dec(a), dec(b)
	diff := 0
	for i := 0; i < len(ia.Pix); i += 4 {
		m := 0
		for c := 0; c < 4; c++ {
			m = max(m, artAbs(int(ia.Pix[i+c])-int(ib.Pix[i+c])))
		}
		if m > 48 {
			diff++
		}
	}
	return float64(diff) / float64(len(ia.Pix)/4)
}

// artParamDiffs counts the visual parameters that differ.
func artParamDiffs(a, b artParams) int {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	n := 0
	for i := 0; i < va.NumField(); i++ {
		if fmt.Sprint(va.Field(i)) != fmt.Sprint(vb.Field(i)) {
			n++
		}
	}
	return n
}

func TestArtworkDiffers(t *testing.T) {
	racetest.Skip(t) // one goroutine drawing, printing and reading back; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	r := rand.New(rand.NewPCG(1, 2))
	serial := func() string {
		return fmt.Sprintf("%s-%06d", []string{"AAA", "VIP", "CREW", "GA"}[r.IntN(4)], r.IntN(1000000))
	}
	minDiff, sumDiff, minParams := 1.0, 0.0, 100
	const pairs = 50
	for i := 0; i < pairs; i++ {
		s1, s2 := serial(), serial()
		if s1 == s2 {
			continue
		}
		a, b := mustArtwork(t, artTestSecret, s1), mustArtwork(t, artTestSecret, s2)
		if a.Fingerprint == b.Fingerprint {
			t.Errorf("%s and %s share fingerprint %s", s1, s2, a.Fingerprint)
		}
		pa, _ := artDeriveParams(artDigest(artTestSecret, s1))
		pb, _ := artDeriveParams(artDigest(artTestSecret, s2))
		nd := artParamDiffs(pa, pb)
		minParams = min(minParams, nd)
		if nd < 8 {
			t.Errorf("%s and %s differ in only %d parameters", s1, s2, nd)
		}
		d := artPixelDiff(t, a, b, 256)
		minDiff = min(minDiff, d)
		sumDiff += d
		if d < 0.15 {
			t.Errorf("%s and %s: only %.1f%% of pixels differ", s1, s2, 100*d)
		}
	}
	t.Logf("%d serial pairs: %.1f%% of pixels differ on average, %.1f%% at least; at least %d parameters differ",
		pairs, 100*sumDiff/pairs, 100*minDiff, minParams)

	// Same serial, another secret.
	for _, s := range artGolden {
		a, b := mustArtwork(t, artTestSecret, s), mustArtwork(t, artTestSecret2, s)
		if a.Fingerprint == b.Fingerprint || bytes.Equal(a.SVG(), b.SVG()) {
			t.Errorf("%s: same artwork under two secrets", s)
		}
		if d := artPixelDiff(t, a, b, 256); d < 0.15 {
			t.Errorf("%s under two secrets: only %.1f%% of pixels differ", s, 100*d)
		}
	}
}

// TestArtworkExamples writes example PNGs to look at, when asked:
// LAMINATE_ARTWORK_EXAMPLES=/tmp go test ./render -run ArtworkExamples
func TestArtworkExamples(t *testing.T) {
	dir := os.Getenv("LAMINATE_ARTWORK_EXAMPLES")
	if dir == "" {
		t.Skip("set LAMINATE_ARTWORK_EXAMPLES to a folder")
	}
	for i, s := range artGolden {
		b, err := mustArtwork(t, artTestSecret, s).PNG(600)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, fmt.Sprintf("artwork-%c.png", 'a'+i))
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", s, name)
	}
}

func FuzzNewArtwork(f *testing.F) {
	for _, s := range []string{"", "AAA-000001", "VIP-004217", "Zoë", "\x00\xff", "a very long serial number indeed, longer than any real one"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, serial string) {
		a, err := NewArtwork(artTestSecret, serial)
		if err != nil {
			t.Fatal(err)
		}
		checkArtwork(t, a, fmt.Sprintf("%q", serial))
		if !bytes.HasPrefix(a.SVG(), []byte("<?xml")) {
			t.Fatal("SVG header missing")
		}
	})
}

func BenchmarkArtworkSVG(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a, err := NewArtwork(artTestSecret, fmt.Sprintf("B-%06d", i%1000))
		if err != nil {
			b.Fatal(err)
		}
		_ = a.SVG()
	}
}

func BenchmarkArtworkNew(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := NewArtwork(artTestSecret, fmt.Sprintf("B-%06d", i%1000)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkArtworkPNG256(b *testing.B) {
	a := mustArtwork(b, artTestSecret, "AAA-000001")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.PNG(256); err != nil {
			b.Fatal(err)
		}
	}
}
