package typeset

import (
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// longNames are real long names in each script.
var longNames = map[string]string{
	"latin":      "Ana Lucía Pérez-Fernández de la Vega y Montenegro",
	"greek":      "Αικατερίνη Παπαδοπούλου-Χατζηγεωργίου",
	"cyrillic":   "Александра Владимировна Константинопольская",
	"chinese":    "爱新觉罗·溥仪",
	"japanese":   "長谷川 さくら（はせがわ さくら）",
	"korean":     "남궁 민수 황보 지혜",
	"arabic":     "عبد الرحمن بن محمد بن عبد الله الفلاني",
	"hebrew":     "יהונתן בן־ציון רוזנבלום",
	"thai":       "ณัฐวุฒิ ศรีสุวรรณวงศ์ ณ อยุธยา",
	"devanagari": "श्रीनिवास रामानुजन् अय्यंगार",
}

// badge is the name box of the A6 badge.
var badge = Spec{Style: Bold, W: 97, H: 13, MaxPt: 22, MinPt: CapPt(2.2, Bold), Lines: 2}

// needNoto skips a test (fails it under CI) without the Noto fonts.
func needNoto(t *testing.T) {
	t.Helper()
	err := Default().Check("王한あعשกक", Bold)
	switch {
	case err == nil:
	case os.Getenv("LAMINATE_CI") != "":
		t.Fatalf("%v; .ci/run should have installed fonts-noto-core and fonts-noto-cjk", err)
	default:
		t.Skipf("%v", err)
	}
}

func glyphs(b *Block) (ids []uint16) {
	for _, l := range b.Lines {
		for _, r := range l.Runs {
			for _, g := range r.Glyphs {
				ids = append(ids, g.ID)
			}
		}
	}
	return ids
}

func TestLongNamesEveryScript(t *testing.T) {
	needNoto(t)
	lib := Default()
	for script, name := range longNames {
		b, err := lib.Fit(name, badge)
		if err != nil {
			t.Errorf("%s: Fit(%q) = %v", script, name, err)
			continue
		}
		if len(b.Lines) > 2 {
			t.Errorf("%s: %d lines", script, len(b.Lines))
		}
		var logical []string
		for _, l := range b.Lines {
			logical = append(logical, l.Text)
			if l.W*b.Size*mmPerPt > badge.W+1e-6 {
				t.Errorf("%s: line %q is %.1f mm wide, box %.1f", script, l.Text, l.W*b.Size*mmPerPt, badge.W)
			}
		}
		if got := strings.Join(logical, " "); got != name {
			t.Errorf("%s: lines %q, want the name %q in logical order", script, got, name)
		}
		for _, id := range glyphs(b) {
			if id == 0 {
				t.Errorf("%s: a .notdef glyph (0) would be drawn", script)
			}
		}
		if c := CapMM(b.Size, Bold); c < 2.2-1e-9 {
			t.Errorf("%s: cap height %.2f mm", script, c)
		}
	}
}

// Arabic letters join: each letter of a word is drawn with another glyph
// than when it stands alone (initial, medial, final forms).
func TestArabicJoins(t *testing.T) {
	needNoto(t)
	lib := Default()
	word := "محمد"
	b, err := lib.Fit(word, Spec{W: 100, H: 20, MaxPt: 20})
	if err != nil {
		t.Fatal(err)
	}
	joined := glyphs(b)
	if len(joined) != 4 {
		t.Fatalf("%q shaped to %d glyphs, want 4", word, len(joined))
	}
	// Glyphs are left to right: the last letter (final dal) first.
	runes := []rune(word)
	for i, r := range runes {
		alone, err := lib.Fit(string(r), Spec{W: 100, H: 20, MaxPt: 20})
		if err != nil {
			t.Fatal(err)
		}
		iso := glyphs(alone)[0]
		if got := joined[len(runes)-1-i]; got == iso {
			t.Errorf("letter %d %q drawn with its isolated glyph %d: not joined", i+1, string(r), iso)
		}
	}
	if !b.RTL || !b.Lines[0].Runs[0].RTL {
		t.Error("Arabic not laid out right to left")
	}
	if got, want := b.Lines[0].Visual, "دمحم"; got != want {
		t.Errorf("visual text %q, want %q", got, want)
	}
}

// Devanagari conjuncts form: क्ष (ka, virama, ssa) is one glyph, not three.
func TestDevanagariConjunct(t *testing.T) {
	needNoto(t)
	b, err := Default().Fit("क्ष", Spec{W: 100, H: 20, MaxPt: 20})
	if err != nil {
		t.Fatal(err)
	}
	if g := glyphs(b); len(g) != 1 {
		t.Errorf("क्ष shaped to %d glyphs %v, want 1 (the conjunct)", len(g), g)
	}
	// And the reordering vowel sign i goes before its consonant: कि is
	// drawn as the sign, then ka.
	b, _ = Default().Fit("कि", Spec{W: 100, H: 20, MaxPt: 20})
	ka, _ := Default().Fit("क", Spec{W: 100, H: 20, MaxPt: 20})
	if g := glyphs(b); len(g) != 2 || g[1] != glyphs(ka)[0] {
		t.Errorf("कि shaped to %v, want the i sign then ka %v", g, glyphs(ka))
	}
}

func TestMissing(t *testing.T) {
	none := &Library{dirs: []string{t.TempDir()}, faces: map[string]*Face{}} // no font folders
	for _, tc := range []struct {
		lib        *Library
		text, want string
	}{
		{none, "王小明", `has the Han character U+738B "王" at character 1, which no font here prints: install fonts-noto-cjk or pass --fonts DIR`},
		{none, "Zoë عبد", `has the Arabic character U+0639 "ع" at character 5, which no font here prints: install fonts-noto-core or pass --fonts DIR`},
		{none, "สมชาย", "install fonts-noto-core"},
		{Default(), "Sam 😀", `U+1F600 "😀" at character 5, which no font here prints: emoji and pictographs do not print on passes, leave it out`},
		{Default(), "x\U000F0000", "U+F0000"},
	} {
		err := tc.lib.Check(tc.text, Bold)
		var me *MissingError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%q) = %v, want a MissingError saying %q", tc.text, err, tc.want)
		}
	}
	// The Go fonts print Latin, Greek and Cyrillic with no font folder.
	if err := none.Check("Zoë Ωμέγα Дмитрий", Bold); err != nil {
		t.Errorf("embedded fonts: %v", err)
	}
}

func TestTooLong(t *testing.T) {
	needNoto(t)
	name := strings.Repeat("Ωμέγα ", 40)
	name = name[:len(name)-1]
	_, err := Default().Fit(name, badge)
	var tl *TooLongError
	if !errors.As(err, &tl) {
		t.Fatalf("Fit = %v, want a TooLongError", err)
	}
	if tl.Len != utf8.RuneCountInString(name) || tl.Fits <= 0 || tl.Fits >= tl.Len {
		t.Fatalf("TooLongError %+v", tl)
	}
	rs := []rune(name)
	if _, err := Default().Fit(string(rs[:tl.Fits]), badge); err != nil {
		t.Errorf("the %d characters said to fit do not: %v", tl.Fits, err)
	}
	if _, err := Default().Fit(string(rs[:tl.Fits+1]), badge); err == nil {
		t.Errorf("%d characters fit, but %d was said to be the most", tl.Fits+1, tl.Fits)
	}
}

// Two lines before smaller type: a name too wide for one line at the
// largest size is broken at a space, not shrunk.
func TestWrapsBeforeShrinking(t *testing.T) {
	b, err := Default().Fit("Björk Guðmundsdóttir", Spec{Style: Bold, W: 50, H: 20, MaxPt: 16, MinPt: 6, Lines: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Lines) != 2 || b.Size != 16 || b.Lines[0].Text != "Björk" {
		t.Errorf("got %d lines at %.1f pt (%q), want 2 at 16 pt broken after Björk", len(b.Lines), b.Size, b.Lines[0].Text)
	}
}

// FuzzFit: any text lays out without panicking, never draws glyph 0, and
// its lines hold the text in logical order.
func FuzzFit(f *testing.F) {
	for _, n := range longNames {
		f.Add(n, 40.0, 11.0, uint8(2))
	}
	f.Add("a\u0301\u200d\u202e x\n y", 5.0, 3.0, uint8(5))
	f.Fuzz(func(t *testing.T, s string, w, h float64, lines uint8) {
		if !utf8.ValidString(s) || len(s) > 400 || !(w > 1 && w < 500) || !(h > 1 && h < 500) {
			t.Skip()
		}
		b, err := Default().Fit(s, Spec{W: w, H: h, MaxPt: 20, MinPt: 4, Lines: int(lines%6) + 1})
		if err != nil {
			var me *MissingError
			var tl *TooLongError
			if !errors.As(err, &me) && !errors.As(err, &tl) {
				t.Fatalf("Fit(%q) = %v", s, err)
			}
			return
		}
		for _, id := range glyphs(b) {
			if id == 0 {
				t.Fatalf("Fit(%q) draws glyph 0", s)
			}
		}
		var got []string
		for _, l := range b.Lines {
			got = append(got, l.Text)
		}
		// Lines break at spaces, or between CJK characters: spaces aside,
		// the lines are the text.
		if strings.Join(strings.Fields(strings.Join(got, "")), "") != strings.Join(strings.Fields(s), "") {
			t.Fatalf("Fit(%q) lines %q", s, got)
		}
	})
}

// An English sentence that starts with an Arabic name reads left to right
// when asked to: the Arabic run comes first, on the left, reversed.
func TestLTRParagraph(t *testing.T) {
	needNoto(t)
	s := "جولة عالمية. This pass"
	b, err := Default().Fit(s, Spec{W: 200, H: 20, MaxPt: 10, LTR: true})
	if err != nil {
		t.Fatal(err)
	}
	ln := b.Lines[0]
	if b.RTL || len(ln.Runs) < 2 || !ln.Runs[0].RTL || ln.Runs[len(ln.Runs)-1].RTL {
		t.Fatalf("runs %+v, RTL %v: want the Arabic run first, left to right", ln.Runs, b.RTL)
	}
	if b, _ = Default().Fit(s, Spec{W: 200, H: 20, MaxPt: 10}); !b.RTL {
		t.Error("without LTR the first letter (Arabic) should make the paragraph right to left")
	}
}

// BenchmarkFitLatin is the common case: a Latin name on a badge.
func BenchmarkFitLatin(b *testing.B) {
	lib := Default()
	for b.Loop() {
		if _, err := lib.Fit("Ana Lucía Pérez-Fernández de la Vega", badge); err != nil {
			b.Fatal(err)
		}
	}
}

// A fresh Library asked for the same script by several layouts at once
// (render lays a document's passes out on every core) gives them all the
// same Face: two Faces of one font would split a run between them, and the
// halves, shaped apart, lose their conjuncts and joins. Each name must come
// out as it does alone, in one face, every time.
func TestConcurrentFirstUseOneFace(t *testing.T) {
	needNoto(t)
	for _, script := range []string{"devanagari", "arabic", "thai", "chinese"} {
		name := longNames[script]
		alone, err := New().Fit(name, badge)
		if err != nil {
			t.Fatal(err)
		}
		for round := range 5 {
			lib := New()
			const n = 8
			blocks := make([]*Block, n)
			errs := make([]error, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { <-start; blocks[i], errs[i] = lib.Fit(name, badge) })
			}
			close(start)
			wg.Wait()
			faces := map[*Face]bool{}
			for i, b := range blocks {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				for _, l := range b.Lines {
					for _, r := range l.Runs {
						faces[r.Face] = true
					}
				}
				if !slices.Equal(glyphs(b), glyphs(alone)) {
					t.Errorf("%s, round %d, layout %d: glyphs %v, alone %v", script, round, i, glyphs(b), glyphs(alone))
				}
			}
			if len(faces) != 1 {
				t.Errorf("%s, round %d: %d faces for one script in one library, want 1", script, round, len(faces))
			}
		}
	}
}

// Whether a text prints depends on the text and the fonts installed, never
// on what a Library laid out before: a full-width bracket in a Latin name
// is printed from the CJK fonts by a fresh Library as by one that has just
// set a Japanese name, and a danda in a Latin name is refused by both.
func TestPrintableWhateverCameBefore(t *testing.T) {
	needNoto(t)
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{"Sakura（Tour）", true},
		{"Ram । Shyam", false},
	} {
		fresh := New().Check(tc.text, Bold)
		used := New()
		for _, name := range longNames {
			if _, err := used.Fit(name, badge); err != nil {
				t.Fatal(err)
			}
		}
		after := used.Check(tc.text, Bold)
		if (fresh == nil) != tc.ok || (after == nil) != tc.ok {
			t.Errorf("%q: Check by a fresh Library = %v, after every script = %v; want printable %v", tc.text, fresh, after, tc.ok)
		}
	}
}
