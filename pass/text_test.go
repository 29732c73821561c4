package pass

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// textCases are names as door staff would read them. want is a substring of
// the error ("" for ok): the character, as U+XXXX with its name, and where.
var textCases = []struct {
	name, in, want string
}{
	{"ok/latin", "Björk Guðmundsdóttir", ""},
	{"ok/cyrillic", "Дмитрий Шостакович", ""},
	{"ok/hebrew", "דוד בן־גוריון", ""},
	{"ok/persian-zwnj-between-letters", "می\u200cخواهم", ""},          // mi-khâham
	{"ok/persian-zwnj-plural", "خانه\u200cها", ""},                    // khâne-hâ
	{"ok/persian-zwnj-after-right-joining-letter", "کار\u200cها", ""}, // redundant but common
	{"ok/arabic-zwnj-after-harakat", "مُ\u200cحمد", ""},               // a mark (Inherited) before it
	{"ok/devanagari-zwj-half-form", "क्\u200dष", ""},                  // explicit half ka
	{"ok/devanagari-zwnj-no-conjunct", "क्\u200cष", ""},               // visible virama
	{"ok/sinhala-zwj-rakaransaya", "ශ්\u200dරී ලංකා", ""},             // Sri Lanka
	{"ok/bengali-zwj-ya-phala-after-ra", "র\u200d্যাব", ""},           // ZWJ before a virama
	{"ok/malayalam-zwnj", "കാര്\u200cത്തിക", ""},                      // Karthika
	{"ok/mongolian-vowel-separator", "ᠬᠠᠷ\u180eᠠ", ""},                // khar-a
	{"ok/japanese-ideographic-variation", "渡\u908a\U000e0101", ""},    // a registered form of 邊
	{"ok/emoji-presentation", "DJ \u2764\ufe0f", ""},                  // heart + VS16
	{"ok/mongolian-free-variation-selector", "ᠭ\u180b", ""},           // FVS1 after a letter
	{"fail/rlo-latin", "Mallory\u202eyxe.exe", "U+202E (right-to-left override) at character 8"},
	{"fail/rlo-arabic", "محمد\u202eعلی", "U+202E (right-to-left override)"},
	{"fail/rlo-devanagari", "क\u202eष", "U+202E (right-to-left override)"},
	{"fail/lro", "\u202dBob", "U+202D (left-to-right override)"},
	{"fail/rle", "Bob\u202bX", "U+202B (right-to-left embedding)"},
	{"fail/pdf", "Bob\u202cX", "U+202C (pop directional formatting)"},
	{"fail/lri", "Bob\u2066X", "U+2066 (left-to-right isolate)"},
	{"fail/rli", "Bob\u2067X", "U+2067 (right-to-left isolate)"},
	{"fail/fsi", "Bob\u2068X", "U+2068 (first strong isolate)"},
	{"fail/pdi", "Bob\u2069X", "U+2069 (pop directional isolate)"},
	{"fail/lrm", "Bob\u200eX", "U+200E (left-to-right mark)"},
	{"fail/rlm-hebrew", "דוד\u200fX", "U+200F (right-to-left mark)"},
	{"fail/arabic-letter-mark", "محمد\u061cعلی", "U+061C (Arabic letter mark)"},
	{"fail/bom", "\ufeffBob", "U+FEFF (zero-width no-break space, or byte order mark) at character 1"},
	{"fail/zero-width-space", "Bo\u200bb", "U+200B (zero-width space)"},
	{"fail/word-joiner", "Bo\u2060b", "U+2060 (word joiner)"},
	{"fail/soft-hyphen", "Bo\u00adb", "U+00AD (soft hyphen)"},
	{"fail/invisible-times", "a\u2062b", "U+2062"},
	{"fail/interlinear-annotation", "a\ufff9b\ufffbc", "U+FFF9"},
	{"fail/arabic-number-sign", "\u0600١٢", "U+0600"},
	{"fail/tag-letter", "Bob\U000e0041", "U+E0041 (tag)"},
	{"fail/cancel-tag", "Bob\U000e007f", "U+E007F (cancel tag)"},
	{"fail/hangul-filler", "\u3164", "U+3164 (Hangul filler)"},
	{"fail/combining-grapheme-joiner", "a\u034fb", "U+034F (combining grapheme joiner)"},
	{"fail/latin-zwj", "Bo\u200db", "U+200D (zero-width joiner) at character 3 outside a word"},
	{"fail/latin-zwnj", "Bo\u200cb", "U+200C (zero-width non-joiner) at character 3 outside a word"},
	{"fail/emoji-zwj-sequence", "👨\u200d👩", "U+200D (zero-width joiner)"},
	{"fail/zwnj-at-start", "\u200cمی", "U+200C (zero-width non-joiner) at character 1"},
	{"fail/zwnj-at-end", "می\u200c", "U+200C (zero-width non-joiner) at character 3"},
	{"fail/zwnj-before-space", "می\u200c خواهم", "U+200C"},
	{"fail/zwnj-after-space", "می \u200cخواهم", "U+200C"},
	{"fail/zwj-twice", "क्\u200d\u200dष", "U+200D"},
	{"fail/zwj-between-two-scripts", "क्\u200dب", "U+200D"},
	{"fail/zwj-after-digit", "١\u200d٢", "U+200D"},
	{"fail/mongolian-vowel-separator-in-latin", "a\u180eb", "U+180E (Mongolian vowel separator)"},
	{"fail/variation-selector-at-start", "\ufe0fBob", "U+FE0F (variation selector-16) at character 1 with nothing before it"},
	{"fail/variation-selector-after-space", "Bob \ufe0f", "U+FE0F"},
	{"fail/variation-selector-twice", "\u2764\ufe0f\ufe0f", "U+FE0F (variation selector-16) at character 3"},
	{"fail/ideographic-variation-alone", "\U000e0100", "U+E0100 (variation selector-17)"},
	{"fail/control", "Zoë\x1b[31m", "control character"},
	{"fail/line-separator", "Zoë\u2028X", "control character"},
}

// TestTextRules checks every text a door shows through the fields that carry
// it: a holder's name and org, an event's name and venue.
func TestTextRules(t *testing.T) {
	serial, _ := NewSerial(nil)
	for _, tt := range textCases {
		t.Run(tt.name, func(t *testing.T) {
			fields := map[string]func(s string) error{
				"name": func(s string) error {
					p := Pass{Serial: serial, Event: "e", Type: AAA, Name: s, ValidUntil: at("23:00")}
					return p.Validate()
				},
				"org": func(s string) error {
					p := Pass{Serial: serial, Event: "e", Type: AAA, Name: "N", Org: s, ValidUntil: at("23:00")}
					return p.Validate()
				},
				"event name": func(s string) error {
					e := Event{ID: "e", Name: s, Schedule: Schedule{ShowStart: at("20:00"), ShowEnd: at("22:00")}}
					return e.Validate()
				},
				"venue": func(s string) error {
					e := Event{ID: "e", Name: "Show", Venue: s, Schedule: Schedule{ShowStart: at("20:00"), ShowEnd: at("22:00")}}
					return e.Validate()
				},
			}
			for field, check := range fields {
				err := check(tt.in)
				if tt.want == "" {
					if err != nil {
						t.Errorf("%s %q: error %v, want none", field, tt.in, err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), field+" ") {
					t.Errorf("%s %q: error %v, want %q starting with %q", field, tt.in, err, tt.want, field)
				}
			}
		})
	}
}

// TestSignedTextRules: a pass read back from a token we signed may predate
// the rules. It keeps verifying unless its text can reverse what door
// staff read.
func TestSignedTextRules(t *testing.T) {
	serial, _ := NewSerial(nil)
	tests := []struct {
		name, in, want string
	}{
		{"ok/zero-width-space-from-before", "Bo\u200bb", ""},
		{"ok/latin-zwj-from-before", "Bo\u200db", ""},
		{"ok/rlm-from-before", "דוד\u200f", ""},
		{"ok/stray-variation-selector-from-before", "\ufe0fBob", ""},
		{"ok/persian-zwnj", "می\u200cخواهم", ""},
		{"fail/rlo", "Mallory\u202eyxe.exe", "U+202E (right-to-left override)"},
		{"fail/rli", "Bob\u2067X", "U+2067 (right-to-left isolate)"},
		{"fail/lre", "Bob\u202aX", "U+202A (left-to-right embedding)"},
		{"fail/control", "Bob\x1b", "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Claims{Subject: string(serial), Event: "e", Type: "AAA", Name: tt.in, Org: tt.in, Expiry: 2_000_000_000}
			_, err := c.Pass()
			if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Claims{Name: %q}.Pass() error = %v, want %q", tt.in, err, tt.want)
			}
			e := Event{ID: "e", Name: tt.in, Venue: tt.in, Schedule: Schedule{ShowStart: at("20:00"), ShowEnd: at("22:00")}}
			if err := e.ValidateSigned(); (tt.want == "") != (err == nil) {
				t.Errorf("Event{Name: %q}.ValidateSigned() = %v, want %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		max      int
		required bool
		want     string
	}{
		{"ok/optional-empty", "", 10, false, ""},
		{"ok/max-in-characters", "ääääääääää", 10, true, ""},
		{"fail/required-empty", "", 10, true, "note is empty"},
		{"fail/too-long", "ääääääääääx", 10, true, "longer than 10 characters"},
		{"fail/rlo", "lost\u202e", 10, true, "note has an invisible character U+202E (right-to-left override) at character 5"},
		{"fail/spaces", " lost", 10, true, "spaces around"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckText("note", tt.in, tt.max, tt.required)
			if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckText(%q) = %v, want %q", tt.in, err, tt.want)
			}
		})
	}
}

// FuzzCheckText: text that CheckText accepts holds no control character,
// no character that reorders text, no invisible character outside the
// places a script needs it, and is accepted as signed text too.
func FuzzCheckText(f *testing.F) {
	for _, tt := range textCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckText("name", s, 64, true) != nil {
			return
		}
		if !utf8.ValidString(s) || s == "" || utf8.RuneCountInString(s) > 64 {
			t.Fatalf("CheckText accepted %q", s)
		}
		if err := checkText("name", s, 64, true, signedText); err != nil {
			t.Fatalf("CheckText accepted %q, signed rules refuse it: %v", s, err)
		}
		runes := []rune(s)
		for i, r := range runes {
			switch {
			case unicode.IsControl(r) || reordering(r) || r == 0x200E || r == 0x200F || r == 0x061C || r == 0xFEFF || r == 0x200B:
				t.Fatalf("CheckText accepted %q with %U at %d", s, r, i)
			case r == 0x200C || r == 0x200D:
				if i == 0 || i == len(runes)-1 || unicode.IsSpace(runes[i-1]) || unicode.IsSpace(runes[i+1]) ||
					unicode.Is(unicode.Latin, runes[i-1]) || unicode.Is(unicode.Latin, runes[i+1]) || !unicode.In(runes[i+1], unicode.L, unicode.M) {
					t.Fatalf("CheckText accepted %q with a joiner %U at %d out of a word", s, r, i)
				}
			case unicode.Is(unicode.Variation_Selector, r):
				if i == 0 || !unicode.In(runes[i-1], unicode.L, unicode.N, unicode.S) {
					t.Fatalf("CheckText accepted %q with a stray %U at %d", s, r, i)
				}
			case invisible(r) && r != 0x180E:
				t.Fatalf("CheckText accepted %q with an invisible %U at %d", s, r, i)
			}
		}
	})
}
