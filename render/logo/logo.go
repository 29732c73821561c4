// Package logo turns a logo file that a user gives (PNG, JPEG or SVG) into
// the bytes Laminate stores and prints, and reads those bytes back for
// render.
//
// # Security model
//
// A logo comes from whoever may brand an event, and is printed by every
// node, so it is treated as hostile:
//
//   - Size caps come first: [MaxInput] bytes, and for rasters the declared
//     dimensions are read from the header ([image.DecodeConfig]) and
//     refused above [MaxSide] pixels a side or [MaxArea] pixels before any
//     pixel is decoded, so a small file declaring 60,000 x 60,000 pixels (a
//     decompression bomb) costs nothing. A decode within the caps is then
//     charged by its declared pixels against the memory budget that every
//     image decode of the process shares (internal/decodemem, with the
//     holder photos), so many uploads at once wait rather than take the
//     memory of a node.
//   - Rasters are decoded to pixels, scaled to at most [StoredSide] pixels
//     on the long side, and encoded again (PNG when the image has
//     transparency, else JPEG): EXIF, GPS, ICC profiles, text chunks and
//     anything appended to the file are gone, because only pixels survive.
//   - SVG is never passed on as given, and never rasterised by a library
//     that might fetch or run something. It is parsed (encoding/xml, no
//     DTD, no entities) into shapes from a small allow-list (svg, g, path,
//     rect, circle, ellipse, line, polyline, polygon; fill, stroke,
//     stroke-width, fill-rule, transform, viewBox), and anything else that
//     could run or fetch something (script, style, foreignObject, image,
//     use, any href, any on* handler, any url(...)) is refused with a
//     message naming it. What is stored is Laminate's own SVG, written from
//     the parsed shapes: absolute paths of lines and cubic curves with
//     plain colours. render draws it as vector paths (gofpdf), so a logo
//     stays sharp at any size.
//
// [Decode] reads stored bytes with the same caps and parser, so bytes that
// did not come from [Sanitize] (an edited database) are refused, not
// trusted.
package logo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	xdraw "golang.org/x/image/draw"

	"github.com/laminate/laminate/internal/decodemem"
)

// Caps on what a logo may be.
const (
	// MaxInput caps the file a user gives.
	MaxInput = 1 << 20
	// MaxSide and MaxArea cap a raster's declared dimensions.
	MaxSide = 8192
	MaxArea = 16 << 20
	// StoredSide is the long side, in pixels, of a stored raster: 600 px
	// over a 24 mm logo box is 635 dpi, more than any badge printer.
	StoredSide = 600
	// MaxStored caps the stored form (pass.MaxLogoBytes is the same).
	MaxStored = 256 << 10
)

// ErrLogo is wrapped by every error about a logo's content.
var ErrLogo = errors.New("bad logo")

// Kind is a stored logo's format.
type Kind string

// The stored formats.
const (
	PNG  Kind = "png"
	JPEG Kind = "jpeg"
	SVG  Kind = "svg"
)

// Logo is a logo read back from its stored bytes.
type Logo struct {
	Kind Kind
	// Data is the stored bytes: for PNG and JPEG, what to embed in a PDF.
	Data []byte
	// W and H are the logo's size in pixels (rasters) or viewBox units
	// (SVG): render keeps this aspect.
	W, H float64
	// Shapes are an SVG logo's shapes, in viewBox coordinates with y down
	// and the viewBox's origin at (0, 0).
	Shapes []Shape
}

func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrLogo, fmt.Sprintf(format, args...))
}

// Sanitize checks a logo file and returns the bytes to store (see the
// package documentation). Errors wrap [ErrLogo] and say what to do.
func Sanitize(data []byte) ([]byte, error) { return SanitizeContext(context.Background(), data) }

// SanitizeContext is [Sanitize] that stops waiting for the shared decode
// budget when ctx ends (a request gone), with an error wrapping
// decodemem.ErrBusy.
func SanitizeContext(ctx context.Context, data []byte) ([]byte, error) {
	if len(data) > MaxInput {
		return nil, errorf("%d KiB, more than %d KiB: export a smaller file (a logo needs at most %d pixels across)",
			(len(data)+1023)>>10, MaxInput>>10, StoredSide)
	}
	switch sniff(data) {
	case PNG, JPEG:
		img, err := decodeRaster(ctx, data)
		if err != nil {
			return nil, err
		}
		return encodeRaster(img)
	case SVG:
		s, err := parseSVG(data)
		if err != nil {
			return nil, err
		}
		out := s.encode()
		if len(out) > MaxStored {
			return nil, errorf("SVG of %d KiB once its shapes are written out, more than %d KiB: simplify its paths, or export a PNG", len(out)>>10, MaxStored>>10)
		}
		return out, nil
	}
	return nil, errorf("not a PNG, JPEG or SVG file: export the logo in one of these formats")
}

// Decode reads a stored logo back, with the caps and checks of [Sanitize].
func Decode(stored []byte) (*Logo, error) {
	if len(stored) > MaxStored {
		return nil, errorf("stored logo of %d KiB, more than %d KiB", len(stored)>>10, MaxStored>>10)
	}
	switch k := sniff(stored); k {
	case PNG, JPEG:
		cfg, err := rasterConfig(stored)
		if err != nil {
			return nil, err
		}
		if cfg.Width > StoredSide || cfg.Height > StoredSide {
			return nil, errorf("stored logo of %d x %d pixels was not written by Laminate: set it again", cfg.Width, cfg.Height)
		}
		return &Logo{Kind: k, Data: stored, W: float64(cfg.Width), H: float64(cfg.Height)}, nil
	case SVG:
		s, err := parseSVG(stored)
		if err != nil {
			return nil, err
		}
		return &Logo{Kind: SVG, Data: stored, W: s.w, H: s.h, Shapes: s.shapes}, nil
	}
	return nil, errorf("stored logo is not a PNG, JPEG or SVG")
}

// sniff names the format from the first bytes; "" if none.
func sniff(data []byte) Kind {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return JPEG
	}
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	t = bytes.TrimPrefix(t, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(t, []byte("<?xml")) || bytes.HasPrefix(t, []byte("<svg")) || bytes.HasPrefix(t, []byte("<!--")) || bytes.HasPrefix(t, []byte("<!DOCTYPE")) {
		return SVG
	}
	return ""
}

func rasterConfig(data []byte) (image.Config, error) {
	var cfg image.Config
	var err error
	if sniff(data) == PNG {
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	} else {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		return cfg, errorf("cannot read the image header (%v): export the logo again", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, errorf("image of %d x %d pixels", cfg.Width, cfg.Height)
	}
	return cfg, nil
}

// decodeRaster decodes a PNG or JPEG after checking its declared size, and
// scales it down (scale) while its decode is still charged to the budget.
func decodeRaster(ctx context.Context, data []byte) (*image.NRGBA, error) {
	cfg, err := rasterConfig(data)
	if err != nil {
		return nil, err
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide || cfg.Width*cfg.Height > MaxArea {
		return nil, errorf("image declares %d x %d pixels, more than %d a side or %d megapixels: export it at most %d pixels across",
			cfg.Width, cfg.Height, MaxSide, MaxArea>>20, StoredSide)
	}
	release, err := decodemem.Acquire(ctx, cfg.Width, cfg.Height)
	if err != nil {
		return nil, err
	}
	defer release()
	var img image.Image
	if sniff(data) == PNG {
		img, err = png.Decode(bytes.NewReader(data))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, errorf("cannot decode the image (%v): export the logo again", err)
	}
	return scale(img), nil
}

// scale fits img in StoredSide x StoredSide, as NRGBA.
func scale(img image.Image) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if f := float64(StoredSide) / float64(max(w, h)); f < 1 {
		w, h = max(1, int(float64(w)*f+0.5)), max(1, int(float64(h)*f+0.5))
	}
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w == b.Dx() && h == b.Dy() {
		xdraw.Draw(out, out.Bounds(), img, b.Min, xdraw.Src)
	} else {
		xdraw.CatmullRom.Scale(out, out.Bounds(), img, b, xdraw.Src, nil)
	}
	return out
}

// encodeRaster writes PNG when any pixel is not opaque, else JPEG.
func encodeRaster(img *image.NRGBA) ([]byte, error) {
	opaque := true
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 0xff {
			opaque = false
			break
		}
	}
	var buf bytes.Buffer
	if opaque {
		rgb := image.NewRGBA(img.Bounds())
		xdraw.Draw(rgb, rgb.Bounds(), img, image.Point{}, xdraw.Src)
		if err := jpeg.Encode(&buf, rgb, &jpeg.Options{Quality: 92}); err != nil {
			return nil, err
		}
	} else {
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, img); err != nil {
			return nil, err
		}
	}
	if buf.Len() > MaxStored {
		return nil, errorf("re-encoded at %d pixels across it is %d KiB, more than %d KiB: use a logo with fewer colours or details",
			StoredSide, buf.Len()>>10, MaxStored>>10)
	}
	return buf.Bytes(), nil
}

// RGB is a colour of an SVG shape.
type RGB struct{ R, G, B uint8 }
