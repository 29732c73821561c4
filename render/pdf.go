package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
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
	"github.com/laminate/laminate/render/typeset"
	"github.com/laminate/laminate/templates"
)

// Item is one pass to print.
type Item struct {
	Pass  pass.Pass
	Token string
	Event *pass.Event
	// Photo is the holder's stored photo (a JPEG), printed in the
	// template's photo box; it must hash to Pass.Photo. A pass without a
	// photo prints without one.
	Photo []byte
}

// tokenPhoto is the "ph" claim of a compact JWS, read without checking
// the signature (the door checks it): "" when the token has none or is
// not a JWS.
func tokenPhoto(token string) string {
	parts := strings.SplitN(token, ".", 4)
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Photo string `json:"ph"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return ""
	}
	return c.Photo
}

// ErrPhotoMismatch is wrapped by the error for a pass whose photo is not
// the one it signs: it is not printed.
var ErrPhotoMismatch = errors.New("photo does not match the signed pass")

// checkPhoto refuses to print a photo that the pass does not sign, and a
// pass that signs a photo it was not given. What the pass signs is read
// from the token printed beside it (its "ph" claim), not only from the
// record: whoever rewrote a stored photo and its stored hash cannot
// rewrite the signed token, and the door checks the token.
func checkPhoto(it *Item) error {
	if signed := tokenPhoto(it.Token); signed != it.Pass.Photo {
		return fmt.Errorf("%w: the token signs photo %q, the pass record says %q (was it changed in the database?)", ErrPhotoMismatch, signed, it.Pass.Photo)
	}
	switch {
	case it.Pass.Photo == "" && it.Photo == nil:
		return nil
	case it.Photo == nil:
		return fmt.Errorf("%w: the pass signs a photo but none was given", ErrPhotoMismatch)
	case it.Pass.Photo == "":
		return fmt.Errorf("%w: a photo was given but the pass signs none", ErrPhotoMismatch)
	case pass.PhotoHash(it.Photo) != it.Pass.Photo:
		return fmt.Errorf("%w: the stored photo hashes to %s, the pass signs %q (was it replaced in the database?)", ErrPhotoMismatch, pass.PhotoHash(it.Photo), it.Pass.Photo)
	}
	return nil
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
	// Fonts prints the scripts the embedded Go fonts do not (nil:
	// typeset.Default, the system font folders).
	Fonts *typeset.Library
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
	qr   *QR
	art  *Artwork
	text *passText
	err  error
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
	if opt.Fonts == nil {
		opt.Fonts = typeset.Default()
	}
	// QR codes and artwork are made on every core while the sheet is drawn
	// in order; the first pass that cannot be drawn stops everything
	// before anything is written.
	prep, ready, stop := prepare(items, &opt)
	defer stop()
	get := func(i int) (*prepared, error) {
		<-ready[i]
		p := &prep[i]
		if p.err == nil {
			p.err = checkPhoto(&items[i])
		}
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
func prepare(items []Item, opt *Options) (out []prepared, ready []chan struct{}, stop func()) {
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
				if p.qr, p.err = NewQR(items[i].Token, opt.Template.QRLevel); p.err == nil {
					p.art, p.err = NewArtwork(opt.ArtworkSecret, string(items[i].Pass.Serial))
				}
				if p.err == nil {
					p.text, p.err = layoutPass(opt.Fonts, opt.Template, &items[i], opt.Duplex)
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
	d.tour(x, y, bx, it, p)
	if bx.Event != nil {
		if b := onPage(x, y, bx.Event); p.text.sub == nil {
			d.block(b, p.text.event, "C")
		} else {
			top, bottom := split(b, eventSplit)
			d.block(top, p.text.event, "L")
			d.block(bottom, p.text.sub, "L")
		}
	}
	if bx.Name != nil {
		d.block(onPage(x, y, bx.Name), p.text.name, "L")
	}
	if bx.Org != nil {
		d.block(onPage(x, y, bx.Org), p.text.org, "L")
	}
	if bx.Zones != nil {
		d.block(onPage(x, y, bx.Zones), p.text.zones, "L")
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
	d.photo(bx, x, y, it)
	d.qr(onPage(x, y, bx.QR), p.qr)
	return nil
}

// photo draws the holder's photo scaled into the side's photo box, with a
// hairline frame; nothing when the pass or the side has none. The JPEG is
// embedded as it is stored (DCTDecode): no second compression.
func (d *drawer) photo(bx *templates.Boxes, x, y float64, it *Item) {
	if bx.Photo == nil || it.Photo == nil {
		return
	}
	b := onPage(x, y, bx.Photo)
	name := "photo-" + it.Pass.Photo
	opt := gofpdf.ImageOptions{ImageType: "JPG"}
	if d.pdf.GetImageInfo(name) == nil {
		d.pdf.RegisterImageOptionsReader(name, opt, bytes.NewReader(it.Photo))
	}
	d.pdf.ImageOptions(name, b.X, b.Y, b.W, b.H, false, opt, 0, "")
	d.pdf.SetDrawColor(60, 60, 60)
	d.pdf.SetLineWidth(0.15)
	d.pdf.Rect(b.X, b.Y, b.W, b.H, "D")
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
		top, bottom := split(r, rulesSplit)
		d.block(top, p.text.backZones, "L")
		d.block(bottom, p.text.rules, "L")
	}
	if bx.Contact != nil && contact != "" {
		c := onPage(x, y, bx.Contact)
		top, bottom := split(c, contactSplit)
		d.fitText(top, "PRODUCTION OFFICE", "go", "B", 7, "L")
		d.block(bottom, p.text.contact, "L")
	}
	if bx.Serial != nil {
		d.serial(onPage(x, y, bx.Serial), it, p)
	}
	d.photo(bx, x, y, it)
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
