package render

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/laminate/laminate/internal/racetest"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render/typeset"
	"github.com/laminate/laminate/templates"
)

// scriptCases are real, long names (as long as the CR80 card holds at a
// cap height of 2.2 mm: about 20 to 30 characters, fewer for wide Cyrillic
// capitals, since the branding layout gave the photo a column) in every
// script a touring crew has,
// with an org and an event name in the same script.
var scriptCases = []struct {
	script, name, org, event string
}{
	{"latin", "Ana Lucía Pérez-Fernández", "Producciones Montenegro", "Gira Mundial 2027"},
	{"greek", "Αικατερίνη Παπαδοπούλου", "Μουσικές Παραγωγές Αθηνών", "Παγκόσμια Περιοδεία"},
	{"cyrillic", "Дмитрий Шостакович", "Московская филармония", "Мировое турне 2027"},
	{"chinese", "欧阳建国", "北京现代音乐节有限公司", "世界巡回演唱会"},
	{"japanese", "長谷川 さくら", "株式会社ソニー・ミュージック", "ワールドツアー東京公演"},
	{"korean", "황보 지혜", "서울 음악 기획사", "월드 투어 서울 공연"},
	{"arabic", "عبد الرحمن بن محمد الفلاني", "فرقة القاهرة الموسيقية", "جولة عالمية في القاهرة"},
	{"hebrew", "יהונתן בן־ציון רוזנבלום", "הפקות תל אביב", "סיבוב הופעות עולמי"},
	{"thai", "ณัฐวุฒิ ศรีสุวรรณวงศ์", "บริษัท ดนตรีกรุงเทพ จำกัด", "เวิลด์ทัวร์ กรุงเทพฯ"},
	{"devanagari", "श्रीनिवास रामानुजन् अय्यंगार", "मुंबई संगीत प्रोडक्शन्स", "विश्व भ्रमण २०२७"},
}

// needFonts skips a test (fails it under CI) when no font here prints s.
func needFonts(t *testing.T, s string) {
	t.Helper()
	err := typeset.Default().Check(s, typeset.Bold)
	switch {
	case err == nil:
	case os.Getenv("LAMINATE_CI") != "":
		t.Fatalf("%v; .ci/run should have installed fonts-noto-core and fonts-noto-cjk", err)
	default:
		t.Skipf("%v", err)
	}
}

// extracted is what pdftotext finds in pdf, as one line: whitespace
// collapsed, and the bidi marks poppler puts around right-to-left text
// left out.
func extracted(t *testing.T, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.pdf")
	os.WriteFile(path, pdf, 0o600)
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Map(func(r rune) rune {
		if r >= 0x202A && r <= 0x202E || r == 0x200E || r == 0x200F {
			return -1
		}
		return r
	}, string(out))
	return strings.Join(strings.Fields(s), " ")
}

// Every script prints on every template, shaped, and its text is found in
// logical order by pdftotext.
func TestRenderEveryScript(t *testing.T) {
	racetest.Skip(t) // one goroutine drawing, printing and reading back; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	needTool(t, "pdftotext", "poppler-utils")
	keep := os.Getenv("LAMINATE_KEEP_PDF")
	for _, tc := range scriptCases {
		needFonts(t, tc.name+tc.org+tc.event)
		for _, tpl := range templates.List() {
			t.Run(tc.script+"/"+tpl.Name, func(t *testing.T) {
				ev := *testEvent
				ev.Name = tc.event
				items, _ := testItems(t, 2)
				for i := range items {
					items[i].Pass.Name, items[i].Pass.Org, items[i].Event = tc.name, tc.org, &ev
				}
				var buf bytes.Buffer
				if err := WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret, Duplex: tpl.Back != nil}); err != nil {
					t.Fatal(err)
				}
				if len(items) == 2 {
					one := bytes.Buffer{}
					WritePDF(&one, items[:1], Options{Template: tpl, ArtworkSecret: testSecret})
					t.Logf("%s on %s: a one-pass PDF is %d bytes", tc.script, tpl.Name, one.Len())
				}
				if keep != "" {
					os.WriteFile(filepath.Join(keep, tc.script+"-"+tpl.Name+".pdf"), buf.Bytes(), 0o644)
				}
				text := extracted(t, buf.Bytes())
				var want []string
				if tpl.Front.Name != nil {
					want = append(want, tc.name)
				}
				if tpl.Front.Org != nil {
					want = append(want, tc.org)
				}
				if tpl.Front.Event != nil {
					want = append(want, tc.event)
				}
				for _, w := range want {
					if !strings.Contains(text, w) {
						t.Errorf("%q not found in logical order in the PDF text:\n%s", w, text)
					}
				}
			})
		}
	}
}

// A name that no template holds readably is refused when it is drawn,
// naming the template and the longest length that fits.
func TestRenderRefusesUnreadableName(t *testing.T) {
	tpl, err := templates.Get("badge-cr80-letter")
	if err != nil {
		t.Fatal(err)
	}
	items, _ := testItems(t, 1)
	items[0].Pass.Name = "Αικατερίνη Παπαδοπούλου-Χατζηγεωργίου του Κωνσταντίνου και της Μαρίας" // 69
	err = WritePDF(&bytes.Buffer{}, items, Options{Template: tpl, ArtworkSecret: testSecret})
	if !errors.Is(err, ErrNameTooLong) {
		t.Fatalf("WritePDF = %v, want ErrNameTooLong", err)
	}
	for _, want := range []string{"badge-cr80-letter", "69 characters", "at most ", "cap height of 2.2 mm"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// On every template the name prints at a cap height of at least 2.2 mm
// (badges) or 1.8 mm (stickers), and larger than the org and the event;
// no text draws glyph 0 (.notdef, the empty box).
func TestNameIsLargest(t *testing.T) {
	racetest.Skip(t) // one goroutine laying out every script on every template
	needFonts(t, "王한あعשกक")
	for _, tpl := range templates.List() {
		if tpl.Front.Name == nil {
			continue
		}
		for _, tc := range scriptCases {
			ev := *testEvent
			ev.Name = tc.event
			it := &Item{Pass: pass.Pass{Name: tc.name, Org: tc.org}, Event: &ev}
			txt, err := layoutPass(typeset.Default(), tpl, it, false)
			if err != nil {
				t.Errorf("%s %s: %v", tpl.Name, tc.script, err)
				continue
			}
			for _, b := range []*typeset.Block{txt.name, txt.org, txt.event, txt.sub} {
				for _, l := range b.Lines {
					for _, r := range l.Runs {
						for _, g := range r.Glyphs {
							if g.ID == 0 {
								t.Errorf("%s %s: .notdef (glyph 0) in %q", tpl.Name, tc.script, l.Text)
							}
						}
					}
				}
			}
			if c := typeset.CapMM(txt.name.Size, typeset.Bold); c < tpl.MinNameCap()-1e-6 {
				t.Errorf("%s %s: name cap height %.2f mm, below %.1f", tpl.Name, tc.script, c, tpl.MinNameCap())
			}
			for what, b := range map[string]*typeset.Block{"org": txt.org, "event": txt.event} {
				if b != nil && b.Size >= txt.name.Size {
					t.Errorf("%s %s: %s at %.1f pt, not smaller than the name at %.1f pt", tpl.Name, tc.script, what, b.Size, txt.name.Size)
				}
			}
		}
	}
}

func TestPrintableRefuses(t *testing.T) {
	racetest.Skip(t) // one goroutine shaping text in every script; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	needFonts(t, "王한あعשกक")
	p := Printable{}
	for _, tc := range []struct {
		field, text string
		want        []string
	}{
		{"name", "Zoë 😀", []string{"name has the character U+1F600", "emoji"}},
		{"org", "Acme \U000F0001", []string{"org has the character U+F0001", "install fonts-noto-core or pass --fonts DIR"}},
		{"name", strings.Repeat("Wolfeschlegelsteinhausenbergerdorff ", 5)[:179], []string{"179 characters", "at most ", "badge-a6-a4"}},
	} {
		err := p.CheckPrintable(tc.field, tc.text)
		if err == nil {
			t.Errorf("CheckPrintable(%q, %q) = nil, want an error", tc.field, tc.text)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("CheckPrintable(%q) = %q, want it to say %q", tc.text, err, w)
			}
		}
	}
	for _, tc := range scriptCases {
		if err := p.CheckPrintable("name", tc.name); err != nil {
			t.Errorf("%s: %v", tc.script, err)
		}
	}
}

// The event's texts are checked as names are (issue 12): each field named
// in the error; a branding change checks only the texts it changes.
func TestPrintableRefusesEventText(t *testing.T) {
	racetest.Skip(t) // one goroutine shaping text in every script; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	needFonts(t, "王한あعשกक")
	p := Printable{}
	bad := "Acme \U000F0001"
	ok := *testEvent
	ok.Name, ok.Venue = "جولة عالمية", "東京ドーム"
	ok.Branding = &pass.Branding{Tour: "สมชาย World Tour", Short: "ТУР 05", Contact: "श्री +91 22 1234"}
	if err := p.CheckEvent(&ok); err != nil {
		t.Errorf("CheckEvent(every script) = %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(ev *pass.Event)
		want   string
	}{
		{"event-name", func(ev *pass.Event) { ev.Name = bad }, "event name has the character U+F0001"},
		{"venue", func(ev *pass.Event) { ev.Venue = "Arena 😀" }, "venue has the character U+1F600"},
		{"tour", func(ev *pass.Event) { ev.Branding.Tour = bad }, "tour line has the character U+F0001"},
		{"short", func(ev *pass.Event) { ev.Branding.Short = bad }, "short name has the character U+F0001"},
		{"contact", func(ev *pass.Event) { ev.Branding.Contact = bad }, "contact has the character U+F0001"},
	} {
		ev := ok
		br := *ok.Branding
		ev.Branding = &br
		tc.change(&ev)
		if err := p.CheckEvent(&ev); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: CheckEvent = %v, want %q...", tc.name, err, tc.want)
		}
	}
	// An update of the contact is not refused for a tour line stored before
	// the check; a new unprintable text is.
	old := pass.Branding{Tour: bad}
	if err := p.CheckBranding(&old, &pass.Branding{Tour: bad, Contact: "Kim"}); err != nil {
		t.Errorf("CheckBranding(unchanged tour) = %v, want nil", err)
	}
	if err := p.CheckBranding(&old, &pass.Branding{Tour: bad, Contact: bad}); err == nil || !strings.HasPrefix(err.Error(), "contact has") {
		t.Errorf("CheckBranding(new contact) = %v, want contact refused", err)
	}
}

// Documents in every script rendered side by side share fonts, glyph
// outlines and shaping state safely (run with -race) and come out the
// same as alone.
func TestRenderScriptsConcurrently(t *testing.T) {
	needFonts(t, "王한あعשกक")
	tpl, err := templates.Get("badge-4x3-letter")
	if err != nil {
		t.Fatal(err)
	}
	lib := typeset.New() // fresh: fonts are found and loaded while the others draw
	sets := make([][]Item, len(scriptCases))
	for i, tc := range scriptCases {
		sets[i], _ = testItems(t, 3)
		for j := range sets[i] {
			sets[i][j].Pass.Name, sets[i][j].Pass.Org = tc.name, tc.org
		}
	}
	render := func(items []Item) []byte {
		var buf bytes.Buffer
		if err := WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret, Fonts: lib}); err != nil {
			t.Error(err)
		}
		return buf.Bytes()
	}
	got := make([][]byte, len(sets))
	done := make(chan int)
	for i := range sets {
		go func() { got[i] = render(sets[i]); done <- i }()
	}
	for range sets {
		<-done
	}
	for i := range sets {
		if !bytes.Equal(got[i], render(sets[i])) {
			t.Errorf("%s: the PDF drawn beside others differs from the one drawn alone", scriptCases[i].script)
		}
	}
}
