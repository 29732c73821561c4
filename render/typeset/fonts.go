package typeset

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Style is the weight text is set in.
type Style uint8

const (
	Regular Style = iota
	Bold
)

func (s Style) String() string {
	if s == Bold {
		return "Bold"
	}
	return "Regular"
}

// Face is one font (one face of a collection), shared by every document.
type Face struct {
	// Name identifies the face: "go" or "go-bold" for the embedded fonts,
	// the file's path (and "#index" in a collection) otherwise.
	Name string
	// Embedded is set for the Go fonts, which gofpdf can print as text.
	Embedded bool
	Style    Style

	font *font.Font
	upem float64
	// capHeight is the height of capitals, in em.
	capHeight float64

	mu       sync.Mutex
	outlines map[font.GID]font.GlyphOutline
}

// Upem is the number of font units in one em.
func (f *Face) Upem() float64 { return f.upem }

// Has reports whether the face has a glyph for r.
func (f *Face) Has(r rune) bool {
	_, ok := f.font.NominalGlyph(r)
	return ok
}

// Outline is glyph gid's outline in font units, y up.
func (f *Face) Outline(gid uint16) font.GlyphOutline {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o, ok := f.outlines[font.GID(gid)]; ok {
		return o
	}
	o, _ := font.NewFace(f.font).GlyphDataOutline(font.GID(gid))
	if f.outlines == nil {
		f.outlines = map[font.GID]font.GlyphOutline{}
	}
	f.outlines[font.GID(gid)] = o
	return o
}

func newFace(name string, ft *font.Font, style Style, embedded bool) *Face {
	f := &Face{Name: name, Embedded: embedded, Style: style, font: ft, upem: float64(ft.Upem())}
	f.capHeight = float64(font.NewFace(ft).LineMetric(font.CapHeight)) / f.upem
	if f.capHeight <= 0.3 || f.capHeight > 1 { // no OS/2 value: a usual one
		f.capHeight = 0.7
	}
	return f
}

// The embedded Go fonts.
var goFaces = func() [2]*Face {
	load := func(b []byte, name string, s Style) *Face {
		ff, err := font.ParseTTF(bytes.NewReader(b))
		if err != nil {
			panic("typeset: embedded Go font: " + err.Error())
		}
		return newFace(name, ff.Font, s, true)
	}
	return [2]*Face{load(goregular.TTF, "go", Regular), load(gobold.TTF, "go-bold", Bold)}
}()

// Go is the embedded Go font of style s.
func Go(s Style) *Face { return goFaces[s] }

// CapPt is the font size in points whose capitals are capMM millimetres
// tall, in the embedded Go font of style s: the smallest readable size of a
// box, whatever script fills it.
func CapPt(capMM float64, s Style) float64 {
	return capMM / (goFaces[s].capHeight * mmPerPt)
}

// CapMM is the cap height in mm of text set at size pt.
func CapMM(pt float64, s Style) float64 { return pt * goFaces[s].capHeight * mmPerPt }

const mmPerPt = 25.4 / 72

// SystemDirs are the folders searched for fonts after those given to [New].
func SystemDirs() []string {
	dirs := []string{"/usr/share/fonts", "/usr/local/share/fonts"}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		dirs = append(dirs, filepath.Join(d, "fonts"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, ".local", "share", "fonts"), filepath.Join(h, ".fonts"))
	}
	return dirs
}

// Limits on what is read from font folders.
const (
	maxFontFiles = 20000
	maxFontBytes = 64 << 20 // the Noto CJK collections are about 20 MiB
)

// Library finds fonts in folders and lays text out with them. It is safe
// for concurrent use; loaded fonts are shared by every Library.
type Library struct {
	dirs []string

	once  sync.Once
	files map[string]string // lower-case file name → path (first found)

	mu    sync.Mutex
	faces map[string]*Face // "script/style" → face, nil when none
}

// New returns a library that looks for fonts in dirs, then in the system
// font folders.
func New(dirs ...string) *Library {
	return &Library{dirs: append(append([]string(nil), dirs...), SystemDirs()...), faces: map[string]*Face{}}
}

var (
	defaultOnce sync.Once
	defaultLib  *Library
)

// Default is the library of the system font folders alone.
func Default() *Library {
	defaultOnce.Do(func() { defaultLib = New() })
	return defaultLib
}

// CheckDir reports whether dir is a folder that can be searched for fonts
// (for a --fonts flag: a typo should not silently mean "no fonts").
func CheckDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("font folder: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("font folder %s is not a folder", dir)
	}
	return nil
}

// index lists the font files of the folders once.
func (l *Library) index() map[string]string {
	l.once.Do(func() {
		l.files = map[string]string{}
		n := 0
		for _, dir := range l.dirs {
			_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil // an unreadable folder is one with no fonts
				}
				if n >= maxFontFiles {
					return fs.SkipAll
				}
				if d.IsDir() {
					return nil
				}
				name := strings.ToLower(d.Name())
				switch filepath.Ext(name) {
				case ".ttf", ".otf", ".ttc", ".otc":
					n++
					if _, ok := l.files[name]; !ok {
						l.files[name] = path
					}
				}
				return nil
			})
		}
	})
	return l.files
}

// loaded holds the fonts read from files, by path, for every Library.
var loaded = struct {
	sync.Mutex
	m map[string][]*font.Font
}{m: map[string][]*font.Font{}}

func loadFile(path string) []*font.Font {
	loaded.Lock()
	defer loaded.Unlock()
	if fs, ok := loaded.m[path]; ok {
		return fs
	}
	var out []*font.Font
	if st, err := os.Stat(path); err == nil && st.Size() <= maxFontBytes {
		if b, err := os.ReadFile(path); err == nil {
			if faces, err := font.ParseTTC(bytes.NewReader(b)); err == nil {
				for _, f := range faces {
					out = append(out, f.Font)
				}
			} else if f, err := font.ParseTTF(bytes.NewReader(b)); err == nil {
				out = append(out, f.Font)
			}
		}
	}
	loaded.m[path] = out
	return out
}

// cjk are the scripts of the Noto CJK collections.
var cjk = map[language.Script]bool{
	language.Han: true, language.Hiragana: true, language.Katakana: true,
	language.Hangul: true, language.Bopomofo: true,
}

// embeddedScripts are the scripts the Go fonts are for.
var embeddedScripts = map[language.Script]bool{
	language.Latin: true, language.Greek: true, language.Cyrillic: true,
	language.Common: true, language.Inherited: true, language.Unknown: true,
}

// scriptName is the Unicode name of r's script without underscores, as
// Noto spells it in file names ("Arabic", "CanadianAboriginal"), or "".
func scriptName(r rune) string {
	for name, t := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(t, r) {
			return strings.ReplaceAll(name, "_", "")
		}
	}
	return ""
}

// cjkRegion picks the face of the CJK collections for a text: Japanese
// when it has kana, Korean when it has hangul, Chinese (simplified)
// otherwise. It decides how some Han characters are drawn.
func cjkRegion(text []rune) string {
	for _, r := range text {
		switch language.LookupScript(r) {
		case language.Hiragana, language.Katakana:
			return "JP"
		case language.Hangul:
			return "KR"
		}
	}
	return "SC"
}

// scriptFace is the font for script sc (named name, from one of its
// characters) in style s, or nil when there is none. region picks the face
// of a CJK collection.
func (l *Library) scriptFace(sc language.Script, name string, s Style, region string) *Face {
	key := name + "/" + s.String() + "/" + region
	l.mu.Lock()
	f, ok := l.faces[key]
	l.mu.Unlock()
	if ok {
		return f
	}
	f = l.findFace(sc, name, s, region)
	// Layouts on other cores may have found the font meanwhile: the first
	// Face stored is the one every layout gets. Two Faces of one font
	// would split a run between them, and its halves, shaped apart, would
	// lose their conjuncts and joins.
	l.mu.Lock()
	defer l.mu.Unlock()
	if first, ok := l.faces[key]; ok {
		return first
	}
	l.faces[key] = f
	return f
}

func (l *Library) findFace(sc language.Script, name string, s Style, region string) *Face {
	files := l.index()
	var cands []string
	for _, st := range []Style{s, Regular} {
		w := strings.ToLower(st.String())
		switch {
		case cjk[sc]:
			cands = append(cands, "notosanscjk-"+w+".ttc", "notosanscjk"+strings.ToLower(region)+"-"+w+".otf",
				"notoserifcjk-"+w+".ttc")
		case name == "":
			cands = append(cands, "notosans-"+w+".ttf", "notosanssymbols-"+w+".ttf", "notosanssymbols2-"+w+".ttf",
				"notosansmath-"+w+".ttf")
		default:
			n := strings.ToLower(name)
			cands = append(cands, "notosans"+n+"-"+w+".ttf", "notosans"+n+"-"+w+".otf",
				"notoserif"+n+"-"+w+".ttf", "noto"+n+"-"+w+".ttf")
		}
	}
	for _, c := range cands {
		path, ok := files[c]
		if !ok {
			continue
		}
		fonts := loadFile(path)
		if len(fonts) == 0 {
			continue
		}
		i := 0
		if len(fonts) > 1 { // a collection: the face of the region
			for j, ft := range fonts {
				if strings.HasSuffix(ft.Describe().Family, " "+region) {
					i = j
					break
				}
			}
		}
		st := s
		if !strings.Contains(c, "-"+strings.ToLower(s.String())) {
			st = Regular
		}
		return newFace(fmt.Sprintf("%s#%d", path, i), fonts[i], st, false)
	}
	return nil
}

// faceFor picks the face for r, in a run of script sc: the run's own
// script font first (so spaces and digits stay in the run), then the Go
// fonts, then Noto Sans and the symbol fonts. It returns nil when no font
// has r.
func (l *Library) faceFor(r rune, sc language.Script, s Style, region string) *Face {
	if !embeddedScripts[sc] {
		name := scriptName(r)
		if name == "" || language.LookupScript(r) != sc {
			name = scriptNameOf(sc, r)
		}
		if f := l.scriptFace(sc, name, s, region); f != nil && f.Has(r) {
			return f
		}
	}
	if g := goFaces[s]; g.Has(r) {
		return g
	}
	if rs := language.LookupScript(r); !embeddedScripts[rs] && rs != sc {
		if f := l.scriptFace(rs, scriptName(r), s, region); f != nil && f.Has(r) {
			return f
		}
	}
	if f := l.scriptFace(language.Common, "", s, region); f != nil && f.Has(r) {
		return f
	}
	if f := l.symbolFace(r, s); f != nil {
		return f
	}
	// Punctuation of no script that only the CJK fonts have (a full-width
	// bracket), in a Latin name or in a line without the characters that
	// gave it a script: the CJK face of the text's region. Which fonts a
	// Library has loaded before must never decide: the same name would be
	// printable on one node and refused on another.
	if f := l.scriptFace(language.Han, "Han", s, region); f != nil && f.Has(r) {
		return f
	}
	return nil
}

// scriptNameOf names script sc for a character r of the Common script that
// sits in a run of sc (a space in Arabic text).
func scriptNameOf(sc language.Script, r rune) string {
	for name, t := range unicode.Scripts {
		if name == "Common" || name == "Inherited" || len(t.R16)+len(t.R32) == 0 {
			continue
		}
		var first rune
		if len(t.R16) > 0 {
			first = rune(t.R16[0].Lo)
		} else {
			first = rune(t.R32[0].Lo)
		}
		if language.LookupScript(first) == sc {
			return strings.ReplaceAll(name, "_", "")
		}
	}
	return scriptName(r)
}

// symbolFace tries the Noto symbol fonts one by one for r.
func (l *Library) symbolFace(r rune, s Style) *Face {
	files := l.index()
	for _, c := range []string{"notosanssymbols-regular.ttf", "notosanssymbols2-regular.ttf", "notosansmath-regular.ttf"} {
		if path, ok := files[c]; ok {
			if fonts := loadFile(path); len(fonts) == 1 {
				key := "symbol:" + c
				l.mu.Lock()
				f := l.faces[key]
				if f == nil {
					f = newFace(path+"#0", fonts[0], Regular, false)
					l.faces[key] = f
				}
				l.mu.Unlock()
				if f.Has(r) {
					return f
				}
			}
		}
	}
	return nil
}

// MissingError is text with a character that no font here prints.
type MissingError struct {
	Rune rune
	// At is the character's position in the text, from 1.
	At int
	// Script is the character's script ("Tibetan"), or "".
	Script string
}

func (e *MissingError) Error() string {
	if Package(e.Rune) == "" {
		return fmt.Sprintf("has the character %U %q at character %d, which no font here prints: emoji and pictographs do not print on passes, leave it out",
			e.Rune, string(e.Rune), e.At)
	}
	sc := ""
	if e.Script != "" {
		sc = " " + e.Script
	}
	return fmt.Sprintf("has the%s character %U %q at character %d, which no font here prints: install %s or pass --fonts DIR",
		sc, e.Rune, string(e.Rune), e.At, Package(e.Rune))
}

// Package names the Debian package whose fonts print r: fonts-noto-cjk for
// Chinese, Japanese and Korean, fonts-noto-core for every other script,
// "" for symbols and emoji that no outline font of Debian's prints.
func Package(r rune) string {
	switch sc := language.LookupScript(r); {
	case cjk[sc]:
		return "fonts-noto-cjk"
	case sc == language.Common && unicode.In(r, unicode.So, unicode.Sk, unicode.Co):
		return "" // emoji and pictographs: no Debian font prints them as outlines
	}
	return "fonts-noto-core"
}
