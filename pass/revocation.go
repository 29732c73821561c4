package pass

import (
	"fmt"
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
)

// RevokeCategories lists every category.
var RevokeCategories = []RevokeCategory{RevokeLost, RevokeStolen, RevokeReplaced, RevokeMisuse, RevokeOther}

// MaxRevokeNoteLen is the longest note, in characters.
const MaxRevokeNoteLen = 200

var revokeLabels = map[RevokeCategory]string{
	RevokeLost:     "reported lost",
	RevokeStolen:   "reported stolen",
	RevokeReplaced: "replaced by a new pass",
	RevokeMisuse:   "withdrawn for misuse",
	RevokeOther:    "withdrawn by the office",
}

// Valid reports whether c is one of [RevokeCategories].
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
	if !c.Valid() {
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
	case note != "":
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
