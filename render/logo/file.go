package logo

import (
	"fmt"
	"io"
	"os"
)

// ReadFile reads a logo file and sanitises it ([Sanitize]). It reads at
// most one byte more than [MaxInput], so that a file too large is named by
// its size without being read whole.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("logo: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("logo: %w", err)
	}
	stored, err := Sanitize(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return stored, nil
}

// Describe names a stored logo's format and size for people ("svg
// 120x40"), or "unreadable".
func Describe(stored []byte) string {
	if l, err := Decode(stored); err == nil {
		return fmt.Sprintf("%s %gx%g", l.Kind, l.W, l.H)
	}
	return "unreadable"
}
