package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jung-kurt/gofpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/templates"
)

// Item is one pass to print.
type Item struct {
	Pass  pass.Pass
	Token string
	Event *pass.Event
}

// Options say how to print a sheet.
type Options struct {
	Template      *templates.Template
	ArtworkSecret []byte
	CropMarks     bool // corner marks outside each label, for cutting plain stock
	Duplex        bool // a back page after each front page: QR again, rules, zones
	// Colors overrides the band colour of pass types (default [DefaultColors]).
	Colors map[pass.Type]RGB
	// Progress, when set, is called after each pass is drawn.
	Progress func(done, total int)
}

// DefaultColors are the conventional band colours of the pass types.
var DefaultColors = map[pass.Type]RGB{
	pass.AAA:       {200, 16, 46},  // red
	pass.VIP:       {212, 160, 23}, // gold
	pass.AfterShow: {106, 27, 154}, // purple
	pass.Working:   {0, 84, 166},   // blue
	pass.LocalCrew: {230, 110, 0},  // orange
	pass.Photo:     {0, 128, 80},   // green
	pass.MeetGreet: {214, 51, 132}, // pink
	pass.Staff:     {80, 90, 100},  // slate
}

// ErrModuleTooSmall is wrapped by the error for a pass whose QR code would
// print below the template's minimum module size.
var ErrModuleTooSmall = errors.New("QR modules too small for this template")

// prepared is the per-pass work done before drawing: the costly part
// (QR encoding, artwork), spread over all cores.
type prepared struct {
	qr  *QR
	art *Artwork
	err error
}

// WritePDF draws items on sheets of opt.Template and writes the PDF to w.
// Nothing is written when any pass cannot be drawn.
func WritePDF(w io.Writer, items []Item, opt Options) error {
	t := opt.Template
	if t == nil {
		return errors.New("render: no template")
	}
	if len(items) == 0 {
		return errors.New("render: no passes to print")
	}
	if opt.Duplex && t.Back == nil {
		return fmt.Errorf("render: template %s has no back side (stickers print one side)", t.Name)
	}
	if opt.Colors == nil {
		opt.Colors = DefaultColors
	}
	// QR codes and artwork are made on every core while the sheet is drawn
	// in order; the first pass that cannot be drawn stops everything
	// before anything is written.
	prep, ready, stop := prepare(items, opt.ArtworkSecret, t.QRLevel)
	defer stop()
	get := func(i int) (*prepared, error) {
		<-ready[i]
		p := &prep[i]
		if p.err != nil {
			return nil, fmt.Errorf("render: pass %s (%s): %w", items[i].Pass.Serial, items[i].Pass.Name, p.err)
		}
		for _, side := range sides(t, opt.Duplex) {
			if mod := side.QR.W / float64(p.qr.Size()); mod < t.MinModule {
				return nil, fmt.Errorf("render: pass %s (%s): %w: its code needs %d modules, %.2f mm each in the %.1f mm box of %s, below the %.2f mm minimum; use a larger template or a shorter name/org",
					items[i].Pass.Serial, items[i].Pass.Name, ErrModuleTooSmall, p.qr.Size(), mod, side.QR.W, t.Name, t.MinModule)
			}
		}
		return p, nil
	}

	pdf := gofpdf.NewCustom(&gofpdf.InitType{UnitStr: "mm", Size: gofpdf.SizeType{Wd: t.Page.W, Ht: t.Page.H}})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCellMargin(0) // text fills its box exactly; the template holds the margins
	pdf.SetCreator("Laminate", true)
	pdf.SetTitle("Laminate passes", true)
	pdf.SetCatalogSort(true)                   // reproducible output: fonts and images in a fixed order
	pdf.SetCreationDate(time.Unix(0, 0).UTC()) // and fixed dates
	pdf.SetModificationDate(time.Unix(0, 0).UTC())
	// gofpdf writes into the font bytes it subsets (checksums, table
	// copies), so each document gets its own copy: documents rendered side
	// by side must not share them (TestRenderConcurrentLeavesFontsAlone).
	pdf.AddUTF8FontFromBytes("go", "", bytes.Clone(goregular.TTF))
	pdf.AddUTF8FontFromBytes("go", "B", bytes.Clone(gobold.TTF))
	pdf.AddUTF8FontFromBytes("gomono", "B", bytes.Clone(gomonobold.TTF))
	d := &drawer{pdf: pdf, t: t, opt: opt, k: pdf.GetConversionRatio()}

	per := t.PerPage()
	for start := 0; start < len(items); start += per {
		end := min(start+per, len(items))
		pdf.AddPage()
		for i := start; i < end; i++ {
			p, err := get(i)
			if err != nil {
				return err
			}
			x, y := t.LabelOrigin(i - start)
			if err := d.front(x, y, &items[i], p); err != nil {
				return fmt.Errorf("render: %w", err)
			}
			if opt.CropMarks {
				d.cropMarks(x, y)
			}
			if opt.Progress != nil && !opt.Duplex {
				opt.Progress(i+1, len(items))
			}
		}
		if opt.Duplex {
			pdf.AddPage()
			for i := start; i < end; i++ {
				x, y := t.BackOrigin(i - start)
				d.back(x, y, &items[i], &prep[i]) // ready: its front is drawn
				if opt.CropMarks {
					d.cropMarks(x, y)
				}
				if opt.Progress != nil {
					opt.Progress(i+1, len(items))
				}
			}
		}
		if err := pdf.Error(); err != nil {
			return fmt.Errorf("render: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func sides(t *templates.Template, duplex bool) []*templates.Boxes {
	s := []*templates.Boxes{&t.Front}
	if duplex && t.Back != nil {
		s = append(s, t.Back)
	}
	return s
}

// prepare encodes every QR and draws every artwork on all cores, in item
// order; ready[i] is closed when out[i] is done. stop ends the workers
// early (after an error) and waits for them.
func prepare(items []Item, secret []byte, level string) (out []prepared, ready []chan struct{}, stop func()) {
	out = make([]prepared, len(items))
	ready = make([]chan struct{}, len(items))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	var next atomic.Int64
	var quit atomic.Bool
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !quit.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				p := &out[i]
				if p.qr, p.err = NewQR(items[i].Token, level); p.err == nil {
					p.art, p.err = NewArtwork(secret, string(items[i].Pass.Serial))
				}
				close(ready[i])
			}
		}()
	}
	return out, ready, func() { quit.Store(true); wg.Wait() }
}

type drawer struct {
	pdf *gofpdf.Fpdf
	t   *templates.Template
	opt Options
	k   float64 // points per mm
	buf []byte
	// logos are the events' logos registered in this document, by event.
	logos map[string]*brandLogo
}

// onPage turns a box on the label at (x, y) into page coordinates.
func onPage(x, y float64, b *templates.Box) templates.Box {
	return templates.Box{X: x + b.X, Y: y + b.Y, W: b.W, H: b.H}
}

// clipLabel clips drawing to the label's shape; undo with ClipEnd.
func (d *drawer) clipLabel(x, y float64) {
	l := d.t.Label
	switch l.Shape {
	case "round":
		d.pdf.ClipCircle(x+l.W/2, y+l.H/2, l.W/2+d.t.Bleed, false)
	default:
		b := d.t.Bleed
		d.pdf.ClipRoundedRect(x-b, y-b, l.W+2*b, l.H+2*b, l.CornerRadius, false)
	}
}

func (d *drawer) front(x, y float64, it *Item, p *prepared) error {
	bx := &d.t.Front
	pdf := d.pdf
	color := d.opt.Colors[it.Pass.Type]
	bl, err := d.logoFor(it.Event)
	if err != nil {
		return err
	}

	d.clipLabel(x, y)
	if bx.Artwork != nil {
		d.artwork(onPage(x, y, bx.Artwork), p.art)
	}
	var logoBox *templates.Box
	if bl != nil {
		logoBox = bx.Logo
	}
	d.panels(x, y, bx.Artwork, bx.Event, bx.Name, bx.Org, bx.Zones, bx.Validity, bx.Serial, d.tourBox(bx, it), logoBox)
	if bx.Band != nil {
		band := onPage(x, y, bx.Band)
		// The band runs to the label edge (and into the bleed) where it
		// touches the safe area's edge; on a round label it is the whole cap
		// of the circle above the band's bottom.
		b := d.t.Bleed
		if d.t.Label.Shape == "round" {
			band = templates.Box{X: x - b, Y: y - b, W: d.t.Label.W + 2*b, H: bx.Band.Y + bx.Band.H + b}
		}
		band = d.bandArea(x, y, bx.Band, band)
		pdf.SetFillColor(int(color.R), int(color.G), int(color.B))
		pdf.Rect(band.X, band.Y, band.W, band.H, "F")
		d.accentRule(it, band)
		d.microtext(string(it.Pass.Serial), band.X, band.Y+band.H+0.2, band.W)
	}
	if bx.LanyardSlot != nil {
		d.slot(onPage(x, y, bx.LanyardSlot))
	}
	d.clipEnd()
	d.cardEdge(x, y)

	if bx.Band != nil {
		label := strings.ToUpper(it.Pass.Type.Label())
		if it.Pass.Type == pass.Staff && it.Pass.Role != "" {
			label = strings.ToUpper(it.Pass.Role)
		}
		d.bandText(x, y, bx, color, label, 40)
	}
	pdf.SetTextColor(20, 20, 20)
	if bl != nil && bx.Logo != nil {
		d.drawLogo(onPage(x, y, bx.Logo), bl)
	}
	d.tour(x, y, bx, it)
	if bx.Event != nil {
		b := onPage(x, y, bx.Event)
		date := it.Event.Schedule.ShowStart.In(it.Event.Location()).Format("Mon 2 Jan 2006")
		if b.H < 4 {
			// A sticker's arc: the event's short name and the date, one line.
			short := it.Event.Name
			if it.Event.Branding != nil && it.Event.Branding.Short != "" {
				short = it.Event.Branding.Short
			}
			d.fitText(b, short+" · "+it.Event.Schedule.ShowStart.In(it.Event.Location()).Format("2 Jan 2006"), "go", "B", 8, "C")
		} else {
			top, bottom := split(b, 0.58)
			d.fitText(top, it.Event.Name, "go", "B", 14, "L")
			sub := date
			if it.Event.Venue != "" {
				sub = it.Event.Venue + " · " + sub
			}
			d.fitText(bottom, sub, "go", "", 10, "L")
		}
	}
	if bx.Name != nil {
		d.fitText(onPage(x, y, bx.Name), it.Pass.Name, "go", "B", 22, "L")
	}
	if bx.Org != nil {
		org := it.Pass.Org
		if it.Pass.Role != "" {
			if org != "" {
				org += " · "
			}
			org += it.Pass.Role
		}
		if org != "" {
			d.fitText(onPage(x, y, bx.Org), org, "go", "", 11, "L")
		}
	}
	if bx.Zones != nil {
		d.zones(onPage(x, y, bx.Zones), it, 7)
	}
	if bx.Validity != nil {
		if v := onPage(x, y, bx.Validity); v.H >= 7 {
			d.paragraph(v, validity(it), 7) // room for two lines: larger type
		} else {
			d.fitText(v, validity(it), "go", "", 7, "L")
		}
	}
	if bx.Serial != nil {
		d.serial(onPage(x, y, bx.Serial), it, p)
	}
	d.qr(onPage(x, y, bx.QR), p.qr)
	return nil
}

func (d *drawer) back(x, y float64, it *Item, p *prepared) {
	bx := d.t.Back
	pdf := d.pdf
	color := d.opt.Colors[it.Pass.Type]
	d.clipLabel(x, y)
	if bx.Band != nil {
		band := d.bandArea(x, y, bx.Band, onPage(x, y, bx.Band))
		pdf.SetFillColor(int(color.R), int(color.G), int(color.B))
		pdf.Rect(band.X, band.Y, band.W, band.H, "F")
		d.accentRule(it, band)
	}
	if bx.LanyardSlot != nil {
		d.slot(onPage(x, y, bx.LanyardSlot))
	}
	d.clipEnd()
	d.cardEdge(x, y)
	if bx.Band != nil {
		d.bandText(x, y, bx, color, strings.ToUpper(it.Pass.Type.Label()), 24)
	}
	pdf.SetTextColor(20, 20, 20)
	contact := ""
	if it.Event.Branding != nil {
		contact = it.Event.Branding.Contact
	}
	if bx.Rules != nil {
		r := onPage(x, y, bx.Rules)
		top, bottom := split(r, 0.45)
		d.zones(top, it, 7)
		lost := "Lost it? Tell the production office at once: it will be revoked."
		switch {
		case contact != "" && bx.Contact != nil:
			lost = "Lost it? Tell the production office at once (below): it will be revoked."
		case contact != "":
			lost = "Lost it? Tell the production office at once (" + contact + "): it will be revoked."
		}
		rules := fmt.Sprintf("%s. This pass is personal to %s and must be worn visibly. "+
			"It is signed: door staff scan it and see the holder's name and the pass's artwork. %s", it.Event.Name, it.Pass.Name, lost)
		d.paragraph(bottom, rules, 6.5)
	}
	if bx.Contact != nil && contact != "" {
		c := onPage(x, y, bx.Contact)
		top, bottom := split(c, 0.4)
		d.fitText(top, "PRODUCTION OFFICE", "go", "B", 7, "L")
		d.paragraph(bottom, contact, 8)
	}
	if bx.Serial != nil {
		d.serial(onPage(x, y, bx.Serial), it, p)
	}
	d.qr(onPage(x, y, bx.QR), p.qr)
}

// qr draws the code as one path: a rectangle per run of dark modules on a
// white square, scaled to fill the box. A cm matrix makes one unit one
// module, so each rectangle is a handful of small integers.
func (d *drawer) qr(b templates.Box, q *QR) {
	side := min(b.W, b.H)
	mod := side / float64(q.Size())
	d.pdf.SetFillColor(255, 255, 255)
	d.pdf.Rect(b.X, b.Y, side, side, "F")
	buf := append(d.buf[:0], "q 0 g "...)
	buf = d.matrix(buf, b.X, b.Y, mod)
	for _, r := range q.runs() {
		buf = strconv.AppendInt(buf, int64(r.x0), 10)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(r.y), 10)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(r.x1-r.x0), 10)
		buf = append(buf, " 1 re\n"...)
	}
	buf = append(buf, "f Q\n"...)
	d.pdf.RawWriteBuf(bytes.NewReader(buf))
	d.buf = buf
}

// matrix appends a cm operator making (0, 0) the point (x, y) mm on the
// page and one unit unit mm, with y growing downwards as in templates.
func (d *drawer) matrix(buf []byte, x, y, unit float64) []byte {
	_, h := d.pdf.GetPageSize()
	s := unit * d.k
	buf = strconv.AppendFloat(buf, s, 'f', 5, 64)
	buf = append(buf, " 0 0 "...)
	buf = strconv.AppendFloat(buf, -s, 'f', 5, 64)
	buf = append(buf, ' ')
	buf = d.num(buf, x*d.k)
	buf = d.num(buf, (h-y)*d.k)
	return append(buf, "cm\n"...)
}

// artwork draws the pass's artwork scaled to cover box b (clipped to it),
// on a grid of artworkGrid units a side, so that every point is two small
// integers.
func (d *drawer) artwork(b templates.Box, a *Artwork) {
	pdf := d.pdf
	pdf.ClipRect(b.X, b.Y, b.W, b.H, false)
	side := max(b.W, b.H)
	ox, oy := b.X+(b.W-side)/2, b.Y+(b.H-side)/2
	bg := a.Background
	pdf.SetFillColor(int(bg.R), int(bg.G), int(bg.B))
	pdf.Rect(b.X, b.Y, b.W, b.H, "F")
	buf := append(d.buf[:0], "q 1 J 1 j "...)
	buf = d.matrix(buf, ox, oy, side/artworkGrid)
	minStep := int64(artworkStep / side * artworkGrid)
	for _, s := range a.Strokes {
		if len(s.Points) < 2 {
			continue
		}
		// Text is printed over the artwork: lines are toned halfway to the
		// background so it stays readable, hues and pattern unchanged.
		tone := func(c, bg uint8) float64 { return (float64(c) + artworkTone*(float64(bg)-float64(c))) / 255 }
		for _, c := range [3]float64{tone(s.Color.R, bg.R), tone(s.Color.G, bg.G), tone(s.Color.B, bg.B)} {
			buf = strconv.AppendFloat(buf, c, 'f', 3, 64)
			buf = append(buf, ' ')
		}
		buf = append(buf, "RG "...)
		buf = d.num(buf, s.Width*artworkGrid)
		buf = append(buf, "w\n"...)
		// Points closer than artworkStep to the last one drawn are left out:
		// invisible in print, and they are most of the file.
		var lastX, lastY int64 = -1 << 40, -1 << 40
		for i, p := range s.Points {
			px, py := int64(math.Round(p.X*artworkGrid)), int64(math.Round(p.Y*artworkGrid))
			if i > 0 && i < len(s.Points)-1 && abs64(px-lastX)+abs64(py-lastY) < minStep {
				continue
			}
			lastX, lastY = px, py
			buf = strconv.AppendInt(buf, px, 10)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, py, 10)
			if i == 0 {
				buf = append(buf, " m\n"...)
			} else {
				buf = append(buf, " l\n"...)
			}
		}
		if s.Closed {
			buf = append(buf, "h "...)
		}
		buf = append(buf, "S\n"...)
	}
	buf = append(buf, "Q\n"...)
	pdf.RawWriteBuf(bytes.NewReader(buf))
	d.buf = buf
	pdf.ClipEnd()
}

// artworkGrid is the number of grid units across the artwork in print:
// 2000 units over a 56 mm box is 0.03 mm.
const artworkGrid = 2000

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// artworkStep is the shortest artwork line segment printed, in mm
// (Manhattan distance): 0.25 mm is below what a 300 dpi printer resolves on
// a curve of these line widths.
const artworkStep = 0.25

// artworkTone is how far printed artwork lines are moved towards the
// background colour (0: as on screen, 1: invisible).
const artworkTone = 0.45

// num appends v with one decimal (0.1 pt is 0.035 mm, far below what a
// printer shows) and a space: it keeps the artwork paths small.
func (d *drawer) num(buf []byte, v float64) []byte {
	n := int64(math.Round(v * 10))
	if n < 0 {
		buf = append(buf, '-')
		n = -n
	}
	buf = strconv.AppendInt(buf, n/10, 10)
	if f := n % 10; f != 0 {
		buf = append(buf, '.', byte('0'+f))
	}
	return append(buf, ' ')
}

// fitText writes s in box b, as large as possible up to maxPt, shrinking
// until it fits the width: a long name never overflows.
func (d *drawer) fitText(b templates.Box, s, family, style string, maxPt float64, align string) {
	pdf := d.pdf
	size := min(maxPt, b.H*d.k/1.15) // a line is about 1.15 em tall
	pdf.SetFont(family, style, size)
	if w := pdf.GetStringWidth(s); w > b.W {
		size *= b.W / w * 0.98
		pdf.SetFont(family, style, size)
	}
	pdf.SetXY(b.X, b.Y)
	pdf.CellFormat(b.W, b.H, s, "", 0, align+"M", false, 0, "")
}

// paragraph writes wrapped text in box b, shrinking the size until it fits.
func (d *drawer) paragraph(b templates.Box, s string, maxPt float64) {
	pdf := d.pdf
	for size := maxPt; size >= 3; size -= 0.5 {
		pdf.SetFont("go", "", size)
		lineH := size / d.k * 1.2
		lines := pdf.SplitText(s, b.W)
		if float64(len(lines))*lineH <= b.H || size-0.5 < 3 {
			for i, l := range lines {
				if float64(i+1)*lineH > b.H {
					break
				}
				pdf.SetXY(b.X, b.Y+float64(i)*lineH)
				pdf.CellFormat(b.W, lineH, l, "", 0, "LM", false, 0, "")
			}
			return
		}
	}
}

// zones lists where and when the pass opens doors, one line per grant.
func (d *drawer) zones(b templates.Box, it *Item, maxPt float64) {
	var lines []string
	for _, g := range it.Event.EffectivePolicy().Allows(it.Pass.Type, it.Pass.Role) {
		zs := make([]string, len(g.Zones))
		for i, z := range g.Zones {
			zs[i] = string(z)
		}
		if len(g.Zones) == len(it.Event.EffectivePolicy().Zones) {
			zs = []string{"all areas"}
		}
		lines = append(lines, strings.Join(zs, " · ")+": "+whenText(g.When))
	}
	if len(lines) == 0 {
		lines = []string{"no zones at this event"}
	}
	d.paragraph(b, strings.Join(lines, "\n"), maxPt)
}

var windowWords = map[pass.Window]string{
	pass.WinBefore: "before show", pass.WinDuring: "during show", pass.WinAfter: "after show",
	pass.WinMeetGreet: "meet & greet", pass.WinPhoto: "first 3 songs", pass.Any: "any time",
}

func whenText(ws []pass.Window) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = windowWords[w]
	}
	return strings.Join(s, ", ")
}

func validity(it *Item) string {
	loc := it.Event.Location()
	from := it.Event.Schedule.AccessFrom
	if !it.Pass.ValidFrom.IsZero() {
		from = it.Pass.ValidFrom
	}
	return "Valid " + from.In(loc).Format("2 Jan 15:04") + " – " + it.Pass.ValidUntil.In(loc).Format("2 Jan 15:04") +
		" (UTC" + it.Event.Schedule.ShowStart.Format("-07:00") + ")"
}

// serial prints the serial as people type it, and the artwork fingerprint.
func (d *drawer) serial(b templates.Box, it *Item, p *prepared) {
	top, bottom := split(b, 0.68)
	d.pdf.SetTextColor(20, 20, 20)
	d.fitText(top, it.Pass.Serial.String(), "gomono", "B", 14, "C")
	d.pdf.SetTextColor(90, 90, 90)
	d.fitText(bottom, "art "+p.art.Fingerprint, "gomono", "B", 6, "C")
	d.pdf.SetTextColor(20, 20, 20)
}

// microtext repeats the serial in 1.4 pt type along a line: a photocopy
// turns it into a grey rule.
func (d *drawer) microtext(serial string, x, y, w float64) {
	pdf := d.pdf
	pdf.SetFont("gomono", "B", 1.4)
	unit := serial + " "
	n := int(w/pdf.GetStringWidth(unit)) + 1
	pdf.SetTextColor(60, 60, 60)
	pdf.SetXY(x, y)
	pdf.CellFormat(w, 0.6, strings.Repeat(unit, n), "", 0, "LM", false, 0, "")
}

// cropMarks draws thin corner marks 1 mm outside the label, 4 mm long.
func (d *drawer) cropMarks(x, y float64) {
	pdf := d.pdf
	w, h := d.t.Label.W, d.t.Label.H
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.1)
	const gap, l = 1.0, 4.0
	for _, c := range [][2]float64{{x, y}, {x + w, y}, {x, y + h}, {x + w, y + h}} {
		sx, sy := -1.0, -1.0
		if c[0] > x {
			sx = 1
		}
		if c[1] > y {
			sy = 1
		}
		pdf.Line(c[0]+sx*gap, c[1], c[0]+sx*(gap+l), c[1])
		pdf.Line(c[0], c[1]+sy*gap, c[0], c[1]+sy*(gap+l))
	}
}

// split cuts a box into a top part (fraction f of the height) and the rest.
func split(b templates.Box, f float64) (top, bottom templates.Box) {
	top, bottom = b, b
	top.H = b.H * f
	bottom.Y = b.Y + top.H
	bottom.H = b.H - top.H
	return top, bottom
}

// textOn picks black or white text for a band colour (WCAG relative
// luminance, roughly).
func textOn(c RGB) int {
	if 0.2126*float64(c.R)+0.7152*float64(c.G)+0.0722*float64(c.B) > 150 {
		return 20
	}
	return 255
}
