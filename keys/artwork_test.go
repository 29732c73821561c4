package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestArtworkSecret(t *testing.T) {
	dir := t.TempDir()
	if _, err := Init(dir, EdDSA, nil, t0); err != nil {
		t.Fatal(err)
	}
	a, err := ArtworkSecret(dir, t0)
	if err != nil || len(a) != ArtworkSecretLen {
		t.Fatalf("ArtworkSecret() = %x, %v", a, err)
	}
	b, err := ArtworkSecret(dir, t0)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("second ArtworkSecret() = %x, %v; want the same secret", b, err)
	}
	path := filepath.Join(dir, "keys", "artwork.secret")
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("artwork.secret mode %o, want 600", fi.Mode().Perm())
	}
	os.Chmod(path, 0o644)
	if _, err := ArtworkSecret(dir, t0); !errors.Is(err, ErrInsecureFile) {
		t.Fatalf("ArtworkSecret(0644) = %v, want ErrInsecureFile", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("# laminate artwork secret\nnot hex\n"), 0o600)
	if _, err := ArtworkSecret(dir, t0); !errors.Is(err, ErrBadKeyFile) {
		t.Fatalf("ArtworkSecret(damaged) = %v, want ErrBadKeyFile", err)
	}
}
