//go:build unix

package atomicfile

import (
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

// TestModeIgnoresUmask: the mode is exactly perm, whatever the umask, for
// a file that must be readable by others (a PDF) and one that must not (a
// key), the latter never readable by others even for a moment.
func TestModeIgnoresUmask(t *testing.T) {
	for _, tc := range []struct {
		name  string
		umask int
		perm  fs.FileMode
	}{
		{"ok/0644-under-077", 0o077, 0o644},
		{"ok/0600-under-000", 0o000, 0o600},
		{"ok/0640-under-027", 0o027, 0o640},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := syscall.Umask(tc.umask)
			defer syscall.Umask(old)
			dir := t.TempDir()
			for _, write := range []func(string, []byte, fs.FileMode) error{WriteFile, WriteNew} {
				path := filepath.Join(dir, tc.name[3:])
				if err := write(path, []byte("x"), tc.perm); err != nil {
					t.Fatal(err)
				}
				checkFile(t, path, []byte("x"), tc.perm)
				dir = t.TempDir()
			}
		})
	}
}
