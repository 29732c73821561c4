package pass

import (
	"strings"
	"testing"
)

func TestParseRevokeReason(t *testing.T) {
	tests := []struct {
		name, reason, note string
		cat                RevokeCategory
		wantNote           string
		legacy             bool
		err                string
	}{
		{"ok/category", "lost", "", RevokeLost, "", false, ""},
		{"ok/any-case-and-spaces", " STOLEN ", "", RevokeStolen, "", false, ""},
		{"ok/with-note", "replaced", " name misspelt on the first one ", RevokeReplaced, "name misspelt on the first one", false, ""},
		{"ok/misuse", "misuse", "", RevokeMisuse, "", false, ""},
		{"ok/legacy-free-text-becomes-the-note", "lost at load-in", "", RevokeOther, "lost at load-in", true, ""},
		{"ok/note-persian-zwnj", "other", "می\u200cخواهم", RevokeOther, "می\u200cخواهم", false, ""},
		{"fail/empty", " ", "", "", "", false, "a reason is required: one of lost, stolen, replaced, misuse, other"},
		{"fail/free-text-and-a-note", "lost at load-in", "call Sam", "", "", false, `unknown revocation reason "lost at load-in" (want one of lost, stolen, replaced, misuse, other); the note holds the free text`},
		{"fail/note-too-long", "lost", strings.Repeat("n", MaxRevokeNoteLen+1), "", "", false, "note is longer than 200 characters"},
		{"fail/note-rlo", "lost", "call \u202e321", "", "", false, "note has an invisible character U+202E (right-to-left override)"},
		{"fail/note-control", "lost", "a\nb", "", "", false, "note has a control character"},
		{"fail/legacy-rlo", "lost\u202e at load-in", "", "", "", false, "reason has an invisible character U+202E"},
		{"fail/legacy-too-long", strings.Repeat("r", MaxRevokeNoteLen+1), "", "", "", false, "reason is longer than 200 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, note, legacy, err := ParseRevokeReason(tt.reason, tt.note)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseRevokeReason(%q, %q) error = %v, want %q", tt.reason, tt.note, err, tt.err)
				}
				return
			}
			if err != nil || cat != tt.cat || note != tt.wantNote || legacy != tt.legacy {
				t.Fatalf("ParseRevokeReason(%q, %q) = %q, %q, %v, %v; want %q, %q, %v", tt.reason, tt.note, cat, note, legacy, err, tt.cat, tt.wantNote, tt.legacy)
			}
		})
	}
	for _, c := range RevokeCategories {
		if !c.Valid() || c.Label() == string(c) {
			t.Errorf("category %q: Valid() = %v, Label() = %q", c, c.Valid(), c.Label())
		}
	}
}
