package keys

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeOwners makes this process uid 1000 (tests run as root here) and
// says who owns each path: owners[path] if set, else uid 1000 for what is
// under mine, else the file's real owner (root, for /tmp and /).
func fakeOwners(t *testing.T, mine string, owners map[string]int) {
	t.Helper()
	oldUID, oldOwner := currentUID, fileOwner
	t.Cleanup(func() { currentUID, fileOwner = oldUID, oldOwner })
	currentUID = func() int { return 1000 }
	fileOwner = func(path string, fi fs.FileInfo) (int, bool) {
		if uid, ok := owners[path]; ok {
			return uid, true
		}
		if path == mine || strings.HasPrefix(path, mine+string(filepath.Separator)) {
			return 1000, true
		}
		return oldOwner(path, fi)
	}
}

// Issue 11, security 6: a keyring is used only if the folders and files
// it is made of belong to whoever runs laminate, and nobody else can
// replace them: not the data folder, not its keys folder, not a folder
// above them (a folder with the sticky bit owned by root, like /tmp, is
// fine: others cannot rename what is ours in it).
func TestDataFolderOwnership(t *testing.T) {
	type layout struct{ top, data string } // top: a folder of this test; data: the data folder in it
	tests := []struct {
		name    string
		prepare func(t *testing.T, l layout) map[string]int // changes modes; returns owners
		op      string                                      // open, sign or artwork
		want    string                                      // "" or a part of the error
		fix     string                                      // a part of the fix
	}{
		{"ok/all-mine", nil, "sign", "", ""},
		{"ok/artwork", nil, "artwork", "", ""},
		{"fail/data-folder-other-owner", func(t *testing.T, l layout) map[string]int {
			return map[string]int{l.data: 4242}
		}, "open", "is owned by uid 4242, not by uid 1000", "chown 1000"},
		{"fail/keys-folder-other-owner", func(t *testing.T, l layout) map[string]int {
			return map[string]int{filepath.Join(l.data, "keys"): 4242}
		}, "open", "keys is owned by uid 4242", "chown 1000"},
		{"fail/keyring-json-other-owner", func(t *testing.T, l layout) map[string]int {
			return map[string]int{filepath.Join(l.data, "keys", "keyring.json"): 0}
		}, "open", "keyring.json is owned by uid 0", "chown 1000"},
		{"fail/key-file-other-owner", func(t *testing.T, l layout) map[string]int {
			return map[string]int{keyFileOf(t, l.data): 4242}
		}, "sign", ".key is owned by uid 4242", "chown 1000"},
		{"fail/artwork-other-owner", func(t *testing.T, l layout) map[string]int {
			return map[string]int{filepath.Join(l.data, "keys", artworkFile): 4242}
		}, "artwork", "artwork.secret is owned by uid 4242", "chown 1000"},
		{"fail/data-folder-0777", func(t *testing.T, l layout) map[string]int {
			chmod(t, l.data, 0o777)
			return nil
		}, "open", "writable by group or others", "chmod 700"},
		{"fail/data-folder-0770", func(t *testing.T, l layout) map[string]int {
			chmod(t, l.data, 0o770)
			return nil
		}, "open", "mode 0770", "chmod 700"},
		{"ok/data-folder-0755", func(t *testing.T, l layout) map[string]int {
			chmod(t, l.data, 0o755)
			return nil
		}, "sign", "", ""},
		{"fail/parent-writable", func(t *testing.T, l layout) map[string]int {
			chmod(t, l.top, 0o777)
			return nil
		}, "open", "writable by group or others", "chmod go-w"},
		{"fail/parent-group-writable", func(t *testing.T, l layout) map[string]int {
			chmod(t, l.top, 0o775)
			return nil
		}, "open", "writable by group or others", "chmod go-w"},
		{"ok/parent-sticky-root", func(t *testing.T, l layout) map[string]int {
			chmod(t, l.top, 0o777|fs.ModeSticky)
			return map[string]int{l.top: 0}
		}, "sign", "", ""},
		{"fail/parent-sticky-other-owner", func(t *testing.T, l layout) map[string]int {
			chmod(t, l.top, 0o777|fs.ModeSticky)
			return map[string]int{l.top: 4242}
		}, "open", "is owned by uid 4242", "chown"},
		{"fail/parent-other-owner", func(t *testing.T, l layout) map[string]int {
			return map[string]int{l.top: 4242}
		}, "open", "is owned by uid 4242", "chown"},
		{"fail/symlink-to-a-folder-of-another", func(t *testing.T, l layout) map[string]int {
			theirs := filepath.Join(l.top, "theirs")
			if err := os.Rename(l.data, theirs); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(theirs, l.data); err != nil {
				t.Fatal(err)
			}
			return map[string]int{theirs: 4242}
		}, "open", "theirs is owned by uid 4242", "chown"},
		{"ok/symlink-to-a-folder-of-mine", func(t *testing.T, l layout) map[string]int {
			mine := filepath.Join(l.top, "mine")
			if err := os.Rename(l.data, mine); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(mine, l.data); err != nil {
				t.Fatal(err)
			}
			return nil
		}, "sign", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top := filepath.Join(t.TempDir(), "top")
			if err := os.Mkdir(top, 0o700); err != nil {
				t.Fatal(err)
			}
			l := layout{top: top, data: filepath.Join(top, "data")}
			if _, err := Init(l.data, EdDSA, nil, t0); err != nil {
				t.Fatal(err)
			}
			if _, err := ArtworkSecret(l.data, t0); err != nil {
				t.Fatal(err)
			}
			var owners map[string]int
			if tt.prepare != nil {
				owners = tt.prepare(t, l)
			}
			fakeOwners(t, top, owners)
			err := func() error {
				k, err := Open(l.data)
				if err != nil || tt.op == "open" {
					return err
				}
				if tt.op == "artwork" {
					_, err = ArtworkSecret(l.data, t0)
					return err
				}
				_, _, err = k.Signer(nil)
				return err
			}()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("%s: %v", tt.op, err)
				}
				return
			}
			var ie *InsecureError
			if !errors.Is(err, ErrInsecureFile) || !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(ie.Fix, tt.fix) {
				t.Fatalf("%s: error %v (fix %q), want ErrInsecureFile saying %q, fix with %q", tt.op, err, fixOf(ie), tt.want, tt.fix)
			}
		})
	}
}

// Init refuses to make a keyring where others could swap it.
func TestInitRefusesUnsafeFolder(t *testing.T) {
	top := filepath.Join(t.TempDir(), "top")
	if err := os.Mkdir(top, 0o777); err != nil {
		t.Fatal(err)
	}
	chmod(t, top, 0o777)
	fakeOwners(t, top, nil)
	if _, err := Init(filepath.Join(top, "data"), EdDSA, nil, t0); !errors.Is(err, ErrInsecureFile) {
		t.Fatalf("Init under a folder anyone can write = %v, want ErrInsecureFile", err)
	}
	if _, err := os.Stat(filepath.Join(top, "data", "keys", "keyring.json")); err == nil {
		t.Fatal("Init wrote a keyring there")
	}
}

func fixOf(ie *InsecureError) string {
	if ie == nil {
		return ""
	}
	return ie.Fix
}

func chmod(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func keyFileOf(t *testing.T, data string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(data, "keys", "*.key"))
	if err != nil || len(m) != 1 {
		t.Fatalf("key files: %v %v", m, err)
	}
	return m[0]
}
