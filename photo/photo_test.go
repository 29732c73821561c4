package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"testing"
)

// gradient is a w x h test picture with a colour that changes across it.
func gradient(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w { // Pix, not Set: Set is slow under -race
			copy(img.Pix[img.PixOffset(x, y):], []uint8{uint8(x * 255 / w), uint8(y * 255 / h), 120, 255})
		}
	}
	return img
}

func encJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngHeader is the start of a PNG declaring w x h pixels (IHDR only, with
// a valid CRC, then a truncated IDAT): what a decompression bomb looks
// like to DecodeConfig.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c})
	return b.Bytes()
}

// withGPS puts an APP1 Exif segment with a GPS block (N 51°30', W 0°7',
// "GPS TEST") right after the SOI marker of a JPEG.
func withGPS(j []byte) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a\x00\x00\x00\x08")
	// IFD0: one entry, GPSInfo (0x8825) pointing at the GPS IFD at 26.
	tiff.Write([]byte{0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0})
	// GPS IFD: GPSLatitudeRef "N", GPSLongitudeRef "W", GPSProcessingMethod.
	tiff.Write([]byte{0, 3,
		0, 1, 0, 2, 0, 0, 0, 2, 'N', 0, 0, 0,
		0, 3, 0, 2, 0, 0, 0, 2, 'W', 0, 0, 0,
		0, 0x1b, 0, 7, 0, 0, 0, 8, 0, 0, 0, 68,
		0, 0, 0, 0})
	tiff.WriteString("GPS TEST")
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	app1 := []byte{0xff, 0xe1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	out := append([]byte{}, j[:2]...)
	out = append(out, app1...)
	out = append(out, seg...)
	return append(out, j[2:]...)
}

func TestProcess(t *testing.T) {
	cmyk, err := os.ReadFile("testdata/cmyk.jpeg") // Go's image/testdata/video-001.cmyk.jpeg
	if err != nil {
		t.Fatal(err)
	}
	alpha := image.NewNRGBA(image.Rect(0, 0, 300, 400)) // transparent, a red square in the middle
	for y := 150; y < 250; y++ {
		for x := 100; x < 200; x++ {
			alpha.Set(x, y, color.NRGBA{255, 0, 0, 255})
		}
	}
	tests := []struct {
		name   string
		in     []byte
		err    error
		w, h   int
		corner color.RGBA // expected colour near the top-left corner, when set
	}{
		{name: "ok/portrait-jpeg", in: encJPEG(t, gradient(300, 400)), w: 300, h: 400},
		{name: "ok/landscape-cropped", in: encJPEG(t, gradient(800, 400)), w: 300, h: 400},
		{name: "ok/large-downscaled", in: encJPEG(t, gradient(1200, 1600)), w: Width, h: Height},
		{name: "ok/tall-cropped", in: encPNG(t, gradient(300, 1000)), w: 300, h: 400},
		{name: "ok/cmyk-jpeg", in: cmyk, w: 75, h: 100},
		{name: "ok/png-alpha-on-white", in: encPNG(t, alpha), w: 300, h: 400, corner: color.RGBA{255, 255, 255, 255}},
		{name: "ok/gps-exif-jpeg", in: withGPS(encJPEG(t, gradient(300, 400))), w: 300, h: 400},
		{name: "bad/too-many-bytes", in: make([]byte, MaxBytes+1), err: ErrTooLarge},
		{name: "bad/declared-50000x50000-png", in: pngHeader(50000, 50000), err: ErrTooLarge},
		{name: "bad/declared-13000x10-png", in: pngHeader(13000, 10), err: ErrTooLarge},
		{name: "bad/not-an-image", in: []byte("name,type\nAna,VIP\n"), err: ErrNotImage},
		{name: "bad/empty", in: nil, err: ErrNotImage},
		{name: "bad/gif", in: []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), err: ErrNotImage},
		{name: "bad/truncated-jpeg", in: encJPEG(t, gradient(300, 400))[:400], err: ErrNotImage},
		{name: "bad/tiny", in: encPNG(t, gradient(40, 40)), err: ErrTooSmall},
		{name: "bad/thin", in: encPNG(t, gradient(1000, 90)), err: ErrTooSmall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Process(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Process() error = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Process() error = %v", err)
			}
			img, format, err := image.Decode(bytes.NewReader(out))
			if err != nil || format != "jpeg" {
				t.Fatalf("stored photo: %v (format %q), want a JPEG", err, format)
			}
			if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Fatalf("stored photo is %v, want %dx%d", b.Size(), tt.w, tt.h)
			}
			if b := img.Bounds(); b.Dx()*AspectH != b.Dy()*AspectW {
				t.Fatalf("stored photo is %v, not %d:%d", b.Size(), AspectW, AspectH)
			}
			if tt.corner != (color.RGBA{}) {
				r, g, b, _ := img.At(5, 5).RGBA()
				if d := absDiff(r>>8, uint32(tt.corner.R)) + absDiff(g>>8, uint32(tt.corner.G)) + absDiff(b>>8, uint32(tt.corner.B)); d > 12 {
					t.Fatalf("corner colour %d,%d,%d, want about %v", r>>8, g>>8, b>>8, tt.corner)
				}
			}
			assertPixelsOnly(t, out)
		})
	}
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// assertPixelsOnly checks that a stored JPEG holds no metadata: the
// segments before its image data are only tables and the frame header (no
// APPn such as Exif, XMP or ICC, no comment).
func assertPixelsOnly(t *testing.T, j []byte) {
	t.Helper()
	if len(j) < 4 || j[0] != 0xff || j[1] != 0xd8 {
		t.Fatal("stored photo does not start with SOI")
	}
	for i := 2; ; {
		if i+4 > len(j) || j[i] != 0xff {
			t.Fatalf("stored photo: bad segment at %d", i)
		}
		m := j[i+1]
		switch {
		case m == 0xda: // SOS: pixels follow
			return
		case m == 0xdb, m == 0xc4, m == 0xc0, m == 0xdd: // DQT, DHT, SOF0, DRI
		default:
			t.Fatalf("stored photo has segment FF%02X before its pixels: metadata survived", m)
		}
		i += 2 + int(j[i+2])<<8 + int(j[i+3])
	}
}

// TestProcessStripsGPS is the proof that a photo's GPS position is not
// stored: the upload has an Exif block with a GPS IFD, the stored bytes
// have none.
func TestProcessStripsGPS(t *testing.T) {
	in := withGPS(encJPEG(t, gradient(600, 800)))
	if !bytes.Contains(in, []byte("Exif\x00\x00")) || !bytes.Contains(in, []byte{0x88, 0x25}) || !bytes.Contains(in, []byte("GPS TEST")) {
		t.Fatal("test input has no Exif GPS block")
	}
	if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
		t.Fatalf("test input is not a JPEG: %v", err)
	}
	out, err := Process(in)
	if err != nil {
		t.Fatal(err)
	}
	assertPixelsOnly(t, out)
	for _, bad := range []string{"Exif", "MM\x00\x2a", "GPS TEST"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Fatalf("stored photo contains %q", bad)
		}
	}
}

func FuzzProcess(f *testing.F) {
	f.Add(encJPEG(f, gradient(90, 120)))
	f.Add(encPNG(f, gradient(90, 120)))
	f.Add(pngHeader(50000, 50000))
	f.Add(withGPS(encJPEG(f, gradient(80, 100))))
	f.Add(withOrientation(encJPEG(f, gradient(120, 90)), 6))
	if b, err := os.ReadFile("testdata/cmyk.jpeg"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Process(in)
		if err != nil {
			return
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(out))
		if err != nil || format != "jpeg" {
			t.Fatalf("Process accepted input but stored %q: %v", format, err)
		}
		if cfg.Width > Width || cfg.Height > Height || cfg.Width*AspectH != cfg.Height*AspectW || cfg.Width < MinWidth {
			t.Fatalf("stored photo is %dx%d", cfg.Width, cfg.Height)
		}
		assertPixelsOnly(t, out)
	})
}

// withOrientation puts an Exif block saying orientation o after the SOI of
// a JPEG.
func withOrientation(j []byte, o uint16) []byte {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	tiff = append(tiff, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(o>>8), byte(o), 0, 0, 0, 0, 0, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{}, j[:2]...)
	out = append(out, 0xff, 0xe1, byte((len(seg)+2)>>8), byte(len(seg)+2))
	out = append(out, seg...)
	return append(out, j[2:]...)
}

// TestProcessOrientation: a phone photo stored sideways with an EXIF
// orientation comes out upright. Each case puts a red block where the
// orientation moves it to the top centre (or, mirrored, the top right).
func TestProcessOrientation(t *testing.T) {
	tests := []struct {
		name          string
		o             uint16
		w, h          int
		block         image.Rectangle // red, in the stored pixels
		redAt, greyAt image.Point     // in the 300x400 result
	}{
		{"1/as-stored", 1, 600, 800, image.Rect(250, 0, 350, 100), image.Pt(150, 20), image.Pt(150, 380)},
		{"2/mirrored", 2, 600, 800, image.Rect(0, 0, 100, 100), image.Pt(280, 20), image.Pt(20, 20)},
		{"3/upside-down", 3, 600, 800, image.Rect(250, 700, 350, 800), image.Pt(150, 20), image.Pt(150, 380)},
		{"6/turned-right", 6, 800, 600, image.Rect(0, 250, 100, 350), image.Pt(150, 20), image.Pt(150, 380)},
		{"8/turned-left", 8, 800, 600, image.Rect(700, 250, 800, 350), image.Pt(150, 20), image.Pt(150, 380)},
		{"4/flipped", 4, 600, 800, image.Rect(250, 700, 350, 800), image.Pt(150, 20), image.Pt(150, 380)},
		{"5/transposed", 5, 800, 600, image.Rect(0, 250, 100, 350), image.Pt(150, 20), image.Pt(150, 380)},
		{"7/transversed", 7, 800, 600, image.Rect(700, 250, 800, 350), image.Pt(150, 20), image.Pt(150, 380)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := image.NewRGBA(image.Rect(0, 0, tt.w, tt.h))
			draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{128, 128, 128, 255}), image.Point{}, draw.Src)
			draw.Draw(img, tt.block, image.NewUniform(color.RGBA{220, 0, 0, 255}), image.Point{}, draw.Src)
			out, err := Process(withOrientation(encJPEG(t, img), tt.o))
			if err != nil {
				t.Fatal(err)
			}
			got, err := jpeg.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if b := got.Bounds(); b.Dx() != 300 || b.Dy() != 400 {
				t.Fatalf("result is %v, want 300x400", b.Size())
			}
			red := func(p image.Point) bool { r, g, _, _ := got.At(p.X, p.Y).RGBA(); return r>>8 > 180 && g>>8 < 60 }
			if !red(tt.redAt) || red(tt.greyAt) {
				t.Fatalf("red at %v: %v, at %v: %v; want it at %v only (not upright)", tt.redAt, red(tt.redAt), tt.greyAt, red(tt.greyAt), tt.redAt)
			}
			assertPixelsOnly(t, out)
		})
	}
}
