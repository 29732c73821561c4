package logo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/laminate/laminate/internal/decodemem"
)

// pngOf returns a w x h PNG, half red and half transparent when alpha.
func pngOf(t testing.TB, w, h int, alpha bool) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{200, 16, 46, 255}
			if alpha && x < w/2 {
				c.A = 0
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withChunk inserts a chunk (a tEXt with "GPS" metadata, say) after IHDR.
func withChunk(data []byte, typ string, body []byte) []byte {
	var c bytes.Buffer
	binary.Write(&c, binary.BigEndian, uint32(len(body)))
	c.WriteString(typ)
	c.Write(body)
	binary.Write(&c, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), body...)))
	at := 8 + 25 // signature, IHDR
	return append(append(bytes.Clone(data[:at]), c.Bytes()...), data[at:]...)
}

// pngBomb is a small PNG whose header declares w x h pixels.
func pngBomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, body []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(body)))
		b.WriteString(typ)
		b.Write(body)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), body...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// jpegBomb is a baseline JPEG header (SOI, JFIF, SOF0) declaring w x h
// pixels of three components, and no pixels.
func jpegBomb(w, h uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xc0, 0, 17, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3, 1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0}
	return append(b, 0xff, 0xd9)
}

// TestSanitizeDecodeBudget: a raster within the caps is charged by the
// pixels its header declares, against the decode budget that photos share,
// before anything is decoded; one beyond the caps is refused first and
// charged nothing. The headers declare huge images and carry no pixels.
func TestSanitizeDecodeBudget(t *testing.T) {
	// An ended context: with no room, a call is refused at once.
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	whole, err := decodemem.Acquire(context.Background(), 8192, 8192) // all of it (1 GiB)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		busy bool
		want string
	}{
		{"png-16mp-waits-for-the-budget", pngBomb(4096, 4096), true, ""},
		{"jpeg-16mp-waits-for-the-budget", jpegBomb(4096, 4096), true, ""},
		{"png-bomb-refused-before-charging", pngBomb(60000, 60000), false, "image declares 60000 x 60000 pixels"},
		{"jpeg-bomb-refused-before-charging", jpegBomb(65000, 65000), false, "image declares 65000 x 65000 pixels"},
		{"jpeg-area-refused-before-charging", jpegBomb(8000, 8000), false, "image declares 8000 x 8000 pixels"},
	} {
		_, err := SanitizeContext(ended, tc.data)
		if got := errors.Is(err, decodemem.ErrBusy); got != tc.busy || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: SanitizeContext with the budget spent = %v, want busy %v %q", tc.name, err, tc.busy, tc.want)
		}
	}
	whole()
	// With room, the same header is decoded, and found to hold no pixels.
	for _, data := range [][]byte{pngBomb(4096, 4096), jpegBomb(4096, 4096)} {
		if _, err := SanitizeContext(ended, data); err == nil || errors.Is(err, decodemem.ErrBusy) || !strings.Contains(err.Error(), "cannot decode the image") {
			t.Errorf("SanitizeContext with room = %v, want it decoded and refused", err)
		}
	}
	if _, err := SanitizeContext(ended, pngOf(t, 300, 120, true)); err != nil {
		t.Errorf("SanitizeContext(a logo) = %v", err)
	}
}

func jpegOf(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	// An APP1 (EXIF) segment with a GPS tag right after SOI.
	exif := append([]byte("Exif\x00\x00"), []byte("GPSLatitude 51.5")...)
	seg := []byte{0xff, 0xe1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}
	return append(append(append([]byte{0xff, 0xd8}, seg...), exif...), buf.Bytes()[2:]...)
}

const goodSVG = `<?xml version="1.0" encoding="UTF-8"?>
<!-- made by hand -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" viewBox="0 0 200 100" width="200" height="100">
  <title>Aurora</title>
  <metadata><rdf>GPS here</rdf></metadata>
  <inkscape:namedview id="x"/>
  <g transform="translate(10 10)" fill="#c8102e">
    <rect x="0" y="0" width="80" height="80" rx="4"/>
    <circle cx="130" cy="40" r="40" style="fill:#003366;stroke:black;stroke-width:2"/>
    <path d="M10 10 h20 v20 z m30 0 l10 10 c5 5 10 5 15 0 s10-5 15 0 q5 5 10 0 t10 0 a10 10 0 0 1 20 0 Z" fill-rule="evenodd"/>
    <polygon points="0,90 10,80 20,90"/>
    <line x1="0" y1="85" x2="100" y2="85" stroke="#fff" stroke-width="1.5"/>
  </g>
</svg>`

func TestSanitize(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		kind Kind
		want string // substring of the error; "" for ok
	}{
		{"ok/png-alpha", pngOf(t, 300, 120, true), PNG, ""},
		{"ok/png-opaque-becomes-jpeg", pngOf(t, 300, 120, false), JPEG, ""},
		{"ok/png-large-scaled", pngOf(t, 2400, 1200, true), PNG, ""},
		{"ok/png-metadata-chunk", withChunk(pngOf(t, 64, 64, true), "tEXt", []byte("GPS\x0051.5,-0.12")), PNG, ""},
		{"ok/jpeg-exif", jpegOf(t, 120, 80), JPEG, ""},
		{"ok/svg", []byte(goodSVG), SVG, ""},
		{"ok/svg-plain", []byte(`<svg viewBox="0 0 10 10"><path d="M0 0L10 10"  stroke="red"/></svg>`), SVG, ""},

		{"fail/empty", nil, "", "bad logo: not a PNG, JPEG or SVG file: export the logo in one of these formats"},
		{"fail/text", []byte("hello, I am a logo"), "", "not a PNG, JPEG or SVG file"},
		{"fail/gif", []byte("GIF89a\x01\x00\x01\x00"), "", "not a PNG, JPEG or SVG file"},
		{"fail/oversize", append(pngOf(t, 8, 8, true), make([]byte, MaxInput)...), "", "bad logo: 1025 KiB, more than 1024 KiB: export a smaller file"},
		{"fail/png-bomb", pngBomb(60000, 60000), "", "bad logo: image declares 60000 x 60000 pixels, more than 8192 a side or 16 megapixels: export it at most 600 pixels across"},
		{"fail/png-bomb-area", pngBomb(8000, 8000), "", "image declares 8000 x 8000 pixels"},
		{"fail/png-truncated", pngOf(t, 64, 64, true)[:60], "", "bad logo: cannot decode the image"},
		{"fail/png-bad-header", []byte("\x89PNG\r\n\x1a\nxxxx"), "", "bad logo: cannot read the image header"},
		{"fail/svg-script", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script><rect width="5" height="5"/></svg>`), "",
			"bad logo: SVG element <script> is not allowed: a logo may hold only shapes (path, rect, circle, ellipse, line, polyline, polygon, g); export it as a PNG"},
		{"fail/svg-tiny-viewbox", []byte(`<svg viewBox="0 0 0.0004 10"><rect width="5" height="5"/></svg>`), "", "width and height at least 0.001"},
		{"fail/svg-stroke-inf", []byte(`<svg viewBox="0 0 10 10">` + strings.Repeat(`<g transform="scale(1e7)">`, 23) + `<path d="M0 0L0 0" stroke="red"/>` + strings.Repeat(`</g>`, 23) + `</svg>`), "", "SVG stroke width out of range"},
		{"fail/svg-onload", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)"/>`), "", "bad logo: SVG attribute onload= on <svg> is not allowed: scripts are refused"},
		{"fail/svg-image-href", []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"><image xlink:href="http://evil.example/x.png"/></svg>`), "",
			`bad logo: SVG attribute href="http://evil.example/x.png" on <image> refers to another file or element: references are not allowed`},
		{"fail/svg-use", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><use href="other.svg#a"/></svg>`), "", "SVG attribute href=\"other.svg#a\" on <use> refers to another file or element"},
		{"fail/svg-url-fill", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="5" height="5" fill="url(https://evil.example/p#g)"/></svg>`), "",
			`bad logo: SVG attribute fill="url(https://evil.example/p#g)" on <rect> refers to something else: use plain colours`},
		{"fail/svg-style-element", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><style>@import url(x.css)</style></svg>`), "", "SVG element <style> is not allowed"},
		{"fail/svg-foreign-object", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><foreignObject><div/></foreignObject></svg>`), "", "SVG element <foreignObject> is not allowed"},
		{"fail/svg-doctype-entity", []byte(`<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg viewBox="0 0 1 1">&x;</svg>`), "",
			"bad logo: SVG with a DOCTYPE or entity declarations is not allowed: remove the <!DOCTYPE ...> line"},
		{"fail/svg-gradient", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs><linearGradient id="g"/></defs></svg>`), "", "SVG element <defs> is not allowed"},
		{"fail/svg-no-size", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5"/></svg>`), "", "bad logo: SVG needs a viewBox, or a width and height: export it again"},
		{"fail/svg-bad-path", []byte(`<svg viewBox="0 0 10 10"><path d="M0 0 X 5"/></svg>`), "", `bad logo: SVG <path> d: unknown command 'X'`},
		{"fail/svg-bad-colour", []byte(`<svg viewBox="0 0 10 10"><rect width="5" height="5" fill="hsl(0,1,1)"/></svg>`), "", `bad logo: SVG fill "hsl(0,1,1)": use a plain colour`},
		{"fail/svg-not-xml", []byte(`<svg viewBox="0 0 10 10"><rect></svg>`), "", "bad logo: SVG is not well-formed XML"},
		{"fail/svg-pi", []byte(`<svg viewBox="0 0 10 10"><?php echo 1 ?></svg>`), "", "SVG processing instruction <?php?> is not allowed"},
		{"fail/svg-deep", []byte(`<svg viewBox="0 0 10 10">` + strings.Repeat("<g>", 40) + strings.Repeat("</g>", 40) + `</svg>`), "", "SVG nested more than 32 elements deep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Sanitize(tc.data)
			if tc.want != "" {
				if err == nil || !errors.Is(err, ErrLogo) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Sanitize() error = %v, want ErrLogo containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Sanitize() = %v", err)
			}
			l, err := Decode(out)
			if err != nil {
				t.Fatalf("Decode(Sanitize()) = %v", err)
			}
			if l.Kind != tc.kind {
				t.Errorf("kind = %s, want %s", l.Kind, tc.kind)
			}
			if l.W > StoredSide && l.Kind != SVG || l.W <= 0 || l.H <= 0 {
				t.Errorf("stored size %v x %v", l.W, l.H)
			}
			for _, leak := range []string{"GPS", "Exif", "inkscape", "Aurora", "made by hand"} {
				if bytes.Contains(out, []byte(leak)) {
					t.Errorf("stored logo still holds %q", leak)
				}
			}
			again, err := Sanitize(out)
			if err != nil {
				t.Fatalf("Sanitize(stored) = %v", err)
			}
			if l.Kind == SVG && !bytes.Equal(again, out) {
				t.Errorf("Sanitize is not stable on its own SVG:\n%s\n%s", out, again)
			}
		})
	}
}

func TestSVGShapes(t *testing.T) {
	out, err := Sanitize([]byte(goodSVG))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if l.W != 200 || l.H != 100 || len(l.Shapes) != 5 {
		t.Fatalf("got %v x %v, %d shapes; want 200 x 100, 5:\n%s", l.W, l.H, len(l.Shapes), out)
	}
	// The rect moved by the group's translate; the circle took its style.
	if p := l.Shapes[0].Segs[0].P[0]; p != (Pt{10, 10}) {
		t.Errorf("rect starts at %v, want (10, 10)", p)
	}
	c := l.Shapes[1]
	if *c.Fill != (RGB{0, 0x33, 0x66}) || c.Stroke == nil || c.StrokeWidth != 2 {
		t.Errorf("circle: fill %v stroke %v width %v", c.Fill, c.Stroke, c.StrokeWidth)
	}
	if !l.Shapes[2].EvenOdd {
		t.Errorf("path lost its fill-rule")
	}
	for _, s := range l.Shapes {
		for _, sg := range s.Segs {
			if !strings.ContainsRune("MLCZ", rune(sg.Op)) {
				t.Errorf("segment %c left in the stored form", sg.Op)
			}
		}
	}
}

func TestArcEndsWhereAsked(t *testing.T) {
	segs := arc(Pt{0, 0}, Pt{20, 0}, 10, 10, 0, false, true)
	if len(segs) != 2 {
		t.Fatalf("half circle in %d curves, want 2", len(segs))
	}
	mid := segs[0].P[2]
	if d := mid.X - 10; d*d > 1e-9 || (mid.Y+10)*(mid.Y+10) > 1e-9 {
		t.Errorf("half circle passes through %v, want (10, -10)", mid)
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add(pngOf(f, 16, 8, true))
	f.Add(jpegOf(f, 16, 8))
	f.Add(pngBomb(60000, 60000))
	f.Add([]byte(goodSVG))
	f.Add([]byte(`<svg viewBox="0 0 10 10"><path d="M0 0a5 5 0 1 1 1e3 -1e-3Z"/></svg>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Sanitize(data)
		if err != nil {
			if !errors.Is(err, ErrLogo) {
				t.Fatalf("error %v does not wrap ErrLogo", err)
			}
			return
		}
		if len(out) > MaxStored {
			t.Fatalf("stored %d bytes", len(out))
		}
		l, err := Decode(out)
		if err != nil {
			t.Fatalf("Decode(Sanitize()) = %v", err)
		}
		if l.W <= 0 || l.H <= 0 {
			t.Fatalf("size %v x %v", l.W, l.H)
		}
	})
}
