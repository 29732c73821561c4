package render

// Unique serial artwork: a guilloche (banknote-style rosette) derived from a
// keyed hash of a pass serial. The pattern is printed on the pass and shown
// by the door scanner, so that a genuine QR code pasted onto a fake laminate
// is spotted by eye: nobody without the secret can draw the artwork of a
// made-up serial, and two serials never look alike.
//
// Determinism. NewArtwork is a pure function that gives bit-identical points
// on every platform. Every curve here is a sum of circular motions (an
// epicycle: z(t) = c + Σ A_k·exp(i(n_k·t + φ_k)) with integer frequencies
// n_k, so every curve closes), evaluated in integer fixed-point arithmetic
// from a cosine table. The table is built once from a Taylor polynomial
// written with explicit float64 conversions (which forbid the fused
// multiply-add that some architectures would otherwise use) and rounded to
// Q30 integers, so no platform-specific libm or FMA can change a single bit.
// Colours are computed with integer arithmetic too. PNG bytes come from
// golang.org/x/image/vector (float32 maths): they are reproducible on one
// platform but not promised to be identical across architectures; the SVG
// and the point lists are.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/vector"
)

// Artwork is the vector description of one pass's artwork in a unit square
// [0,1]x[0,1] (y down), ready to be drawn by SVG, PNG or PDF back-ends.
type Artwork struct {
	Background RGB
	Strokes    []Stroke // drawn in order
	// Fingerprint is 6 uppercase hex characters of the keyed hash, printed
	// small beside the artwork so a door person can also compare text.
	Fingerprint string
}

// RGB is an opaque sRGB colour.
type RGB struct{ R, G, B uint8 }

// Hex returns the colour as "#rrggbb".
func (c RGB) Hex() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// Stroke is one polyline of the artwork.
type Stroke struct {
	Points []Point // a closed or open polyline in the unit square
	Closed bool
	Color  RGB
	Width  float64 // in unit-square units (e.g. 0.004)
}

// Point is a point of the unit square, y down.
type Point struct{ X, Y float64 }

const (
	// ArtworkMinSecret is the shortest secret NewArtwork accepts.
	ArtworkMinSecret = 16
	// ArtworkMaxStrokePoints and ArtworkMaxPoints bound the size of an
	// artwork (the PDF back-end draws every point).
	ArtworkMaxStrokePoints = 2000
	ArtworkMaxPoints       = 40000
	// ArtworkMinPNG and ArtworkMaxPNG bound the size accepted by PNG.
	ArtworkMinPNG = 64
	ArtworkMaxPNG = 2048

	artworkDomain = "laminate-artwork-v1|"

	// point budgets of the lace and the rosette (the rope has its own)
	artLaceBudget = 1200
	artRoseBudget = 650
	artMinCopies  = 3

	// artTolerance is the Douglas–Peucker tolerance of the polylines, in
	// unit-square units: half a pixel at 1000 px, 0.02 mm printed 40 mm wide.
	artTolerance = 0.0007
)

// NewArtwork derives the artwork of serial from secret (at least 16 bytes)
// with HMAC-SHA256(secret, "laminate-artwork-v1|" + serial); the digest's bits
// choose every parameter. Same inputs, same output, on every platform.
func NewArtwork(secret []byte, serial string) (*Artwork, error) {
	if len(secret) < ArtworkMinSecret {
		return nil, fmt.Errorf("render: artwork secret is %d bytes, need at least %d", len(secret), ArtworkMinSecret)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(artworkDomain))
	mac.Write([]byte(serial))
	var d [32]byte
	mac.Sum(d[:0])
	return artFromDigest(d), nil
}

// ---------------------------------------------------------------------------
// Parameters

// artBits hands out the digest's bits, most significant first, each bit
// once, so that every visual parameter depends on its own bits.
type artBits struct {
	d   [32]byte
	pos int
}

func (b *artBits) take(n int) int {
	v := 0
	for i := 0; i < n; i++ {
		if b.pos >= 256 {
			panic("render: artwork parameter bits exhausted") // a design bug, caught by the tests
		}
		bit := (b.d[b.pos/8] >> (7 - uint(b.pos%8))) & 1
		v = v<<1 | int(bit)
		b.pos++
	}
	return v
}

// pick returns lo + (a value of n bits scaled onto [0, hi-lo]).
func (b *artBits) pick(n, lo, hi int) int {
	v := b.take(n)
	return lo + v*(hi-lo+1)>>n
}

// artParams are the visual choices, all drawn from the digest.
type artParams struct {
	hue        [3]int // degrees
	sat        int    // permille
	colorOrder int    // which palette colour each family gets

	// outer border: a rope of ropePasses interleaved sine waves round a circle
	ropePasses int
	ropeWaves  int // waves per turn
	ropeAmp    int // permille of the unit square
	ropePhase  int // table units
	ropeDouble bool

	// middle: a lace of laceCopies wavy rings, each a little smaller and
	// turned than the previous one, in a colour gradient (rainbow printing)
	laceCopies int
	laceLobes  int
	laceInward bool // looped rings: hypotrochoid (f = 1-L) or epitrochoid (f = 1+L)
	laceLoop   int  // < 1000: radial sine waves (depth); else loops, ρ = B|f|/A, permille
	laceTwist  int  // turn over all copies, in 1/8 of a lobe
	laceShrink int  // scale step between copies, per 10,000
	lacePhase  int

	// centre: a rosette of rosePetals petals, rosePasses turns, three terms
	rosePasses int
	rosePetals int
	roseCopies int
	roseThird  int // frequency multiplier of the third term
	roseLoop   int // chooses the inner radius
	rosePhase  int
}

func artGCD(a, b int) int {
	if a < 0 {
		a = -a
	}
	if b < 0 {
		b = -b
	}
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// artCoprime returns the first value >= v (within [lo,hi], wrapping) that
// is coprime with m, so that the curve is a single closed line.
func artCoprime(v, m, lo, hi int) int {
	for i := 0; i <= hi-lo; i++ {
		c := lo + (v-lo+i)%(hi-lo+1)
		if artGCD(c, m) == 1 {
			return c
		}
	}
	return v
}

// artLoopChoices are the loopiness values of the trochoids: below 1 smooth
// waves, above 1 loops; values near 1 (cusps) look crude and are avoided.
var artLoopChoices = [8]int{450, 600, 720, 1500, 1800, 2200, 2700, 3300}

func artDeriveParams(d [32]byte) (p artParams, used int) {
	b := &artBits{d: d, pos: 24} // bits 0..23 are the fingerprint
	// Palette: three hues spread round the wheel.
	p.hue[0] = b.take(9) * 360 >> 9
	p.hue[1] = (p.hue[0] + b.pick(3, 100, 160)) % 360
	p.hue[2] = (p.hue[0] + b.pick(3, 200, 260)) % 360
	p.sat = b.pick(2, 700, 880)
	p.colorOrder = b.take(3) % 6

	p.ropePasses = b.pick(2, 4, 7)
	p.ropeWaves = b.pick(3, 5, 9)
	p.ropeAmp = b.pick(2, 20, 32)
	p.ropePhase = b.take(10) * (artTable / 1024)
	p.ropeDouble = b.take(1) == 1

	p.laceCopies = b.pick(3, 6, 12)
	p.laceLobes = b.pick(4, 9, 24)
	p.laceInward = b.take(1) == 1
	p.laceLoop = artLoopChoices[b.take(3)]
	p.laceTwist = b.pick(3, 2, 9)
	p.laceShrink = b.pick(2, 0, 90)
	p.lacePhase = b.take(10) * (artTable / 1024)

	p.rosePasses = b.pick(2, 1, 4)
	p.rosePetals = artCoprime(b.pick(4, 5, 17), p.rosePasses, 5, 19)
	p.roseCopies = b.pick(2, 3, 6)
	p.roseThird = b.pick(1, 2, 3)
	p.roseLoop = artLoopChoices[b.take(3)]
	p.rosePhase = b.take(10) * (artTable / 1024)
	return p, b.pos
}

// ---------------------------------------------------------------------------
// Fixed-point epicycle curves

// artTable is the number of angle steps in a full turn: 2^12·15, so that
// many sample counts (256, 320, 384, 480, 512, 640, 768, 960, 1024, ...)
// divide it.
const artTable = 61440

var (
	artCosOnce sync.Once
	artCosQ    []int32 // cos(2πk/artTable)·2^30 for k in [0, artTable)
)

// artSinCos returns sin(x), cos(x) for |x| <= π/4 from Taylor polynomials
// written so that no operation can be fused (explicit float64 conversions).
func artSinCos(x float64) (s, c float64) {
	x2 := float64(x * x)
	// sin: x - x^3/3! + ... up to x^21; cos: 1 - x^2/2! + ... up to x^20.
	s, c = 0, 0
	for k := 10; k >= 0; k-- {
		fs := 1.0 // 1/(2k+1)!
		for j := 2; j <= 2*k+1; j++ {
			fs = float64(fs / float64(j))
		}
		fc := 1.0 // 1/(2k)!
		for j := 2; j <= 2*k; j++ {
			fc = float64(fc / float64(j))
		}
		if k%2 == 1 {
			fs, fc = -fs, -fc
		}
		s = float64(float64(s*x2) + fs)
		c = float64(float64(c*x2) + fc)
	}
	return float64(s * x), c
}

func artCosTable() []int32 {
	artCosOnce.Do(func() {
		const quarterTurn = artTable / 4
		t := make([]int32, quarterTurn+1)
		step := 2 * math.Pi / artTable
		for k := 0; k <= quarterTurn; k++ {
			var v float64
			if k <= quarterTurn/2 {
				_, v = artSinCos(float64(float64(k) * step))
			} else {
				v, _ = artSinCos(float64(float64(quarterTurn-k) * step))
			}
			t[k] = int32(math.Round(float64(v * (1 << 30))))
		}
		// The other quarters by symmetry (exact).
		full := make([]int32, artTable)
		for k := range full {
			switch {
			case k <= quarterTurn:
				full[k] = t[k]
			case k <= 2*quarterTurn:
				full[k] = -t[2*quarterTurn-k]
			case k <= 3*quarterTurn:
				full[k] = -t[k-2*quarterTurn]
			default:
				full[k] = t[4*quarterTurn-k]
			}
		}
		artCosQ = full
	})
	return artCosQ
}

// artCosSin returns cos and sin of 2πa/artTable in Q30.
func artCosSin(tab []int32, a int) (c, s int64) {
	a %= artTable
	if a < 0 {
		a += artTable
	}
	b := a + 3*artTable/4 // sin(x) = cos(x + 3π/2)
	if b >= artTable {
		b -= artTable
	}
	return int64(tab[a]), int64(tab[b])
}

// artTerm is one circular motion: amplitude (Q20 unit-square units),
// frequency (turns per curve) and phase (table units).
type artTerm struct {
	amp   int64
	freq  int
	phase int
}

// artQ is the fixed-point scale of points (Q20: one unit ~ 1e-6 of the square).
const artQ = 20

// artPoint is a point in Q20 fixed point.
type artPoint struct{ x, y int64 }

// artEval returns centre + Σ terms at angle index idx (in 1/artTable of the
// period), in Q20.
func artEval(tab []int32, terms []artTerm, idx int) artPoint {
	const half = int64(1) << (artQ - 1)
	var x, y int64 // Q50
	for _, t := range terms {
		c, s := artCosSin(tab, t.freq*idx+t.phase)
		x += t.amp * c
		y += t.amp * s
	}
	return artPoint{half + (x+1<<29)>>30, half + (y+1<<29)>>30}
}

// artFar reports whether m lies farther than tol from the line through a and b.
func artFar(a, b, m artPoint, tol int64) bool {
	dx, dy := b.x-a.x, b.y-a.y
	px, py := m.x-a.x, m.y-a.y
	t2 := float64(tol * tol)
	if dx == 0 && dy == 0 {
		return float64(px*px+py*py) > t2
	}
	cr := float64(px*dy - py*dx)
	return float64(cr*cr) > float64(t2*float64(dx*dx+dy*dy))
}

// artSample samples one period of a closed curve adaptively: a regular grid
// of at least 6 samples per turn of the fastest term, then intervals are
// halved while their midpoint strays more than tol/2 from the chord.
func artSample(terms []artTerm, tol int64) []artPoint {
	tab := artCosTable()
	maxF := 1
	for _, t := range terms {
		maxF = max(maxF, artAbs(t.freq))
	}
	n0 := 240 // artTable/n0 is a power of two, so intervals halve exactly
	for n0 < 6*maxF && n0 < 3840 {
		n0 *= 2
	}
	step := artTable / n0
	out := make([]artPoint, 0, 2*n0)
	type iv struct {
		ia, ib int
		a, b   artPoint
	}
	var stack []iv
	first := artEval(tab, terms, 0)
	prev := first
	for j := 1; j <= n0; j++ {
		cur := first
		if j < n0 {
			cur = artEval(tab, terms, j*step)
		}
		stack = append(stack[:0], iv{(j - 1) * step, j * step, prev, cur})
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if d := v.ib - v.ia; d >= 2 {
				im := v.ia + d/2
				m := artEval(tab, terms, im)
				if artFar(v.a, v.b, m, tol/2) {
					// second half first: the stack pops the first half next
					stack = append(stack, iv{im, v.ib, m, v.b}, iv{v.ia, im, v.a, m})
					continue
				}
			}
			out = append(out, v.a)
		}
		prev = cur
	}
	return out
}

// artSimplify applies Douglas–Peucker with tolerance tol (Q20) to a
// polyline, closed or open, in integer arithmetic and correctly rounded
// float64 operations (exact or platform independent).
func artSimplify(pts []artPoint, closed bool, tol int64) []artPoint {
	n := len(pts)
	if n < 4 {
		return pts
	}
	src := pts
	if closed {
		src = append(append([]artPoint(nil), pts...), pts[0])
	}
	keep := make([]bool, len(src))
	keep[0], keep[len(src)-1] = true, true
	type span struct{ a, b int }
	stack := []span{{0, len(src) - 1}}
	if closed { // split the loop at the farthest point from the start
		far, best := 0, int64(-1)
		for i := 1; i < n; i++ {
			dx, dy := src[i].x-src[0].x, src[i].y-src[0].y
			if d := dx*dx + dy*dy; d > best {
				far, best = i, d
			}
		}
		keep[far] = true
		stack = []span{{0, far}, {far, len(src) - 1}}
	}
	tol2 := float64(tol * tol)
	for len(stack) > 0 {
		sp := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if sp.b-sp.a < 2 {
			continue
		}
		ax, ay := src[sp.a].x, src[sp.a].y
		dx, dy := src[sp.b].x-ax, src[sp.b].y-ay
		// Compare squared cross products (exact integers below 2^44, hence
		// exact in float64 too; their squares are correctly rounded) with
		// tol²·|ab|², avoiding a division per point.
		lim := float64(tol2 * float64(dx*dx+dy*dy))
		degenerate := dx == 0 && dy == 0
		idx, best := -1, float64(-1)
		for i := sp.a + 1; i < sp.b; i++ {
			px, py := src[i].x-ax, src[i].y-ay
			var d float64
			if degenerate {
				d = float64(px*px + py*py)
			} else {
				cr := float64(px*dy - py*dx)
				d = float64(cr * cr)
			}
			if d > best {
				idx, best = i, d
			}
		}
		if degenerate {
			lim = tol2
		}
		if best > lim {
			keep[idx] = true
			stack = append(stack, span{sp.a, idx}, span{idx, sp.b})
		}
	}
	out := make([]artPoint, 0, n/2)
	last := len(src)
	if closed {
		last-- // the appended copy of the first point
	}
	for i := 0; i < last; i++ {
		if keep[i] {
			out = append(out, src[i])
		}
	}
	return out
}

// artRadialWave returns the terms of r(θ) = R + w·sin(kθ/m + φ) around the
// centre, with θ running m times round (k coprime with m gives one closed
// line of m phase-shifted strands): R·e^{imt} + w·sin(kt + φ)·e^{imt}.
func artRadialWave(R, w int64, m, k, ph int) []artTerm {
	const quarter = artTable / 4
	return []artTerm{
		{R, m, 0},
		{w / 2, k + m, ph - quarter},
		{w / 2, m - k, -ph + quarter},
	}
}

// ---------------------------------------------------------------------------
// Colours (integer HSL)

// artHSL converts hue (degrees), saturation and lightness (permille) to sRGB
// with integer arithmetic.
func artHSL(h, s, l int) RGB {
	h = ((h % 360) + 360) % 360
	// chroma, permille
	c := (1000 - artAbs(2*l-1000)) * s / 1000
	hp := h * 1000 / 60 // sector ·1000
	x := c * (1000 - artAbs(hp%2000-1000)) / 1000
	m := l - c/2
	var r, g, b int
	switch hp / 1000 {
	case 0:
		r, g, b = c, x, 0
	case 1:
		r, g, b = x, c, 0
	case 2:
		r, g, b = 0, c, x
	case 3:
		r, g, b = 0, x, c
	case 4:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	to8 := func(v int) uint8 {
		v = ((v+m)*255 + 500) / 1000
		return uint8(max(0, min(255, v)))
	}
	return RGB{to8(r), to8(g), to8(b)}
}

// artMix returns the colour j/n of the way from a to b.
func artMix(a, b RGB, j, n int) RGB {
	if n <= 0 {
		return a
	}
	l := func(x, y uint8) uint8 { return uint8((int(x)*(n-j) + int(y)*j + n/2) / n) }
	return RGB{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B)}
}

func artAbs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// artInkLightness is the HSL lightness (permille) giving a dark, readable ink
// for a hue: yellows and greens look light at the same HSL lightness, blues
// and violets look dark, so they get different values. One entry per 30°.
var artInkLightness = [13]int{400, 370, 300, 270, 270, 280, 290, 340, 440, 440, 400, 400, 400}

func artInk(h, s int) RGB {
	h = ((h % 360) + 360) % 360
	i, f := h/30, h%30
	l := artInkLightness[i] + (artInkLightness[i+1]-artInkLightness[i])*f/30
	return artHSL(h, s, l)
}

// ---------------------------------------------------------------------------
// Composition

func artFixed(v float64) int64 { return int64(v * (1 << artQ)) } // for constants only

func artFromDigest(d [32]byte) *Artwork {
	p, _ := artDeriveParams(d)
	a := &Artwork{Fingerprint: strings.ToUpper(hex.EncodeToString(d[:3]))}
	perm := [6][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}[p.colorOrder]
	var col [3]RGB
	for i := range col {
		col[i] = artInk(p.hue[perm[i]], p.sat)
	}
	a.Background = artHSL(p.hue[perm[0]], 600, 965)
	tol := artFixed(artTolerance)
	addPoints := func(pts []artPoint, c RGB, w float64) {
		st := Stroke{Closed: true, Color: c, Width: w, Points: make([]Point, len(pts))}
		for i, pt := range pts {
			st.Points[i] = Point{float64(pt.x) / (1 << artQ), float64(pt.y) / (1 << artQ)}
		}
		a.Strokes = append(a.Strokes, st)
	}
	add := func(terms []artTerm, c RGB, w float64) {
		addPoints(artSimplify(artSample(terms, tol), true, tol), c, w)
	}
	// copies adds up to want strokes from gen (at least artMinCopies),
	// fewer if they would exceed budget points.
	copies := func(want, budget int, gen func(j, n int) ([]artTerm, RGB), w float64) {
		// The first copy's size decides how many fit; the turn and the
		// gradient depend on the count, but the first copy does not.
		first, c0 := gen(0, want)
		pts := artSimplify(artSample(first, tol), true, tol)
		n := max(min(want, budget/max(len(pts), 1)), artMinCopies)
		addPoints(pts, c0, w)
		for j := 1; j < n; j++ {
			terms, c := gen(j, n)
			add(terms, c, w)
		}
	}
	permille := func(v int) int64 { return int64(v) << artQ / 1000 }
	// trochoid returns A e^{imt} + B e^{ift} fitting the band [rin, rout]
	// (permille) with loopiness loop (permille), f = m±lobes.
	trochoid := func(rin, rout, m, f, loop int) (A, B int64) {
		af := artAbs(f)
		// B|f| = loop·A·m and A+B = rout  =>  A = rout·|f| / (|f| + loop·m)
		A = permille(rout) * int64(af) * 1000 / (int64(af)*1000 + int64(loop*m))
		B = permille(rout) - A
		if maxB := (permille(rout) - permille(rin)) / 2; B > maxB { // too wide: shrink loops
			B = maxB
			A = permille(rout) - B
		}
		return A, B
	}

	// 1. Border rope: r(θ) = R + w·sin(kθ), θ running round ropePasses
	// times with k = waves·passes + 1, so the strands are copies of each
	// other shifted by a fraction of a wave: the woven rope of banknotes.
	{
		m := p.ropePasses
		k := p.ropeWaves*m + 1
		w := permille(p.ropeAmp)
		R := permille(440) - w
		rope := func(R, w int64, ph int, c RGB) { add(artRadialWave(R, w, m, k, ph), c, 0.0022) }
		rope(R, w, p.ropePhase, col[0])
		if p.ropeDouble {
			rope(R, w*6/10, p.ropePhase+artTable/(2*k), col[1])
		}
		add([]artTerm{{R + w + permille(12), 1, 0}}, col[0], 0.003)
		add([]artTerm{{R - w - permille(12), 1, 0}}, col[0], 0.002)
	}
	// 2. Lace: copies of a wavy ring, each turned by a fraction of a lobe
	// and a little smaller, in a colour gradient: a twisted net. The ring is
	// either a radial sine wave (smooth, deep waves) or a looped trochoid.
	{
		L := p.laceLobes
		var ring func(sc int64, ph int) []artTerm
		if p.laceLoop < 1000 {
			w := permille(35 + p.laceLoop/15) // 65..83 permille
			R := permille(335) - w
			ring = func(sc int64, ph int) []artTerm { return artRadialWave(R*sc/10000, w*sc/10000, 1, L, ph) }
		} else {
			f := 1 + L
			if p.laceInward {
				f = 1 - L
			}
			A, B := trochoid(165, 340, 1, f, p.laceLoop)
			ring = func(sc int64, ph int) []artTerm { return []artTerm{{A * sc / 10000, 1, 0}, {B * sc / 10000, f, ph}} }
		}
		copies(p.laceCopies, artLaceBudget, func(j, n int) ([]artTerm, RGB) {
			sc := int64(10000 - j*p.laceShrink)
			ph := p.lacePhase + j*artTable*p.laceTwist/(8*n)
			return ring(sc, ph), artMix(col[1], col[2], j, n-1)
		}, 0.0018)
	}
	// 3. Centre rosette: copies of a looped hypotrochoid reaching close to
	// the centre, with a third, faster term for texture, each turned by a
	// fraction of a petal.
	{
		m, P := p.rosePasses, p.rosePetals
		f := m - P
		rin := permille(10 + p.roseLoop/60) // 17..65 permille
		A := (permille(160) + rin) / 2
		B := permille(160) - A
		C := B / 6
		copies(p.roseCopies, artRoseBudget, func(j, n int) ([]artTerm, RGB) {
			sc := int64(10000 - j*300)
			ph := p.rosePhase + j*artTable/(2*n)
			return []artTerm{{A * sc / 10000, m, 0}, {(B - C) * sc / 10000, f, ph}, {C * sc / 10000, m - p.roseThird*P, -ph}},
				artMix(col[2], col[0], j, n-1)
		}, 0.0018)
	}
	return a
}

// ---------------------------------------------------------------------------
// Back-ends

// PointCount returns the total number of points of all strokes.
func (a *Artwork) PointCount() int {
	n := 0
	for _, s := range a.Strokes {
		n += len(s.Points)
	}
	return n
}

// SVG returns a standalone SVG document (viewBox 0 0 1000 1000) with a
// rounded background and the strokes. Coordinates have one decimal.
func (a *Artwork) SVG() []byte {
	var b bytes.Buffer
	b.Grow(16 + a.PointCount()*12)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 1000" width="1000" height="1000">` + "\n")
	fmt.Fprintf(&b, "<title>Pass artwork %s</title>\n", a.Fingerprint)
	fmt.Fprintf(&b, `<rect width="1000" height="1000" rx="%d" fill="%s"/>`+"\n", artCornerSVG, a.Background.Hex())
	b.WriteString(`<g fill="none" stroke-linejoin="round" stroke-linecap="round">` + "\n")
	var num []byte
	coord := func(v float64) {
		t := int64(math.Round(v * 10000)) // tenths of a viewBox unit
		if t < 0 {
			b.WriteByte('-')
			t = -t
		}
		num = strconv.AppendInt(num[:0], t/10, 10)
		b.Write(num)
		if t%10 != 0 {
			b.WriteByte('.')
			b.WriteByte(byte('0' + t%10))
		}
	}
	for _, s := range a.Strokes {
		if len(s.Points) == 0 {
			continue
		}
		fmt.Fprintf(&b, `<path stroke="%s" stroke-width="%s" d="`, s.Color.Hex(), strconv.FormatFloat(s.Width*1000, 'f', -1, 64))
		for i, p := range s.Points {
			switch i {
			case 0:
				b.WriteByte('M')
			case 1:
				b.WriteByte('L')
			default:
				b.WriteByte(' ')
			}
			coord(p.X)
			b.WriteByte(' ')
			coord(p.Y)
		}
		if s.Closed {
			b.WriteByte('Z')
		}
		b.WriteString("\"/>\n")
	}
	b.WriteString("</g>\n</svg>\n")
	return b.Bytes()
}

// artCornerSVG is the corner radius of the background, in viewBox units.
const artCornerSVG = 60

// PNG rasterises the artwork to a size x size PNG (anti-aliased), with
// transparent corners outside the rounded background.
func (a *Artwork) PNG(size int) ([]byte, error) {
	img, err := a.Image(size)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Image rasterises the artwork like PNG, without encoding.
func (a *Artwork) Image(size int) (*image.RGBA, error) {
	if size < ArtworkMinPNG || size > ArtworkMaxPNG {
		return nil, fmt.Errorf("render: artwork PNG size %d outside [%d, %d]", size, ArtworkMinPNG, ArtworkMaxPNG)
	}
	if a == nil {
		return nil, errors.New("render: nil artwork")
	}
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	z := vector.NewRasterizer(size, size)
	fs := float32(size)

	// Rounded background (cubic approximation of quarter circles).
	r := fs * artCornerSVG / 1000
	const k = 0.5522848
	z.MoveTo(r, 0)
	z.LineTo(fs-r, 0)
	z.CubeTo(fs-r+k*r, 0, fs, r-k*r, fs, r)
	z.LineTo(fs, fs-r)
	z.CubeTo(fs, fs-r+k*r, fs-r+k*r, fs, fs-r, fs)
	z.LineTo(r, fs)
	z.CubeTo(r-k*r, fs, 0, fs-r+k*r, 0, fs-r)
	z.LineTo(0, r)
	z.CubeTo(0, r-k*r, r-k*r, 0, r, 0)
	z.ClosePath()
	z.Draw(img, img.Bounds(), image.NewUniform(artRGBA(a.Background)), image.Point{})

	for _, s := range a.Strokes {
		if len(s.Points) < 2 {
			continue
		}
		hw := float32(s.Width) * fs / 2
		if hw < 0.5 {
			hw = 0.5 // at least one pixel wide, or thin lines fade out on small images
		}
		// Rasterise only the stroke's bounding box (mitres reach 2·hw).
		x0, y0, x1, y1 := s.Points[0].X, s.Points[0].Y, s.Points[0].X, s.Points[0].Y
		for _, p := range s.Points {
			x0, y0, x1, y1 = min(x0, p.X), min(y0, p.Y), max(x1, p.X), max(y1, p.Y)
		}
		pad := float64(2*hw) + 2
		box := image.Rect(int(x0*float64(size)-pad), int(y0*float64(size)-pad),
			int(x1*float64(size)+pad)+1, int(y1*float64(size)+pad)+1).Intersect(img.Bounds())
		if box.Empty() {
			continue
		}
		z.Reset(box.Dx(), box.Dy())
		artStrokePolyline(z, s.Points, s.Closed, fs, hw, float32(box.Min.X), float32(box.Min.Y))
		z.Draw(img, box, image.NewUniform(artRGBA(s.Color)), image.Point{})
	}
	return img, nil
}

func artRGBA(c RGB) color.RGBA { return color.RGBA{c.R, c.G, c.B, 255} }

// artStrokePolyline adds the outline of a polyline of half-width hw as one
// quadrilateral per segment. Neighbouring quadrilaterals share the offset
// (mitred) points of their common vertex, so joins have neither gaps nor
// overlaps (an overlap would darken the anti-aliased edges into dots), and
// all quadrilaterals have the same orientation, so crossings add up instead
// of cancelling. Long segments are first refined along a Catmull-Rom spline
// through the points, so that large images show smooth curves rather than
// the facets of the (compact) polyline.
func artStrokePolyline(z *vector.Rasterizer, src []Point, closed bool, scale, hw, ox, oy float32) {
	type pt struct{ x, y float32 }
	ns := len(src)
	at := func(i int) pt {
		if closed {
			i = (i%ns + ns) % ns
		} else {
			i = max(0, min(ns-1, i))
		}
		return pt{float32(src[i].X)*scale - ox, float32(src[i].Y)*scale - oy}
	}
	segs := ns - 1
	if closed {
		segs = ns
	}
	pts := make([]pt, 0, 2*ns)
	for i := 0; i < segs; i++ {
		p0, p1, p2, p3 := at(i-1), at(i), at(i+1), at(i+2)
		pts = append(pts, p1)
		dx, dy := p2.x-p1.x, p2.y-p1.y
		sub := int(float32(math.Sqrt(float64(dx*dx+dy*dy))) / 3) // a point every ~3 px
		sub = min(sub, 16)
		for k := 1; k < sub; k++ {
			t := float32(k) / float32(sub)
			t2, t3 := t*t, t*t*t
			b0 := -0.5*t3 + t2 - 0.5*t
			b1 := 1.5*t3 - 2.5*t2 + 1
			b2 := -1.5*t3 + 2*t2 + 0.5*t
			b3 := 0.5*t3 - 0.5*t2
			pts = append(pts, pt{b0*p0.x + b1*p1.x + b2*p2.x + b3*p3.x, b0*p0.y + b1*p1.y + b2*p2.y + b3*p3.y})
		}
	}
	if !closed {
		pts = append(pts, at(ns-1))
	}
	n := len(pts)
	type off struct{ lx, ly, rx, ry float32 }
	xy := func(i int) (float32, float32) { return pts[i].x, pts[i].y }
	unit := func(dx, dy float32) (float32, float32) {
		l := float32(math.Sqrt(float64(dx*dx + dy*dy)))
		if l == 0 {
			return 0, 0
		}
		return dx / l, dy / l
	}
	offs := make([]off, n)
	for i := 0; i < n; i++ {
		x, y := xy(i)
		var ax, ay, bx, by float32 // unit directions of the incoming and outgoing segments
		if i > 0 || closed {
			px, py := xy((i - 1 + n) % n)
			ax, ay = unit(x-px, y-py)
		}
		if i < n-1 || closed {
			nx, ny := xy((i + 1) % n)
			bx, by = unit(nx-x, ny-y)
		}
		if ax == 0 && ay == 0 {
			ax, ay = bx, by
		}
		if bx == 0 && by == 0 {
			bx, by = ax, ay
		}
		// mitre direction: the normal of the bisector, scaled by 1/cos(θ/2)
		mx, my := -(ay + by), ax+bx
		ml := float32(math.Sqrt(float64(mx*mx + my*my)))
		var k float32
		if ml < 1e-3 {
			mx, my, k = -ay, ax, hw // a U-turn: plain normal
		} else {
			mx, my = mx/ml, my/ml
			cosHalf := mx*(-ay) + my*ax
			if cosHalf < 0.5 {
				cosHalf = 0.5 // mitre limit 2
			}
			k = hw / cosHalf
		}
		offs[i] = off{x + mx*k, y + my*k, x - mx*k, y - my*k}
	}
	segs = n - 1
	if closed {
		segs = n
	}
	for i := 0; i < segs; i++ {
		a, b := offs[i], offs[(i+1)%n]
		z.MoveTo(a.lx, a.ly)
		z.LineTo(b.lx, b.ly)
		z.LineTo(b.rx, b.ry)
		z.LineTo(a.rx, a.ry)
		z.ClosePath()
	}
}
