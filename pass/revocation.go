package pass

import (
	"fmt"
	"slices"
	"strings"
)

// RevokeCategory is why a pass was revoked, as the public and the doors
// see it: /v1/verify, the door's answer and the signed revocation list
// carry the category only. What the office writes about a revocation (who
// lost it, a phone number) is its note, kept for staff (issue 11, item 7).
type RevokeCategory string

// The revocation categories.
const (
	RevokeLost     RevokeCategory = "lost"
	RevokeStolen   RevokeCategory = "stolen"
	RevokeReplaced RevokeCategory = "replaced" // a new pass was issued in its place
	RevokeMisuse   RevokeCategory = "misuse"
	RevokeOther    RevokeCategory = "other"
	// RevokeSuperseded is the category of a pass replaced by a reissue
	// (issue 13): genuine, but a newer pass holds its access. Only a
	// reissue gives it, never a revocation by hand, so it is not in
	// [RevokeCategories]; stores and readers take it.
	RevokeSuperseded RevokeCategory = "superseded"
)

// RevokeCategories lists the categories a person may choose when revoking.
var RevokeCategories = []RevokeCategory{RevokeLost, RevokeStolen, RevokeReplaced, RevokeMisuse, RevokeOther}

// MaxRevokeNoteLen is the longest note, in characters.
const MaxRevokeNoteLen = 200

var revokeLabels = map[RevokeCategory]string{
	RevokeLost:     "reported lost",
	RevokeStolen:   "reported stolen",
	RevokeReplaced: "replaced by a new pass",
	RevokeMisuse:   "withdrawn for misuse",
	RevokeOther:    "withdrawn by the office",
	// What the door reads of a superseded pass (issue 13).
	RevokeSuperseded: "replaced by a newer pass",
}

// Valid reports whether c is one of [RevokeCategories] or
// [RevokeSuperseded]: a category a store keeps.
func (c RevokeCategory) Valid() bool {
	_, ok := revokeLabels[c]
	return ok
}

// Label is the category as door staff read it ("reported stolen").
func (c RevokeCategory) Label() string {
	if l, ok := revokeLabels[c]; ok {
		return l
	}
	return string(c)
}

func revokeCategoryList() string {
	names := make([]string, len(RevokeCategories))
	for i, c := range RevokeCategories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// ParseRevokeCategory reads a category in any case.
func ParseRevokeCategory(s string) (RevokeCategory, error) {
	c := RevokeCategory(strings.ToLower(strings.TrimSpace(s)))
	if c == RevokeSuperseded {
		return "", fmt.Errorf("revocation reason %q is given by a reissue only (laminate reissue SERIAL, POST /v1/passes/{serial}/reissue); to revoke, use one of %s", s, revokeCategoryList())
	}
	if !slices.Contains(RevokeCategories, c) {
		return "", fmt.Errorf("unknown revocation reason %q (want one of %s)", s, revokeCategoryList())
	}
	return c, nil
}

// ParseRevokeReason reads the reason and note of a revocation as the CLI
// and the API take them. reason is a category; note, optional, is free
// text for staff, checked by [CheckText]. A reason that is not a category,
// given with no note, is the free-text reason of before categories: it
// becomes the note, with category other, and legacy is true so that the
// caller can say so. Nothing is refused that used to be accepted, and the
// text stays with staff.
func ParseRevokeReason(reason, note string) (c RevokeCategory, n string, legacy bool, err error) {
	reason, note = strings.TrimSpace(reason), strings.TrimSpace(note)
	if reason == "" {
		return "", "", false, fmt.Errorf("a reason is required: one of %s", revokeCategoryList())
	}
	c, err = ParseRevokeCategory(reason)
	switch {
	case err == nil:
		n = note
	case note != "" || RevokeCategory(strings.ToLower(reason)) == RevokeSuperseded:
		return "", "", false, fmt.Errorf("%w; the note holds the free text", err)
	default:
		c, n, legacy = RevokeOther, reason, true
	}
	what := "note"
	if legacy {
		what = "reason"
	}
	if err := CheckText(what, n, MaxRevokeNoteLen, false); err != nil {
		return "", "", false, err
	}
	return c, n, legacy, nil
}
