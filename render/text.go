package render

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"

	ot "github.com/go-text/typesetting/font/opentype"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render/typeset"
	"github.com/laminate/laminate/templates"
)

// Sizes of the text of a pass, in points: the largest each element is
// printed at. The holder's name is the largest after the pass type; the
// event and the org never print larger than the name (orgSmaller of its
// size), however short they are.
const (
	namePt       = 22
	eventPt      = 14
	subPt        = 10
	orgPt        = 11
	zonesPt      = 7
	rulesPt      = 6.5
	orgSmaller   = 0.85
	nameLines    = 2
	eventSplit   = 0.58 // the event box: name above, venue and date below
	rulesSplit   = 0.45 // the back's rules box: zones above, rules below
	tourPt       = 12
	contactPt    = 8
	contactSplit = 0.4 // the back's contact box: "PRODUCTION OFFICE" above, the contact below
	// stickerEventH: an event box lower than this (mm) is a sticker's arc,
	// which holds the event's short name and date on one line.
	stickerEventH = 4
)

// ErrNameTooLong is wrapped by the error for a holder name that does not
// fit its template at the smallest readable size.
var ErrNameTooLong = errors.New("name too long for the template")

// passText is the text of one pass, laid out for its template.
type passText struct {
	event, sub, name, org, zones *typeset.Block
	rules, backZones             *typeset.Block
	tour, contact                *typeset.Block // branding, when the event has it
}

// NameSpec is how a holder's name is set in box b of template t: bold, up
// to namePt, on up to two lines, never below the template's smallest cap
// height.
func NameSpec(t *templates.Template, b *templates.Box) typeset.Spec {
	return typeset.Spec{Style: typeset.Bold, W: b.W, H: b.H, MaxPt: namePt,
		MinPt: typeset.CapPt(t.MinNameCap(), typeset.Bold), Lines: nameLines}
}

// layoutPass lays out every piece of free text of a pass on template t.
func layoutPass(lib *typeset.Library, t *templates.Template, it *Item, duplex bool) (*passText, error) {
	out := &passText{}
	bx := &t.Front
	fail := func(what string, err error) error {
		var tl *typeset.TooLongError
		if errors.As(err, &tl) {
			return fmt.Errorf("%w: %s is too long to print readably on template %s: %d characters, at most %d fit at a cap height of %.1f mm; shorten it or use a larger template",
				ErrNameTooLong, what, t.Name, tl.Len, tl.Fits, t.MinNameCap())
		}
		return fmt.Errorf("%s %w", what, err)
	}
	size := float64(namePt)
	if bx.Name != nil {
		b, err := lib.Fit(it.Pass.Name, NameSpec(t, bx.Name))
		if err != nil {
			return nil, fail("name", err)
		}
		out.name, size = b, b.Size
	}
	cap := size * orgSmaller
	if bx.Event != nil && bx.Event.H < stickerEventH {
		// A sticker's arc: the event's short name and the date, one line.
		short := it.Event.Name
		if it.Event.Branding != nil && it.Event.Branding.Short != "" {
			short = it.Event.Branding.Short
		}
		line := short + " · " + it.Event.Schedule.ShowStart.In(it.Event.Location()).Format("2 Jan 2006")
		var err error
		if out.event, err = lib.Fit(line, typeset.Spec{Style: typeset.Bold, W: bx.Event.W, H: bx.Event.H, MaxPt: 8}); err != nil {
			return nil, fail("event name", err)
		}
	} else if bx.Event != nil {
		top, bottom := split(*bx.Event, eventSplit)
		var err error
		if out.event, err = lib.Fit(it.Event.Name, typeset.Spec{Style: typeset.Bold, W: top.W, H: top.H, MaxPt: min(eventPt, cap)}); err != nil {
			return nil, fail("event name", err)
		}
		sub := it.Event.Schedule.ShowStart.In(it.Event.Location()).Format("Mon 2 Jan 2006")
		if it.Event.Venue != "" {
			sub = it.Event.Venue + " · " + sub
		}
		if out.sub, err = lib.Fit(sub, typeset.Spec{W: bottom.W, H: bottom.H, MaxPt: min(subPt, cap)}); err != nil {
			return nil, fail("venue", err)
		}
	}
	br := it.Event.Branding
	if bx.Tour != nil && br != nil && br.Tour != "" {
		var err error
		if out.tour, err = lib.Fit(br.Tour, typeset.Spec{Style: typeset.Bold, W: bx.Tour.W, H: bx.Tour.H, MaxPt: min(tourPt, cap)}); err != nil {
			return nil, fail("tour line", err)
		}
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
			var err error
			if out.org, err = lib.Fit(org, typeset.Spec{W: bx.Org.W, H: bx.Org.H, MaxPt: min(orgPt, cap)}); err != nil {
				return nil, fail("org", err)
			}
		}
	}
	paragraph := func(b templates.Box, s string, pt float64) (*typeset.Block, error) {
		return lib.Fit(s, typeset.Spec{W: b.W, H: b.H, MaxPt: pt, Lines: 1000, LTR: true})
	}
	var err error
	if bx.Zones != nil {
		if out.zones, err = paragraph(*bx.Zones, zonesText(it), zonesPt); err != nil {
			return nil, fail("zones", err)
		}
	}
	if duplex && t.Back != nil && t.Back.Rules != nil {
		top, bottom := split(*t.Back.Rules, rulesSplit)
		if out.backZones, err = paragraph(top, zonesText(it), zonesPt); err != nil {
			return nil, fail("zones", err)
		}
		contact := ""
		if br != nil {
			contact = br.Contact
		}
		lost := "Lost it? Tell the production office at once: it will be revoked."
		switch {
		case contact != "" && t.Back.Contact != nil:
			lost = "Lost it? Tell the production office at once (below): it will be revoked."
		case contact != "":
			lost = "Lost it? Tell the production office at once (" + contact + "): it will be revoked."
		}
		rules := fmt.Sprintf("%s. This pass is personal to %s and must be worn visibly. "+
			"It is signed: door staff scan it and see the holder's name and the pass's artwork. %s", it.Event.Name, it.Pass.Name, lost)
		if out.rules, err = paragraph(bottom, rules, rulesPt); err != nil {
			return nil, fail("rules", err)
		}
		if c := t.Back.Contact; c != nil && contact != "" {
			_, bottom := split(*c, contactSplit)
			if out.contact, err = paragraph(bottom, contact, contactPt); err != nil {
				return nil, fail("contact", err)
			}
		}
	}
	return out, nil
}

// zonesText lists where and when the pass opens doors, one line per grant.
func zonesText(it *Item) string { return it.Event.ZonesText(it.Pass.Type, it.Pass.Role) }

// block draws a laid-out text in box b: centred vertically, each line
// aligned left ("L", or right when the text reads right to left) or
// centred ("C"). Text the Go fonts print is written as PDF text; shaped
// text is drawn as glyph outlines (only the glyphs used reach the file)
// under an invisible copy of its text in visual order (rendering mode 3),
// which is what text extraction, search and screen readers find.
func (d *drawer) block(b templates.Box, blk *typeset.Block, align string) {
	if blk == nil || len(blk.Lines) == 0 {
		return
	}
	pdf := d.pdf
	em := blk.Size / d.k // mm per em
	fontStyle := ""
	if blk.Style == typeset.Bold {
		fontStyle = "B"
	}
	for i, ln := range blk.Lines {
		x, base := blk.Origin(i, b.X, b.Y, b.W, b.H, align == "C")
		if len(ln.Runs) == 0 {
			continue
		}
		if len(ln.Runs) == 1 && ln.Runs[0].Face.Embedded {
			pdf.SetFont("go", fontStyle, blk.Size)
			pdf.Text(x, base, ln.Text)
			continue
		}
		d.outlines(x, base, blk.Size, ln)
		// The invisible text, stretched to the line's width so that a
		// reader's selection and search fall where the glyphs are.
		pdf.SetFont("go", fontStyle, blk.Size)
		if w := pdf.GetStringWidth(ln.Visual); w > 0 {
			pdf.SetFontSize(blk.Size * min(max(ln.W*em/w, 0.2), 5))
		}
		pdf.SetTextRenderingMode(3)
		pdf.Text(x, base, ln.Visual)
		pdf.SetTextRenderingMode(0)
	}
}

// outlines fills the glyphs of line ln at size pt, its baseline starting
// at (x, base) mm, in the current text colour.
func (d *drawer) outlines(x, base, pt float64, ln typeset.Line) {
	_, h := d.pdf.GetPageSize()
	r, g, bl := d.pdf.GetTextColor()
	buf := append(d.buf[:0], "q "...)
	for _, c := range []int{r, g, bl} {
		buf = strconv.AppendFloat(buf, float64(c)/255, 'f', 3, 64)
		buf = append(buf, ' ')
	}
	buf = append(buf, "rg\n"...)
	for _, run := range ln.Runs {
		scale := pt / run.Face.Upem() // points per font unit
		for _, gl := range run.Glyphs {
			path := glyphPath(run.Face, gl.ID)
			if len(path) == 0 {
				continue // a space
			}
			buf = append(buf, "q "...)
			buf = strconv.AppendFloat(buf, scale, 'f', 6, 64)
			buf = append(buf, " 0 0 "...)
			buf = strconv.AppendFloat(buf, scale, 'f', 6, 64)
			buf = append(buf, ' ')
			buf = d.num(buf, x*d.k+gl.X*pt)
			buf = d.num(buf, (h-base)*d.k+gl.Y*pt)
			buf = append(buf, "cm\n"...)
			buf = append(buf, path...)
			buf = append(buf, "f Q\n"...)
		}
	}
	buf = append(buf, "Q\n"...)
	d.pdf.RawWriteBuf(bytes.NewReader(buf))
	d.buf = buf
}

type glyphKey struct {
	face *typeset.Face
	id   uint16
}

// glyphPaths caches each glyph's outline as PDF path operators in font
// units: shared by every document, as the faces are.
var glyphPaths sync.Map // glyphKey → []byte

// glyphPath is glyph id of face f as PDF path operators (m, l, c) in font
// units; quadratic curves (TrueType) are raised to cubic ones.
func glyphPath(f *typeset.Face, id uint16) []byte {
	k := glyphKey{f, id}
	if p, ok := glyphPaths.Load(k); ok {
		return p.([]byte)
	}
	var buf []byte
	// Whole font units: one is a thousandth of an em or less, 0.008 mm at
	// 22 pt, far below what a printer shows; fractions would double the
	// size of the file.
	pt := func(v ...float32) {
		for _, x := range v {
			buf = strconv.AppendInt(buf, int64(math.Round(float64(x))), 10)
			buf = append(buf, ' ')
		}
	}
	var cx, cy float32
	for _, s := range f.Outline(id).Segments {
		a := s.Args
		switch s.Op {
		case ot.SegmentOpMoveTo:
			pt(a[0].X, a[0].Y)
			buf = append(buf, "m\n"...)
			cx, cy = a[0].X, a[0].Y
		case ot.SegmentOpLineTo:
			pt(a[0].X, a[0].Y)
			buf = append(buf, "l\n"...)
			cx, cy = a[0].X, a[0].Y
		case ot.SegmentOpQuadTo:
			q, e := a[0], a[1]
			pt(cx+2*(q.X-cx)/3, cy+2*(q.Y-cy)/3, e.X+2*(q.X-e.X)/3, e.Y+2*(q.Y-e.Y)/3, e.X, e.Y)
			buf = append(buf, "c\n"...)
			cx, cy = e.X, e.Y
		case ot.SegmentOpCubeTo:
			pt(a[0].X, a[0].Y, a[1].X, a[1].Y, a[2].X, a[2].Y)
			buf = append(buf, "c\n"...)
			cx, cy = a[2].X, a[2].Y
		}
	}
	glyphPaths.Store(k, buf)
	return buf
}

// Printable checks text at issue time against the fonts of a library and
// the largest shipped template: it is what signer.TextChecker wants.
type Printable struct {
	Fonts *typeset.Library
}

// CheckPrintable refuses text with a character no font of p prints and,
// for a holder's name ("name"), one that does not fit the name box of the
// largest shipped template at its smallest readable size.
func (p Printable) CheckPrintable(field, s string) error {
	style := typeset.Regular
	if field == "name" {
		style = typeset.Bold
	}
	if err := p.check(field, s, style); err != nil || field != "name" {
		return err
	}
	lib := p.Fonts
	if lib == nil {
		lib = typeset.Default()
	}
	t, b := largestNameBox()
	if _, err := lib.Fit(s, NameSpec(t, b)); err != nil {
		var tl *typeset.TooLongError
		if errors.As(err, &tl) {
			return fmt.Errorf("name is too long to print readably on any template: %d characters, and at most %d fit on the largest (%s); shorten it (initials for middle names)",
				tl.Len, tl.Fits, t.Name)
		}
		return fmt.Errorf("%s %w", field, err)
	}
	return nil
}

// CheckEvent refuses an event whose name, venue or branding text has a
// character no font of p prints, as [Printable.CheckPrintable] does for a
// holder's name: at event create, not when the first pass is drawn. The
// error starts with the field: "event name", "venue", "tour line", "short
// name" or "contact".
func (p Printable) CheckEvent(ev *pass.Event) error {
	for _, f := range [...]struct {
		field, s string
		style    typeset.Style
	}{{"event name", ev.Name, typeset.Bold}, {"venue", ev.Venue, typeset.Regular}} {
		if err := p.check(f.field, f.s, f.style); err != nil {
			return err
		}
	}
	return p.CheckBranding(nil, ev.Branding)
}

// CheckBranding refuses branding b whose tour line, short name or contact
// has a character no font of p prints; only the texts that differ from
// old (nil: a new event) are checked, so that a change of one field is
// not refused for another stored before this check.
func (p Printable) CheckBranding(old, b *pass.Branding) error {
	if b == nil {
		return nil
	}
	var o pass.Branding
	if old != nil {
		o = *old
	}
	for _, f := range [...]struct {
		field, was, s string
		style         typeset.Style
	}{{"tour line", o.Tour, b.Tour, typeset.Bold}, {"short name", o.Short, b.Short, typeset.Bold}, {"contact", o.Contact, b.Contact, typeset.Regular}} {
		if f.s == f.was {
			continue
		}
		if err := p.check(f.field, f.s, f.style); err != nil {
			return err
		}
	}
	return nil
}

// check refuses s, text of field printed in style, with a character no
// font of p prints.
func (p Printable) check(field, s string, style typeset.Style) error {
	if s == "" {
		return nil
	}
	lib := p.Fonts
	if lib == nil {
		lib = typeset.Default()
	}
	if err := lib.Check(s, style); err != nil {
		return fmt.Errorf("%s %w", field, err)
	}
	return nil
}

// largestNameBox is the shipped template with the widest name box.
var largestNameBox = sync.OnceValues(func() (*templates.Template, *templates.Box) {
	var bt *templates.Template
	var bb *templates.Box
	for _, t := range templates.List() {
		if t.Front.Name == nil {
			continue
		}
		if bb == nil || t.Front.Name.W*t.Front.Name.H > bb.W*bb.H {
			bt, bb = t, t.Front.Name
		}
	}
	return bt, bb
})
