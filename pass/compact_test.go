package pass

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))

// craftToken signs payload under header with testKey, as go-jose does.
func craftToken(header, payload string) string {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	return in + "." + enc.EncodeToString(ed25519.Sign(testKey, []byte(in)))
}

// claimsJSON is the payload as signer.Sign writes it: encoding/json, no
// HTML escaping, no newline.
func claimsJSON(t testing.TB, c any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

const edHeader = `{"alg":"EdDSA","kid":"yddte0"}`

func typicalClaims() Claims {
	p := Pass{Serial: "7K2M9QX4", Event: "tour26-lon01", Type: VIP, Name: "Alex Rivera", Org: "Headliner",
		Issuer: "lam", ValidUntil: time.Date(2026, 3, 15, 23, 59, 0, 0, time.UTC)}
	p.Serial = serialFromValues([]int{5, 15, 0, 16, 7, 20, 25})
	return p.Claims()
}

func TestCompactForm(t *testing.T) {
	typical := typicalClaims()
	staff := typical
	staff.Type, staff.Role, staff.Org, staff.NotBefore = "STF", "catering", "Kitchen & Co", typical.Expiry-86400
	utf := typical
	utf.Name, utf.Org, utf.Event = "Björk Guðmundsdóttir", "王小明 & 北京音乐", "tour26.lon_01"
	long := typical
	long.Name = strings.Repeat("Αλέξανδρος ", 8)
	cases := []struct {
		name, header, payload string
	}{
		{"typical", edHeader, claimsJSON(t, typical)},
		{"es256", `{"alg":"ES256","kid":"Ab-_09"}`, claimsJSON(t, typical)},
		{"staff-nbf", edHeader, claimsJSON(t, staff)},
		{"utf8-and-dots", edHeader, claimsJSON(t, utf)},
		{"long-name", edHeader, claimsJSON(t, long)},
		{"cyrillic", edHeader, `{"n":"Дмитрий Шостакович","o":"Ленинградская филармония","exp":7}`},
		{"windows-differ", edHeader, `{"n":"Ἀλέξανδρος","o":"Zoë","exp":7}`},
		{"with-photo-hash", edHeader, strings.TrimSuffix(claimsJSON(t, typical), "}") + `,"ph":"AAECAwQFBgc"}`},
		{"photo-hash-first", edHeader, `{"ph":"_-8AAQIDBAU",` + claimsJSON(t, typical)[1:]},
		{"other-order", edHeader, `{"exp":1790000000,"n":"X","sub":"` + string(typical.Subject) + `","pt":"AAA","ev":"e"}`},
		{"empty-org", edHeader, `{"sub":"` + typical.Subject + `","o":"","exp":1}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := craftToken(c.header, c.payload)
			cf, err := EncodeCompact(tok)
			if err != nil {
				t.Fatalf("EncodeCompact() error = %v", err)
			}
			if !strings.HasPrefix(cf, CompactPrefix) || !IsCompactForm(cf) || IsNumericForm(cf) && strings.HasPrefix(cf, "5") {
				t.Errorf("compact form %q: wrong prefix", cf)
			}
			back, err := DecodeCompact(cf)
			if err != nil || back != tok {
				t.Fatalf("DecodeCompact() = %q, %v; want %q", back, err, tok)
			}
			if tr, _ := EncodeTransport(tok); tr != cf {
				t.Errorf("EncodeTransport() = %q, want the compact form", tr)
			}
			if dt, err := DecodeTransport(cf); dt != tok || err != nil {
				t.Errorf("DecodeTransport() = %q, %v", dt, err)
			}
			num, _ := EncodeNumeric(tok)
			t.Logf("%d digits compact, %d numeric", len(cf), len(num))
			if len(cf) >= len(num)*7/10 {
				t.Errorf("compact form is %d digits, numeric %d: want under 70%%", len(cf), len(num))
			}
		})
	}
}

// A token the compact form cannot rebuild byte for byte travels in the
// numeric form, and still arrives whole.
func TestCompactFallsBack(t *testing.T) {
	c := typicalClaims()
	js := claimsJSON(t, c)
	escaped, _ := json.Marshal(Claims{Subject: c.Subject, Name: "Kitchen & Co", Expiry: 5}) // \u0026
	cases := []struct {
		name, token string
	}{
		{"typ-header", craftToken(`{"alg":"EdDSA","kid":"yddte0","typ":"JWT"}`, js)},
		{"header-order", craftToken(`{"kid":"yddte0","alg":"EdDSA"}`, js)},
		{"header-space", craftToken(`{"alg":"EdDSA", "kid":"yddte0"}`, js)},
		{"long-kid", craftToken(`{"alg":"EdDSA","kid":"yddte01"}`, js)},
		{"alg-none", craftToken(`{"alg":"none","kid":"yddte0"}`, js)},
		{"html-escaped", craftToken(edHeader, string(escaped))},
		{"quote-in-name", craftToken(edHeader, `{"n":"The \"Band\"","exp":5}`)},
		{"unicode-escape", craftToken(edHeader, `{"n":"\u0041","exp":5}`)},
		{"space-in-json", craftToken(edHeader, `{"exp": 5}`)},
		{"float-exp", craftToken(edHeader, `{"exp":5.0}`)},
		{"exp-2106", craftToken(edHeader, `{"exp":4294967296}`)},
		{"zero-exp", craftToken(edHeader, `{"exp":0}`)},
		{"unknown-claim", craftToken(edHeader, `{"exp":5,"x":1}`)},
		{"duplicate-claim", craftToken(edHeader, `{"exp":5,"exp":5}`)},
		{"lower-case-serial", craftToken(edHeader, `{"sub":"`+strings.ToLower(c.Subject)+`"}`)},
		{"bad-check", craftToken(edHeader, `{"sub":"22222223"}`)},
		{"unknown-type", craftToken(edHeader, `{"pt":"XYZ"}`)},
		{"long-photo-hash", craftToken(edHeader, `{"ph":"AAECAwQFBgcI"}`)},
		{"nested", craftToken(edHeader, `{"n":{"a":1}}`)},
		{"array", craftToken(edHeader, `[1]`)},
		{"trailing", craftToken(edHeader, js+" ")},
		{"short-signature", strings.Join(strings.Split(craftToken(edHeader, js), ".")[:2], ".") + ".AAAA"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if cf, err := EncodeCompact(tc.token); !errors.Is(err, ErrCompactForm) {
				t.Fatalf("EncodeCompact() = %q, %v; want ErrCompactForm", cf, err)
			}
			tr, err := EncodeTransport(tc.token)
			if err != nil || !IsNumericForm(tr) {
				t.Fatalf("EncodeTransport() = %q, %v; want the numeric form", tr, err)
			}
			if back, err := DecodeTransport(tr); back != tc.token || err != nil {
				t.Errorf("DecodeTransport() = %q, %v", back, err)
			}
		})
	}
}

func TestDecodeCompactRefuses(t *testing.T) {
	good, err := EncodeCompact(craftToken(edHeader, claimsJSON(t, typicalClaims())))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"", "9", "91", "910", "9" + good[1:2] + "0" + good[2:], "92" + good[2:], "81" + good[2:],
		good[:len(good)-1], good + "0", good + "7", good[:40],
		"91" + strings.Repeat("9", MaxCompactDigits), "91x" + good[3:],
	} {
		if tok, err := DecodeCompact(bad); !errors.Is(err, ErrCompactForm) {
			t.Errorf("DecodeCompact(%.20q…) = %q, %v; want ErrCompactForm", bad, tok, err)
		}
	}
}

func FuzzDecodeCompact(f *testing.F) {
	c := typicalClaims()
	for _, p := range []string{claimsJSON(f, c), `{"ph":"AAECAwQFBgc","n":"王小明","exp":7}`} {
		cf, err := EncodeCompact(craftToken(edHeader, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(cf)
	}
	f.Add("91")
	f.Add("9199999999999999999999")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := DecodeCompact(s)
		if err != nil {
			return
		}
		// Canonical: what decodes encodes back to the same digits.
		again, err := EncodeCompact(tok)
		if err != nil || again != s {
			t.Fatalf("round trip of %q: %q, %v", s, again, err)
		}
	})
}

func BenchmarkDecodeCompact(b *testing.B) {
	cf, err := EncodeCompact(craftToken(edHeader, claimsJSON(b, typicalClaims())))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := DecodeCompact(cf); err != nil {
			b.Fatal(err)
		}
	}
}

// Every claim a pass can carry has a tag in the compact form, or every
// pass would silently travel in the numeric form (twice the digits).
func TestCompactKnowsEveryClaim(t *testing.T) {
	ct := reflect.TypeOf(Claims{})
	for i := range ct.NumField() {
		name, _, _ := strings.Cut(ct.Field(i).Tag.Get("json"), ",")
		if !slices.Contains(tagKeys[:], name) || name == "" {
			t.Errorf("claim %q (Claims.%s) has no compact tag: add one at the end of the tag list in compact.go", name, ct.Field(i).Name)
		}
	}
}

func BenchmarkEncodeCompact(b *testing.B) {
	tok := craftToken(edHeader, claimsJSON(b, typicalClaims()))
	for b.Loop() {
		if _, err := EncodeCompact(tok); err != nil {
			b.Fatal(err)
		}
	}
}
