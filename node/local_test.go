package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPassphrase(t *testing.T) {
	t.Setenv("LAMINATE_KEY_PASSPHRASE", "")
	if p, err := Passphrase(""); p != nil || err != nil {
		t.Errorf("Passphrase with none = %q, %v", p, err)
	}
	t.Setenv("LAMINATE_KEY_PASSPHRASE", "from env")
	if p, err := Passphrase(""); string(p) != "from env" || err != nil {
		t.Errorf("Passphrase from env = %q, %v", p, err)
	}
	f := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(f, []byte("from file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := Passphrase(f); string(p) != "from file" || err != nil {
		t.Errorf("Passphrase from file = %q, %v; the file wins over the environment", p, err)
	}
}

func TestLocalActor(t *testing.T) {
	if a := LocalActor(); !strings.HasPrefix(a, "cli:") || len(a) == len("cli:") {
		t.Errorf("LocalActor() = %q", a)
	}
}

func TestOfflineBundleNoKeyring(t *testing.T) {
	dir := t.TempDir()
	_, err := OfflineBundle(dir, filepath.Join(dir, "b.jws"), "", "", time.Now())
	var e *Error
	if err == nil || !strings.Contains(err.Error(), "no keyring in") || !errors.As(err, &e) || e.Hint == "" {
		t.Errorf("OfflineBundle with no keyring err = %v, want one with a hint", err)
	}
}
