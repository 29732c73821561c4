package pass

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"unicode/utf8"
)

// The compact transport form of a pass token, for QR codes (issue 12).
//
// The compact JWS stays the canonical form: what the store keeps, what any
// JOSE library verifies with the JWKS. The compact form carries only what
// the JWS's signing input cannot be rebuilt without, plus the signature:
//
//   - the protected header is implied: {"alg":A,"kid":K} (keys.Keyring's
//     signer writes exactly that, go-jose sorting the members), so it
//     travels as 1 bit of alg and the kid's 6 base64url characters as 36
//     bits;
//   - the claims travel as tagged binary fields in the order of their JSON
//     (so the JSON is rebuilt byte for byte, whatever order the signer
//     writes): a serial in 35 bits, the type in 3, times in 32, the photo
//     hash in 64, text in 6 bits a character when it is made of
//     [0-9A-Za-z -], else as UTF-8 bytes;
//   - the 64-byte signature (EdDSA or ES256 R||S) follows as it is.
//
// The bits, behind a leading 1, are one number written in decimal after
// the prefix "91" ('9' marks the compact form, '1' its version): QR numeric
// mode packs 3.32 bits a digit, the same digits type alike on every
// keyboard layout, and the numeric form ([EncodeNumeric]) never starts
// with 8 or 9, so the forms cannot be confused. A typical pass is about
// 285 digits, QR version 7 at level M, against about 540 digits (version
// 11) in the numeric form.
//
// The decoder rebuilds the JWS (header, claims JSON, signature) and the
// verifier checks the signature over it as over any token. [EncodeCompact]
// encodes only tokens it can rebuild exactly (it decodes its own output and
// compares); anything else travels in the numeric form. The format is
// canonical: one JWS has one compact form, and every other digit string is
// refused.

// CompactPrefix begins every compact form: '9' marks it, '1' is the
// format's version. A new version takes a new digit; the numeric form
// never begins with 8 or 9.
const CompactPrefix = "91"

// MaxCompactDigits is the longest compact form [DecodeCompact] reads; a
// pass with the longest names is well under it.
const MaxCompactDigits = 2048

// ErrCompactForm is returned by [DecodeCompact] for a digit string that is
// not a compact form, and by [EncodeCompact] for a token it cannot carry.
var ErrCompactForm = errors.New("bad compact token form")

// Field tags, 4 bits; 0 ends the claims. Their numbers are the format:
// never renumber one, add new ones at the end.
const (
	tagEnd = iota
	tagIss
	tagSub
	tagEv
	tagPt
	tagName
	tagOrg
	tagRole
	tagNbf
	tagExp
	tagPhoto
	tagCount
)

var tagKeys = [tagCount]string{"", "iss", "sub", "ev", "pt", "n", "o", "r", "nbf", "exp", "ph"}

// compactTypes are the type codes in the order of their 3-bit values: the
// format, not [Types].
var compactTypes = [8]string{"AAA", "VIP", "AFT", "WRK", "LOC", "PHO", "MEG", "STF"}

// compactAlgs are the header algorithms in the order of their 1-bit value.
var compactAlgs = [2]string{"EdDSA", "ES256"}

// text6 is the 6-bit alphabet of short text: names, orgs, event IDs.
const text6 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz -"

const (
	kidChars   = 6
	sigBytes   = 64
	photoBytes = 8
	maxText    = 31 + 511 // the longest text field: 5-bit length, then 9 more bits
	b64chars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

var b64url = base64.RawURLEncoding

// IsCompactForm reports whether s looks like a compact form: ASCII digits
// beginning with '9'. Whether it decodes is [DecodeCompact]'s answer.
func IsCompactForm(s string) bool {
	if len(s) == 0 || s[0] != '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// EncodeTransport returns what a QR code carries for token: the compact
// form when it rebuilds token exactly, else the numeric form.
func EncodeTransport(token string) (string, error) {
	if c, err := EncodeCompact(token); err == nil {
		return c, nil
	}
	return EncodeNumeric(token)
}

// DecodeTransport turns any transport form (compact or numeric) back into
// the compact JWS; anything else is returned as it is.
func DecodeTransport(s string) (string, error) {
	switch {
	case IsCompactForm(s):
		return DecodeCompact(s)
	case IsNumericForm(s):
		return DecodeNumeric(s)
	}
	return s, nil
}

// EncodeCompact returns the compact form of a pass token, or
// [ErrCompactForm] when the token cannot be rebuilt from one (a header
// other than {"alg","kid"}, claims of another shape or spelling, text
// that JSON escapes): such a token travels in the numeric form.
func EncodeCompact(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", ErrCompactForm
	}
	hdr, err1 := b64url.DecodeString(parts[0])
	payload, err2 := b64url.DecodeString(parts[1])
	sig, err3 := b64url.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || len(sig) != sigBytes {
		return "", ErrCompactForm
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if json.Unmarshal(hdr, &h) != nil {
		return "", ErrCompactForm
	}
	var w bitWriter
	switch h.Alg {
	case compactAlgs[0]:
		w.write(0, 1)
	case compactAlgs[1]:
		w.write(1, 1)
	default:
		return "", ErrCompactForm
	}
	if len(h.Kid) != kidChars {
		return "", ErrCompactForm
	}
	for i := 0; i < kidChars; i++ {
		v := strings.IndexByte(b64chars, h.Kid[i])
		if v < 0 {
			return "", ErrCompactForm
		}
		w.write(uint64(v), 6)
	}
	if err := encodeClaims(&w, payload); err != nil {
		return "", err
	}
	w.write(tagEnd, 4)
	for _, b := range sig {
		w.write(uint64(b), 8)
	}
	out := CompactPrefix + w.decimal()
	// The proof: the form decodes to this very token, byte for byte.
	if back, err := DecodeCompact(out); err != nil || back != token {
		return "", ErrCompactForm
	}
	return out, nil
}

// encodeClaims writes the members of a claims object in their order. What
// the format cannot say (an unknown member, a value of the wrong kind)
// is an error; spelling (spaces, escapes, number forms) is left to
// EncodeCompact's final comparison.
func encodeClaims(w *bitWriter, payload []byte) error {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ErrCompactForm
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return ErrCompactForm
		}
		key, _ := kt.(string)
		tag := 0
		for i := 1; i < tagCount; i++ {
			if tagKeys[i] == key {
				tag = i
			}
		}
		vt, err := dec.Token()
		if tag == tagEnd || err != nil {
			return ErrCompactForm
		}
		w.write(uint64(tag), 4)
		switch tag {
		case tagNbf, tagExp:
			n, ok := vt.(json.Number)
			v, err := n.Int64()
			if !ok || err != nil || v <= 0 || v >= 1<<32 {
				return ErrCompactForm
			}
			w.write(uint64(v), 32)
			continue
		}
		s, ok := vt.(string)
		if !ok {
			return ErrCompactForm
		}
		switch tag {
		case tagSub:
			if len(s) != serialLen || strictSerial(s) != nil {
				return ErrCompactForm
			}
			var v uint64
			for i := 0; i < serialDataLen; i++ {
				v = v*uint64(serialBase) + uint64(strings.IndexByte(SerialAlphabet, s[i]))
			}
			w.write(v, 35)
		case tagPt:
			i := indexOf(compactTypes[:], s)
			if i < 0 {
				return ErrCompactForm
			}
			w.write(uint64(i), 3)
		case tagPhoto:
			b, err := b64url.DecodeString(s)
			if err != nil || len(b) != photoBytes {
				return ErrCompactForm
			}
			for _, c := range b {
				w.write(uint64(c), 8)
			}
		default:
			if !plainJSONText(s) || len(s) > maxText {
				return ErrCompactForm
			}
			writeText(w, s)
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return ErrCompactForm
	}
	return nil
}

// strictSerial reports whether s is a serial exactly as a token carries
// it: eight upper-case symbols with the right check character.
func strictSerial(s string) error {
	p, err := ParseSerial(s)
	if err != nil {
		return err
	}
	if string(p) != s {
		return ErrSerialCharacter
	}
	return nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// plainJSONText reports whether s is valid UTF-8 that Go's encoding/json
// (without HTML escaping) writes as it is between quotes: no quote, no
// backslash, no control character, no U+2028 or U+2029. Only such text is
// carried: the rebuilt JSON is then the same in every language.
func plainJSONText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == '"' || r == '\\' || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

func in6(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(text6, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Text modes: how a text field spells its characters. The cheapest that
// can spell the text is used (in this order on a tie), so each text has
// one spelling.
const (
	textSix    = iota // 6 bits a character of text6; mode bits "1"
	textWindow        // a 128-code-point window: 1+7 bits a character; "01"
	textBytes         // UTF-8 bytes, 8 bits each; "00"
)

// textMode picks the mode of s, and the window (code point / 128) of its
// first non-ASCII character for textWindow.
func textMode(s string) (mode int, window rune) {
	if in6(s) {
		return textSix, 0
	}
	bytesCost := 8 * len(s)
	n, fits := 0, true
	for _, r := range s {
		n++
		if r < 0x80 {
			continue
		}
		if window == 0 {
			window = r >> 7
		} else if r>>7 != window {
			fits = false
		}
	}
	if fits && window != 0 && 14+8*n <= bytesCost {
		return textWindow, window
	}
	return textBytes, 0
}

// writeText writes a text field: its mode ("1" six-bit, "01" window with
// the window's number in 14 bits, "00" UTF-8 bytes), its length in
// characters (bytes for UTF-8) in 5 bits (31: 9 more bits follow, length
// 31+n), then the characters: 6 bits each; 1 bit (0: in the window,
// 1: ASCII) and 7 bits each; or 8 bits a byte.
func writeText(w *bitWriter, s string) {
	mode, window := textMode(s)
	n := len(s)
	switch mode {
	case textSix:
		w.write(1, 1)
	case textWindow:
		w.write(1, 2)
		w.write(uint64(window), 14)
		n = utf8.RuneCountInString(s)
	default:
		w.write(0, 2)
	}
	if n < 31 {
		w.write(uint64(n), 5)
	} else {
		w.write(31, 5)
		w.write(uint64(n-31), 9)
	}
	switch mode {
	case textSix:
		for i := 0; i < len(s); i++ {
			w.write(uint64(strings.IndexByte(text6, s[i])), 6)
		}
	case textWindow:
		for _, r := range s {
			if r < 0x80 {
				w.write(0x80|uint64(r), 8)
			} else {
				w.write(uint64(r&0x7f), 8)
			}
		}
	default:
		for i := 0; i < len(s); i++ {
			w.write(uint64(s[i]), 8)
		}
	}
}

// DecodeCompact turns a compact form back into the compact JWS it came
// from. It is a parser of untrusted input: any digit string that
// [EncodeCompact] would not write is [ErrCompactForm].
func DecodeCompact(s string) (string, error) {
	if len(s) > MaxCompactDigits || !strings.HasPrefix(s, CompactPrefix) || !IsCompactForm(s) {
		return "", ErrCompactForm
	}
	digits := s[len(CompactPrefix):]
	if len(digits) == 0 || digits[0] == '0' { // no leading zero: one number, one spelling
		return "", ErrCompactForm
	}
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok || n.BitLen() < 2 {
		return "", ErrCompactForm
	}
	r := bitReader{n: n, pos: n.BitLen() - 1} // below the leading 1
	alg := compactAlgs[r.read(1)]
	var kid [kidChars]byte
	for i := range kid {
		kid[i] = b64chars[r.read(6)]
	}
	var claims bytes.Buffer
	claims.WriteByte('{')
	var seen [tagCount]bool
	for {
		tag := int(r.read(4))
		if tag == tagEnd || r.bad {
			break
		}
		if tag >= tagCount || seen[tag] {
			return "", ErrCompactForm
		}
		seen[tag] = true
		if claims.Len() > 1 {
			claims.WriteByte(',')
		}
		claims.WriteString(`"` + tagKeys[tag] + `":`)
		var ok bool
		switch tag {
		case tagNbf, tagExp:
			v := r.read(32)
			if v == 0 {
				return "", ErrCompactForm
			}
			claims.Write(big.NewInt(int64(v)).Append(nil, 10))
			continue
		case tagSub:
			ok = readSerial(&r, &claims)
		case tagPt:
			claims.WriteString(`"` + compactTypes[r.read(3)] + `"`)
			ok = true
		case tagPhoto:
			var b [photoBytes]byte
			for i := range b {
				b[i] = byte(r.read(8))
			}
			claims.WriteString(`"` + b64url.EncodeToString(b[:]) + `"`)
			ok = true
		default:
			ok = readText(&r, &claims)
		}
		if !ok {
			return "", ErrCompactForm
		}
	}
	claims.WriteByte('}')
	var sig [sigBytes]byte
	for i := range sig {
		sig[i] = byte(r.read(8))
	}
	if r.bad || r.pos != 0 {
		return "", ErrCompactForm
	}
	hdr := `{"alg":"` + alg + `","kid":"` + string(kid[:]) + `"}`
	return b64url.EncodeToString([]byte(hdr)) + "." + b64url.EncodeToString(claims.Bytes()) + "." + b64url.EncodeToString(sig[:]), nil
}

func readSerial(r *bitReader, out *bytes.Buffer) bool {
	v := r.read(35)
	data := make([]int, serialDataLen)
	for i := serialDataLen - 1; i >= 0; i-- {
		data[i] = int(v % uint64(serialBase))
		v /= uint64(serialBase)
	}
	if v != 0 {
		return false
	}
	out.WriteString(`"` + string(serialFromValues(data)) + `"`)
	return true
}

func readText(r *bitReader, out *bytes.Buffer) bool {
	mode, window := textSix, rune(0)
	if r.read(1) == 0 {
		mode = textBytes
		if r.read(1) == 1 {
			mode, window = textWindow, rune(r.read(14))
		}
	}
	n := int(r.read(5))
	if n == 31 {
		n += int(r.read(9))
	}
	if r.bad || n*6 > r.pos {
		return false
	}
	var b []byte
	for range n {
		switch mode {
		case textSix:
			b = append(b, text6[r.read(6)])
		case textWindow:
			c := rune(r.read(8))
			if c < 0x80 {
				c += window << 7
			} else {
				c &= 0x7f
			}
			b = utf8.AppendRune(b, c)
		default:
			b = append(b, byte(r.read(8)))
		}
	}
	s := string(b)
	if r.bad || !plainJSONText(s) || len(s) > maxText {
		return false
	}
	// One spelling: the mode (and window) the encoder would choose.
	if m, w := textMode(s); m != mode || w != window {
		return false
	}
	out.WriteString(`"` + s + `"`)
	return true
}

// bitWriter collects bits, most significant first.
type bitWriter struct{ b strings.Builder }

func (w *bitWriter) write(v uint64, n int) {
	for i := n - 1; i >= 0; i-- {
		w.b.WriteByte('0' + byte(v>>i&1))
	}
}

// decimal is the bits behind a leading 1, as a decimal number.
func (w *bitWriter) decimal() string {
	n, _ := new(big.Int).SetString("1"+w.b.String(), 2)
	return n.Text(10)
}

// bitReader reads the bits of n below position pos, most significant
// first. Reading past the end sets bad and gives zeros.
type bitReader struct {
	n   *big.Int
	pos int
	bad bool
}

func (r *bitReader) read(n int) uint64 {
	if n > r.pos {
		r.bad, r.pos = true, 0
		return 0
	}
	var v uint64
	for range n {
		r.pos--
		v = v<<1 | uint64(r.n.Bit(r.pos))
	}
	return v
}
