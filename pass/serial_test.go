package pass

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestNewSerialRoundTrip(t *testing.T) {
	seen := map[Serial]bool{}
	for i := 0; i < 2000; i++ {
		s, err := NewSerial(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != serialLen {
			t.Fatalf("NewSerial() = %q, want %d symbols", s, serialLen)
		}
		got, err := ParseSerial(s.String())
		if err != nil || got != s {
			t.Fatalf("ParseSerial(%q) = %q, %v; want %q", s.String(), got, err, s)
		}
		if seen[s] {
			t.Fatalf("NewSerial() repeated %q within 2000 draws", s)
		}
		seen[s] = true
	}
}

func TestNewSerialDeterministicSource(t *testing.T) {
	src := bytes.Repeat([]byte{0, 1, 2, 3, 250, 4, 5, 6, 7}, 2) // 250 is rejected
	s, err := NewSerial(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := serialFromValues([]int{0, 1, 2, 3, 4, 5, 6}); s != want {
		t.Fatalf("NewSerial() = %q, want %q", s, want)
	}
	if _, err := NewSerial(bytes.NewReader(nil)); err == nil {
		t.Fatal("NewSerial(empty reader) succeeded, want error")
	}
}

func TestParseSerial(t *testing.T) {
	good := serialFromValues([]int{5, 10, 0, 30, 12, 7, 19})
	tests := []struct {
		name, in string
		want     Serial
		err      error
	}{
		{"ok/canonical", string(good), good, nil},
		{"ok/printed", good.String(), good, nil},
		{"ok/lowercase-spaces", strings.ToLower(" " + string(good[:4]) + " " + string(good[4:])), good, nil},
		{"fail/empty", "", "", ErrSerialLength},
		{"fail/short", string(good[:7]), "", ErrSerialLength},
		{"fail/long", string(good) + "2", "", ErrSerialLength},
		{"fail/huge", strings.Repeat("A", 100), "", ErrSerialLength},
		{"fail/zero", "0" + string(good[1:]), "", ErrSerialCharacter},
		{"fail/letter-o", "O" + string(good[1:]), "", ErrSerialCharacter},
		{"fail/letter-l", "l" + string(good[1:]), "", ErrSerialCharacter},
		{"fail/unicode", "Ä" + string(good[1:]), "", ErrSerialCharacter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSerial(tt.in)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("ParseSerial(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

// Every single-symbol substitution and every swap of two different symbols
// of a serial must be caught by the check character.
func TestParseSerialCatchesTypos(t *testing.T) {
	for n := 0; n < 50; n++ {
		s, _ := NewSerial(nil)
		b := []byte(s)
		for i := range b {
			for _, c := range []byte(SerialAlphabet) {
				if c == s[i] {
					continue
				}
				typo := append([]byte(nil), b...)
				typo[i] = c
				if _, err := ParseSerial(string(typo)); !errors.Is(err, ErrSerialCheck) {
					t.Fatalf("ParseSerial(%q) (substitution of %q) err = %v, want ErrSerialCheck", typo, s, err)
				}
			}
			for j := i + 1; j < len(b); j++ {
				if b[i] == b[j] {
					continue
				}
				swap := append([]byte(nil), b...)
				swap[i], swap[j] = swap[j], swap[i]
				if _, err := ParseSerial(string(swap)); !errors.Is(err, ErrSerialCheck) {
					t.Fatalf("ParseSerial(%q) (swap in %q) err = %v, want ErrSerialCheck", swap, s, err)
				}
			}
		}
	}
}

func FuzzParseSerial(f *testing.F) {
	for _, s := range []string{"", "0000-0000", "abcd efgh", "ZZZZZZZZZ"} {
		f.Add(s)
	}
	if b, err := os.ReadFile("../testdata/serials.txt"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSerial(in)
		if err != nil {
			return
		}
		again, err := ParseSerial(s.String())
		if err != nil || again != s {
			t.Fatalf("ParseSerial(%q) = %q, but its printed form %q parses to %q, %v", in, s, s.String(), again, err)
		}
	})
}

func TestParseSerials(t *testing.T) {
	s, err := NewSerial(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseSerials([]string{s.String(), strings.ToLower(string(s))})
	if err != nil || len(got) != 2 || got[0] != s || got[1] != s {
		t.Errorf("ParseSerials = %v, %v", got, err)
	}
	if _, err := ParseSerials([]string{s.String(), "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("ParseSerials(nope) err = %v", err)
	}
	if got, err := ParseSerials(nil); got != nil || err != nil {
		t.Errorf("ParseSerials(nil) = %v, %v", got, err)
	}
}
