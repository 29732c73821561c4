package verifier

import (
	"fmt"
	"io"
	"os"
)

// ReadFile reads a file of at most limit bytes (a bundle, a JWKS): a
// larger one is refused before it is read whole.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d KiB", path, limit>>10)
	}
	return b, nil
}

// ReadToken reads a token from r (standard input): at most one byte more
// than [MaxTokenSize], which the verifier then refuses as too long.
func ReadToken(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxTokenSize+1))
	return string(b), err
}
