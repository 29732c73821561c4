package pass

import (
	"errors"
	"strings"
)

// The numeric transport form of a token, for QR codes: every character c
// of the compact JWS becomes the two digits of c-45, as SMART Health Cards
// do. A JWS uses only '-' (45) to 'z' (122), so every pair is 00 to 77.
//
// Why: QR numeric mode packs 3.33 bits per character against byte mode's 8,
// so the doubled string still makes a smaller code (a 274-character token:
// version 11 instead of 12 at level M), and a keyboard-wedge scanner types
// digits the same on every keyboard layout (AZERTY, QWERTZ…), which it does
// not for letters. A JWS always holds two dots, so an all-digit input can
// never be mistaken for one.

// ErrNumericForm is returned by [DecodeNumeric] for a bad digit string.
var ErrNumericForm = errors.New("bad numeric token form")

// EncodeNumeric returns the numeric form of a compact JWS. Characters
// outside '-'..'z' cannot occur in a JWS; they are an error.
func EncodeNumeric(token string) (string, error) {
	var b strings.Builder
	b.Grow(2 * len(token))
	for i := 0; i < len(token); i++ {
		c := token[i]
		if c < '-' || c > 'z' {
			return "", ErrNumericForm
		}
		v := c - '-'
		b.WriteByte('0' + v/10)
		b.WriteByte('0' + v%10)
	}
	return b.String(), nil
}

// IsNumericForm reports whether s looks like the numeric form: a non-empty
// even number of ASCII digits.
func IsNumericForm(s string) bool {
	if len(s) == 0 || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DecodeNumeric turns the numeric form back into the compact JWS.
func DecodeNumeric(s string) (string, error) {
	if !IsNumericForm(s) {
		return "", ErrNumericForm
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		v := (s[2*i]-'0')*10 + (s[2*i+1] - '0')
		if v > 'z'-'-' {
			return "", ErrNumericForm
		}
		out[i] = '-' + v
	}
	return string(out), nil
}
