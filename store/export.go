package store

import (
	"time"
)

// ExportFilter selects the rows of an export (issue 14, item 4). Event is
// required; the other fields, when set, narrow it where they apply:
//
//   - Since, Until: the row's time in [Since, Until) (a scan's or an
//     alert's time, a pass's issue time, an audit row's time);
//   - Type: a pass's type, an alert's kind, an audit row's action;
//   - Status: a scan's decision (admit, deny, attention), a pass's state
//     (valid, revoked), an alert's verdict;
//   - Zone: a scan's zone; Gate: a scan's gate, or either gate of an alert.
type ExportFilter struct {
	Event        string
	Since, Until time.Time
	Type         string
	Status       string
	Zone, Gate   string
}

// ExportedPass is one pass of an export: its fields, never its token,
// and its revocation if any.
type ExportedPass struct {
	Issued
	Revoked *Revocation
}
