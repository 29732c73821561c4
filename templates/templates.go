package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
)

// ErrTemplate is wrapped by every error about a template's content: a
// validation failure (naming the JSON field at fault), malformed JSON, an
// unknown field, a file over the size limit.
var ErrTemplate = errors.New("bad template")

// ErrUnknown is wrapped by [Get] and [Load] when no shipped template has
// the name asked for; the message lists the names there are.
var ErrUnknown = errors.New("unknown template")

// maxSize caps a template file: the shipped ones are about 3 KiB.
const maxSize = 64 << 10

//go:embed shipped/*.json
var shippedFS embed.FS

// shipped parses the embedded templates once. A shipped template that does
// not parse, validate, or match its file name is a build defect (the tests
// catch it), so it panics rather than return an error every caller would
// have to handle.
var shipped = sync.OnceValue(func() []*Template {
	files, err := shippedFS.ReadDir("shipped")
	if err != nil {
		panic("templates: " + err.Error())
	}
	var ts []*Template
	for _, f := range files {
		file := path.Join("shipped", f.Name())
		data, err := shippedFS.ReadFile(file)
		if err != nil {
			panic("templates: " + err.Error())
		}
		t, err := Parse(bytes.NewReader(data))
		if err != nil {
			panic(fmt.Sprintf("templates: %s: %v", file, err))
		}
		if want := strings.TrimSuffix(f.Name(), ".json"); t.Name != want {
			panic(fmt.Sprintf("templates: %s: name %q does not match the file name", file, t.Name))
		}
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *Template) int { return strings.Compare(a.Name, b.Name) })
	return ts
})

// List returns the shipped templates, sorted by name. Each call returns
// fresh copies: callers may change them.
func List() []*Template {
	ts := shipped()
	out := make([]*Template, len(ts))
	for i, t := range ts {
		out[i] = t.clone()
	}
	return out
}

// Get returns a copy of the shipped template with the given name, or an
// error wrapping [ErrUnknown] that lists the names there are.
func Get(name string) (*Template, error) {
	var names []string
	for _, t := range shipped() {
		if t.Name == name {
			return t.clone(), nil
		}
		names = append(names, t.Name)
	}
	return nil, fmt.Errorf("%w %q (shipped: %s)", ErrUnknown, name, strings.Join(names, ", "))
}

// Parse reads one template as JSON (at most 64 KiB, no unknown fields, no
// trailing data) and validates it. Every error wraps [ErrTemplate].
func Parse(r io.Reader) (*Template, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("%w: larger than %d KiB", ErrTemplate, maxSize>>10)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t Template
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the template object", ErrTemplate)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// ParseFile reads and validates the template file at path; errors start
// with the path.
func ParseFile(path string) (*Template, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Load returns the template named by nameOrPath: a file if it contains a
// path separator or ends with ".json", else a shipped template.
func Load(nameOrPath string) (*Template, error) {
	if strings.ContainsRune(nameOrPath, '/') || strings.ContainsRune(nameOrPath, os.PathSeparator) ||
		strings.HasSuffix(nameOrPath, ".json") {
		return ParseFile(nameOrPath)
	}
	return Get(nameOrPath)
}

// QRSize returns the edge in mm of the QR box (quiet zone included) on the
// given side, "front" or "back"; 0 if that side has no QR box. The module
// size of a code of n modules (quiet zone included) is QRSize / n.
func (t *Template) QRSize(side string) float64 {
	var b *Boxes
	switch side {
	case "front":
		b = &t.Front
	case "back":
		b = t.Back
	}
	if b == nil || b.QR == nil {
		return 0
	}
	return b.QR.W
}

// clone returns a deep copy of t.
func (t *Template) clone() *Template {
	c := *t
	c.Front = t.Front.clone()
	if t.Back != nil {
		back := t.Back.clone()
		c.Back = &back
	}
	return &c
}

func (b Boxes) clone() Boxes {
	for _, p := range []**Box{&b.Band, &b.Event, &b.Name, &b.Org, &b.QR, &b.Serial, &b.Artwork, &b.Zones, &b.Validity, &b.Rules,
		&b.Logo, &b.Tour, &b.Contact, &b.Photo, &b.LanyardSlot} {
		if *p != nil {
			x := **p
			*p = &x
		}
	}
	return b
}

// Table is the shipped templates as "laminate templates list" shows them:
// the header and one row each.
func Table() (header []string, rows [][]string) {
	for _, t := range List() {
		back := "-"
		if t.Back != nil {
			back = "duplex"
		}
		rows = append(rows, []string{t.Name, fmt.Sprintf("%d", t.PerPage()), fmt.Sprintf("%gx%g mm %s", t.Label.W, t.Label.H, t.Label.Shape), back, t.Description})
	}
	return []string{"NAME", "PER PAGE", "LABEL", "BACK", "DESCRIPTION"}, rows
}
