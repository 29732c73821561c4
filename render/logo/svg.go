package logo

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Pt is a point in viewBox units, y down.
type Pt struct{ X, Y float64 }

// Seg is one path segment: 'M' (move to P[0]), 'L' (line to P[0]), 'C'
// (cubic curve through the controls P[0], P[1] to P[2]) or 'Z' (close).
type Seg struct {
	Op byte
	P  [3]Pt
}

// Shape is one filled and/or stroked path of an SVG logo.
type Shape struct {
	Segs        []Seg
	Fill        *RGB // nil: not filled
	Stroke      *RGB // nil: not stroked
	StrokeWidth float64
	EvenOdd     bool
}

// Limits on an SVG logo, against files that would take long to draw.
const (
	maxShapes = 5000
	maxSegs   = 100000
	maxDepth  = 32
	maxCoord  = 1e7
)

const svgNS = "http://www.w3.org/2000/svg"

// shapeElems are the SVG elements that draw; groupElems hold them;
// skipElems hold only words and are dropped with their content.
var (
	shapeElems = map[string]bool{"path": true, "rect": true, "circle": true, "ellipse": true, "line": true, "polyline": true, "polygon": true}
	skipElems  = map[string]bool{"title": true, "desc": true, "metadata": true}
)

type style struct {
	fill, stroke *RGB
	width        float64
	evenOdd      bool
	m            matrix
	hidden       bool
}

type svgDoc struct {
	w, h   float64
	shapes []Shape
	segs   int
}

// parseSVG reads an SVG logo into shapes (package documentation: what is
// allowed and what is refused).
func parseSVG(data []byte) (*svgDoc, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.Entity = nil // only the five XML entities
	var doc *svgDoc
	var stack []style
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errorf("SVG is not well-formed XML (%v): export it again", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, errorf("SVG with a DOCTYPE or entity declarations is not allowed: remove the <!DOCTYPE ...> line")
		case xml.ProcInst:
			if t.Target != "xml" {
				return nil, errorf("SVG processing instruction <?%s?> is not allowed: remove it", t.Target)
			}
		case xml.EndElement:
			depth--
			if depth < len(stack) {
				stack = stack[:depth]
			}
		case xml.StartElement:
			depth++
			if depth > maxDepth {
				return nil, errorf("SVG nested more than %d elements deep", maxDepth)
			}
			if err := checkAttrs(t); err != nil {
				return nil, err
			}
			name := t.Name.Local
			foreign := t.Name.Space != "" && t.Name.Space != svgNS
			if foreign || skipElems[name] {
				// Editors' metadata (Inkscape, Illustrator), titles: dropped.
				if err := dec.Skip(); err != nil {
					return nil, errorf("SVG is not well-formed XML (%v): export it again", err)
				}
				depth--
				continue
			}
			if doc != nil && len(stack) == 0 {
				return nil, errorf("SVG has elements after its </svg>: export it again")
			}
			if doc == nil {
				if name != "svg" {
					return nil, errorf("not an SVG file: the root element is <%s>", name)
				}
				d, st, err := root(t)
				if err != nil {
					return nil, err
				}
				doc = d
				stack = append(stack, st)
				continue
			}
			if name != "g" && !shapeElems[name] {
				return nil, errorf("SVG element <%s> is not allowed: a logo may hold only shapes (path, rect, circle, ellipse, line, polyline, polygon, g); export it as a PNG", name)
			}
			st, err := inherit(stack[len(stack)-1], t)
			if err != nil {
				return nil, err
			}
			stack = append(stack, st)
			if name == "g" || st.hidden {
				continue
			}
			segs, err := shapeSegs(t)
			if err != nil {
				return nil, err
			}
			if err := doc.add(segs, st); err != nil {
				return nil, err
			}
		}
	}
	if doc == nil {
		return nil, errorf("not an SVG file: no <svg> element")
	}
	return doc, nil
}

// checkAttrs refuses what could run or fetch something.
func checkAttrs(t xml.StartElement) error {
	for _, a := range t.Attr {
		n := strings.ToLower(a.Name.Local)
		switch {
		case strings.HasPrefix(n, "on"):
			return errorf("SVG attribute %s= on <%s> is not allowed: scripts are refused", a.Name.Local, t.Name.Local)
		case n == "href" || n == "src":
			return errorf("SVG attribute %s=%q on <%s> refers to another file or element: references are not allowed", a.Name.Local, clip(a.Value), t.Name.Local)
		case strings.Contains(strings.ToLower(a.Value), "url(") || strings.Contains(strings.ToLower(a.Value), "@import"):
			return errorf("SVG attribute %s=%q on <%s> refers to something else: use plain colours", a.Name.Local, clip(a.Value), t.Name.Local)
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func attr(t xml.StartElement, name string) (string, bool) {
	for _, a := range t.Attr {
		if a.Name.Local == name && (a.Name.Space == "" || a.Name.Space == svgNS) {
			return a.Value, true
		}
	}
	return "", false
}

// root reads the <svg> element's viewBox (or width and height).
func root(t xml.StartElement) (*svgDoc, style, error) {
	st := style{fill: &RGB{}, width: 1, m: identity}
	var minX, minY, w, h float64
	if vb, ok := attr(t, "viewBox"); ok {
		n, err := numbers(vb)
		// At least 0.001: the stored SVG keeps three decimals, so a
		// smaller box would be stored as 0 and refused when printing.
		if err != nil || len(n) != 4 || n[2] < 0.001 || n[3] < 0.001 {
			return nil, st, errorf("SVG viewBox %q: want four numbers, width and height at least 0.001", clip(vb))
		}
		minX, minY, w, h = n[0], n[1], n[2], n[3]
	} else {
		ws, _ := attr(t, "width")
		hs, _ := attr(t, "height")
		w, h = length(ws), length(hs)
		if w < 0.001 || h < 0.001 {
			return nil, st, errorf("SVG needs a viewBox, or a width and height: export it again")
		}
	}
	if w > maxCoord || h > maxCoord || !finite(minX) || !finite(minY) {
		return nil, st, errorf("SVG viewBox too large")
	}
	st.m = matrix{1, 0, 0, 1, -minX, -minY}
	st2, err := inherit(st, t)
	if err != nil {
		return nil, st, err
	}
	st2.m = st.m // the root's own transform is not applied to the viewBox
	return &svgDoc{w: w, h: h}, st2, nil
}

// length reads "120", "120px" or "120.5" as a number; 0 if not one.
func length(s string) float64 {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "px"))
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !finite(v) {
		return 0
	}
	return v
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && math.Abs(v) <= maxCoord }

// inherit applies an element's presentation attributes (and its style
// attribute's declarations of the same names) to its parent's style.
func inherit(parent style, t xml.StartElement) (style, error) {
	st := parent
	props := map[string]string{}
	for _, name := range []string{"fill", "stroke", "stroke-width", "fill-rule", "display", "visibility", "opacity", "fill-opacity"} {
		if v, ok := attr(t, name); ok {
			props[name] = v
		}
	}
	if css, ok := attr(t, "style"); ok {
		for decl := range strings.SplitSeq(css, ";") {
			k, v, ok := strings.Cut(decl, ":")
			if !ok {
				continue
			}
			props[strings.TrimSpace(strings.ToLower(k))] = strings.TrimSpace(v)
		}
	}
	for k, v := range props {
		v = strings.TrimSpace(v)
		var err error
		switch k {
		case "fill":
			st.fill, err = paint(v, k)
		case "stroke":
			st.stroke, err = paint(v, k)
		case "stroke-width":
			if w := length(v); w >= 0 {
				st.width = w
			}
		case "fill-rule":
			st.evenOdd = v == "evenodd"
		case "display":
			st.hidden = st.hidden || v == "none"
		case "visibility":
			st.hidden = v == "hidden" || v == "collapse"
		case "opacity", "fill-opacity":
			if o, e := strconv.ParseFloat(v, 64); e == nil && o <= 0 {
				st.hidden = true // invisible: not drawn
			}
		}
		if err != nil {
			return st, err
		}
	}
	if tr, ok := attr(t, "transform"); ok {
		m, err := parseTransform(tr)
		if err != nil {
			return st, err
		}
		st.m = parent.m.mul(m)
	}
	return st, nil
}

var named = map[string]RGB{
	"black": {0, 0, 0}, "white": {255, 255, 255}, "red": {255, 0, 0}, "green": {0, 128, 0},
	"blue": {0, 0, 255}, "yellow": {255, 255, 0}, "gray": {128, 128, 128}, "grey": {128, 128, 128},
	"orange": {255, 165, 0}, "purple": {128, 0, 128}, "silver": {192, 192, 192}, "navy": {0, 0, 128},
	"currentcolor": {0, 0, 0},
}

// paint reads a fill or stroke: a plain colour or none.
func paint(v, what string) (*RGB, error) {
	l := strings.ToLower(v)
	if l == "none" || l == "transparent" {
		return nil, nil
	}
	if c, ok := named[l]; ok {
		return &c, nil
	}
	if strings.HasPrefix(l, "#") {
		h := l[1:]
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		if n, err := strconv.ParseUint(h, 16, 32); err == nil && len(h) == 6 {
			return &RGB{uint8(n >> 16), uint8(n >> 8), uint8(n)}, nil
		}
	}
	if inner, ok := strings.CutPrefix(l, "rgb("); ok && strings.HasSuffix(inner, ")") {
		n, err := numbers(strings.TrimSuffix(inner, ")"))
		if err == nil && len(n) == 3 {
			c := func(x float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(x)))) }
			return &RGB{c(n[0]), c(n[1]), c(n[2])}, nil
		}
	}
	return nil, errorf("SVG %s %q: use a plain colour (#rrggbb, rgb(r,g,b), a basic name or none)", what, clip(v))
}

// numbers reads a list of numbers separated by spaces and/or commas.
func numbers(s string) ([]float64, error) {
	var out []float64
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || !finite(v) {
			return nil, fmt.Errorf("%q is not a number", clip(f))
		}
		out = append(out, v)
	}
	return out, nil
}

func num(t xml.StartElement, name string) (float64, error) {
	s, ok := attr(t, name)
	if !ok {
		return 0, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "px"), 64)
	if err != nil || !finite(v) {
		return 0, errorf("SVG <%s> %s=%q: want a number", t.Name.Local, name, clip(s))
	}
	return v, nil
}

// shapeSegs turns a shape element into path segments (untransformed).
func shapeSegs(t xml.StartElement) ([]Seg, error) {
	var v [8]float64
	var err error
	get := func(i int, name string) {
		if err == nil {
			v[i], err = num(t, name)
		}
	}
	switch t.Name.Local {
	case "path":
		d, _ := attr(t, "d")
		segs, perr := parsePath(d)
		if perr != nil {
			return nil, errorf("SVG <path> d: %v", perr)
		}
		return segs, nil
	case "rect":
		get(0, "x")
		get(1, "y")
		get(2, "width")
		get(3, "height")
		if err != nil || v[2] <= 0 || v[3] <= 0 {
			return nil, err
		}
		x, y, w, h := v[0], v[1], v[2], v[3]
		return []Seg{{Op: 'M', P: [3]Pt{{x, y}}}, {Op: 'L', P: [3]Pt{{x + w, y}}}, {Op: 'L', P: [3]Pt{{x + w, y + h}}}, {Op: 'L', P: [3]Pt{{x, y + h}}}, {Op: 'Z'}}, nil
	case "circle", "ellipse":
		get(0, "cx")
		get(1, "cy")
		if t.Name.Local == "circle" {
			get(2, "r")
			v[3] = v[2]
		} else {
			get(2, "rx")
			get(3, "ry")
		}
		if err != nil || v[2] <= 0 || v[3] <= 0 {
			return nil, err
		}
		return ellipse(v[0], v[1], v[2], v[3]), nil
	case "line":
		get(0, "x1")
		get(1, "y1")
		get(2, "x2")
		get(3, "y2")
		if err != nil {
			return nil, err
		}
		return []Seg{{Op: 'M', P: [3]Pt{{v[0], v[1]}}}, {Op: 'L', P: [3]Pt{{v[2], v[3]}}}}, nil
	case "polyline", "polygon":
		s, _ := attr(t, "points")
		n, nerr := numbers(s)
		if nerr != nil || len(n)%2 != 0 {
			return nil, errorf("SVG <%s> points: want pairs of numbers", t.Name.Local)
		}
		var segs []Seg
		for i := 0; i+1 < len(n); i += 2 {
			op := byte('L')
			if i == 0 {
				op = 'M'
			}
			segs = append(segs, Seg{Op: op, P: [3]Pt{{n[i], n[i+1]}}})
		}
		if t.Name.Local == "polygon" && len(segs) > 0 {
			segs = append(segs, Seg{Op: 'Z'})
		}
		return segs, nil
	}
	return nil, nil
}

// kappa places the controls of a cubic quarter circle.
const kappa = 0.5522847498

func ellipse(cx, cy, rx, ry float64) []Seg {
	kx, ky := rx*kappa, ry*kappa
	return []Seg{
		{Op: 'M', P: [3]Pt{{cx + rx, cy}}},
		{Op: 'C', P: [3]Pt{{cx + rx, cy + ky}, {cx + kx, cy + ry}, {cx, cy + ry}}},
		{Op: 'C', P: [3]Pt{{cx - kx, cy + ry}, {cx - rx, cy + ky}, {cx - rx, cy}}},
		{Op: 'C', P: [3]Pt{{cx - rx, cy - ky}, {cx - kx, cy - ry}, {cx, cy - ry}}},
		{Op: 'C', P: [3]Pt{{cx + kx, cy - ry}, {cx + rx, cy - ky}, {cx + rx, cy}}},
		{Op: 'Z'},
	}
}

// add transforms segs by the style's matrix and keeps the shape if it
// draws anything.
func (d *svgDoc) add(segs []Seg, st style) error {
	if len(segs) == 0 || (st.fill == nil && (st.stroke == nil || st.width <= 0)) {
		return nil
	}
	if len(d.shapes) >= maxShapes {
		return errorf("SVG has more than %d shapes: simplify it, or export a PNG", maxShapes)
	}
	d.segs += len(segs)
	if d.segs > maxSegs {
		return errorf("SVG has more than %d path segments: simplify it, or export a PNG", maxSegs)
	}
	for i := range segs {
		for j := range segs[i].P {
			p := st.m.apply(segs[i].P[j])
			if !finite(p.X) || !finite(p.Y) {
				return errorf("SVG coordinates out of range")
			}
			segs[i].P[j] = p
		}
	}
	sh := Shape{Segs: segs, Fill: st.fill, EvenOdd: st.evenOdd}
	if st.stroke != nil && st.width > 0 {
		sh.Stroke, sh.StrokeWidth = st.stroke, st.width*math.Sqrt(math.Abs(st.m.a*st.m.d-st.m.b*st.m.c))
		if !finite(sh.StrokeWidth) {
			return errorf("SVG stroke width out of range")
		}
	}
	d.shapes = append(d.shapes, sh)
	return nil
}

// encode writes the shapes as Laminate's SVG: one <path> per shape with
// absolute M, L, C and Z only, plain colours, no other attribute.
func (d *svgDoc) encode() []byte {
	var b bytes.Buffer
	f := func(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64) }
	c := func(p *RGB) string {
		if p == nil {
			return "none"
		}
		return fmt.Sprintf("#%02x%02x%02x", p.R, p.G, p.B)
	}
	fmt.Fprintf(&b, `<svg xmlns="%s" viewBox="0 0 %s %s">`+"\n", svgNS, f(d.w), f(d.h))
	for _, s := range d.shapes {
		b.WriteString(`<path d="`)
		for i, sg := range s.Segs {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteByte(sg.Op)
			n := map[byte]int{'M': 1, 'L': 1, 'C': 3}[sg.Op]
			for _, p := range sg.P[:n] {
				b.WriteString(" " + f(p.X) + " " + f(p.Y))
			}
		}
		fmt.Fprintf(&b, `" fill="%s"`, c(s.Fill))
		if s.Stroke != nil {
			fmt.Fprintf(&b, ` stroke="%s" stroke-width="%s"`, c(s.Stroke), f(s.StrokeWidth))
		}
		if s.EvenOdd {
			b.WriteString(` fill-rule="evenodd"`)
		}
		b.WriteString("/>\n")
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// matrix is an affine transform: (x, y) -> (a x + c y + e, b x + d y + f).
type matrix struct{ a, b, c, d, e, f float64 }

var identity = matrix{1, 0, 0, 1, 0, 0}

func (m matrix) mul(n matrix) matrix {
	return matrix{
		m.a*n.a + m.c*n.b, m.b*n.a + m.d*n.b,
		m.a*n.c + m.c*n.d, m.b*n.c + m.d*n.d,
		m.a*n.e + m.c*n.f + m.e, m.b*n.e + m.d*n.f + m.f,
	}
}

func (m matrix) apply(p Pt) Pt { return Pt{m.a*p.X + m.c*p.Y + m.e, m.b*p.X + m.d*p.Y + m.f} }

// parseTransform reads an SVG transform list.
func parseTransform(s string) (matrix, error) {
	m := identity
	rest := strings.TrimSpace(s)
	for rest != "" {
		name, args, ok := strings.Cut(rest, "(")
		inner, after, ok2 := strings.Cut(args, ")")
		if !ok || !ok2 {
			return m, errorf("SVG transform %q: want a list such as translate(10 20) scale(2)", clip(s))
		}
		n, err := numbers(inner)
		if err != nil {
			return m, errorf("SVG transform %q: %v", clip(s), err)
		}
		var t matrix
		name = strings.TrimSpace(strings.TrimLeft(name, ", "))
		switch {
		case name == "matrix" && len(n) == 6:
			t = matrix{n[0], n[1], n[2], n[3], n[4], n[5]}
		case name == "translate" && (len(n) == 1 || len(n) == 2):
			t = identity
			t.e = n[0]
			if len(n) == 2 {
				t.f = n[1]
			}
		case name == "scale" && (len(n) == 1 || len(n) == 2):
			t = matrix{n[0], 0, 0, n[0], 0, 0}
			if len(n) == 2 {
				t.d = n[1]
			}
		case name == "rotate" && (len(n) == 1 || len(n) == 3):
			r := n[0] * math.Pi / 180
			t = matrix{math.Cos(r), math.Sin(r), -math.Sin(r), math.Cos(r), 0, 0}
			if len(n) == 3 {
				t = matrix{1, 0, 0, 1, n[1], n[2]}.mul(t).mul(matrix{1, 0, 0, 1, -n[1], -n[2]})
			}
		case name == "skewX" && len(n) == 1:
			t = matrix{1, 0, math.Tan(n[0] * math.Pi / 180), 1, 0, 0}
		case name == "skewY" && len(n) == 1:
			t = matrix{1, math.Tan(n[0] * math.Pi / 180), 0, 1, 0, 0}
		default:
			return m, errorf("SVG transform %q: want matrix, translate, scale, rotate, skewX or skewY", clip(s))
		}
		m = m.mul(t)
		rest = strings.TrimSpace(after)
	}
	return m, nil
}

var errPath = errors.New("bad path data")

// pathReader reads the numbers and flags of SVG path data.
type pathReader struct {
	s string
	i int
}

func (r *pathReader) skip() {
	for r.i < len(r.s) && strings.IndexByte(" \t\r\n,", r.s[r.i]) >= 0 {
		r.i++
	}
}

func (r *pathReader) number() (float64, error) {
	r.skip()
	start := r.i
	if r.i < len(r.s) && (r.s[r.i] == '+' || r.s[r.i] == '-') {
		r.i++
	}
	digits, dot := 0, false
	for r.i < len(r.s) {
		c := r.s[r.i]
		if c >= '0' && c <= '9' {
			digits++
		} else if c == '.' && !dot {
			dot = true
		} else {
			break
		}
		r.i++
	}
	if digits == 0 {
		return 0, errPath
	}
	if r.i < len(r.s) && (r.s[r.i] == 'e' || r.s[r.i] == 'E') {
		j := r.i + 1
		if j < len(r.s) && (r.s[j] == '+' || r.s[j] == '-') {
			j++
		}
		k := j
		for k < len(r.s) && r.s[k] >= '0' && r.s[k] <= '9' {
			k++
		}
		if k > j {
			r.i = k
		}
	}
	v, err := strconv.ParseFloat(r.s[start:r.i], 64)
	if err != nil || !finite(v) {
		return 0, errPath
	}
	return v, nil
}

func (r *pathReader) flag() (bool, error) {
	r.skip()
	if r.i < len(r.s) && (r.s[r.i] == '0' || r.s[r.i] == '1') {
		r.i++
		return r.s[r.i-1] == '1', nil
	}
	return false, errPath
}

// more reports whether another number follows (an implicit repeat of the
// last command).
func (r *pathReader) more() bool {
	r.skip()
	return r.i < len(r.s) && strings.IndexByte("+-.0123456789", r.s[r.i]) >= 0
}

// parsePath reads SVG path data into absolute M, L, C and Z segments.
func parsePath(d string) ([]Seg, error) {
	r := &pathReader{s: d}
	var segs []Seg
	var cur, start, lastCtrl Pt
	var prev byte
	for {
		r.skip()
		if r.i >= len(r.s) {
			break
		}
		cmd := r.s[r.i]
		if strings.IndexByte("MmLlHhVvCcSsQqTtAaZz", cmd) < 0 {
			return nil, fmt.Errorf("unknown command %q at byte %d", cmd, r.i)
		}
		r.i++
		if len(segs) == 0 && cmd != 'M' && cmd != 'm' {
			return nil, fmt.Errorf("must start with M")
		}
		rel := cmd >= 'a'
		up := cmd &^ 0x20
		first := true
		for first || r.more() {
			if len(segs) > maxSegs {
				return nil, fmt.Errorf("more than %d segments", maxSegs)
			}
			var ns [7]float64
			need := map[byte]int{'M': 2, 'L': 2, 'H': 1, 'V': 1, 'C': 6, 'S': 4, 'Q': 4, 'T': 2, 'A': 7, 'Z': 0}[up]
			var large, sweep bool
			for k := 0; k < need; k++ {
				var err error
				if up == 'A' && (k == 3 || k == 4) {
					var f bool
					f, err = r.flag()
					if k == 3 {
						large = f
					} else {
						sweep = f
					}
				} else {
					ns[k], err = r.number()
				}
				if err != nil {
					return nil, fmt.Errorf("command %c: want %d numbers", cmd, need)
				}
			}
			abs := func(x, y float64) Pt {
				if rel {
					return Pt{cur.X + x, cur.Y + y}
				}
				return Pt{x, y}
			}
			switch up {
			case 'M':
				p := abs(ns[0], ns[1])
				op := byte('M')
				if !first {
					op = 'L' // further pairs are lines
				}
				segs = append(segs, Seg{Op: op, P: [3]Pt{p}})
				if op == 'M' {
					start = p
				}
				cur = p
			case 'L', 'H', 'V':
				p := abs(ns[0], ns[1])
				if up == 'H' {
					p = Pt{ns[0], cur.Y}
					if rel {
						p.X += cur.X
					}
				} else if up == 'V' {
					p = Pt{cur.X, ns[0]}
					if rel {
						p.Y += cur.Y
					}
				}
				segs = append(segs, Seg{Op: 'L', P: [3]Pt{p}})
				cur = p
			case 'C', 'S':
				var c1, c2, p Pt
				if up == 'C' {
					c1, c2, p = abs(ns[0], ns[1]), abs(ns[2], ns[3]), abs(ns[4], ns[5])
				} else {
					c1 = cur
					if prev == 'C' || prev == 'S' {
						c1 = Pt{2*cur.X - lastCtrl.X, 2*cur.Y - lastCtrl.Y}
					}
					c2, p = abs(ns[0], ns[1]), abs(ns[2], ns[3])
				}
				segs = append(segs, Seg{Op: 'C', P: [3]Pt{c1, c2, p}})
				lastCtrl, cur = c2, p
			case 'Q', 'T':
				var q, p Pt
				if up == 'Q' {
					q, p = abs(ns[0], ns[1]), abs(ns[2], ns[3])
				} else {
					q = cur
					if prev == 'Q' || prev == 'T' {
						q = Pt{2*cur.X - lastCtrl.X, 2*cur.Y - lastCtrl.Y}
					}
					p = abs(ns[0], ns[1])
				}
				segs = append(segs, Seg{Op: 'C', P: [3]Pt{
					{cur.X + 2.0/3*(q.X-cur.X), cur.Y + 2.0/3*(q.Y-cur.Y)},
					{p.X + 2.0/3*(q.X-p.X), p.Y + 2.0/3*(q.Y-p.Y)}, p}})
				lastCtrl, cur = q, p
			case 'A':
				p := abs(ns[5], ns[6])
				segs = append(segs, arc(cur, p, ns[0], ns[1], ns[2], large, sweep)...)
				cur = p
			case 'Z':
				segs = append(segs, Seg{Op: 'Z'})
				cur = start
			}
			prev = up
			first = false
			if up == 'Z' {
				break
			}
		}
	}
	return segs, nil
}

// arc converts an SVG elliptical arc to cubic curves (SVG 1.1, appendix
// F.6.5 and F.6.6), one per quarter turn at most.
func arc(p0, p1 Pt, rx, ry, phiDeg float64, large, sweep bool) []Seg {
	rx, ry = math.Abs(rx), math.Abs(ry)
	if rx == 0 || ry == 0 || p0 == p1 {
		return []Seg{{Op: 'L', P: [3]Pt{p1}}}
	}
	phi := phiDeg * math.Pi / 180
	cos, sin := math.Cos(phi), math.Sin(phi)
	dx, dy := (p0.X-p1.X)/2, (p0.Y-p1.Y)/2
	x1, y1 := cos*dx+sin*dy, -sin*dx+cos*dy
	if l := x1*x1/(rx*rx) + y1*y1/(ry*ry); l > 1 {
		rx, ry = rx*math.Sqrt(l), ry*math.Sqrt(l)
	}
	num := rx*rx*ry*ry - rx*rx*y1*y1 - ry*ry*x1*x1
	den := rx*rx*y1*y1 + ry*ry*x1*x1
	co := math.Sqrt(math.Max(0, num/den))
	if large == sweep {
		co = -co
	}
	cx1, cy1 := co*rx*y1/ry, -co*ry*x1/rx
	cx, cy := cos*cx1-sin*cy1+(p0.X+p1.X)/2, sin*cx1+cos*cy1+(p0.Y+p1.Y)/2
	ang := func(ux, uy, vx, vy float64) float64 { return math.Atan2(ux*vy-uy*vx, ux*vx+uy*vy) }
	t1 := ang(1, 0, (x1-cx1)/rx, (y1-cy1)/ry)
	dt := ang((x1-cx1)/rx, (y1-cy1)/ry, (-x1-cx1)/rx, (-y1-cy1)/ry)
	if !sweep && dt > 0 {
		dt -= 2 * math.Pi
	} else if sweep && dt < 0 {
		dt += 2 * math.Pi
	}
	n := int(math.Ceil(math.Abs(dt) / (math.Pi / 2)))
	if n < 1 || math.IsNaN(dt) {
		return []Seg{{Op: 'L', P: [3]Pt{p1}}}
	}
	step := dt / float64(n)
	k := 4.0 / 3 * math.Tan(step/4)
	pt := func(t float64) (Pt, Pt) { // point and derivative on the ellipse
		x, y := rx*math.Cos(t), ry*math.Sin(t)
		dx, dy := -rx*math.Sin(t), ry*math.Cos(t)
		return Pt{cos*x - sin*y + cx, sin*x + cos*y + cy}, Pt{cos*dx - sin*dy, sin*dx + cos*dy}
	}
	var segs []Seg
	t := t1
	for i := 0; i < n; i++ {
		a, da := pt(t)
		b, db := pt(t + step)
		if i == n-1 {
			b = p1
		}
		segs = append(segs, Seg{Op: 'C', P: [3]Pt{{a.X + k*da.X, a.Y + k*da.Y}, {b.X - k*db.X, b.Y - k*db.Y}, b}})
		t += step
	}
	return segs
}
