package pass

import "time"

// Shown is a pass as people see it: at a door, on the /verify page, in the
// office's lists and on the command line. It says who holds the pass
// (name, org, role), what it is (its type and the type's label), for which
// event, from whom, and when it is valid; the serial both as stored and as
// printed.
//
// It is built in one place, [Pass.Shown], and every view of a pass is made
// from it: the door's (server.ScanPass), the office's (server.PassView),
// the verifier's (verifier.Verdict). Each view keeps the JSON field names
// and order its clients read; server/static/offline.js builds the door's
// view from a verified token and is checked against Go's answers
// (testdata/offline/vectors.json).
type Shown struct {
	Serial     Serial
	Printed    string // the serial as printed: XXXX-XXXX
	Event      string
	Type       Type
	Label      string // the type as printed: "After Show"
	Role       string // STAFF only
	Name       string
	Org        string
	ValidFrom  time.Time // zero: from issuance
	ValidUntil time.Time
	Issuer     string
}

// Shown is p as people see it.
func (p *Pass) Shown() Shown {
	return Shown{Serial: p.Serial, Printed: p.Serial.String(), Event: p.Event, Type: p.Type, Label: p.Type.Label(),
		Role: p.Role, Name: p.Name, Org: p.Org, ValidFrom: p.ValidFrom, ValidUntil: p.ValidUntil, Issuer: p.Issuer}
}
