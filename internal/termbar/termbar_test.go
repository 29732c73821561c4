package termbar

import (
	"bytes"
	"strings"
	"testing"
)

func TestNewNotATerminal(t *testing.T) {
	if New(&bytes.Buffer{}, "x") != nil {
		t.Error("New drew on a buffer")
	}
}

func TestBar(t *testing.T) {
	var buf bytes.Buffer
	f := bar(&buf, "drawing")
	for i := 0; i <= 200; i++ {
		f(i, 200)
	}
	out := buf.String()
	if n := strings.Count(out, "\r"); n != 101 {
		t.Errorf("drawn %d times, want once per percent (101)", n)
	}
	if !strings.HasSuffix(out, "\rdrawing "+strings.Repeat("█", 20)+" 100% (200/200)\n") {
		t.Errorf("last line %q", out[strings.LastIndex(out, "\r"):])
	}
}
