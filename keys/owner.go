package keys

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Test seams (tests run as root, which owns everything they make): who
// runs this process, and who owns a file. fileOwner reports false where
// the system has no owner to tell (not unix): then only modes are checked.
var (
	currentUID = os.Getuid
	fileOwner  = ownerOf
)

// InsecureError is an [ErrInsecureFile]: which file or folder is not safe
// to trust, why, and the command that makes it safe.
type InsecureError struct {
	Path    string
	Problem string // e.g. "has mode 0644, readable or writable by group or others"
	Fix     string // e.g. "chmod 600 /data/keys/x.key"
}

func (e *InsecureError) Error() string {
	return fmt.Sprintf("%v: %s %s; run %s", ErrInsecureFile, e.Path, e.Problem, e.Fix)
}

func (e *InsecureError) Unwrap() error { return ErrInsecureFile }

// checkOwned refuses a file or folder of the keyring that is not owned by
// whoever runs this process: its owner could change it at will.
func checkOwned(path string, fi fs.FileInfo) error {
	uid, ok := fileOwner(path, fi)
	if !ok {
		return nil
	}
	if me := currentUID(); uid != me {
		return &InsecureError{Path: path,
			Problem: fmt.Sprintf("is owned by uid %d, not by uid %d who runs laminate", uid, me),
			Fix:     fmt.Sprintf("chown %d %s as root, or run laminate as its owner (uid %d)", me, path, uid)}
	}
	return nil
}

// checkDataFolder refuses a data folder that someone else could replace or
// fill with keys of their own, as ssh's StrictModes does for
// authorized_keys: the folder (symbolic links resolved) must be ours and
// writable by nobody else, and every folder above it up to / owned by
// root or by us and writable by nobody else, unless it has the sticky bit
// and belongs to root (like /tmp: others may add files there, but not
// rename or remove ours).
func checkDataFolder(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("keys: %s is not a directory", real)
	}
	if err := checkOwned(real, fi); err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return &InsecureError{Path: real, Problem: fmt.Sprintf("has mode %04o, writable by group or others, who could put keys of their own in it", perm),
			Fix: "chmod 700 " + real}
	}
	for p := filepath.Dir(real); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		me := currentUID()
		uid, known := fileOwner(p, fi)
		sticky := fi.Mode()&fs.ModeSticky != 0
		switch {
		case known && uid != 0 && uid != me:
			return &InsecureError{Path: p,
				Problem: fmt.Sprintf("is owned by uid %d, neither root nor uid %d who runs laminate, and its owner can replace the data folder %s in it", uid, me, real),
				Fix:     fmt.Sprintf("chown root %s as root, or keep the data folder elsewhere", p)}
		case fi.Mode().Perm()&0o022 != 0 && !(sticky && (!known || uid == 0)):
			return &InsecureError{Path: p,
				Problem: fmt.Sprintf("has mode %04o, writable by group or others, who can replace the data folder %s in it", fi.Mode().Perm(), real),
				Fix:     fmt.Sprintf("chmod go-w %s, or keep the data folder elsewhere", p)}
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}
