package logo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadFile: a file is read and sanitised; a missing file, a file too
// large and a file that is no logo are refused with its name.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "logo.svg")
	if err := os.WriteFile(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 10"><rect width="30" height="10" fill="#000"/></svg>`), 0o600); err != nil {
		t.Fatal(err)
	}
	stored, err := ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if got := Describe(stored); got != "svg 30x10" {
		t.Errorf("Describe = %q, want svg 30x10", got)
	}
	if got := Describe([]byte("junk")); got != "unreadable" {
		t.Errorf("Describe(junk) = %q", got)
	}
	if _, err := ReadFile(filepath.Join(dir, "none.png")); err == nil || !strings.HasPrefix(err.Error(), "logo: ") {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.png")
	if err := os.WriteFile(big, make([]byte, 3*MaxInput), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(big); !errors.Is(err, ErrLogo) || !strings.HasPrefix(err.Error(), big+": ") || !strings.Contains(err.Error(), "1025 KiB") {
		t.Errorf("large file: %v", err)
	}
}
