// Package templates holds Laminate's sheet and label templates as data:
// embedded JSON files (shipped/*.json) and user files loaded with
// [ParseFile]. A template says where each label sits on a page and where
// each element of a pass sits on a label; it draws nothing itself.
//
// All lengths are millimetres, measured from the top-left corner: a label's
// position from the page's, an element box's from the label's.
package templates

// Template is one printable layout: a page holding a grid of labels.
type Template struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Source says where the numbers come from (the label maker's published
	// template, a standard), so they can be checked.
	Source string `json:"source"`

	Page  Size  `json:"page"`
	Label Label `json:"label"`
	Grid  Grid  `json:"grid"`

	// Bleed is how far the background band extends past the label edge
	// (for die-cut stock); 0 for none.
	Bleed float64 `json:"bleed"`
	// SafeMargin keeps text and codes this far inside the label edge, against
	// the shift of sticker printers (docs/design.md, "Printing": 2 mm).
	SafeMargin float64 `json:"safe_margin"`
	// MinModule is the smallest QR module, in mm, that this stock prints
	// crisply; a pass whose QR would be smaller is refused.
	MinModule float64 `json:"min_module"`
	// QRLevel is the QR error-correction level: "L", "M" (the default),
	// "Q" or "H". With the box fixed, a higher level means more, smaller
	// modules: more redundancy against creases and stains, less margin
	// against blur. Each shipped template's level is chosen from the wear
	// suite (render/wear_test.go; the figures are in its description).
	QRLevel string `json:"qr_level,omitempty"`
	// Printable is the margin of the page a printer cannot reach.
	Printable float64 `json:"printable_margin"`
	// MinCapHeight is the smallest cap height, in mm, of the holder's name
	// (0: 2.2 mm on badges, 1.8 mm on round stickers, read at arm's
	// length); a name that only fits smaller is refused. See [MinNameCap].
	MinCapHeight float64 `json:"min_cap_height,omitempty"`

	// Front holds the element boxes of the pass face; Back those of the
	// back side printed with --duplex (nil: the template has no back).
	Front Boxes  `json:"front"`
	Back  *Boxes `json:"back,omitempty"`
}

// Size is a width and height in mm.
type Size struct {
	W float64 `json:"w"`
	H float64 `json:"h"`
}

// Label is the shape of one label.
type Label struct {
	W            float64 `json:"w"`
	H            float64 `json:"h"`
	Shape        string  `json:"shape"`         // "rect" or "round" (a circle of diameter W = H)
	CornerRadius float64 `json:"corner_radius"` // rect only
}

// Grid places labels on the page: Columns x Rows labels, the first with
// its top-left corner at (Left, Top), the next ones PitchX and PitchY
// further (label size plus gutter).
type Grid struct {
	Columns int     `json:"columns"`
	Rows    int     `json:"rows"`
	Left    float64 `json:"left"`
	Top     float64 `json:"top"`
	PitchX  float64 `json:"pitch_x"`
	PitchY  float64 `json:"pitch_y"`
}

// Box is a rectangle on a label, from the label's top-left corner.
type Box struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

// Boxes are the element boxes of one side of a pass. A nil box means the
// template has no room for that element.
//
// Every text box, the logo and the serial are printed on a clear panel
// (render draws it): the artwork stays a security print around and, faintly,
// behind them, but never under the strokes of a letter.
type Boxes struct {
	Band     *Box `json:"band,omitempty"`     // pass type in large letters on the type's colour
	Event    *Box `json:"event,omitempty"`    // event name (and venue, date)
	Name     *Box `json:"name,omitempty"`     // holder's name
	Org      *Box `json:"org,omitempty"`      // org / role
	QR       *Box `json:"qr"`                 // the QR code, square, quiet zone included
	Serial   *Box `json:"serial,omitempty"`   // human-readable serial
	Artwork  *Box `json:"artwork,omitempty"`  // unique serial artwork
	Zones    *Box `json:"zones,omitempty"`    // zones and phases allowed
	Validity *Box `json:"validity,omitempty"` // validity dates
	Rules    *Box `json:"rules,omitempty"`    // back side: rules text
	// Photo is the holder's photo, pass.PhotoAspectW:PhotoAspectH (3:4
	// portrait) like the stored photos; a pass without a photo leaves it
	// empty.
	Photo *Box `json:"photo,omitempty"`

	// Branding (issue 12). Each is optional; an event without a logo, tour
	// line or contact leaves its box to the artwork.
	Logo    *Box `json:"logo,omitempty"`    // the event's logo, fitted inside, aspect kept
	Tour    *Box `json:"tour,omitempty"`    // tour or artist line
	Contact *Box `json:"contact,omitempty"` // production-office contact line
	// LanyardSlot marks where the stock is punched for a lanyard clip: a
	// hole through both sides, so a back side's slot mirrors the front's.
	// It may lie over the band and the artwork, nothing else.
	LanyardSlot *Box `json:"lanyard_slot,omitempty"`
}

// MinNameCap is the smallest cap height, in mm, the holder's name prints
// at on this template: MinCapHeight, or 2.2 mm on badges and 1.8 mm on
// round stickers.
func (t *Template) MinNameCap() float64 {
	switch {
	case t.MinCapHeight > 0:
		return t.MinCapHeight
	case t.Label.Shape == "round":
		return 1.8
	}
	return 2.2
}

// PerPage is the number of labels on a page.
func (t *Template) PerPage() int { return t.Grid.Columns * t.Grid.Rows }

// LabelOrigin returns the top-left corner of label i (0-based, row by row)
// on its page.
func (t *Template) LabelOrigin(i int) (x, y float64) {
	i %= t.PerPage()
	col, row := i%t.Grid.Columns, i/t.Grid.Columns
	return t.Grid.Left + float64(col)*t.Grid.PitchX, t.Grid.Top + float64(row)*t.Grid.PitchY
}

// BackOrigin is the top-left corner of the back of label i on the back
// page: mirrored left to right, because a duplex printer flips the sheet on
// its long edge.
func (t *Template) BackOrigin(i int) (x, y float64) {
	x, y = t.LabelOrigin(i)
	return t.Page.W - x - t.Label.W, y
}
