package render

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/laminate/laminate/internal/racetest"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/photo"
	"github.com/laminate/laminate/templates"
)

// testPhoto is a stored photo (made by photo.Process) of a made-up face:
// a head and shoulders on a background whose hue depends on i.
func testPhoto(t testing.TB, i int) []byte {
	t.Helper()
	const w, h = 600, 800
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{uint8(80 + i*37%150), uint8(120 + i*53%120), uint8(160 + i*29%90), 255}
	skin := color.RGBA{224, 172, 140, 255}
	shirt := color.RGBA{40, 40, 60, 255}
	for y := range h {
		for x := range w {
			c := bg
			dx, dy := float64(x-w/2), float64(y-330)
			switch {
			case dx*dx/(150*150)+dy*dy/(200*200) <= 1:
				c = skin
			case y > 560 && dx*dx/(280*280)+float64(y-800)*float64(y-800)/(260*260) <= 1:
				c = shirt
			}
			// Grain, as a camera sensor gives: a flat picture would make
			// the JPEG (and the PDF figures) unrealistically small.
			n := uint8((x*7919 + y*104729 + i*31) * 2654435761 >> 26 % 90)
			c.R, c.G, c.B = c.R/2+c.R/2+n/2, c.G-min(c.G, n/3), c.B/2+c.B/2+n/3
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	out, err := photo.Process(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func photoTemplate(t testing.TB) *templates.Template {
	t.Helper()
	tpl, err := templates.ParseFile("testdata/badge-4x3-photo.json")
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// photoItems signs n passes, every every-th with a photo.
func photoItems(t testing.TB, n, every int) []Item {
	t.Helper()
	items, _ := testItemsWith(t, n, func(i int) []byte {
		if i%every != 0 {
			return nil
		}
		return testPhoto(t, i)
	})
	return items
}

func TestRenderPhoto(t *testing.T) {
	racetest.Skip(t) // one goroutine drawing, printing and reading back; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	tpl := photoTemplate(t)
	items := photoItems(t, 6, 2) // passes 0, 2 and 4 have photos
	var buf bytes.Buffer
	if err := WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret}); err != nil {
		t.Fatal(err)
	}
	pdf := buf.Bytes()
	if n := bytes.Count(pdf, []byte("/Filter /DCTDecode")); n != 3 {
		t.Fatalf("PDF holds %d JPEG images, want 3 (one per pass with a photo)", n)
	}
	if !bytes.Contains(pdf, items[0].Photo[len(items[0].Photo)-200:]) {
		t.Fatal("the stored JPEG is not embedded as it is")
	}
	if out := os.Getenv("LAMINATE_KEEP_PDF"); out != "" {
		os.WriteFile(filepath.Join(out, "badge-4x3-photo.pdf"), pdf, 0o644)
	}

	// Without a photo box the same passes print without photos.
	plain, _ := templates.Get("badge-4x3-letter")
	plain.Front.Photo = nil // the shipped badges have one since the branding layout
	buf.Reset()
	if err := WritePDF(&buf, items, Options{Template: plain, ArtworkSecret: testSecret}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("DCTDecode")) {
		t.Fatal("a template without a photo box printed a photo")
	}
}

// TestRenderPhotoSlot looks at the photo box: dark pixels of the photo
// inside it on a pass with a photo, none on a pass without.
func TestRenderPhotoSlot(t *testing.T) {
	racetest.Skip(t) // one goroutine drawing, printing and reading back; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	needTool(t, "pdftoppm", "poppler-utils")
	tpl := photoTemplate(t)
	items := photoItems(t, 2, 2) // pass 0 only
	var buf bytes.Buffer
	if err := WritePDF(&buf, items, Options{Template: tpl, ArtworkSecret: testSecret}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "s.pdf"), buf.Bytes(), 0o600)
	if out, err := exec.Command("pdftoppm", "-r", "100", "-png", filepath.Join(dir, "s.pdf"), filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	f, _ := os.Open(filepath.Join(dir, "p-1.png"))
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The shirt: dark blue at the bottom middle of the photo box.
	shirtAt := func(label int) bool {
		x, y := tpl.LabelOrigin(label)
		b := tpl.Front.Photo
		px := int((x + b.X + b.W/2) / 25.4 * 100)
		py := int((y + b.Y + b.H*0.95) / 25.4 * 100)
		r, g, bl, _ := img.At(px, py).RGBA()
		return r>>8 < 90 && g>>8 < 90 && bl>>8 < 110
	}
	if !shirtAt(0) {
		t.Error("pass 0 has a photo, but its photo box shows none")
	}
	if shirtAt(1) {
		t.Error("pass 1 has no photo, but its photo box shows one")
	}
}

func TestRenderPhotoMismatch(t *testing.T) {
	racetest.Skip(t) // one goroutine drawing, printing and reading back; concurrent rendering is TestRenderScriptsConcurrently's, under -race
	tpl := photoTemplate(t)
	items := photoItems(t, 2, 1)
	plain, _ := testItems(t, 1)
	tests := []struct {
		name string
		edit func(*Item)
	}{
		{"fail/swapped-photo", func(it *Item) { it.Photo = testPhoto(t, 99) }},
		{"fail/signs-photo-none-given", func(it *Item) { it.Photo = nil }},
		{"fail/photo-pass-does-not-sign", func(it *Item) { *it = plain[0]; it.Photo = testPhoto(t, 5) }},
		{"fail/record-rewritten", func(it *Item) { it.Photo = testPhoto(t, 99); it.Pass.Photo = pass.PhotoHash(it.Photo) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			its := append([]Item{}, items...)
			tt.edit(&its[1])
			var buf bytes.Buffer
			err := WritePDF(&buf, its, Options{Template: tpl, ArtworkSecret: testSecret})
			if !errors.Is(err, ErrPhotoMismatch) || !strings.Contains(err.Error(), its[1].Pass.Serial.String()) {
				t.Fatalf("WritePDF() error = %v, want %v naming pass %s", err, ErrPhotoMismatch, its[1].Pass.Serial)
			}
			if buf.Len() != 0 {
				t.Fatal("WritePDF() wrote a PDF after refusing a pass")
			}
		})
	}
}

// BenchmarkWritePDF1000Photos is BenchmarkWritePDF1000 with a photo on
// every pass, on the test template with a photo box: the figures of issue
// 12 (passes/s, bytes per pass).
func BenchmarkWritePDF1000Photos(b *testing.B) {
	tpl := photoTemplate(b)
	items := photoItems(b, 1000, 1)
	benchWritePDF(b, tpl, items)
	var photos int
	for _, it := range items {
		photos += len(it.Photo)
	}
	b.ReportMetric(float64(photos)/float64(len(items)), "photo-B/pass")
}

// BenchmarkWritePDF1000NoPhotos is the same template without photos.
func BenchmarkWritePDF1000NoPhotos(b *testing.B) {
	tpl := photoTemplate(b)
	items, _ := testItems(b, 1000)
	benchWritePDF(b, tpl, items)
}
