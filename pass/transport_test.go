package pass

import (
	"errors"
	"strings"
	"testing"
)

func TestNumericForm(t *testing.T) {
	tok := "eyJhbGciOiJFZERTQSIsImtpZCI6InlkZHRlMCJ9.eyJpc3MiOiJsYW0ifQ.7-JViizuMefnWZ-JhWEvWZ_Dw"
	num, err := EncodeNumeric(tok)
	if err != nil || len(num) != 2*len(tok) || !IsNumericForm(num) {
		t.Fatalf("EncodeNumeric() = %q, %v", num, err)
	}
	if !strings.HasPrefix(num, "5676") { // e = 101-45 = 56, y = 121-45 = 76
		t.Errorf("numeric form starts %s, want 5676", num[:8])
	}
	back, err := DecodeNumeric(num)
	if err != nil || back != tok {
		t.Fatalf("DecodeNumeric() = %q, %v; want %q", back, err, tok)
	}
	for _, bad := range []string{"", "1", "123", "78", "99", "12a4", "１２"} {
		if _, err := DecodeNumeric(bad); !errors.Is(err, ErrNumericForm) {
			t.Errorf("DecodeNumeric(%q) error = %v, want ErrNumericForm", bad, err)
		}
	}
	if _, err := EncodeNumeric("a b"); !errors.Is(err, ErrNumericForm) {
		t.Errorf("EncodeNumeric(space) error = %v", err)
	}
	if got, _ := EncodeNumeric("-.z"); got != "000177" {
		t.Errorf("EncodeNumeric(-.z) = %q, want 000177", got)
	}
}

func FuzzDecodeNumeric(f *testing.F) {
	f.Add("5676")
	f.Add("000177")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := DecodeNumeric(s)
		if err != nil {
			return
		}
		again, err := EncodeNumeric(tok)
		if err != nil || again != s {
			t.Fatalf("round trip of %q: %q, %v", s, again, err)
		}
	})
}
