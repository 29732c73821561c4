// Package atomicfile writes files durably: a reader of the target path sees
// the old file or the new one, never part of one, and once a call returns
// nil the new file survives a crash or a power cut.
//
// [WriteFile] replaces a file; [WriteNew] creates one and never overwrites
// (key files, secrets, backups). [Create] returns a [File] to stream into,
// for large files or for writers that need a path of their own (SQLite's
// VACUUM INTO): [File.Commit] and [File.CommitNew] put it in place,
// [File.Abort] drops it.
//
// # Steps
//
// The data go to a temporary file in the target's folder, so that the last
// step stays on one file system and is atomic. It is named
// ".<base>.<random>.tmp" and has mode perm from the start, before any byte
// is written (exactly perm: the umask does not apply). Then:
//
//  1. the data are written to the temporary file;
//  2. the temporary file is fsynced: its bytes are on stable storage;
//  3. it takes the target's name: rename(2) over the target ([WriteFile],
//     [File.Commit]), or link(2), which fails if the target exists, and the
//     temporary name is removed ([WriteNew], [File.CommitNew]);
//  4. the folder is fsynced: the new name is on stable storage.
//
// # What a crash leaves
//
//   - During steps 1 and 2: the target as it was (the old file, or none),
//     and perhaps a temporary file, which nothing reads (delete it).
//   - Between steps 3 and 4: the old target or the new, whole file; the
//     rename or link is atomic and the new file's data were synced in step 2.
//     After a link, the temporary name may remain as a second name of the
//     new file.
//   - After step 4: the new file.
//
// Never a target holding part of the new data. An error return removes the
// temporary file and leaves the target as it was, except an error from
// step 4: the new file is in place then, but may not survive a crash.
//
// # Errors
//
// Errors are [*fs.PathError]s naming the target (its folder for step 4),
// never the temporary file, with the step as Op ("create", "write", "sync",
// "close", "rename"). A target that exists is refused by [WriteNew] and
// [File.CommitNew] with an error wrapping [fs.ErrExist], Op "create".
package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// sys is what this package asks of the operating system, a func a step, so
// that tests can make each step fail.
var sys = struct {
	write   func(f *os.File, p []byte) (int, error)
	sync    func(f *os.File) error
	rename  func(oldpath, newpath string) error
	link    func(oldpath, newpath string) error
	syncDir func(dir string) error
}{(*os.File).Write, (*os.File).Sync, os.Rename, os.Link, Sync}

// WriteFile replaces the file at path with data, mode perm, durably (see
// the package documentation): readers see the old file or the new one.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, (*File).Commit)
}

// WriteNew creates the file at path with data, mode perm, durably. It never
// overwrites: if path exists (a file, a folder or a link, even a dangling
// one) it leaves it as it is and returns an error wrapping [fs.ErrExist].
// Of several processes racing to create path, exactly one succeeds, and
// nobody ever sees a half-written file at path.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, (*File).CommitNew)
}

func write(path string, data []byte, perm fs.FileMode, commit func(*File) error) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return commit(f)
}

// File is a file being written that appears at its target path only when
// committed. Call [File.Commit] or [File.CommitNew] once it is complete,
// and defer [File.Abort] so that a failure leaves nothing behind.
type File struct {
	path string
	f    *os.File // nil once committed or aborted
	err  error    // the first write error: a file missing bytes is never committed
}

// Create starts a file that will take the place of path: a temporary file
// in path's folder, mode perm.
func Create(path string, perm fs.FileMode) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, pathError("create", path, err)
	}
	if err := f.Chmod(perm.Perm()); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, pathError("create", path, err)
	}
	return &File{path: path, f: f}, nil
}

// Name is the path of the temporary file, for a writer that needs a path
// of its own. What it writes there is committed like the bytes of
// [File.Write].
func (f *File) Name() string {
	if f.f == nil {
		return ""
	}
	return f.f.Name()
}

// Write writes p to the temporary file. After an error, every later Write
// and the commit fail with it.
func (f *File) Write(p []byte) (int, error) {
	if f.f == nil {
		return 0, pathError("write", f.path, fs.ErrClosed)
	}
	if f.err != nil {
		return 0, f.err
	}
	n, err := sys.write(f.f, p)
	if err != nil {
		f.err = pathError("write", f.path, err)
		return n, f.err
	}
	return n, nil
}

// Commit syncs the file and renames it over path, then syncs the folder:
// path is replaced if it exists.
func (f *File) Commit() error { return f.commit(false) }

// CommitNew syncs the file and links it to path, then syncs the folder. It
// never overwrites: if path exists it is left as it is, the temporary file
// is removed, and the error wraps [fs.ErrExist].
func (f *File) CommitNew() error { return f.commit(true) }

func (f *File) commit(exclusive bool) error {
	if f.f == nil {
		return pathError("close", f.path, fs.ErrClosed)
	}
	tmp := f.f.Name()
	err := f.err
	if err == nil {
		if err = sys.sync(f.f); err != nil {
			err = pathError("sync", f.path, err)
		}
	}
	if cerr := f.f.Close(); err == nil && cerr != nil {
		err = pathError("close", f.path, cerr)
	}
	f.f = nil
	if err == nil {
		if exclusive {
			if err = sys.link(tmp, f.path); err != nil {
				err = pathError("create", f.path, err)
			}
		} else if err = sys.rename(tmp, f.path); err != nil {
			err = pathError("rename", f.path, err)
		}
	}
	if exclusive || err != nil {
		os.Remove(tmp) // after a link, path holds the file
	}
	if err != nil {
		return err
	}
	dir := filepath.Dir(f.path)
	if err := sys.syncDir(dir); err != nil {
		return pathError("sync", dir, err)
	}
	return nil
}

// Abort removes the temporary file unless the file was committed, leaving
// path as it was. It is safe to defer, and does nothing after a commit.
func (f *File) Abort() {
	if f.f == nil {
		return
	}
	f.f.Close()
	os.Remove(f.f.Name())
	f.f = nil
}

// Sync flushes the file or folder at path to stable storage. Syncing a
// folder makes the names created, renamed or removed in it durable.
func Sync(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// pathError names path and op for the error of a step, dropping the
// temporary file's name that the os package's errors carry.
func pathError(op, path string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return &fs.PathError{Op: op, Path: path, Err: err}
}
