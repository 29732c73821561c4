// Package photo prepares holder photos for passes: it decodes an untrusted
// image with byte and pixel caps, crops it to the pass photo's aspect,
// scales it down and encodes it again as a JPEG, which is what Laminate
// stores, prints and shows at the door.
//
// # Security model
//
// An uploaded photo is hostile until proven otherwise. [Process] refuses
// more than [MaxBytes] before decoding, reads the declared dimensions
// (image.DecodeConfig) and refuses more than [MaxPixels] or a side longer
// than [MaxSide] before a pixel is allocated, so a small file declaring
// 50000x50000 pixels costs nothing. At most one decode per CPU runs at a
// time, which bounds the memory a burst of uploads can take. Only JPEG and
// PNG are read.
//
// The stored JPEG is encoded from pixels alone: no EXIF, GPS, XMP, ICC
// profile or comment of the upload survives. Its SHA-256 (the first 8
// bytes, [pass.PhotoHash]) is signed into the pass, so a photo swapped in
// the database no longer matches the printed pass.
package photo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"

	xdraw "golang.org/x/image/draw"

	"github.com/laminate/laminate/internal/decodemem"
	"github.com/laminate/laminate/pass"
)

// Limits on an uploaded photo and the shape of a stored one.
const (
	// MaxBytes caps the file given at issue: a phone photo is 2 to 8 MB.
	MaxBytes = 10 << 20
	// MaxPixels caps the declared width times height (a 40-megapixel
	// camera), checked before decoding.
	MaxPixels = 40_000_000
	// MaxSide caps either declared side.
	MaxSide = 12_000

	// AspectW:AspectH is the shape of every stored photo, portrait like an
	// ID photo; templates' photo boxes have the same shape.
	AspectW, AspectH = pass.PhotoAspectW, pass.PhotoAspectH
	// Width and Height of a stored photo at most: 300 dpi in a 25x34 mm
	// box, more in the smaller boxes of badges; a camera photo comes out
	// at 20 to 45 KB, which the PDF embeds as it is.
	Width, Height = 300, 400
	// MinWidth and MinHeight are the smallest crop accepted: below that a
	// face is not recognisable at the door.
	MinWidth, MinHeight = 75, 100

	// Quality of the stored JPEG.
	Quality = 80
)

// Errors of [Process]; test with [errors.Is]. Their messages name the
// problem and what to do about it.
var (
	ErrTooLarge = errors.New("photo too large")
	ErrNotImage = errors.New("not a JPEG or PNG image")
	ErrTooSmall = errors.New("photo too small")
)

// Process turns an uploaded image (JPEG or PNG) into the photo Laminate
// stores: turned upright as its EXIF orientation says, cropped to AspectW:AspectH (centred across, a third of the way
// down, where a face usually is), scaled down to at most Width x Height,
// transparency flattened on white, encoded as a baseline JPEG with nothing
// but pixels.
func Process(data []byte) ([]byte, error) {
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d MiB; export a smaller JPEG", ErrTooLarge, len(data), MaxBytes>>20)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w (%v); save it as JPEG or PNG", ErrNotImage, err)
	}
	w, h := cfg.Width, cfg.Height
	if w <= 0 || h <= 0 || w > MaxSide || h > MaxSide || w*h > MaxPixels {
		return nil, fmt.Errorf("%w: %dx%d pixels, at most %d megapixels and %d a side; scale it down", ErrTooLarge, w, h, MaxPixels/1_000_000, MaxSide)
	}
	o := 1
	if format == "jpeg" {
		o = orientation(data)
	}
	uw, uh := upright(w, h, o)
	crop := cropRect(uw, uh)
	if crop.Dx() < MinWidth || crop.Dy() < MinHeight {
		return nil, fmt.Errorf("%w: %dx%d pixels, at least %dx%d after cropping to %d:%d portrait", ErrTooSmall, w, h, MinWidth, MinHeight, AspectW, AspectH)
	}

	// Charged by its declared pixels against the budget every image
	// decode of the process shares (logos too), before it is decoded.
	release, err := decodemem.Acquire(context.Background(), w, h)
	if err != nil {
		return nil, err
	}
	defer release()
	var img image.Image
	switch format {
	case "jpeg":
		img, err = jpeg.Decode(bytes.NewReader(data))
	case "png":
		img, err = png.Decode(bytes.NewReader(data))
	default:
		return nil, fmt.Errorf("%w (it is %s); save it as JPEG or PNG", ErrNotImage, format)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (%v); save it again as JPEG or PNG", ErrNotImage, err)
	}
	if img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		return nil, fmt.Errorf("%w: its header says %dx%d, its pixels %v", ErrNotImage, w, h, img.Bounds().Size())
	}
	ow, oh := crop.Dx(), crop.Dy()
	if ow > Width {
		ow, oh = Width, Height
	}
	// Crop and scale the stored pixels, then turn the small result upright.
	src := sourceRect(crop, w, h, o).Add(img.Bounds().Min)
	sw, sh := upright(ow, oh, o) // the same turn undoes itself in size
	out := image.NewRGBA(image.Rect(0, 0, sw, sh))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	// Over, not Src: transparent pixels land on white, not black.
	xdraw.CatmullRom.Scale(out, out.Bounds(), img, src, xdraw.Over, nil)
	out = turn(out, o)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: Quality}); err != nil {
		return nil, fmt.Errorf("photo: %w", err)
	}
	return buf.Bytes(), nil
}

// cropRect is the largest rectangle of exactly AspectW:AspectH in a w x h image,
// centred across and a third of the way down.
func cropRect(w, h int) image.Rectangle {
	k := min(w/AspectW, h/AspectH)
	cw, ch := k*AspectW, k*AspectH
	x0, y0 := (w-cw)/2, (h-ch)/3
	return image.Rect(x0, y0, x0+cw, y0+ch)
}
