// Package zpl prints passes on Zebra thermal label printers: each pass is
// one label, drawn here as a 1-bit bitmap at the printer's resolution and
// sent as one ZPL II graphic field (^GF) compressed as Z64.
//
// # Why a bitmap and not the printer's fonts and ^BQ
//
// The printer's own fonts cover few scripts, and its ^BQ QR encoder
// chooses its own version and mask: the test could not check what the
// printer draws. A bitmap made here holds the holder's name in every
// script the PDF path prints (shaped by [typeset], rasterised from the
// glyph outlines) and a QR code whose every module is a whole number of
// dots (no resampling: a module is never a blur of two). The tests parse
// the ^GF field back into the bitmap and decode its QR with zbarimg, so
// what is checked is byte for byte what the printer receives.
//
// # Labels
//
// The template's label size and its front boxes place the elements: the
// pass type in white on a black band, the event, the name, the org, the
// zones, the validity, the QR code and the serial. Artwork, photos and
// logos are not printed (a thermal head prints black dots only; a
// dithered photo is no help to door staff). Labels wider than a 4-inch
// print head (104 mm) are refused: the A6 badge needs the PDF.
//
// Resolutions are the printers': 203 dpi is 8 dots/mm, 300 dpi 12
// dots/mm (Zebra's own figures, and what ^MU assumes).
package zpl

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	ot "github.com/go-text/typesetting/font/opentype"
	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/vector"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render/typeset"
	"github.com/laminate/laminate/templates"
)

// Item is one pass to print.
type Item struct {
	Pass  pass.Pass
	Token string
	Event *pass.Event
}

// Options say how to print.
type Options struct {
	Template *templates.Template
	DPI      int              // 203 or 300
	Fonts    *typeset.Library // nil: typeset.Default()
}

// MaxWidthMM is the widest label a 4-inch print head prints (832 dots at
// 203 dpi, 1248 at 300).
const MaxWidthMM = 104

// Errors a caller can tell apart.
var (
	ErrDPI            = errors.New("zpl: resolution must be 203 or 300 dpi")
	ErrTooWide        = errors.New("zpl: label wider than a 4-inch print head")
	ErrModuleTooSmall = errors.New("zpl: QR modules too small for this template")
	ErrNameTooLong    = errors.New("zpl: name too long for the template")
)

// DotsPerMM is the printer's resolution in dots per millimetre.
func DotsPerMM(dpi int) (int, error) {
	switch dpi {
	case 203:
		return 8, nil
	case 300:
		return 12, nil
	}
	return 0, fmt.Errorf("%w, not %d", ErrDPI, dpi)
}

// Supported reports whether template t prints on a thermal printer, and
// why not.
func Supported(t *templates.Template) error {
	if t.Label.W > MaxWidthMM {
		return fmt.Errorf("%w: template %s is %g mm wide, a 4-inch printer prints at most %d mm; print its PDF instead", ErrTooWide, t.Name, t.Label.W, MaxWidthMM)
	}
	return nil
}

// Bitmap is a 1-bit image, rows of Stride bytes, the most significant bit
// first, 1 for a black dot: the layout of a ZPL graphic field.
type Bitmap struct {
	W, H, Stride int
	Bits         []byte
}

func newBitmap(w, h int) *Bitmap {
	s := (w + 7) / 8
	return &Bitmap{W: w, H: h, Stride: s, Bits: make([]byte, s*h)}
}

// Black reports whether dot (x, y) is black.
func (b *Bitmap) Black(x, y int) bool {
	return b.Bits[y*b.Stride+x/8]&(0x80>>(x%8)) != 0
}

func (b *Bitmap) set(x, y int, black bool) {
	if x < 0 || y < 0 || x >= b.W || y >= b.H {
		return
	}
	m := byte(0x80 >> (x % 8))
	if black {
		b.Bits[y*b.Stride+x/8] |= m
	} else {
		b.Bits[y*b.Stride+x/8] &^= m
	}
}

func (b *Bitmap) fill(x0, y0, x1, y1 int, black bool) {
	for y := max(y0, 0); y < min(y1, b.H); y++ {
		for x := max(x0, 0); x < min(x1, b.W); x++ {
			b.set(x, y, black)
		}
	}
}

// Image is the bitmap as a grey image (black on white), to look at or
// to decode.
func (b *Bitmap) Image() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, b.W, b.H))
	for y := 0; y < b.H; y++ {
		for x := 0; x < b.W; x++ {
			if !b.Black(x, y) {
				img.Pix[y*img.Stride+x] = 0xff
			}
		}
	}
	return img
}

// label is one label being drawn.
type label struct {
	bm   *Bitmap
	dpmm float64
	lib  *typeset.Library
	t    *templates.Template
}

// box is b in dots, rounded inwards.
func (l *label) box(b *templates.Box) (x0, y0, x1, y1 int) {
	return int(math.Ceil(b.X * l.dpmm)), int(math.Ceil(b.Y * l.dpmm)),
		int(math.Floor((b.X + b.W) * l.dpmm)), int(math.Floor((b.Y + b.H) * l.dpmm))
}

// Label draws one pass as a bitmap of the template's label size.
func Label(it Item, opt Options) (*Bitmap, error) {
	t := opt.Template
	if t == nil {
		return nil, errors.New("zpl: no template")
	}
	if err := Supported(t); err != nil {
		return nil, err
	}
	d, err := DotsPerMM(opt.DPI)
	if err != nil {
		return nil, err
	}
	if it.Event == nil {
		return nil, errors.New("zpl: pass has no event")
	}
	lib := opt.Fonts
	if lib == nil {
		lib = typeset.Default()
	}
	l := &label{dpmm: float64(d), lib: lib, t: t,
		bm: newBitmap(int(math.Round(t.Label.W*float64(d))), int(math.Round(t.Label.H*float64(d))))}
	f := &t.Front
	if f.QR == nil {
		return nil, fmt.Errorf("zpl: template %s has no QR box", t.Name)
	}
	if err := l.qr(f.QR, it.Token); err != nil {
		return nil, err
	}
	round := t.Label.Shape == "round"
	align := "L"
	if round {
		align = "C"
	}
	if f.Band != nil {
		x0, y0, x1, y1 := l.box(f.Band)
		l.bm.fill(x0, y0, x1, y1, true)
		if err := l.text(f.Band, it.Pass.Type.Label(), typeset.Spec{Style: typeset.Bold, MaxPt: 24}, "C", false); err != nil {
			return nil, fmt.Errorf("pass type %w", err)
		}
	}
	if f.Event != nil {
		if err := l.event(f.Event, it.Event, align); err != nil {
			return nil, err
		}
	}
	if f.Name != nil {
		spec := typeset.Spec{Style: typeset.Bold, MaxPt: 22, MinPt: typeset.CapPt(t.MinNameCap(), typeset.Bold), Lines: 2}
		if err := l.text(f.Name, it.Pass.Name, spec, align, true); err != nil {
			var tl *typeset.TooLongError
			if errors.As(err, &tl) {
				return nil, fmt.Errorf("%w: the name is too long to print readably on template %s: %d characters, at most %d fit at a cap height of %.1f mm",
					ErrNameTooLong, t.Name, tl.Len, tl.Fits, t.MinNameCap())
			}
			return nil, fmt.Errorf("name %w", err)
		}
	}
	if f.Org != nil {
		org := it.Pass.Org
		if it.Pass.Role != "" {
			if org != "" {
				org += " · "
			}
			org += it.Pass.Role
		}
		if err := l.text(f.Org, org, typeset.Spec{MaxPt: 11}, align, true); err != nil {
			return nil, fmt.Errorf("org %w", err)
		}
	}
	if f.Zones != nil {
		if err := l.text(f.Zones, it.Event.ZonesText(it.Pass.Type, it.Pass.Role), typeset.Spec{MaxPt: 7, Lines: 1000, LTR: true}, "L", true); err != nil {
			return nil, fmt.Errorf("zones %w", err)
		}
	}
	if f.Validity != nil {
		if err := l.text(f.Validity, validity(it), typeset.Spec{MaxPt: 7, Lines: 3, LTR: true}, "L", true); err != nil {
			return nil, fmt.Errorf("validity %w", err)
		}
	}
	if f.Serial != nil {
		if err := l.text(f.Serial, it.Pass.Serial.String(), typeset.Spec{Style: typeset.Bold, MaxPt: 14}, "C", true); err != nil {
			return nil, fmt.Errorf("serial %w", err)
		}
	}
	return l.bm, nil
}

// event prints the event's name, and its venue and date below when the
// box has room; a sticker's low arc gets the short name and the date.
func (l *label) event(b *templates.Box, ev *pass.Event, align string) error {
	date := ev.Schedule.ShowStart.In(ev.Location())
	if b.H < 4 {
		short := ev.Name
		if ev.Branding != nil && ev.Branding.Short != "" {
			short = ev.Branding.Short
		}
		return l.text(b, short+" · "+date.Format("2 Jan 2006"), typeset.Spec{Style: typeset.Bold, MaxPt: 8}, "C", true)
	}
	top, bottom := *b, *b
	top.H = b.H * 0.58
	bottom.Y, bottom.H = b.Y+top.H, b.H-top.H
	if err := l.text(&top, ev.Name, typeset.Spec{Style: typeset.Bold, MaxPt: 14}, align, true); err != nil {
		return fmt.Errorf("event name %w", err)
	}
	sub := date.Format("Mon 2 Jan 2006")
	if ev.Venue != "" {
		sub = ev.Venue + " · " + sub
	}
	if err := l.text(&bottom, sub, typeset.Spec{MaxPt: 10}, align, true); err != nil {
		return fmt.Errorf("venue %w", err)
	}
	return nil
}

// validity is when the pass opens and closes, in the event's time zone.
func validity(it Item) string {
	loc := it.Event.Location()
	from := it.Event.Schedule.AccessFrom
	if !it.Pass.ValidFrom.IsZero() {
		from = it.Pass.ValidFrom
	}
	return "Valid " + from.In(loc).Format("2 Jan 15:04") + " – " + it.Pass.ValidUntil.In(loc).Format("2 Jan 15:04 -07:00")
}

// text lays s out in box b (spec's W and H are set from b) and draws it:
// black, or white when black is false (on the band). Empty text draws
// nothing.
func (l *label) text(b *templates.Box, s string, spec typeset.Spec, align string, black bool) error {
	if s == "" {
		return nil
	}
	spec.W, spec.H = b.W, b.H
	blk, err := l.lib.Fit(s, spec)
	if err != nil {
		return err
	}
	l.block(b, blk, align, black)
	return nil
}

// block draws laid-out text as render's PDF does: centred vertically,
// each line left (right for right-to-left text) or centred.
func (l *label) block(b *templates.Box, blk *typeset.Block, align string, black bool) {
	em := blk.EmMM()
	// Rasterise in the box only (a few dots more for overhanging
	// accents): a whole label per text would cost more than the text.
	bx0, by0, bx1, by1 := l.box(b)
	bx0, by0 = max(bx0-4, 0), max(by0-4, 0)
	bx1, by1 = min(bx1+4, l.bm.W), min(by1+4, l.bm.H)
	w, h := bx1-bx0, by1-by0
	if w <= 0 || h <= 0 {
		return
	}
	var z vector.Rasterizer
	z.Reset(w, h)
	drawn := false
	for i, ln := range blk.Lines {
		x, base := blk.Origin(i, b.X, b.Y, b.W, b.H, align == "C")
		for _, run := range ln.Runs {
			scale := em / run.Face.Upem() * l.dpmm // dots per font unit
			for _, g := range run.Glyphs {
				ox, oy := (x+g.X*em)*l.dpmm-float64(bx0), (base-g.Y*em)*l.dpmm-float64(by0)
				pt := func(p ot.SegmentPoint) (float32, float32) {
					return float32(ox + float64(p.X)*scale), float32(oy - float64(p.Y)*scale)
				}
				for _, sg := range run.Face.Outline(g.ID).Segments {
					a := sg.Args
					switch sg.Op {
					case ot.SegmentOpMoveTo:
						z.ClosePath()
						z.MoveTo(pt(a[0]))
					case ot.SegmentOpLineTo:
						z.LineTo(pt(a[0]))
					case ot.SegmentOpQuadTo:
						x1, y1 := pt(a[0])
						x2, y2 := pt(a[1])
						z.QuadTo(x1, y1, x2, y2)
					case ot.SegmentOpCubeTo:
						x1, y1 := pt(a[0])
						x2, y2 := pt(a[1])
						x3, y3 := pt(a[2])
						z.CubeTo(x1, y1, x2, y2, x3, y3)
					}
					drawn = true
				}
				z.ClosePath()
			}
		}
	}
	if !drawn {
		return
	}
	mask := image.NewAlpha(image.Rect(0, 0, w, h))
	z.Draw(mask, mask.Bounds(), image.NewUniform(color.Alpha{A: 0xff}), image.Point{})
	// Half covered is a dot: thermal heads print whole dots.
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if mask.Pix[y*mask.Stride+x] >= 0x80 {
				l.bm.set(bx0+x, by0+y, black)
			}
		}
	}
}

// qrLevels maps a template's qr_level to skip2/go-qrcode's constants,
// whose names mislead: its High is level Q and its Highest is H.
var qrLevels = map[string]qrcode.RecoveryLevel{
	"": qrcode.Medium, "L": qrcode.Low, "M": qrcode.Medium, "Q": qrcode.High, "H": qrcode.Highest,
}

// qr draws token's transport form as large as box b allows with a whole
// number of dots per module, centred, quiet zone included.
func (l *label) qr(b *templates.Box, token string) error {
	content, err := pass.EncodeTransport(token)
	if err != nil {
		return fmt.Errorf("zpl: token cannot be encoded: %w", err)
	}
	rl, ok := qrLevels[l.t.QRLevel]
	if !ok {
		return fmt.Errorf("zpl: QR level %q unknown (want L, M, Q or H)", l.t.QRLevel)
	}
	code, err := qrcode.New(content, rl)
	if err != nil {
		return fmt.Errorf("zpl: QR: %w", err)
	}
	mods := code.Bitmap() // quiet zone included
	n := len(mods)
	x0, y0, x1, y1 := l.box(b)
	side := min(x1-x0, y1-y0)
	per := side / n
	if per < 1 || float64(per)/l.dpmm < l.t.MinModule {
		return fmt.Errorf("%w: template %s at %d dots/mm: %d modules in %d dots give %.3f mm modules, below its %g mm minimum",
			ErrModuleTooSmall, l.t.Name, int(l.dpmm), n, side, float64(per)/l.dpmm, l.t.MinModule)
	}
	ox, oy := x0+(x1-x0-per*n)/2, y0+(y1-y0-per*n)/2
	l.bm.fill(ox, oy, ox+per*n, oy+per*n, false)
	for r, row := range mods {
		for c, dark := range row {
			if dark {
				l.bm.fill(ox+c*per, oy+r*per, ox+(c+1)*per, oy+(r+1)*per, true)
			}
		}
	}
	return nil
}

// Encode writes one label: its size, a comment naming the pass, and the
// bitmap as a ^GF graphic field in Z64 (zlib, then base64, then the
// CRC-16 of the base64 text; ZPL II Programming Guide, "B64 and Z64
// Encoding"). ZPL is ASCII: nothing of the pass but its serial is in it
// as text.
func Encode(w io.Writer, bm *Bitmap, serial pass.Serial, tplName string, dpi int) error {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.DefaultCompression)
	zw.Write(bm.Bits)
	zw.Close()
	data := base64.StdEncoding.EncodeToString(z.Bytes())
	n := strconv.Itoa(len(bm.Bits))
	var b strings.Builder
	b.WriteString("^XA\n^FXLaminate pass " + serial.String() + " " + tplName + " " + strconv.Itoa(dpi) + "dpi^FS\n")
	b.WriteString("^PW" + strconv.Itoa(bm.W) + "\n^LL" + strconv.Itoa(bm.H) + "\n^LH0,0\n")
	b.WriteString("^FO0,0^GFA," + n + "," + n + "," + strconv.Itoa(bm.Stride) + ",:Z64:" + data + ":" + fmt.Sprintf("%04X", CRC16([]byte(data))) + "^FS\n")
	b.WriteString("^PQ1\n^XZ\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// CRC16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0, no
// reflection), the CRC of a Z64 field.
func CRC16(p []byte) uint16 {
	var crc uint16
	for _, c := range p {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// Write draws every item and writes their labels, one ^XA…^XZ format
// each. Nothing is written when any pass cannot be drawn.
func Write(w io.Writer, items []Item, opt Options) error {
	if len(items) == 0 {
		return errors.New("zpl: no passes to print")
	}
	var buf bytes.Buffer
	for i := range items {
		bm, err := Label(items[i], opt)
		if err != nil {
			return fmt.Errorf("pass %s: %w", items[i].Pass.Serial, err)
		}
		if err := Encode(&buf, bm, items[i].Pass.Serial, opt.Template.Name, opt.DPI); err != nil {
			return err
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}
