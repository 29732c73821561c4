package typeset

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/segmenter"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/text/unicode/bidi"
)

// Glyph is one glyph on a line: its id in its run's face and its origin,
// in em from the start of the line's baseline (x right, y up).
type Glyph struct {
	ID   uint16
	X, Y float64
}

// Run is text of one face and one direction on a line.
type Run struct {
	Face *Face
	RTL  bool
	// Text is the run's text in logical order.
	Text   string
	Glyphs []Glyph
	// X is where the run starts on the line and W its width, in em.
	X, W float64
}

// Line is one line of a block.
type Line struct {
	// Text is the line's text in logical order.
	Text string
	// Visual is the line's text as it reads from left to right: its runs
	// in visual order, right-to-left runs reversed. PDF readers take text
	// drawn left to right as visual and put right-to-left text back in
	// logical order themselves.
	Visual string
	W      float64 // width in em
	Runs   []Run   // left to right
}

// Block is text laid out in a box.
type Block struct {
	Size  float64 // font size in points
	Style Style
	Lead  float64 // line height in em
	RTL   bool    // the paragraph reads right to left (align it to the right)
	Lines []Line
}

// Spec says how to lay text out.
type Spec struct {
	Style Style
	W, H  float64 // the box, in mm
	// MaxPt is the largest size, MinPt the smallest: text that only fits
	// smaller is a [*TooLongError]. With MinPt 0 text shrinks until it fits
	// (down to 2 pt, then lines that do not fit are left out).
	MaxPt, MinPt float64
	// Lines is the most lines the text may take (0 means 1). One or two
	// lines are broken where the longer line is shortest; more are filled
	// greedily.
	Lines int
	// LTR sets text left to right whatever its first letter (an English
	// sentence that starts with an Arabic event name); otherwise the first
	// strong character decides.
	LTR bool
}

// TooLongError is text that does not fit its box at the smallest size.
type TooLongError struct {
	Len  int // characters in the text
	Fits int // the longest length that fits (characters)
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("is too long to print readably: %d characters, at most %d fit", e.Len, e.Fits)
}

// Lead is the line height, in em, of one or two lines; paragraphs of more
// lines get paraLead.
const (
	lead     = 1.15
	paraLead = 1.2
	floorPt  = 2.0 // smallest size of a box with no MinPt
)

// measured is text ready to be broken into lines.
type measured struct {
	runes  []rune
	adv    []float64 // advance of each character, in em (0 for those inside a cluster)
	simple bool      // Go font only, not shaped
	rtl    bool
	breaks []int        // where a line may start, ascending
	inWord []int        // all breaks, when breaks holds those at spaces only
	must   map[int]bool // breaks that are mandatory (after a newline)
	style  Style
	lib    *Library
}

// Check returns nil when every character of s prints in some font of l, or
// the [*MissingError] of the first one that does not.
func (l *Library) Check(s string, style Style) error {
	_, err := l.measure(s, style)
	return err
}

// Fit lays s out in the box of spec: as large as it fits, up to
// spec.MaxPt, on at most spec.Lines lines.
func (l *Library) Fit(s string, spec Spec) (*Block, error) {
	m, err := l.measure(s, spec.Style)
	if err != nil {
		return nil, err
	}
	if spec.LTR {
		m.rtl = false
	}
	size, lines := m.fit(spec, len(m.runes))
	if spec.MinPt > 0 && size < spec.MinPt-1e-9 && m.inWord != nil {
		m.breaks = m.inWord
		size, lines = m.fit(spec, len(m.runes))
	}
	if spec.MinPt > 0 && size < spec.MinPt-1e-9 {
		return nil, &TooLongError{Len: len(m.runes), Fits: m.fits(spec)}
	}
	b := &Block{Size: size, Style: spec.Style, Lead: lead, RTL: m.rtl}
	if spec.Lines > 2 {
		b.Lead = paraLead
	}
	for _, ln := range lines {
		l, err := m.line(ln[0], ln[1])
		if err != nil {
			return nil, err
		}
		b.Lines = append(b.Lines, l)
	}
	return b, nil
}

// fits is the longest prefix of the text that fits spec at spec.MinPt.
func (m *measured) fits(spec Spec) int {
	lo, hi := 0, len(m.runes) // lo fits, hi does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if s, _ := m.fit(spec, mid); s >= spec.MinPt-1e-9 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// width is the width in em of characters [a, b), trailing spaces left out.
func (m *measured) width(a, b int) float64 {
	for b > a && unicode.IsSpace(m.runes[b-1]) {
		b--
	}
	w := 0.0
	for _, v := range m.adv[a:b] {
		w += v
	}
	return w
}

// fit finds the size and line ranges of the first n characters.
func (m *measured) fit(spec Spec, n int) (float64, [][2]int) {
	wpt, hpt := spec.W/mmPerPt, spec.H/mmPerPt
	maxLines := max(spec.Lines, 1)
	forced := false
	for k := range m.must {
		forced = forced || k < n
	}
	if maxLines <= 2 && !forced {
		best := math.Min(spec.MaxPt, hpt/lead)
		if w := m.width(0, n); w > 0 {
			best = math.Min(best, wpt/w)
		}
		lines := [][2]int{{0, n}}
		if maxLines == 2 {
			// The break that makes the longer line shortest: balanced lines.
			brk, wmin := -1, math.Inf(1)
			for _, k := range m.breaks {
				if k >= n {
					break
				}
				if w := math.Max(m.width(0, k), m.width(k, n)); w < wmin {
					brk, wmin = k, w
				}
			}
			if brk > 0 {
				if s := math.Min(math.Min(spec.MaxPt, hpt/(2*lead)), wpt/wmin); s > best+1e-9 {
					best, lines = s, [][2]int{{0, brk}, {brk, n}}
				}
			}
		}
		return best, lines
	}
	floor := spec.MinPt
	if floor <= 0 {
		floor = floorPt
	}
	for size := math.Min(spec.MaxPt, hpt/paraLead); ; size -= 0.25 {
		if size < floor {
			size = floor
		}
		lines := m.greedy(n, wpt/size)
		if (len(lines) <= maxLines && float64(len(lines))*paraLead*size <= hpt) || size <= floor {
			over := len(lines) > maxLines || float64(len(lines))*paraLead*size > hpt
			if spec.MinPt > 0 && (over || m.tooWide(lines, wpt/size)) {
				return 0, lines // too long: refused, never cut
			}
			for len(lines) > 1 && (len(lines) > maxLines || float64(len(lines))*paraLead*size > hpt) {
				lines = lines[:len(lines)-1] // no room: the last lines go
			}
			return size, lines
		}
	}
}

func (m *measured) tooWide(lines [][2]int, w float64) bool {
	for _, l := range lines {
		if m.width(l[0], l[1]) > w+1e-9 {
			return true
		}
	}
	return false
}

// greedy breaks the first n characters into lines of at most w em (a word
// wider than w gets a line of its own).
func (m *measured) greedy(n int, w float64) [][2]int {
	var lines [][2]int
	start, last := 0, 0 // start of this line, last break seen on it
	for _, k := range append(slices.Clone(m.breaks), n) {
		if k > n {
			break
		}
		if m.width(start, k) > w && last > start {
			lines = append(lines, [2]int{start, last})
			start = last
		}
		if m.must[k] || k == n {
			if k > start || k == n {
				lines = append(lines, [2]int{start, k})
			}
			start = k
		}
		last = k
	}
	return lines
}

// paragraphDir is the direction of the first strong character (UAX #9
// P2, P3): an Arabic name reads right to left, a Latin one left to right.
func paragraphDir(rs []rune) bool {
	for _, r := range rs {
		p, _ := bidi.LookupRune(r)
		switch p.Class() {
		case bidi.L:
			return false
		case bidi.R, bidi.AL:
			return true
		}
	}
	return false
}

// simple reports whether s prints in the Go font without shaping.
func simpleText(rs []rune, s Style) bool {
	g := goFaces[s]
	for _, r := range rs {
		if r == '\n' {
			continue
		}
		if r < utf8.RuneSelf {
			if _, ok := g.advance(r); !ok {
				return false
			}
			continue
		}
		if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) || !embeddedScripts[language.LookupScript(r)] {
			return false
		}
		if _, ok := g.advance(r); !ok {
			return false
		}
		if p, _ := bidi.LookupRune(r); p.Class() == bidi.R || p.Class() == bidi.AL || p.Class() == bidi.AN {
			return false
		}
	}
	return true
}

func (l *Library) measure(s string, style Style) (*measured, error) {
	m := &measured{runes: []rune(s), style: style, lib: l}
	m.adv = make([]float64, len(m.runes))
	m.rtl = paragraphDir(m.runes)
	m.simple = simpleText(m.runes, style)
	if m.simple {
		g := goFaces[style]
		for i, r := range m.runes {
			m.adv[i], _ = g.advance(r)
		}
	} else if len(m.runes) > 0 {
		st := l.state(style, m.runes)
		defer l.put(st)
		first := -1 // the first character, in logical order, shaped to glyph 0
		for _, in := range st.split(m.runes, 0, len(m.runes), m.rtl) {
			out := st.shape(in)
			for _, g := range out.Glyphs {
				if g.GlyphID == 0 && (first < 0 || g.TextIndex() < first) {
					first = g.TextIndex()
				}
				m.adv[g.TextIndex()] += float64(g.Advance) / emScale
			}
		}
		if first >= 0 {
			return nil, missing(m.runes, first)
		}
	}
	if len(m.runes) > 0 {
		var seg segmenter.Segmenter
		seg.Init(m.runes)
		it := seg.LineIterator()
		for it.Next() {
			ln := it.Line()
			end := ln.Offset + len(ln.Text)
			if end >= len(m.runes) {
				break
			}
			m.breaks = append(m.breaks, end)
			if ln.IsMandatoryBreak {
				if m.must == nil {
					m.must = map[int]bool{}
				}
				m.must[end] = true
			}
		}
		// Break only at spaces where there are any: a name broken after a
		// hyphen reads as two names, and PDF readers drop the hyphen.
		// Breaks inside words (after a hyphen) are kept for text that
		// does not fit otherwise.
		spaced := slices.DeleteFunc(slices.Clone(m.breaks), func(k int) bool { return !unicode.IsSpace(m.runes[k-1]) })
		if len(spaced) > 0 {
			m.breaks, m.inWord = spaced, m.breaks
		}
	}
	return m, nil
}

func missing(rs []rune, i int) *MissingError {
	// A cluster's glyph 0 may come from a mark after the base: name the
	// first character of the cluster that no face has.
	return &MissingError{Rune: rs[i], At: i + 1, Script: scriptName(rs[i])}
}

// emScale is the size text is shaped at: 1000 units per em, in 26.6.
const emScale = 1000 * 64

// line lays out characters [a, b) (trailing spaces left out) as one line.
func (m *measured) line(a, b int) (Line, error) {
	for b > a && unicode.IsSpace(m.runes[b-1]) {
		b--
	}
	text := string(m.runes[a:b])
	if a == b {
		return Line{}, nil
	}
	if m.simple {
		g := goFaces[m.style]
		run := Run{Face: g, Text: text}
		x := 0.0
		for _, r := range m.runes[a:b] {
			id, _ := g.glyph(r)
			run.Glyphs = append(run.Glyphs, Glyph{ID: id, X: x})
			x += m.adv[a+len(run.Glyphs)-1]
		}
		run.W = x
		return Line{Text: text, Visual: text, W: x, Runs: []Run{run}}, nil
	}
	st := m.lib.state(m.style, m.runes)
	defer m.lib.put(st)
	var runs []Run
	for _, in := range st.split(m.runes, a, b, m.rtl) {
		out := st.shape(in)
		run := Run{Face: st.faces[in.Face], RTL: in.Direction == di.DirectionRTL,
			Text: string(m.runes[in.RunStart:in.RunEnd])}
		x := 0.0
		for _, g := range out.Glyphs {
			if g.GlyphID == 0 { // a face found for the whole text but not for this line
				return Line{}, missing(m.runes, g.TextIndex())
			}
			run.Glyphs = append(run.Glyphs, Glyph{ID: uint16(g.GlyphID),
				X: x + float64(g.XOffset)/emScale, Y: float64(g.YOffset) / emScale})
			x += float64(g.Advance) / emScale
		}
		run.W = x
		runs = append(runs, run)
	}
	runs = visualOrder(runs, m.rtl)
	ln := Line{Text: text, Runs: runs}
	for i := range ln.Runs {
		r := &ln.Runs[i]
		r.X = ln.W
		for j := range r.Glyphs {
			r.Glyphs[j].X += ln.W
		}
		ln.W += r.W
		if r.RTL {
			rs := []rune(r.Text)
			slices.Reverse(rs)
			ln.Visual += string(rs)
		} else {
			ln.Visual += r.Text
		}
	}
	return ln, nil
}

// visualOrder puts the runs of one line (logical order) left to right
// (UAX #9 L2 for the two levels a name has): in a left-to-right paragraph
// each sequence of right-to-left runs is reversed; in a right-to-left one
// the line is reversed and each sequence of left-to-right runs put back.
func visualOrder(runs []Run, rtl bool) []Run {
	if rtl {
		slices.Reverse(runs)
	}
	for i := 0; i < len(runs); {
		j := i
		for j < len(runs) && runs[j].RTL != rtl {
			j++
		}
		slices.Reverse(runs[i:j])
		i = j + 1
	}
	return runs
}

// advance is the advance of r in em, and whether the Go face has it.
func (f *Face) advance(r rune) (float64, bool) {
	g, ok := f.glyph(r)
	if !ok {
		return 0, false
	}
	return goAdvances[f.Style][g], true
}

func (f *Face) glyph(r rune) (uint16, bool) {
	g, ok := f.font.NominalGlyph(r)
	return uint16(g), ok
}

// goAdvances are the advances of the glyphs of the Go fonts' cmaps, in em.
var goAdvances = func() [2]map[uint16]float64 {
	var out [2]map[uint16]float64
	for s, f := range goFaces {
		face := font.NewFace(f.font)
		out[s] = map[uint16]float64{}
		for it := f.font.Cmap.Iter(); it.Next(); {
			_, g := it.Char()
			out[s][uint16(g)] = float64(face.HorizontalAdvance(g)) / f.upem
		}
	}
	return out
}()

// state is what one shaping needs; none of it is safe for concurrent use.
type state struct {
	lib    *Library
	style  Style
	region string
	script language.Script
	shaper shaping.HarfbuzzShaper
	seg    shaping.Segmenter
	faces  map[*font.Face]*Face
	byFace map[*Face]*font.Face
}

var states sync.Pool

func (l *Library) state(style Style, text []rune) *state {
	st, _ := states.Get().(*state)
	if st == nil {
		st = &state{faces: map[*font.Face]*Face{}, byFace: map[*Face]*font.Face{}}
	}
	st.lib, st.style, st.region = l, style, cjkRegion(text)
	return st
}

func (l *Library) put(st *state) {
	st.lib = nil
	if len(st.faces) > 64 {
		clear(st.faces)
		clear(st.byFace)
	}
	states.Put(st)
}

// split cuts text[a:b] into runs of one direction, script and face.
func (st *state) split(text []rune, a, b int, rtl bool) []shaping.Input {
	dir := di.DirectionLTR
	if rtl {
		dir = di.DirectionRTL
	}
	in := shaping.Input{Text: text, RunStart: a, RunEnd: b, Direction: dir, Size: emScale}
	return slices.Clone(st.seg.Split(in, st))
}

func (st *state) shape(in shaping.Input) shaping.Output {
	in.Size = emScale
	return st.shaper.Shape(in)
}

// SetScript and ResolveFace make state a shaping.FontmapScript.
func (st *state) SetScript(s language.Script) { st.script = s }

func (st *state) ResolveFace(r rune) *font.Face {
	f := st.lib.faceFor(r, st.script, st.style, st.region)
	if f == nil { // shapes to glyph 0, which measure refuses
		f = goFaces[st.style]
	}
	ff, ok := st.byFace[f]
	if !ok {
		ff = font.NewFace(f.font)
		st.byFace[f] = ff
		st.faces[ff] = f
	}
	return ff
}

// EmMM is the block's em in millimetres.
func (b *Block) EmMM() float64 { return b.Size * mmPerPt }

// Origin is where line i of the block starts when the block is set in the
// box at (x, y) of w by h mm: the left end of its baseline, in mm, y down.
// The lines are centred vertically as a whole, each with its capitals
// centred in its line; a line is centred across the box when center is
// set, else set left, or right when the block reads right to left.
func (b *Block) Origin(i int, x, y, w, h float64, center bool) (ox, base float64) {
	em := b.EmMM()
	lineH := b.Lead * em
	top := y + (h-float64(len(b.Lines))*lineH)/2
	base = top + float64(i)*lineH + lineH/2 + CapMM(b.Size, b.Style)/2
	ox = x
	switch {
	case center:
		ox += (w - b.Lines[i].W*em) / 2
	case b.RTL:
		ox += w - b.Lines[i].W*em
	}
	return ox, base
}
