package verifier

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b")
	if err := os.WriteFile(p, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(p, 2048); err != nil || len(b) != 2048 {
		t.Errorf("ReadFile at the limit = %d, %v", len(b), err)
	}
	if _, err := ReadFile(p, 1024); err == nil || !strings.Contains(err.Error(), "larger than 1 KiB") {
		t.Errorf("ReadFile over the limit err = %v", err)
	}
	if _, err := ReadFile(p+"x", 1024); !os.IsNotExist(err) {
		t.Errorf("ReadFile of no file err = %v", err)
	}
}

func TestReadToken(t *testing.T) {
	tok, err := ReadToken(strings.NewReader(strings.Repeat("a", MaxTokenSize+10)))
	if err != nil || len(tok) != MaxTokenSize+1 {
		t.Errorf("ReadToken = %d bytes, %v; want %d", len(tok), err, MaxTokenSize+1)
	}
}
