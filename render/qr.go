package render

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/laminate/laminate/pass"
)

// QuietZone is the white border of a QR code, in modules (ISO/IEC 18004).
const QuietZone = 4

// QR is an encoded QR code.
type QR struct {
	Version int
	// Modules is the code as rows of modules, quiet zone included;
	// true is dark.
	Modules [][]bool
	// Content is the text encoded: the token's compact transport form, or
	// its numeric form when the compact form cannot carry it.
	Content string
}

// encodeTransport is pass.EncodeTransport; the wear suite swaps in
// pass.EncodeNumeric to measure the codes printed before issue 12.
var encodeTransport = pass.EncodeTransport

// qrLevels maps a template's qr_level to skip2/go-qrcode's constants, whose
// names mislead: its High is level Q and its Highest is H.
var qrLevels = map[string]qrcode.RecoveryLevel{
	"": qrcode.Medium, "L": qrcode.Low, "M": qrcode.Medium, "Q": qrcode.High, "H": qrcode.Highest,
}

// NewQR encodes token (a compact JWS) in its transport form
// ([pass.EncodeTransport]) at level ("L", "M" the default, "Q" or "H"; see
// the package documentation).
func NewQR(token, level string) (*QR, error) {
	num, err := encodeTransport(token)
	if err != nil {
		return nil, fmt.Errorf("render: token cannot be encoded: %w", err)
	}
	rl, ok := qrLevels[level]
	if !ok {
		return nil, fmt.Errorf("render: QR level %q unknown (want L, M, Q or H)", level)
	}
	code, err := qrcode.New(num, rl)
	if err != nil {
		return nil, fmt.Errorf("render: QR: %w", err)
	}
	bm := code.Bitmap() // includes the 4-module quiet zone
	if len(bm) < 21+2*QuietZone {
		return nil, fmt.Errorf("render: QR: unexpected bitmap of %d modules", len(bm))
	}
	return &QR{Version: code.VersionNumber, Modules: bm, Content: num}, nil
}

// Size is the width of the code in modules, quiet zone included.
func (q *QR) Size() int { return len(q.Modules) }

// run is a horizontal run of dark modules: row y, columns [x0, x1).
type run struct{ y, x0, x1 int }

// runs lists the dark runs, row by row: what the PDF path is made of.
func (q *QR) runs() []run {
	var out []run
	for y, row := range q.Modules {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			x0 := x
			for x < len(row) && row[x] {
				x++
			}
			out = append(out, run{y, x0, x})
		}
	}
	return out
}

// TerminalQR draws text as a QR code (level M) in a terminal, two modules
// a character with Unicode half blocks, dark on a light background: an
// enrolment address for a phone's camera, say.
func TerminalQR(text string) (string, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("render: QR code: %w", err)
	}
	return q.ToSmallString(true), nil
}
