package templates

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/laminate/laminate/pass"
)

// QRModules is the edge, in modules, that every template must leave room
// for at its MinModule: a version-12 QR code (65 modules) with its 4-module
// quiet zone on each side. Version 12 at error correction level M holds up
// to 287 bytes, which covers a pass token of about 270 characters in byte
// mode; the numeric transport form (two digits per character) needs only
// version 11, 69 modules, so it always fits too.
const QRModules = 73

// Limits on templates, to refuse nonsense before it reaches a printer.
const (
	minPage  = 50.0   // mm; smaller than any label sheet
	maxPage  = 1000.0 // mm; larger than any office printer
	maxCells = 100    // columns or rows on one page
	eps      = 1e-6   // mm; tolerance of geometric comparisons
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,40}$`)

// fieldError is one validation failure, named by its JSON field.
func fieldError(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrTemplate, field, fmt.Sprintf(format, args...))
}

// mm formats a length for an error message: at most 3 decimals, no
// trailing zeros ("101.6", "0.45").
func mm(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Validate checks that t can be printed: sizes are sane, the grid fits on
// the page without labels overlapping, every element box lies inside its
// label's safe area (inside the circle for round labels, clear of the
// rounded corners for rect labels) and inside the printable area of the
// page on both sides, boxes do not overlap, and the QR box is square and
// large enough for [QRModules] modules of MinModule.
//
// Boxes may touch but not overlap, with two exceptions: the artwork is a
// background, clipped to the label's shape, and may lie behind anything
// and reach the label edge (the QR code paints its own white quiet zone
// over it, the band its colour, text its clear panel); it must only stay
// on the label. And a lanyard slot may be punched through the band. A
// slot is for rect stock only, and a back side's slot mirrors the front's.
//
// Every error wraps [ErrTemplate] and names the JSON field at fault. Checks
// run in stages (fields, then grid, then boxes) and stop after the first
// stage that fails, so that one mistake does not cascade into many; the
// errors of that stage are joined.
func (t *Template) Validate() error {
	if t == nil {
		return fmt.Errorf("%w: no template", ErrTemplate)
	}
	for _, stage := range []func() []error{t.checkFields, t.checkGrid, t.checkBoxes} {
		if errs := stage(); len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	return nil
}

func (t *Template) checkFields() []error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }

	if !nameRE.MatchString(t.Name) {
		add(fieldError("name", "%q must match %s", t.Name, nameRE))
	}

	for _, f := range []struct {
		field string
		v     float64
	}{{"page.w", t.Page.W}, {"page.h", t.Page.H}} {
		if !finite(f.v) || f.v < minPage || f.v > maxPage {
			add(fieldError(f.field, "%s mm is not a page size (%s to %s mm)", mm(f.v), mm(minPage), mm(maxPage)))
		}
	}

	l := t.Label
	labelOK := true
	for _, f := range []struct {
		field string
		v     float64
	}{{"label.w", l.W}, {"label.h", l.H}} {
		if !finite(f.v) || f.v <= 0 {
			add(fieldError(f.field, "must be > 0"))
			labelOK = false
		}
	}
	switch l.Shape {
	case "rect":
		if !finite(l.CornerRadius) || l.CornerRadius < 0 {
			add(fieldError("label.corner_radius", "must be >= 0"))
		} else if labelOK && l.CornerRadius > math.Min(l.W, l.H)/2+eps {
			add(fieldError("label.corner_radius", "%s mm is more than half the label's shorter side", mm(l.CornerRadius)))
		}
	case "round":
		if labelOK && math.Abs(l.W-l.H) > eps {
			add(fieldError("label", "a round label needs w = h (got %s x %s mm)", mm(l.W), mm(l.H)))
		}
		if l.CornerRadius != 0 {
			add(fieldError("label.corner_radius", "only for rect labels"))
		}
	default:
		add(fieldError("label.shape", "%q must be \"rect\" or \"round\"", l.Shape))
	}

	short := math.Min(l.W, l.H)
	if !finite(t.SafeMargin) || t.SafeMargin < 0 {
		add(fieldError("safe_margin", "must be >= 0"))
	} else if labelOK && t.SafeMargin*2 >= short {
		add(fieldError("safe_margin", "%s mm leaves no room on a label %s mm across", mm(t.SafeMargin), mm(short)))
	}
	if !finite(t.Bleed) || t.Bleed < 0 {
		add(fieldError("bleed", "must be >= 0"))
	} else if t.Bleed > 10 {
		add(fieldError("bleed", "%s mm is more than 10 mm", mm(t.Bleed)))
	}
	if !finite(t.MinModule) || t.MinModule <= 0 {
		add(fieldError("min_module", "must be > 0"))
	} else if t.MinModule > 5 {
		add(fieldError("min_module", "%s mm is more than 5 mm", mm(t.MinModule)))
	}
	switch t.QRLevel {
	case "", "L", "M", "Q", "H":
	default:
		add(fieldError("qr_level", "%q: want \"L\", \"M\" (default), \"Q\" or \"H\" (measure with the wear suite: LAMINATE_WEAR=full go test ./render -run TestWear)", t.QRLevel))
	}
	if !finite(t.MinCapHeight) || t.MinCapHeight < 0 || t.MinCapHeight > 20 {
		add(fieldError("min_cap_height", "must be between 0 (the default) and 20 mm"))
	}
	if !finite(t.Printable) || t.Printable < 0 {
		add(fieldError("printable_margin", "must be >= 0"))
	} else if t.Printable*2 >= math.Min(t.Page.W, t.Page.H) {
		add(fieldError("printable_margin", "%s mm leaves nothing printable", mm(t.Printable)))
	}

	if t.Front.QR == nil {
		add(fieldError("front.qr", "missing: every pass needs its QR code"))
	}
	if t.Back != nil && t.Back.QR == nil {
		add(fieldError("back.qr", "missing: a back side repeats the QR code (badges flip on lanyards)"))
	}
	return errs
}

func (t *Template) checkGrid() []error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	g, l := t.Grid, t.Label

	if g.Columns < 1 || g.Columns > maxCells {
		add(fieldError("grid.columns", "%d must be 1 to %d", g.Columns, maxCells))
	}
	if g.Rows < 1 || g.Rows > maxCells {
		add(fieldError("grid.rows", "%d must be 1 to %d", g.Rows, maxCells))
	}
	for _, f := range []struct {
		field string
		v     float64
	}{{"grid.left", g.Left}, {"grid.top", g.Top}, {"grid.pitch_x", g.PitchX}, {"grid.pitch_y", g.PitchY}} {
		if !finite(f.v) || f.v < 0 {
			add(fieldError(f.field, "must be >= 0"))
		}
	}
	if len(errs) > 0 {
		return errs
	}

	// Labels must not overlap; with bleed, neither may their bleeds.
	if g.Columns > 1 {
		if g.PitchX < l.W-eps {
			add(fieldError("grid.pitch_x", "%s mm is less than the label width %s mm: labels overlap", mm(g.PitchX), mm(l.W)))
		} else if t.Bleed > 0 && g.PitchX-l.W < 2*t.Bleed-eps {
			add(fieldError("bleed", "%s mm on both sides does not fit in the %s mm gutter between columns", mm(t.Bleed), mm(g.PitchX-l.W)))
		}
	}
	if g.Rows > 1 {
		if g.PitchY < l.H-eps {
			add(fieldError("grid.pitch_y", "%s mm is less than the label height %s mm: labels overlap", mm(g.PitchY), mm(l.H)))
		} else if t.Bleed > 0 && g.PitchY-l.H < 2*t.Bleed-eps {
			add(fieldError("bleed", "%s mm on both sides does not fit in the %s mm gutter between rows", mm(t.Bleed), mm(g.PitchY-l.H)))
		}
	}

	// The whole grid must lie on the page (labels may reach into the
	// unprintable margin, element boxes may not: see checkBoxes).
	if right := g.Left + float64(g.Columns-1)*g.PitchX + l.W; right > t.Page.W+eps {
		add(fieldError("grid", "%d columns of pitch %s mm do not fit on a page %s mm wide (left %s, label %s: right edge at %s mm)",
			g.Columns, mm(g.PitchX), mm(t.Page.W), mm(g.Left), mm(l.W), mm(right)))
	}
	if bottom := g.Top + float64(g.Rows-1)*g.PitchY + l.H; bottom > t.Page.H+eps {
		add(fieldError("grid", "%d rows of pitch %s mm do not fit on a page %s mm high (top %s, label %s: bottom edge at %s mm)",
			g.Rows, mm(g.PitchY), mm(t.Page.H), mm(g.Top), mm(l.H), mm(bottom)))
	}
	return errs
}

// namedBox is an element box with its JSON name.
type namedBox struct {
	name string
	box  *Box
}

// list returns the non-nil boxes of b in a fixed order.
func (b *Boxes) list() []namedBox {
	all := []namedBox{
		{"band", b.Band}, {"event", b.Event}, {"name", b.Name}, {"org", b.Org},
		{"qr", b.QR}, {"serial", b.Serial}, {"artwork", b.Artwork},
		{"zones", b.Zones}, {"validity", b.Validity}, {"rules", b.Rules},
		{"logo", b.Logo}, {"tour", b.Tour}, {"contact", b.Contact}, {"photo", b.Photo},
		{"lanyard_slot", b.LanyardSlot},
	}
	out := all[:0]
	for _, nb := range all {
		if nb.box != nil {
			out = append(out, nb)
		}
	}
	return out
}

// MinPhotoWidth is the narrowest photo box, in mm: 10 mm (a face about
// 7 mm wide) is what the CR80 card's left column leaves beside the name;
// door staff compare it with the larger photo their screen shows online.
const MinPhotoWidth = 10.0

func (t *Template) checkBoxes() []error {
	errs := t.checkSide("front", &t.Front)
	if t.Back != nil {
		errs = append(errs, t.checkSide("back", t.Back)...)
	}
	return append(errs, t.checkSlot()...)
}

func (t *Template) checkSide(side string, b *Boxes) []error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	boxes := b.list()

	for _, nb := range boxes {
		field, x := side+"."+nb.name, nb.box
		if !finite(x.X) || !finite(x.Y) || !finite(x.W) || !finite(x.H) || x.W <= 0 || x.H <= 0 {
			add(fieldError(field, "needs finite x, y and w, h > 0"))
			continue
		}
		if nb.name == "artwork" {
			if x.X < -eps || x.Y < -eps || x.X+x.W > t.Label.W+eps || x.Y+x.H > t.Label.H+eps {
				add(fieldError(field, "not on the label"))
			}
			continue
		}
		if !t.insideSafeArea(*x) {
			add(fieldError(field, "outside the label's safe area (%s mm inside the %s label edge)", mm(t.SafeMargin), t.Label.Shape))
		} else if !t.insidePrintable(side, *x) {
			add(fieldError(field, "reaches into the page's unprintable margin (%s mm) on some label", mm(t.Printable)))
		}
	}
	if len(errs) > 0 {
		return errs
	}

	if qr := b.QR; qr != nil {
		if math.Abs(qr.W-qr.H) > eps {
			add(fieldError(side+".qr", "not square (%s x %s mm)", mm(qr.W), mm(qr.H)))
		} else if need := QRModules * t.MinModule; qr.W < need-eps {
			add(fieldError(side+".qr", "%s mm holds %d modules of only %s mm, below min_module %s mm (needs %s mm)",
				mm(qr.W), QRModules, mm(qr.W/QRModules), mm(t.MinModule), mm(need)))
		}
	}

	if ph := b.Photo; ph != nil {
		if want := ph.H * pass.PhotoAspectW / pass.PhotoAspectH; math.Abs(ph.W-want) > 0.01*want {
			add(fieldError(side+".photo", "%s x %s mm is not %d:%d like the photos (make w %s mm)", mm(ph.W), mm(ph.H), pass.PhotoAspectW, pass.PhotoAspectH, mm(want)))
		} else if ph.W < MinPhotoWidth-eps {
			add(fieldError(side+".photo", "%s mm wide, below %s mm: a face is not recognisable smaller", mm(ph.W), mm(MinPhotoWidth)))
		}
	}

	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			a, c := boxes[i], boxes[j]
			if !overlap(*a.box, *c.box) {
				continue
			}
			if a.name == "artwork" || c.name == "artwork" {
				continue // a background
			}
			if slotOver(a.name, c.name) || slotOver(c.name, a.name) {
				continue // the slot is punched through the band
			}
			add(fieldError(side+"."+a.name, "overlaps %s.%s", side, c.name))
		}
	}
	return errs
}

// slotOver reports whether a lanyard slot (a) may lie over element c: the
// band only, whose colour runs round the hole.
func slotOver(a, c string) bool { return a == "lanyard_slot" && c == "band" }

// checkSlot checks the lanyard slot: rect stock only (a round sticker is
// not hung), and the back's slot is the same hole seen from behind, so it
// mirrors the front's.
func (t *Template) checkSlot() []error {
	var errs []error
	f := t.Front.LanyardSlot
	if t.Label.Shape == "round" {
		if f != nil || (t.Back != nil && t.Back.LanyardSlot != nil) {
			errs = append(errs, fieldError("lanyard_slot", "round labels are stuck on, not hung: remove it"))
		}
		return errs
	}
	if t.Back == nil {
		return nil
	}
	b := t.Back.LanyardSlot
	switch {
	case f == nil && b == nil:
	case f == nil || b == nil:
		errs = append(errs, fieldError("back.lanyard_slot", "the slot is one hole through the card: set it on both sides or neither"))
	case math.Abs(b.X-(t.Label.W-f.X-f.W)) > 0.01 || math.Abs(b.Y-f.Y) > 0.01 || math.Abs(b.W-f.W) > 0.01 || math.Abs(b.H-f.H) > 0.01:
		errs = append(errs, fieldError("back.lanyard_slot", "must mirror front.lanyard_slot (x %s, y %s, w %s, h %s): the back page is flipped left to right",
			mm(t.Label.W-f.X-f.W), mm(f.Y), mm(f.W), mm(f.H)))
	}
	return errs
}

// overlap reports whether two boxes share more than an edge.
func overlap(a, b Box) bool {
	return a.X < b.X+b.W-eps && b.X < a.X+a.W-eps &&
		a.Y < b.Y+b.H-eps && b.Y < a.Y+a.H-eps
}

// insideSafeArea reports whether box b lies within the label shrunk by the
// safe margin: a circle of radius R - safe for round labels, a rectangle
// with its corners rounded to radius corner_radius - safe for rect labels.
// Both regions are convex, so checking the box's four corners suffices.
func (t *Template) insideSafeArea(b Box) bool {
	l, s := t.Label, t.SafeMargin
	corners := [4][2]float64{{b.X, b.Y}, {b.X + b.W, b.Y}, {b.X, b.Y + b.H}, {b.X + b.W, b.Y + b.H}}
	for _, p := range corners {
		x, y := p[0], p[1]
		if x < s-eps || y < s-eps || x > l.W-s+eps || y > l.H-s+eps {
			return false
		}
		switch l.Shape {
		case "round":
			r := l.W / 2
			if math.Hypot(x-r, y-r) > r-s+eps {
				return false
			}
		case "rect":
			r := l.CornerRadius
			if r <= s {
				continue // the rounding lies entirely within the margin
			}
			// Only points beyond a corner's centre in both directions lie
			// in its rounded zone.
			if (x >= r && x <= l.W-r) || (y >= r && y <= l.H-r) {
				continue
			}
			cx, cy := r, r
			if x > r {
				cx = l.W - r
			}
			if y > r {
				cy = l.H - r
			}
			if math.Hypot(x-cx, y-cy) > r-s+eps {
				return false
			}
		}
	}
	return true
}

// insidePrintable reports whether box b, on every label of the given side,
// lies inside the printable area of the page. Columns and rows are
// independent, so each axis is checked on its own.
func (t *Template) insidePrintable(side string, b Box) bool {
	p, g := t.Printable, t.Grid
	for c := 0; c < g.Columns; c++ {
		x := g.Left + float64(c)*g.PitchX
		if side == "back" {
			x = t.Page.W - x - t.Label.W // as BackOrigin
		}
		if x+b.X < p-eps || x+b.X+b.W > t.Page.W-p+eps {
			return false
		}
	}
	for r := 0; r < g.Rows; r++ {
		y := g.Top + float64(r)*g.PitchY
		if y+b.Y < p-eps || y+b.Y+b.H > t.Page.H-p+eps {
			return false
		}
	}
	return true
}
