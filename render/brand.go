package render

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/jung-kurt/gofpdf"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render/logo"
	"github.com/laminate/laminate/templates"
)

// Panels and marks (issue 12): text sits on a clear panel over the
// artwork; the artwork shows around the panels and, faintly, through them.
const (
	panelPad   = 0.8  // mm around a text box
	panelAlpha = 0.88 // white over the artwork: lines behind at 12% of their contrast
	panelR     = 1.0  // mm, panel corner radius
	edgeLine   = 0.1  // mm, the card-edge hairline
	accentH    = 0.9  // mm, the accent rule under the band
)

// brandLogo is an event's logo, decoded once per document.
type brandLogo struct {
	l    *logo.Logo
	name string // gofpdf image name (rasters)
}

// logoFor decodes and registers the logo of b once per document; nil when
// the event has none.
func (d *drawer) logoFor(ev *pass.Event) (*brandLogo, error) {
	b := ev.Branding
	if b == nil || len(b.Logo) == 0 {
		return nil, nil
	}
	if d.logos == nil {
		d.logos = map[string]*brandLogo{}
	}
	if bl, ok := d.logos[ev.ID]; ok {
		return bl, nil
	}
	l, err := logo.Decode(b.Logo)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w; set it again with laminate event update --logo", ev.ID, err)
	}
	bl := &brandLogo{l: l, name: "logo-" + ev.ID}
	if l.Kind != logo.SVG {
		typ := "PNG"
		if l.Kind == logo.JPEG {
			typ = "JPG"
		}
		d.pdf.RegisterImageOptionsReader(bl.name, gofpdfImage(typ), bytes.NewReader(l.Data))
		if err := d.pdf.Error(); err != nil {
			return nil, fmt.Errorf("event %s: logo: %w", ev.ID, err)
		}
	}
	d.logos[ev.ID] = bl
	return bl, nil
}

// drawLogo fits the logo in box b, centred, its aspect kept.
func (d *drawer) drawLogo(b templates.Box, bl *brandLogo) {
	l := bl.l
	s := min(b.W/l.W, b.H/l.H)
	w, h := l.W*s, l.H*s
	x, y := b.X+(b.W-w)/2, b.Y+(b.H-h)/2
	if l.Kind != logo.SVG {
		d.pdf.ImageOptions(bl.name, x, y, w, h, false, gofpdfImage(""), 0, "")
		return
	}
	// SVG shapes as one content stream: a cm matrix makes one unit one
	// viewBox unit (y down, as in the SVG), so points are written as given.
	pdf := d.pdf
	pdf.ClipRect(b.X, b.Y, b.W, b.H, false)
	buf := append(d.buf[:0], "q "...)
	buf = d.matrix(buf, x, y, s)
	f := func(buf []byte, v float64) []byte {
		buf = strconv.AppendFloat(buf, v, 'f', 3, 64)
		return append(buf, ' ')
	}
	for _, sh := range l.Shapes {
		if sh.Fill != nil {
			buf = rgbOp(buf, *sh.Fill, "rg")
		}
		if sh.Stroke != nil {
			buf = rgbOp(buf, *sh.Stroke, "RG")
			buf = f(buf, sh.StrokeWidth)
			buf = append(buf, "w "...)
		}
		for _, sg := range sh.Segs {
			switch sg.Op {
			case 'M', 'L':
				buf = f(f(buf, sg.P[0].X), sg.P[0].Y)
				buf = append(buf, strings1(sg.Op)...)
			case 'C':
				for _, p := range sg.P {
					buf = f(f(buf, p.X), p.Y)
				}
				buf = append(buf, "c\n"...)
			case 'Z':
				buf = append(buf, "h\n"...)
			}
		}
		op := ""
		switch {
		case sh.Fill != nil && sh.Stroke != nil:
			op = "B"
		case sh.Fill != nil:
			op = "f"
		default:
			op = "S"
		}
		if sh.EvenOdd && sh.Fill != nil {
			op += "*"
		}
		buf = append(buf, op+"\n"...)
	}
	buf = append(buf, "Q\n"...)
	pdf.RawWriteBuf(bytes.NewReader(buf))
	d.buf = buf
	pdf.ClipEnd()
}

func strings1(op byte) string {
	if op == 'M' {
		return "m\n"
	}
	return "l\n"
}

func rgbOp(buf []byte, c logo.RGB, op string) []byte {
	for _, v := range [3]uint8{c.R, c.G, c.B} {
		buf = strconv.AppendFloat(buf, float64(v)/255, 'f', 3, 64)
		buf = append(buf, ' ')
	}
	return append(buf, op+" "...)
}

// panels draws a clear panel under each of the given boxes that lies over
// the artwork.
func (d *drawer) panels(x, y float64, art *templates.Box, boxes ...*templates.Box) {
	if art == nil {
		return
	}
	pdf := d.pdf
	pdf.SetFillColor(255, 255, 255)
	pdf.SetAlpha(panelAlpha, "Normal")
	for _, b := range boxes {
		if b == nil || !overlaps(*b, *art) {
			continue
		}
		p := onPage(x, y, b)
		d.roundRect(templates.Box{X: p.X - panelPad, Y: p.Y - panelPad, W: p.W + 2*panelPad, H: p.H + 2*panelPad}, panelR, "F")
	}
	pdf.SetAlpha(1, "Normal")
}

func overlaps(a, b templates.Box) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// slot draws the lanyard slot mark: a white rounded slot with a thin
// outline, where the punch goes.
func (d *drawer) slot(b templates.Box) {
	pdf := d.pdf
	pdf.SetFillColor(255, 255, 255)
	pdf.SetDrawColor(110, 110, 110)
	pdf.SetLineWidth(0.15)
	d.roundRect(b, b.H/2, "B")
}

// cardEdge draws the label's outline as a hairline, so that a card cut by
// hand from plain stock shows where to cut without crop marks.
func (d *drawer) cardEdge(x, y float64) {
	l := d.t.Label
	if l.Shape != "rect" {
		return // round stickers are die-cut: a line would show any shift
	}
	pdf := d.pdf
	pdf.SetDrawColor(150, 150, 150)
	pdf.SetLineWidth(edgeLine)
	d.roundRect(templates.Box{X: x, Y: y, W: l.W, H: l.H}, l.CornerRadius, "S")
}

// accent returns the event's accent colour, if any.
func accent(ev *pass.Event) (RGB, bool) {
	if ev.Branding == nil || ev.Branding.Accent == "" {
		return RGB{}, false
	}
	n, err := strconv.ParseUint(ev.Branding.Accent[1:], 16, 32)
	if err != nil || len(ev.Branding.Accent) != 7 {
		return RGB{}, false
	}
	return RGB{uint8(n >> 16), uint8(n >> 8), uint8(n)}, true
}

// beside splits band b around a slot that crosses it: the parts left and
// right of the slot (with a 1 mm gap), or b alone.
func beside(b templates.Box, slot *templates.Box, x, y float64) []templates.Box {
	if slot == nil {
		return []templates.Box{b}
	}
	s := onPage(x, y, slot)
	if !overlaps(b, s) {
		return []templates.Box{b}
	}
	left, right := b, b
	left.W = s.X - 1 - b.X
	right.X = s.X + s.W + 1
	right.W = b.X + b.W - right.X
	var out []templates.Box
	for _, p := range []templates.Box{left, right} {
		if p.W > 3 {
			out = append(out, p)
		}
	}
	return out
}

func gofpdfImage(typ string) gofpdf.ImageOptions { return gofpdf.ImageOptions{ImageType: typ} }

// bandArea is the area the band's colour fills: the band box, run to the
// label edge (and into the bleed) where it touches the safe area's edge or
// a rounded corner; on a round label, the whole cap of the circle above
// the band's bottom.
func (d *drawer) bandArea(x, y float64, box *templates.Box, band templates.Box) templates.Box {
	t, b := d.t, d.t.Bleed
	if t.Label.Shape == "round" {
		return templates.Box{X: x - b, Y: y - b, W: t.Label.W + 2*b, H: box.Y + box.H + b}
	}
	edge := max(t.SafeMargin, t.Label.CornerRadius) + 0.05 // a box at the corner radius, give or take rounding
	if box.X <= edge {
		band.W += band.X - x + b
		band.X = x - b
	}
	if box.Y <= edge {
		band.H += band.Y - y + b
		band.Y = y - b
	}
	if box.X+box.W >= t.Label.W-edge {
		band.W = x + t.Label.W + b - band.X
	}
	return band
}

// bandText prints the band's words, either side of a lanyard slot that
// crosses the band.
func (d *drawer) bandText(x, y float64, bx *templates.Boxes, color RGB, label string, maxPt float64) {
	tc := textOn(color)
	d.pdf.SetTextColor(tc, tc, tc)
	for _, part := range beside(onPage(x, y, bx.Band), bx.LanyardSlot, x, y) {
		d.fitText(part, label, "go", "B", maxPt, "C")
	}
}

// accentRule draws the event's accent colour as a rule along the bottom
// of the band: the pass type keeps its colour, the tour gets its own.
func (d *drawer) accentRule(it *Item, band templates.Box) {
	c, ok := accent(it.Event)
	if !ok {
		return
	}
	d.pdf.SetFillColor(int(c.R), int(c.G), int(c.B))
	d.pdf.Rect(band.X, band.Y+band.H-accentH, band.W, accentH, "F")
}

// tourBox is the tour box when the event has a tour line to print in it.
func (d *drawer) tourBox(bx *templates.Boxes, it *Item) *templates.Box {
	if it.Event.Branding == nil || it.Event.Branding.Tour == "" {
		return nil
	}
	return bx.Tour
}

// tour prints the tour or artist line, in the accent colour when it reads
// on white.
func (d *drawer) tour(x, y float64, bx *templates.Boxes, it *Item, p *prepared) {
	b := d.tourBox(bx, it)
	if b == nil {
		return
	}
	c := RGB{20, 20, 20}
	if a, ok := accent(it.Event); ok && textOn(a) == 255 {
		c = a
	}
	d.pdf.SetTextColor(int(c.R), int(c.G), int(c.B))
	d.block(onPage(x, y, b), p.text.tour, "L")
	d.pdf.SetTextColor(20, 20, 20)
}

// clipEnd ends the label's clipping. Its Q restores the fill colour of
// before the clip, which gofpdf does not know: it would skip setting a
// text colour equal to the last fill colour it set inside (an accent-
// coloured tour line printed white). Setting white again puts gofpdf and
// the page in step.
func (d *drawer) clipEnd() {
	d.pdf.ClipEnd()
	d.pdf.SetFillColor(255, 255, 255)
}

// roundRect paints a rectangle with rounded corners of radius r with the
// PDF operator op (f, S or B). Not gofpdf's RoundedRect: v1.16.2 opens a
// graphics state ("q") there that it never closes, so the next ClipEnd
// closes the wrong one and the label's clip stays on: every later label
// on the page came out blank.
func (d *drawer) roundRect(b templates.Box, r float64, op string) {
	pdf := d.pdf
	r = min(r, b.W/2, b.H/2)
	k := r * (1 - kappaArc)
	x0, y0, x1, y1 := b.X, b.Y, b.X+b.W, b.Y+b.H
	pdf.MoveTo(x0+r, y0)
	pdf.LineTo(x1-r, y0)
	pdf.CurveBezierCubicTo(x1-k, y0, x1, y0+k, x1, y0+r)
	pdf.LineTo(x1, y1-r)
	pdf.CurveBezierCubicTo(x1, y1-k, x1-k, y1, x1-r, y1)
	pdf.LineTo(x0+r, y1)
	pdf.CurveBezierCubicTo(x0+k, y1, x0, y1-k, x0, y1-r)
	pdf.LineTo(x0, y0+r)
	pdf.CurveBezierCubicTo(x0, y0+k, x0+k, y0, x0+r, y0)
	pdf.ClosePath()
	pdf.DrawPath(op)
}

// kappaArc places the control points of a quarter circle drawn as one
// cubic curve.
const kappaArc = 0.5522847498
