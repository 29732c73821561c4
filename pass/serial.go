package pass

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SerialAlphabet holds the symbols of a serial: digits and capital letters
// without 0, O, 1, I and L, which people misread on worn laminates. Its size,
// 31, is prime, which is what lets the check character catch every single
// substitution and every transposition (see [checkSymbol]).
const SerialAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

const (
	serialBase     = len(SerialAlphabet) // 31, prime
	serialDataLen  = 7                   // 31^7 ≈ 2^34.7 serials
	serialLen      = serialDataLen + 1   // plus the check character
	serialGroupLen = 4                   // printed as XXXX-XXXX
)

// Serial is a pass serial number in canonical form: eight symbols of
// [SerialAlphabet], no separator. The zero value is not a valid serial.
type Serial string

// Errors returned by [ParseSerial]; each is wrapped with the detail.
var (
	ErrSerialLength    = errors.New("serial has the wrong length")
	ErrSerialCharacter = errors.New("serial has a character that serials never use")
	ErrSerialCheck     = errors.New("serial check character does not match (a typo?)")
)

var symbolValue = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < serialBase; i++ {
		v[SerialAlphabet[i]] = int8(i)
		v[strings.ToLower(SerialAlphabet[i : i+1])[0]] = int8(i)
	}
	return v
}()

// checkSymbol returns the value c that makes sum((i+1)*v_i) + 8*c ≡ 0 (mod 31)
// over the seven data symbols. Because 31 is prime and the weights 1..8 are
// distinct and non-zero mod 31, changing one symbol or swapping any two
// symbols (check included) always breaks the congruence.
func checkSymbol(data []int) int {
	s := 0
	for i, v := range data {
		s += (i + 1) * v
	}
	s %= serialBase
	// c = -s * inverse(8) mod 31; 8*4 = 32 ≡ 1, so inverse(8) = 4.
	return ((serialBase - s) * 4) % serialBase
}

// NewSerial draws a uniformly random serial from r (crypto/rand.Reader when
// r is nil).
func NewSerial(r io.Reader) (Serial, error) {
	if r == nil {
		r = rand.Reader
	}
	data := make([]int, serialDataLen)
	var buf [1]byte
	for i := 0; i < serialDataLen; {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("pass: drawing a serial: %w", err)
		}
		// Rejection sampling keeps the draw uniform: 248 = 8*31.
		if buf[0] >= 248 {
			continue
		}
		data[i] = int(buf[0]) % serialBase
		i++
	}
	return serialFromValues(data), nil
}

func serialFromValues(data []int) Serial {
	var b strings.Builder
	b.Grow(serialLen)
	for _, v := range data {
		b.WriteByte(SerialAlphabet[v])
	}
	b.WriteByte(SerialAlphabet[checkSymbol(data)])
	return Serial(b.String())
}

// ParseSerial reads a serial as a person types it: case does not matter and
// dashes or spaces between groups are ignored. It rejects a wrong length, a
// character outside [SerialAlphabet] (naming it) and a wrong check character.
func ParseSerial(s string) (Serial, error) {
	if len(s) > 32 {
		return "", fmt.Errorf("%w: %d characters, want %d", ErrSerialLength, len(s), serialLen)
	}
	var buf [32]int
	data := buf[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == ' ' {
			continue
		}
		v := symbolValue[c]
		if v < 0 {
			hint := ""
			switch c {
			case '0', 'O', 'o':
				hint = " (serials have no 0 or O)"
			case '1', 'I', 'i', 'L', 'l':
				hint = " (serials have no 1, I or L)"
			}
			return "", fmt.Errorf("%w: %q at position %d%s", ErrSerialCharacter, rune(c), i+1, hint)
		}
		data = append(data, int(v))
	}
	if len(data) != serialLen {
		return "", fmt.Errorf("%w: %d symbols, want %d", ErrSerialLength, len(data), serialLen)
	}
	if checkSymbol(data[:serialDataLen]) != data[serialDataLen] {
		return "", ErrSerialCheck
	}
	return serialFromValues(data[:serialDataLen]), nil
}

// String returns the printed form, XXXX-XXXX.
func (s Serial) String() string {
	if len(s) != serialLen {
		return string(s)
	}
	return string(s[:serialGroupLen]) + "-" + string(s[serialGroupLen:])
}

// ParseSerials parses each of ss ([ParseSerial]); an error names the one
// that is not a serial.
func ParseSerials(ss []string) ([]Serial, error) {
	var out []Serial
	for _, s := range ss {
		serial, err := ParseSerial(s)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		out = append(out, serial)
	}
	return out, nil
}
