package render

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/makiuchi-d/gozxing"
	qrreader "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/laminate/laminate/internal/racetest"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/templates"
)

var (
	testSecret = bytes.Repeat([]byte("laminate-test-secret"), 2)
	testEvent  = func() *pass.Event {
		show := time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("CET", 3600))
		e := &pass.Event{ID: "tour27-ber01", Name: "Sigur Rós — World Tour 2027", Venue: "Columbiahalle, Berlin",
			Schedule: pass.Schedule{ShowStart: show, ShowEnd: show.Add(3 * time.Hour)}}
		if err := e.Validate(); err != nil {
			panic(err)
		}
		return e
	}()
	testNames = []string{"Björk Guðmundsdóttir", "Sigur Rós", "Lemmy Kilmister", "Zoë Wanamaker", "Дмитрий Шостакович",
		"Ελένη Καραΐνδρου", "Ana Lucía Pérez-Fernández", "Sam Okafor"}
)

// testItems signs n passes of every type with a throwaway Ed25519 key.
func testItems(t testing.TB, n int) ([]Item, ed25519.PublicKey) {
	t.Helper()
	return makeItems(t, n, nil, nil)
}

// seededItems is testItems with the key and the serials drawn from r
// (crypto/rand when nil), so that a test can be the same on every run.
func seededItems(t testing.TB, n int, r io.Reader) ([]Item, ed25519.PublicKey) {
	t.Helper()
	return makeItems(t, n, r, nil)
}

// testItemsWith is testItems with photo(i), when not nil, as the photo of
// pass i (signed into its token).
func testItemsWith(t testing.TB, n int, photo func(i int) []byte) ([]Item, ed25519.PublicKey) {
	t.Helper()
	return makeItems(t, n, nil, photo)
}

func makeItems(t testing.TB, n int, r io.Reader, photo func(i int) []byte) ([]Item, ed25519.PublicKey) {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, seed); err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: priv, KeyID: "test01"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	items := make([]Item, n)
	for i := range items {
		serial, _ := pass.NewSerial(r)
		p := pass.Pass{Serial: serial, Event: testEvent.ID, Type: pass.Types[i%len(pass.Types)], Name: testNames[i%len(testNames)],
			Org: "Motörhead Ltd", ValidUntil: testEvent.Schedule.AccessUntil.UTC(), Issuer: "lam"}
		if p.Type == pass.Staff {
			p.Role = "catering"
		}
		var ph []byte
		if photo != nil {
			if ph = photo(i); ph != nil {
				p.Photo = pass.PhotoHash(ph)
			}
		}
		c := p.Claims()
		payload, _ := jsonMarshal(c)
		jws, err := sg.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := jws.CompactSerialize()
		items[i] = Item{Pass: p, Token: tok, Event: testEvent, Photo: ph}
	}
	return items, pub
}

func TestRenderEveryTemplateScans(t *testing.T) {
	racetest.Skip(t) // one goroutine drawing, printing and reading back; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	needTool(t, "zbarimg", "zbar-tools")
	needTool(t, "pdftoppm", "poppler-utils")
	for _, tpl := range templates.List() {
		t.Run(tpl.Name, func(t *testing.T) {
			n := tpl.PerPage()
			if v, err := strconv.Atoi(os.Getenv("LAMINATE_SCAN_PASSES")); err == nil && v > 0 {
				n = v // a larger sample, for the figures in the notes
			}
			items, _ := testItems(t, n)
			var buf bytes.Buffer
			if err := WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret, CropMarks: true, Duplex: tpl.Back != nil}); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			pdfPath := filepath.Join(dir, "sheet.pdf")
			os.WriteFile(pdfPath, buf.Bytes(), 0o600)
			if out := os.Getenv("LAMINATE_KEEP_PDF"); out != "" {
				os.WriteFile(filepath.Join(out, tpl.Name+".pdf"), buf.Bytes(), 0o644)
			}
			if out, err := exec.Command("pdftoppm", "-r", "150", "-png", pdfPath, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
			pages, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
			got := map[string]int{}
			for _, pg := range pages {
				for _, line := range zbar(t, pg) {
					got[line]++
				}
			}
			want := 1
			if tpl.Back != nil {
				want = 2
			}
			for i, it := range items {
				num, _ := pass.EncodeTransport(it.Token)
				if got[num] == want {
					continue
				}
				// zbarimg scanning a whole page of codes now and then misses
				// one that it reads alone (1 in about 900 on the 50 mm
				// sticker sheet); a door scanner sees one pass. Retry on the
				// label alone, at the same 150 dpi, and count it.
				// Each side must then read on its own label.
				px := func(mm float64) string { return fmt.Sprint(int(mm / 25.4 * 150)) }
				readAlone := func(side string, page int, x, y float64) bool {
					crop := filepath.Join(dir, fmt.Sprintf("label-%d-%s", i, side))
					exec.Command("pdftoppm", "-r", "150", "-png", "-f", fmt.Sprint(page), "-l", fmt.Sprint(page), "-x", px(x), "-y", px(y),
						"-W", px(tpl.Label.W), "-H", px(tpl.Label.H), pdfPath, crop).Run()
					crops, _ := filepath.Glob(crop + "*.png")
					return len(crops) == 1 && slices.Contains(zbar(t, crops[0]), num)
				}
				sheet := i / tpl.PerPage()
				fx, fy := tpl.LabelOrigin(i)
				ok := readAlone("front", sheet*want+1, fx, fy)
				if tpl.Back != nil {
					bx, by := tpl.BackOrigin(i)
					ok = ok && readAlone("back", sheet*want+2, bx, by)
				}
				if ok {
					t.Logf("pass %s: missed on the whole page, read on its label alone", it.Pass.Serial)
					continue
				}
				t.Errorf("pass %s: QR decoded %d times, want %d", it.Pass.Serial, got[num], want)
			}
			t.Logf("%s: %d passes, %d pages, %d bytes (%.1f KB/pass)", tpl.Name, len(items), len(pages), buf.Len(), float64(buf.Len())/1024/float64(len(items)))
		})
	}
}

// UTF-8 names print as text a PDF reader can extract (the embedded Go fonts
// cover Latin, Greek and Cyrillic).
func TestRenderUTF8Names(t *testing.T) {
	needTool(t, "pdftotext", "poppler-utils")
	tpl, err := templates.Get("badge-a6-a4")
	if err != nil {
		t.Fatal(err)
	}
	items, _ := testItems(t, len(testNames))
	var buf bytes.Buffer
	if err := WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "names.pdf")
	if d := os.Getenv("LAMINATE_KEEP_PDF"); d != "" {
		path = filepath.Join(d, "names.pdf")
	}
	os.WriteFile(path, buf.Bytes(), 0o600)
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ") // a name may wrap to two lines
	for _, it := range items {
		if !strings.Contains(text, it.Pass.Name) {
			t.Errorf("name %q not found in the PDF text", it.Pass.Name)
		}
		if !strings.Contains(text, it.Pass.Serial.String()) {
			t.Errorf("serial %s not found in the PDF text", it.Pass.Serial)
		}
	}
	for _, s := range []string{"Sigur Rós — World Tour 2027", "Motörhead Ltd", "AFTER SHOW", "MEET & GREET"} {
		if !strings.Contains(text, s) {
			t.Errorf("%q not found in the PDF text", s)
		}
	}
}

// A pass whose QR would print below the template's minimum module size is
// refused, naming the pass, and nothing is written.
func TestRenderRefusesSmallModules(t *testing.T) {
	tpl, err := templates.Get("sticker-round-2in-letter")
	if err != nil {
		t.Fatal(err)
	}
	items, _ := testItems(t, 2)
	long := &items[1]
	// Text of two scripts travels in the compact form as UTF-8 bytes: 2
	// a Greek or Cyrillic letter.
	long.Pass.Name = strings.Repeat("Ωж", pass.MaxNameLen/2)
	long.Pass.Org = strings.Repeat("Ψд", pass.MaxOrgLen/2)
	c := long.Pass.Claims()
	payload, _ := jsonMarshal(c)
	long.Token = "eyJhbGciOiJFZERTQSIsImtpZCI6InRlc3QwMSJ9." + b64(payload) + "." + strings.Repeat("A", 86)
	var buf bytes.Buffer
	err = WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret})
	if !errors.Is(err, ErrModuleTooSmall) || !strings.Contains(err.Error(), long.Pass.Serial.String()) {
		t.Fatalf("WritePDF(long pass on a 2 in sticker) error = %v, want ErrModuleTooSmall naming %s", err, long.Pass.Serial)
	}
	if buf.Len() != 0 {
		t.Fatalf("WritePDF wrote %d bytes on failure", buf.Len())
	}
	if err := WritePDF(&buf, items[:1], Options{Template: tpl, ArtworkSecret: testSecret, Duplex: true}); err == nil {
		t.Fatal("WritePDF(sticker, duplex) succeeded; stickers have no back")
	}
}

// A single code decodes with an independent pure-Go decoder (gozxing) to
// the transport form of the token, which decodes back to the token.
func TestQRDecodesWithGozxing(t *testing.T) {
	items, _ := testItems(t, len(pass.Types))
	for _, it := range items {
		q, err := NewQR(it.Token, "M")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: version %d (%d modules)", it.Pass.Type, q.Version, q.Size())
		const px = 8
		img := image.NewGray(image.Rect(0, 0, q.Size()*px, q.Size()*px))
		for y, row := range q.Modules {
			for x, dark := range row {
				c := color.Gray{255}
				if dark {
					c = color.Gray{0}
				}
				for dy := range px {
					for dx := range px {
						img.SetGray(x*px+dx, y*px+dy, c)
					}
				}
			}
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrreader.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
		if err != nil {
			t.Fatalf("%s: gozxing: %v", it.Pass.Type, err)
		}
		tok, err := pass.DecodeTransport(res.GetText())
		if err != nil || tok != it.Token || !pass.IsCompactForm(res.GetText()) {
			t.Fatalf("%s: decoded %q -> %q, %v; want the token", it.Pass.Type, res.GetText(), tok, err)
		}
	}
}

// BenchmarkWritePDF1000 renders 1,000 passes on 4x3 badges to one PDF and
// reports passes per second and bytes per pass.
func BenchmarkWritePDF1000(b *testing.B) {
	tpl, _ := templates.Get("badge-4x3-letter")
	items, _ := testItems(b, 1000)
	benchWritePDF(b, tpl, items)
}

// BenchmarkWritePDF1000Scripts is BenchmarkWritePDF1000 with the names,
// orgs and event names of scriptCases in one script each, without and
// with a holder photo on every pass: the per-script figures of issue 12
// (passes/s; CPU per pass, steadier on a shared machine; PDF bytes per
// pass).
//
//	go test ./render -run '^$' -bench BenchmarkWritePDF1000Scripts -benchtime 2x
func BenchmarkWritePDF1000Scripts(b *testing.B) {
	tpl, _ := templates.Get("badge-4x3-letter")
	for _, tc := range scriptCases {
		switch tc.script {
		case "latin", "chinese", "arabic", "thai", "devanagari":
		default:
			continue
		}
		for _, photo := range []bool{false, true} {
			name := tc.script
			if photo {
				name += "/photo"
			}
			b.Run(name, func(b *testing.B) {
				var items []Item
				if photo {
					items = photoItems(b, 1000, 1)
				} else {
					items, _ = testItems(b, 1000)
				}
				ev := *testEvent
				ev.Name = tc.event
				for i := range items {
					items[i].Pass.Name, items[i].Pass.Org, items[i].Event = tc.name, tc.org, &ev
				}
				benchWritePDF(b, tpl, items)
			})
		}
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// zbar decodes every code in a PNG with zbarimg (zbar-tools).
func zbar(t *testing.T, png string) []string {
	t.Helper()
	out, _ := exec.Command("zbarimg", "-q", "--raw", png).Output() // exit 4: nothing found
	var codes []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" {
			codes = append(codes, line)
		}
	}
	return codes
}

// needTool skips a test whose outside tool is missing, saying which Debian
// package has it; under CI (LAMINATE_CI set, as .ci/run does) it fails
// instead, so a missing install step cannot pass for green.
func needTool(t *testing.T, tool, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err == nil {
		return
	}
	if os.Getenv("LAMINATE_CI") != "" {
		t.Fatalf("%s not installed (Debian package %s); .ci/run should have installed it", tool, pkg)
	}
	t.Skipf("%s not installed: apt-get install %s", tool, pkg)
}

// BenchmarkNewQR is the cost of one code (go-qrcode), most of a printed pass.
func BenchmarkNewQR(b *testing.B) {
	items, _ := testItems(b, 1)
	for b.Loop() {
		if _, err := NewQR(items[0].Token, "M"); err != nil {
			b.Fatal(err)
		}
	}
}
