package templates

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/layout/*.golden from the shipped templates")

var shippedNames = []string{
	"badge-4x3-letter",
	"badge-a6-a4",
	"badge-cr80-letter",
	"sticker-round-2in-letter",
	"sticker-round-50mm-a4",
}

func TestListShipped(t *testing.T) {
	ts := List()
	var names []string
	for _, tp := range ts {
		names = append(names, tp.Name)
	}
	if !reflect.DeepEqual(names, shippedNames) {
		t.Fatalf("List() names = %v, want %v", names, shippedNames)
	}
	for _, tp := range ts {
		t.Run(tp.Name, func(t *testing.T) {
			if err := tp.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			if tp.Source == "" || tp.Description == "" {
				t.Errorf("source and description must say where the numbers come from")
			}
			for _, side := range []string{"front", "back"} {
				size := tp.QRSize(side)
				if side == "back" && tp.Back == nil {
					if size != 0 {
						t.Errorf("QRSize(back) = %v without a back", size)
					}
					continue
				}
				if size < QRModules*tp.MinModule {
					t.Errorf("QRSize(%s) = %v, below %d x %v", side, size, QRModules, tp.MinModule)
				}
				t.Logf("%s: page %vx%v, label %vx%v %s, %dx%d, %s QR %v mm = %.3f mm modules at %d",
					tp.Name, tp.Page.W, tp.Page.H, tp.Label.W, tp.Label.H, tp.Label.Shape,
					tp.Grid.Columns, tp.Grid.Rows, side, size, size/QRModules, QRModules)
			}
			// Badges flip on lanyards: they need a back; stickers have none.
			if badge := strings.HasPrefix(tp.Name, "badge-"); badge != (tp.Back != nil) {
				t.Errorf("back = %v, want a back exactly for badges", tp.Back != nil)
			}
		})
	}
}

func TestListReturnsCopies(t *testing.T) {
	a := List()[0]
	a.Name = "changed"
	a.Front.QR.W = 1
	b := List()[0]
	if b.Name == "changed" || b.Front.QR.W == 1 {
		t.Fatalf("List() shares templates between calls")
	}
	g, err := Get(b.Name)
	if err != nil {
		t.Fatal(err)
	}
	g.Back.QR.X = 99
	if h, _ := Get(b.Name); h.Back.QR.X == 99 {
		t.Fatalf("Get() shares the back boxes between calls")
	}
}

func TestGet(t *testing.T) {
	for _, name := range shippedNames {
		tp, err := Get(name)
		if err != nil || tp.Name != name {
			t.Errorf("Get(%q) = %v, %v", name, tp, err)
		}
	}
	_, err := Get("badge-5x4")
	if !errors.Is(err, ErrUnknown) {
		t.Fatalf("Get(unknown) error = %v, want ErrUnknown", err)
	}
	for _, name := range shippedNames {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("Get(unknown) error %q does not list %s", err, name)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	tp, _ := Get("badge-a6-a4")
	tp.Name = "my-badge"
	data, err := json.Marshal(tp)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "custom.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name": "x", "comment": "no"}`), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, arg, want string
		err             error
	}{
		{"ok/shipped", "sticker-round-2in-letter", "sticker-round-2in-letter", nil},
		{"ok/path", file, "my-badge", nil},
		{"fail/unknown-name", "nope", "", ErrUnknown},
		{"fail/missing-json-file", "nope.json", "", os.ErrNotExist},
		{"fail/bad-file", bad, "", ErrTemplate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(tc.arg)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Load(%q) error = %v, want %v", tc.arg, err, tc.err)
				}
				return
			}
			if err != nil || got.Name != tc.want {
				t.Fatalf("Load(%q) = %v, %v, want %s", tc.arg, got, err, tc.want)
			}
		})
	}
	if _, err := ParseFile(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": bad template: ") {
		t.Errorf("ParseFile error %q does not start with the path", err)
	}
}

func shippedJSON(t testing.TB, name string) []byte {
	t.Helper()
	data, err := shippedFS.ReadFile("shipped/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParse(t *testing.T) {
	base := shippedJSON(t, "badge-4x3-letter")
	tests := []struct {
		name  string
		input []byte
		want  string // substring of the error; "" for ok
	}{
		{"ok/shipped", base, ""},
		{"ok/trailing-space", append(bytes.Clone(base), " \n"...), ""},
		{"fail/unknown-field", bytes.Replace(base, []byte(`"bleed"`), []byte(`"comment": "x", "bleed"`), 1), `unknown field "comment"`},
		{"fail/trailing-data", append(bytes.Clone(base), "{}"...), "data after the template object"},
		{"fail/not-json", []byte("name: x"), "bad template: invalid character"},
		{"fail/empty", nil, "bad template: EOF"},
		{"fail/wrong-type", bytes.Replace(base, []byte(`"columns": 2`), []byte(`"columns": "2"`), 1), "grid.columns"},
		{"fail/too-large", append(bytes.Clone(base), bytes.Repeat([]byte(" "), 64<<10)...), "larger than 64 KiB"},
		{"fail/null-qr", bytes.Replace(base, []byte(`"qr":       {"x": 38.6, "y": 13.2, "w": 60, "h": 60}`), []byte(`"qr": null`), 1), "front.qr: missing"},
		{"fail/validates", bytes.Replace(base, []byte(`"w": 101.6, "h": 76.2, "shape"`), []byte(`"w": 0, "h": 76.2, "shape"`), 1), "label.w: must be > 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(bytes.NewReader(tc.input))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Parse() = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse() error = %v, want ErrTemplate containing %q", err, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		base   string
		change func(*Template)
		want   string // substring of the error; "" for ok
	}{
		{"ok/unchanged", "badge-4x3-letter", func(*Template) {}, ""},
		{"ok/artwork-behind-text", "badge-4x3-letter", func(t *Template) { t.Front.Artwork = &Box{3, 17, 37.6, 56.2} }, ""},
		{"ok/artwork-whole-label", "badge-4x3-letter", func(t *Template) { t.Front.Artwork = &Box{0, 0, 101.6, 76.2} }, ""},
		{"ok/boxes-touch", "badge-4x3-letter", func(t *Template) { t.Front.Name.H = 11.5 }, ""},
		{"ok/exact-min-module", "badge-4x3-letter", func(t *Template) { t.MinModule = t.Front.QR.W / QRModules }, ""},

		{"fail/name-empty", "badge-4x3-letter", func(t *Template) { t.Name = "" }, `bad template: name: "" must match`},
		{"fail/name-upper", "badge-4x3-letter", func(t *Template) { t.Name = "Badge" }, "name: "},
		{"fail/name-slash", "badge-4x3-letter", func(t *Template) { t.Name = "a/b" }, "name: "},
		{"fail/name-long", "badge-4x3-letter", func(t *Template) { t.Name = strings.Repeat("a", 42) }, "name: "},
		{"fail/page-small", "badge-4x3-letter", func(t *Template) { t.Page.W = 49 }, "page.w: 49 mm is not a page size"},
		{"fail/page-large", "badge-4x3-letter", func(t *Template) { t.Page.H = 1001 }, "page.h: 1001 mm is not a page size"},
		{"fail/page-nan", "badge-4x3-letter", func(t *Template) { t.Page.H = math.NaN() }, "page.h: NaN mm is not a page size"},
		{"fail/label-w-zero", "badge-4x3-letter", func(t *Template) { t.Label.W = 0 }, "bad template: label.w: must be > 0"},
		{"fail/label-h-negative", "badge-4x3-letter", func(t *Template) { t.Label.H = -1 }, "label.h: must be > 0"},
		{"fail/label-inf", "badge-4x3-letter", func(t *Template) { t.Label.W = math.Inf(1) }, "label.w: must be > 0"},
		{"fail/shape", "badge-4x3-letter", func(t *Template) { t.Label.Shape = "oval" }, `label.shape: "oval" must be "rect" or "round"`},
		{"fail/shape-empty", "badge-4x3-letter", func(t *Template) { t.Label.Shape = "" }, "label.shape"},
		{"fail/round-not-circle", "sticker-round-2in-letter", func(t *Template) { t.Label.H = 40 }, "label: a round label needs w = h (got 50.8 x 40 mm)"},
		{"fail/round-corner-radius", "sticker-round-2in-letter", func(t *Template) { t.Label.CornerRadius = 2 }, "label.corner_radius: only for rect labels"},
		{"fail/corner-radius-negative", "badge-cr80-letter", func(t *Template) { t.Label.CornerRadius = -1 }, "label.corner_radius: must be >= 0"},
		{"fail/corner-radius-huge", "badge-cr80-letter", func(t *Template) { t.Label.CornerRadius = 30 }, "label.corner_radius: 30 mm is more than half"},
		{"fail/safe-negative", "badge-4x3-letter", func(t *Template) { t.SafeMargin = -1 }, "safe_margin: must be >= 0"},
		{"fail/safe-huge", "badge-4x3-letter", func(t *Template) { t.SafeMargin = 40 }, "safe_margin: 40 mm leaves no room"},
		{"fail/bleed-negative", "badge-4x3-letter", func(t *Template) { t.Bleed = -0.5 }, "bleed: must be >= 0"},
		{"fail/bleed-no-gutter", "badge-4x3-letter", func(t *Template) { t.Bleed = 1 }, "bleed: 1 mm on both sides does not fit in the 0 mm gutter between columns"},
		{"ok/qr-level-q", "badge-4x3-letter", func(t *Template) { t.QRLevel = "Q" }, ""},
		{"ok/qr-level-h", "badge-4x3-letter", func(t *Template) { t.QRLevel = "H" }, ""},
		{"fail/qr-level-lower-case", "badge-4x3-letter", func(t *Template) { t.QRLevel = "q" }, `qr_level: "q": want "L", "M" (default), "Q" or "H"`},
		{"fail/min-module-zero", "badge-4x3-letter", func(t *Template) { t.MinModule = 0 }, "min_module: must be > 0"},
		{"fail/min-module-huge", "badge-4x3-letter", func(t *Template) { t.MinModule = 6 }, "min_module: 6 mm is more than 5 mm"},
		{"fail/printable-negative", "badge-4x3-letter", func(t *Template) { t.Printable = -1 }, "printable_margin: must be >= 0"},
		{"fail/front-qr-missing", "badge-4x3-letter", func(t *Template) { t.Front.QR = nil }, "front.qr: missing"},
		{"fail/back-qr-missing", "badge-4x3-letter", func(t *Template) { t.Back.QR = nil }, "back.qr: missing"},

		{"fail/columns-zero", "badge-4x3-letter", func(t *Template) { t.Grid.Columns = 0 }, "grid.columns: 0 must be 1 to 100"},
		{"fail/rows-huge", "badge-4x3-letter", func(t *Template) { t.Grid.Rows = 101 }, "grid.rows: 101 must be 1 to 100"},
		{"fail/left-negative", "badge-4x3-letter", func(t *Template) { t.Grid.Left = -1 }, "grid.left: must be >= 0"},
		{"fail/columns-do-not-fit", "badge-4x3-letter", func(t *Template) { t.Label.W, t.Grid.PitchX, t.Grid.Columns = 70, 70, 3; t.Grid.Left = 10 },
			"grid: 3 columns of pitch 70 mm do not fit on a page 215.9 mm wide"},
		{"fail/rows-do-not-fit", "badge-4x3-letter", func(t *Template) { t.Grid.Rows = 4 }, "grid: 4 rows of pitch 76.2 mm do not fit on a page 279.4 mm high"},
		{"fail/labels-overlap-x", "badge-4x3-letter", func(t *Template) { t.Grid.PitchX = 100 }, "grid.pitch_x: 100 mm is less than the label width 101.6 mm: labels overlap"},
		{"fail/labels-overlap-y", "sticker-round-2in-letter", func(t *Template) { t.Grid.PitchY = 50 }, "grid.pitch_y: 50 mm is less than the label height 50.8 mm: labels overlap"},

		{"fail/qr-not-square", "badge-4x3-letter", func(t *Template) { t.Front.QR = &Box{50, 20, 30, 28} }, "front.qr: not square (30 x 28 mm)"},
		{"fail/qr-too-small", "badge-4x3-letter", func(t *Template) { t.Front.QR = &Box{50, 20, 32.85, 32.85} },
			"front.qr: 32.85 mm holds 73 modules of only 0.45 mm, below min_module 0.5 mm (needs 36.5 mm)"},
		{"fail/back-qr-too-small", "badge-a6-a4", func(t *Template) { t.Back.QR = &Box{8, 18, 36, 36} }, "back.qr: 36 mm holds 73 modules of only 0.493 mm, below min_module 0.5 mm"},
		{"fail/sticker-at-0.45", "sticker-round-50mm-a4", func(t *Template) { t.MinModule = 0.45 }, "front.qr: 32.5 mm holds 73 modules of only 0.445 mm"},
		{"fail/box-zero", "badge-4x3-letter", func(t *Template) { t.Front.Org.W = 0 }, "front.org: needs finite x, y and w, h > 0"},
		{"fail/box-outside-label", "badge-4x3-letter", func(t *Template) { t.Front.Name.X = 90 }, "front.name: outside the label's safe area"},
		{"fail/box-in-safe-margin", "badge-4x3-letter", func(t *Template) { t.Front.Band.Y = 2 }, "front.band: outside the label's safe area (3 mm inside the rect label edge)"},
		{"fail/box-in-rounded-corner", "badge-cr80-letter", func(t *Template) { t.Front.Band.X, t.Front.Band.Y = 2.5, 2.5 }, "front.band: outside the label's safe area"},
		{"ok/box-at-corner-straight-edge", "badge-cr80-letter", func(t *Template) { t.Front.Band.X, t.Front.Band.Y = 3.18, 2.5 }, ""},
		{"fail/box-outside-circle", "sticker-round-2in-letter", func(t *Template) { t.Front.Band.W, t.Front.Band.X = 30, 10.4 }, "front.band: outside the label's safe area (2 mm inside the round label edge)"},
		{"fail/qr-corner-outside-circle", "sticker-round-2in-letter", func(t *Template) { t.Front.QR = &Box{8.8, 8.8, 33.2, 33.2} }, "front.qr: outside the label's safe area"},
		{"fail/back-box-outside", "badge-a6-a4", func(t *Template) { t.Back.Rules.H = 40 }, "back.rules: outside the label's safe area"},
		{"fail/unprintable", "badge-a6-a4", func(t *Template) { t.SafeMargin = 3; t.Front.Band.X = 3 }, "front.band: reaches into the page's unprintable margin (4 mm)"},
		{"fail/unprintable-back-mirrored", "badge-a6-a4", func(t *Template) { t.SafeMargin, t.Grid.Left, t.Back.Band.X = 3, 0, 3 }, "back.band: reaches into the page's unprintable margin"},
		{"fail/overlap", "badge-4x3-letter", func(t *Template) { t.Front.Name.H = 12 }, "front.name: overlaps front.org"},
		{"fail/overlap-qr", "badge-4x3-letter", func(t *Template) { t.Front.Zones.W = 45 }, "front.qr: overlaps front.zones"},
		{"fail/band-contains", "badge-4x3-letter", func(t *Template) { t.Front.Event = &Box{10, 5, 20, 5} }, "front.band: overlaps front.event"},
		{"fail/artwork-off-label", "badge-4x3-letter", func(t *Template) { t.Front.Artwork.W = 102 }, "front.artwork: not on the label"},

		// Branding elements (issue 12): inside the safe area, clear of the
		// other elements; the slot may cross the band only, on rect stock,
		// and is one hole through both sides.
		{"ok/no-branding-boxes", "badge-4x3-letter", func(t *Template) {
			t.Front.Logo, t.Front.Tour, t.Front.Photo, t.Back.Contact = nil, nil, nil, nil
		}, ""},
		{"ok/slot-over-band", "badge-cr80-letter", func(t *Template) {}, ""},
		{"fail/logo-outside-safe-area", "badge-4x3-letter", func(t *Template) { t.Front.Logo.X = 2 }, "front.logo: outside the label's safe area (3 mm inside the rect label edge)"},
		{"fail/logo-over-qr", "badge-4x3-letter", func(t *Template) { t.Front.Logo = &Box{36, 70, 4, 3} }, "front.qr: overlaps front.logo"},
		{"fail/photo-over-name", "badge-a6-a4", func(t *Template) { t.Front.Photo.W = 22 }, "front.name: overlaps front.photo"},
		{"fail/photo-in-rounded-corner", "badge-cr80-letter", func(t *Template) { t.Front.Photo = &Box{2.5, 2.5, 5, 5} }, "front.photo: outside the label's safe area"},
		{"fail/tour-over-band", "badge-4x3-letter", func(t *Template) { t.Front.Tour.Y = 12 }, "front.band: overlaps front.tour"},
		{"fail/contact-over-qr", "badge-4x3-letter", func(t *Template) { t.Back.Contact.X = 60 }, "back.qr: overlaps back.contact"},
		{"fail/contact-outside-circle", "sticker-round-2in-letter", func(t *Template) { t.Front.Contact = &Box{2, 2, 10, 3} }, "front.contact: outside the label's safe area (2 mm inside the round label edge)"},
		{"fail/slot-over-qr", "badge-a6-a4", func(t *Template) { t.Front.LanyardSlot.Y = 62; t.Back.LanyardSlot.Y = 62 }, "front.qr: overlaps front.lanyard_slot"},
		{"fail/slot-over-text", "badge-cr80-letter", func(t *Template) { t.Front.LanyardSlot.H = 7; t.Back.LanyardSlot.H = 7 }, "front.tour: overlaps front.lanyard_slot"},
		{"fail/slot-outside-safe-area", "badge-a6-a4", func(t *Template) { t.Front.LanyardSlot.Y = 1; t.Back.LanyardSlot.Y = 1 }, "front.lanyard_slot: outside the label's safe area"},
		{"fail/slot-on-round-sticker", "sticker-round-2in-letter", func(t *Template) { t.Front.LanyardSlot = &Box{20, 2.5, 10, 2} }, "lanyard_slot: round labels are stuck on, not hung"},
		{"fail/slot-front-only", "badge-a6-a4", func(t *Template) { t.Back.LanyardSlot = nil }, "back.lanyard_slot: the slot is one hole through the card: set it on both sides or neither"},
		{"fail/slot-not-mirrored", "badge-cr80-letter", func(t *Template) { t.Front.LanyardSlot.X = 30; t.Back.LanyardSlot.X = 30 },
			"back.lanyard_slot: must mirror front.lanyard_slot (x 42.6, y 3, w 13, h 3)"},
		{"ok/photo-3x4", "badge-a6-a4", func(t *Template) { t.Front.Photo.W, t.Front.Photo.H = 15, 20 }, ""},
		{"fail/photo-square", "badge-a6-a4", func(t *Template) { t.Back.Photo = &Box{4, 109, 26, 26}; t.Back.Rules = &Box{31, 109, 70, 27} }, "back.photo: 26 x 26 mm is not 3:4 like the photos (make w 19.5 mm)"},
		{"fail/photo-landscape", "badge-a6-a4", func(t *Template) { t.Back.Photo = &Box{4, 109, 26, 19.5}; t.Back.Rules = &Box{31, 109, 70, 27} }, "is not 3:4"},
		{"fail/photo-tiny", "badge-4x3-letter", func(t *Template) { t.Front.Photo = &Box{50, 3.5, 6, 8} }, "front.photo: 6 mm wide, below 10 mm"},
		{"fail/photo-overlaps-qr", "badge-4x3-letter", func(t *Template) { t.Front.Photo = &Box{40, 20, 15, 20} }, "overlaps front.photo"},
		{"fail/photo-outside", "badge-4x3-letter", func(t *Template) { t.Front.Photo = &Box{90, 60, 15, 20} }, "front.photo: outside the label's safe area"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tp, err := Get(tc.base)
			if err != nil {
				t.Fatal(err)
			}
			tc.change(tp)
			err = tp.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want ErrTemplate containing %q", err, tc.want)
			}
		})
	}
}

// TestBoxesListComplete keeps Boxes.list and Boxes.clone in step with the
// fields of Boxes.
func TestBoxesListComplete(t *testing.T) {
	var b Boxes
	v := reflect.ValueOf(&b).Elem()
	for i := range v.NumField() {
		v.Field(i).Set(reflect.ValueOf(&Box{X: float64(i)}))
	}
	if got := len(b.list()); got != v.NumField() {
		t.Errorf("list() has %d boxes, Boxes has %d fields", got, v.NumField())
	}
	c := b.clone()
	cv := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		if cv.Field(i).Pointer() == v.Field(i).Pointer() {
			t.Errorf("clone() shares field %s", v.Type().Field(i).Name)
		}
	}
}

// rect is a rectangle in page coordinates.
type rect struct{ x, y, w, h float64 }

func (r rect) String() string { return fmt.Sprintf("%.2f %.2f %.2f %.2f", r.x, r.y, r.w, r.h) }

func (r rect) overlaps(o rect) bool {
	const e = 1e-6
	return r.x < o.x+o.w-e && o.x < r.x+r.w-e && r.y < o.y+o.h-e && o.y < r.y+r.h-e
}

func (r rect) corners() [4][2]float64 {
	return [4][2]float64{{r.x, r.y}, {r.x + r.w, r.y}, {r.x, r.y + r.h}, {r.x + r.w, r.y + r.h}}
}

// placed is an element box placed on the page.
type placed struct {
	side  string
	label int
	name  string // "label" for the label itself
	r     rect
}

// layout places every label and every element box of tp on its page, front
// then back.
func layout(tp *Template) []placed {
	var out []placed
	sides := []struct {
		name   string
		boxes  *Boxes
		origin func(int) (float64, float64)
	}{{"front", &tp.Front, tp.LabelOrigin}}
	if tp.Back != nil {
		sides = append(sides, struct {
			name   string
			boxes  *Boxes
			origin func(int) (float64, float64)
		}{"back", tp.Back, tp.BackOrigin})
	}
	for _, s := range sides {
		for i := range tp.PerPage() {
			x, y := s.origin(i)
			out = append(out, placed{s.name, i, "label", rect{x, y, tp.Label.W, tp.Label.H}})
			for _, nb := range s.boxes.list() {
				b := nb.box
				out = append(out, placed{s.name, i, nb.name, rect{x + b.X, y + b.Y, b.W, b.H}})
			}
		}
	}
	return out
}

func TestLayoutGolden(t *testing.T) {
	for _, tp := range List() {
		t.Run(tp.Name, func(t *testing.T) {
			var buf bytes.Buffer
			fmt.Fprintf(&buf, "# %s: page %.2f x %.2f mm, %d labels (%d x %d), %s label %.2f x %.2f mm, printable margin %.2f mm\n",
				tp.Name, tp.Page.W, tp.Page.H, tp.PerPage(), tp.Grid.Columns, tp.Grid.Rows, tp.Label.Shape, tp.Label.W, tp.Label.H, tp.Printable)
			fmt.Fprintf(&buf, "# side label box: x y w h (mm, page coordinates from the top-left corner)\n")
			for _, p := range layout(tp) {
				fmt.Fprintf(&buf, "%s %d %s: %s\n", p.side, p.label, p.name, p.r)
			}
			file := filepath.Join("testdata", "layout", tp.Name+".golden")
			if *update {
				if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("layout differs from %s (run go test -update if the change is intended):\n%s", file, lineDiff(string(want), buf.String()))
			}
		})
	}
}

// lineDiff lists the lines that differ between two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out strings.Builder
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			fmt.Fprintf(&out, "line %d:\n- %s\n+ %s\n", i+1, a, b)
		}
	}
	return out.String()
}

// TestLayoutGeometry checks, independently of Validate and for every label
// of every shipped template, that labels lie on the page without
// overlapping, and that every element box lies inside its label's safe
// area and the printable area, overlapping no other box (the artwork is a
// background: it need only stay on its label).
func TestLayoutGeometry(t *testing.T) {
	const e = 1e-6
	for _, tp := range List() {
		t.Run(tp.Name, func(t *testing.T) {
			all := layout(tp)
			labels := map[string]rect{}
			var byLabel = map[string][]placed{}
			for _, p := range all {
				key := fmt.Sprintf("%s %d", p.side, p.label)
				if p.name == "label" {
					labels[key] = p.r
					continue
				}
				byLabel[key] = append(byLabel[key], p)
			}

			for key, l := range labels {
				if l.x < -e || l.y < -e || l.x+l.w > tp.Page.W+e || l.y+l.h > tp.Page.H+e {
					t.Errorf("%s: label %v off the page", key, l)
				}
				for key2, l2 := range labels {
					if key < key2 && strings.Fields(key)[0] == strings.Fields(key2)[0] && l.overlaps(l2) {
						t.Errorf("labels %s and %s overlap: %v, %v", key, key2, l, l2)
					}
				}
			}

			s, p := tp.SafeMargin, tp.Printable
			for key, boxes := range byLabel {
				l := labels[key]
				for _, b := range boxes {
					if b.name == "artwork" { // a background: only on the label
						if b.r.x < l.x-e || b.r.y < l.y-e || b.r.x+b.r.w > l.x+l.w+e || b.r.y+b.r.h > l.y+l.h+e {
							t.Errorf("%s artwork: %v not on the label %v", key, b.r, l)
						}
						continue
					}
					for _, c := range b.r.corners() {
						x, y := c[0]-l.x, c[1]-l.y // in label coordinates
						if x < s-e || y < s-e || x > l.w-s+e || y > l.h-s+e {
							t.Errorf("%s %s: corner (%.2f, %.2f) in the safe margin", key, b.name, x, y)
						}
						switch tp.Label.Shape {
						case "round":
							if d := math.Hypot(x-l.w/2, y-l.h/2); d > l.w/2-s+e {
								t.Errorf("%s %s: corner %.3f mm from the centre, beyond %.3f", key, b.name, d, l.w/2-s)
							}
						case "rect":
							// No corner may sit in a rounded corner's cut-off.
							r := tp.Label.CornerRadius
							for _, cc := range [4][2]float64{{r, r}, {l.w - r, r}, {r, l.h - r}, {l.w - r, l.h - r}} {
								beyondX := (cc[0] == r && x < r) || (cc[0] != r && x > l.w-r)
								beyondY := (cc[1] == r && y < r) || (cc[1] != r && y > l.h-r)
								if r > s && beyondX && beyondY && math.Hypot(x-cc[0], y-cc[1]) > r-s+e {
									t.Errorf("%s %s: corner (%.2f, %.2f) in the rounded corner", key, b.name, x, y)
								}
							}
						}
						if c[0] < p-e || c[1] < p-e || c[0] > tp.Page.W-p+e || c[1] > tp.Page.H-p+e {
							t.Errorf("%s %s: corner (%.2f, %.2f) outside the printable area", key, b.name, c[0], c[1])
						}
					}
					if b.name == "qr" && math.Abs(b.r.w-b.r.h) > e {
						t.Errorf("%s qr: not square: %v", key, b.r)
					}
				}
				for i, a := range boxes {
					for _, c := range boxes[i+1:] {
						if !a.r.overlaps(c.r) {
							continue
						}
						if a.name == "artwork" || c.name == "artwork" {
							continue // the artwork is a background
						}
						if (a.name == "lanyard_slot" && c.name == "band") || (a.name == "band" && c.name == "lanyard_slot") {
							continue // the slot is punched through the band
						}
						t.Errorf("%s: %s and %s overlap: %v, %v", key, a.name, c.name, a.r, c.r)
					}
				}
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range shippedNames {
		f.Add(shippedJSON(f, name))
	}
	f.Add([]byte(`{"name":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tp, err := Parse(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrTemplate) {
				t.Fatalf("Parse error %v does not wrap ErrTemplate", err)
			}
			return
		}
		// A template that parses is valid, places all its labels, and
		// survives a round trip.
		if err := tp.Validate(); err != nil {
			t.Fatalf("Parse accepted a template that does not validate: %v", err)
		}
		if tp.QRSize("front") < QRModules*tp.MinModule-1e-6 {
			t.Fatalf("QRSize(front) = %v below %d x %v", tp.QRSize("front"), QRModules, tp.MinModule)
		}
		_ = layout(tp)
		again, err := json.Marshal(tp)
		if err != nil {
			t.Fatal(err)
		}
		tp2, err := Parse(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if !reflect.DeepEqual(tp, tp2) {
			t.Fatalf("round trip changed the template:\n%+v\n%+v", tp, tp2)
		}
	})
}
