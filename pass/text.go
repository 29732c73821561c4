package pass

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// joinerScripts are the scripts in which a ZWJ or ZWNJ between two letters
// changes how a word is written: the Arabic-joining scripts and the Brahmic
// scripts, where it selects a half form or stops a conjunct.
var joinerScripts = []*unicode.RangeTable{
	unicode.Arabic, unicode.Syriac, unicode.Nko, unicode.Mongolian, unicode.Hanifi_Rohingya,
	unicode.Devanagari, unicode.Bengali, unicode.Gurmukhi, unicode.Gujarati, unicode.Oriya,
	unicode.Tamil, unicode.Telugu, unicode.Kannada, unicode.Malayalam, unicode.Sinhala,
	unicode.Myanmar, unicode.Khmer,
}

// reordering are the characters that can reverse the order in which
// letters are shown: the bidi embeddings, overrides and isolates. Marks
// (U+200E, U+200F, U+061C) only move punctuation and digits.
func reordering(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// invisible reports whether r is a Default_Ignorable_Code_Point (format
// characters, variation selectors and the other ignorables).
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// textRules says how strict checkText is.
type textRules int

const (
	// typedText is text being entered now: every rule.
	typedText textRules = iota
	// signedText is text read back from a document Laminate signed, maybe
	// before the current rules (a pass in circulation, a bundle's event):
	// only what can reverse what staff read is refused, so that a pass
	// printed with, say, a stray zero-width space still admits its holder.
	signedText
)

// CheckText is the one rule for free text that is printed on passes or
// shown to door staff (a holder's name and org, an event's name and venue,
// a revocation note, a token's name); everything that takes such text
// calls it. what names the field ("name", "note") and starts the error;
// max is in characters; required refuses the empty string.
//
// Invisible characters can change what staff read: a right-to-left
// override (U+202E) in "Mallory", U+202E, "yxe.exe" shows as
// "Malloryexe.exy", and a zero-width space makes a name differ from the one
// on the guest list. CheckText refuses invalid UTF-8, spaces around the
// text, control characters (category Cc, U+2028, U+2029) and the invisible
// characters of Unicode's Default_Ignorable_Code_Point: every format
// character (category Cf: the bidi embeddings, overrides, isolates and
// marks, U+061C, zero-width space, word joiner, U+FEFF, soft hyphen, the
// tag characters U+E0000–E007F), the Hangul fillers and the combining
// grapheme joiner. Three exceptions, for the scripts that need them:
//
//   - U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH JOINER between
//     two letters (or a letter and its marks) of one of [joinerScripts]:
//     Persian puts a ZWNJ inside words (mi, ZWNJ, khâham), Sinhala a ZWJ
//     in Sri (sha, virama, ZWJ, ra), Devanagari one after a virama for a
//     half form. Never at the start or the end, next to a space, between
//     two scripts, or in Latin or emoji sequences (a name needs no family
//     emoji).
//   - U+180E MONGOLIAN VOWEL SEPARATOR between two Mongolian letters.
//   - Variation selectors (U+FE00–FE0F, U+E0100–E01EF, the Mongolian free
//     variation selectors) directly after a letter, digit or symbol:
//     Japanese family names are registered with ideographic variation
//     sequences, and a selector never moves text, it only picks a glyph.
//     One with nothing to modify is refused.
//
// Characters that this program's Unicode tables do not know (assigned in a
// later version) and private-use characters are accepted: they reorder
// nothing, and refusing them would refuse rare CJK names.
//
// An error names the character as U+XXXX, with its name when it has a
// common one, and its position: "name has an invisible character U+202E
// (right-to-left override) at character 8 (…)".
func CheckText(what, s string, max int, required bool) error {
	return checkText(what, s, max, required, typedText)
}

func checkText(what, s string, max int, required bool, rules textRules) error {
	switch {
	case s == "" && required:
		return fmt.Errorf("%s is empty", what)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8", what)
	case utf8.RuneCountInString(s) > max:
		return fmt.Errorf("%s is longer than %d characters", what, max)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%s %q has spaces around it", what, s)
	}
	n := 0 // characters so far
	for i, r := range s {
		n++
		if r < utf8.RuneSelf { // ASCII: only controls to look for
			if r < 0x20 || r == 0x7f {
				return fmt.Errorf("%s has a control character %U", what, r)
			}
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("%s has a control character %U", what, r)
		}
		if rules == signedText && !reordering(r) || !invisible(r) {
			continue
		}
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		switch {
		case rules == typedText && (r == '\u200C' || r == '\u200D' || r == '\u180E'):
			if !insideWord(s, i, r) {
				return fmt.Errorf("%s has %s at character %d outside a word of a script that uses it (only between letters of Arabic, Indic and similar scripts)",
					what, runeName(r), n)
			}
		case rules == typedText && unicode.Is(unicode.Variation_Selector, r):
			if i == 0 || !unicode.In(before, unicode.L, unicode.N, unicode.S) {
				return fmt.Errorf("%s has %s at character %d with nothing before it to modify (it may only follow a letter or symbol)",
					what, runeName(r), n)
			}
		default:
			return fmt.Errorf("%s has an invisible character %s at character %d (such characters can hide or reorder what door staff read)",
				what, runeName(r), n)
		}
	}
	return nil
}

// insideWord reports whether the joiner r at byte i of s sits between two
// letters of one script that uses it: the one before (past any combining
// marks of no script, such as Arabic vowel signs) and the one after. The
// Mongolian vowel separator is for Mongolian only.
func insideWord(s string, i int, r rune) bool {
	head := s[:i]
	before, size := utf8.DecodeLastRuneInString(head)
	for size > 0 && unicode.Is(unicode.M, before) && unicode.In(before, unicode.Inherited, unicode.Common) {
		head = head[:len(head)-size]
		before, size = utf8.DecodeLastRuneInString(head)
	}
	after, asize := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
	if size == 0 || asize == 0 {
		return false
	}
	if !unicode.In(before, unicode.L, unicode.M) || !unicode.In(after, unicode.L, unicode.M) {
		return false
	}
	scripts := joinerScripts
	if r == '\u180E' {
		scripts = []*unicode.RangeTable{unicode.Mongolian}
	}
	for _, sc := range scripts {
		if unicode.Is(sc, before) && unicode.Is(sc, after) {
			return true
		}
	}
	return false
}

// runeNames are the invisible characters people meet in pasted text.
var runeNames = map[rune]string{
	0x00AD:  "soft hyphen",
	0x034F:  "combining grapheme joiner",
	0x061C:  "Arabic letter mark",
	0x115F:  "Hangul choseong filler",
	0x1160:  "Hangul jungseong filler",
	0x180E:  "Mongolian vowel separator",
	0x200B:  "zero-width space",
	0x200C:  "zero-width non-joiner",
	0x200D:  "zero-width joiner",
	0x200E:  "left-to-right mark",
	0x200F:  "right-to-left mark",
	0x202A:  "left-to-right embedding",
	0x202B:  "right-to-left embedding",
	0x202C:  "pop directional formatting",
	0x202D:  "left-to-right override",
	0x202E:  "right-to-left override",
	0x2060:  "word joiner",
	0x2066:  "left-to-right isolate",
	0x2067:  "right-to-left isolate",
	0x2068:  "first strong isolate",
	0x2069:  "pop directional isolate",
	0x3164:  "Hangul filler",
	0xFEFF:  "zero-width no-break space, or byte order mark",
	0xFFA0:  "halfwidth Hangul filler",
	0xE0001: "language tag",
	0xE007F: "cancel tag",
}

// runeName is "U+202E (right-to-left override)", or "U+2061" for a
// character with no common name.
func runeName(r rune) string {
	name, ok := runeNames[r]
	switch {
	case ok:
	case r >= 0xFE00 && r <= 0xFE0F:
		name = fmt.Sprintf("variation selector-%d", r-0xFE00+1)
	case r >= 0xE0100 && r <= 0xE01EF:
		name = fmt.Sprintf("variation selector-%d", r-0xE0100+17)
	case r >= 0x180B && r <= 0x180D || r == 0x180F:
		name = "Mongolian free variation selector"
	case r >= 0xE0020 && r <= 0xE007E:
		name = "tag"
	default:
		return fmt.Sprintf("%U", r)
	}
	return fmt.Sprintf("%U (%s)", r, name)
}
