package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

var errInjected = errors.New("injected failure")

// failAt makes one step of the package fail with errInjected for the rest
// of the test. Tests that call it must not run in parallel.
func failAt(t *testing.T, step string) {
	t.Helper()
	saved := sys
	t.Cleanup(func() { sys = saved })
	switch step {
	case "write":
		sys.write = func(f *os.File, p []byte) (int, error) {
			// Half the bytes reach the file: what a full disk does.
			n, _ := f.Write(p[:len(p)/2])
			return n, errInjected
		}
	case "sync":
		sys.sync = func(*os.File) error { return errInjected }
	case "rename":
		sys.rename = func(string, string) error { return &os.LinkError{Op: "rename", Err: errInjected} }
	case "link":
		sys.link = func(string, string) error { return &os.LinkError{Op: "link", Err: errInjected} }
	case "syncdir":
		sys.syncDir = func(string) error { return errInjected }
	default:
		t.Fatalf("failAt(%q): no such step", step)
	}
}

// names lists the folder: a temporary file left behind shows up here.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// checkFile checks path holds want with mode perm; want nil: no file.
func checkFile(t *testing.T, path string, want []byte, perm fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if want == nil {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: read = %q, %v; want no file", filepath.Base(path), got, err)
		}
		return
	}
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s = %q, %v; want %q", filepath.Base(path), got, err, want)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != perm {
		t.Errorf("%s mode = %v, want %v", filepath.Base(path), fi.Mode(), perm)
	}
}

func TestWriteFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		old  []byte // nil: no file before
		data []byte
		perm fs.FileMode
	}{
		{"ok/new", nil, []byte("new\n"), 0o600},
		{"ok/replace", []byte("old\n"), []byte("new\n"), 0o600},
		{"ok/replace-longer-by-shorter", bytes.Repeat([]byte("old "), 1000), []byte("n"), 0o600},
		{"ok/empty", []byte("old\n"), []byte{}, 0o600},
		{"ok/mode-0644", nil, []byte("pdf"), 0o644},
		{"ok/mode-0640-over-0600", []byte("old\n"), []byte("new\n"), 0o640},
		{"ok/mode-0600-over-0644", []byte("old\n"), []byte("new\n"), 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.json")
			if tc.old != nil {
				if err := os.WriteFile(path, tc.old, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteFile(path, tc.data, tc.perm); err != nil {
				t.Fatalf("WriteFile() error = %v", err)
			}
			checkFile(t, path, tc.data, tc.perm)
			if got := names(t, dir); !slices.Equal(got, []string{"f.json"}) {
				t.Errorf("folder holds %q, want only f.json", got)
			}
		})
	}
}

func TestWriteNew(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, path string) // nil: path does not exist
		wantErr bool
	}{
		{"ok/new", nil, false},
		{"fail/existing-file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"fail/existing-empty-file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"fail/existing-folder", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"fail/dangling-link", func(t *testing.T, path string) {
			if err := os.Symlink(filepath.Join(filepath.Dir(path), "nowhere"), path); err != nil {
				t.Fatal(err)
			}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "k.key")
			if tc.setup != nil {
				tc.setup(t, path)
			}
			before, _ := os.Lstat(path)
			err := WriteNew(path, []byte("secret\n"), 0o600)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("WriteNew() error = %v", err)
				}
				checkFile(t, path, []byte("secret\n"), 0o600)
			} else {
				if !errors.Is(err, fs.ErrExist) {
					t.Fatalf("WriteNew() error = %v, want fs.ErrExist", err)
				}
				if want := "create " + path + ": "; !strings.HasPrefix(err.Error(), want) {
					t.Errorf("WriteNew() error = %q, want it to start %q", err, want)
				}
				after, err := os.Lstat(path)
				if err != nil || !os.SameFile(before, after) || after.ModTime() != before.ModTime() || after.Size() != before.Size() {
					t.Errorf("the existing %s was changed", filepath.Base(path))
				}
			}
			if got := names(t, dir); slices.ContainsFunc(got, func(n string) bool { return strings.HasSuffix(n, ".tmp") }) {
				t.Errorf("folder holds %q: a temporary file was left", got)
			}
		})
	}
}

// TestFailures makes each step fail in turn: the target is left as it was
// (the old file, or none), and no temporary file stays behind.
func TestFailures(t *testing.T) {
	old := []byte("old contents\n")
	data := []byte("the new contents, which must never be seen in part\n")
	for _, tc := range []struct {
		name  string
		write func(path string, data []byte, perm fs.FileMode) error
		step  string
		old   bool // a file is at the target before
	}{
		{"replace/fail-write", WriteFile, "write", true},
		{"replace/fail-sync", WriteFile, "sync", true},
		{"replace/fail-rename", WriteFile, "rename", true},
		{"replace/fail-write-no-old", WriteFile, "write", false},
		{"replace/fail-sync-no-old", WriteFile, "sync", false},
		{"replace/fail-rename-no-old", WriteFile, "rename", false},
		{"new/fail-write", WriteNew, "write", false},
		{"new/fail-sync", WriteNew, "sync", false},
		{"new/fail-link", WriteNew, "link", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "keyring.json")
			var want []byte
			if tc.old {
				want = old
				if err := os.WriteFile(path, old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			failAt(t, tc.step)
			err := tc.write(path, data, 0o600)
			if !errors.Is(err, errInjected) {
				t.Fatalf("error = %v, want the injected failure", err)
			}
			var pe *fs.PathError
			if !errors.As(err, &pe) || pe.Path != path {
				t.Errorf("error = %#v, want an *fs.PathError naming %s", err, path)
			}
			if strings.Contains(err.Error(), ".tmp") {
				t.Errorf("error = %q names the temporary file", err)
			}
			checkFile(t, path, want, 0o600)
			wantNames := []string(nil)
			if tc.old {
				wantNames = []string{"keyring.json"}
			}
			if got := names(t, dir); !slices.Equal(got, wantNames) {
				t.Errorf("folder holds %q, want %q", got, wantNames)
			}
		})
	}
}

// TestSyncDirFailure: the last step fails after the file took its place;
// the error says so, and nothing else is left.
func TestSyncDirFailure(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(path string, data []byte, perm fs.FileMode) error
	}{
		{"replace", WriteFile},
		{"new", WriteNew},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			failAt(t, "syncdir")
			err := tc.write(path, []byte("x"), 0o600)
			var pe *fs.PathError
			if !errors.Is(err, errInjected) || !errors.As(err, &pe) || pe.Op != "sync" || pe.Path != dir {
				t.Fatalf("error = %v, want sync %s: the injected failure", err, dir)
			}
			checkFile(t, path, []byte("x"), 0o600)
			if got := names(t, dir); !slices.Equal(got, []string{"f"}) {
				t.Errorf("folder holds %q, want only f", got)
			}
		})
	}
}

func TestCreateRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
		want error
	}{
		{"fail/no-folder", filepath.Join(dir, "missing", "f"), fs.ErrNotExist},
		{"fail/folder-is-a-file", filepath.Join(dir, "file", "f"), nil}, // ENOTDIR
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, write := range []func(string, []byte, fs.FileMode) error{WriteFile, WriteNew} {
				err := write(tc.path, []byte("x"), 0o600)
				var pe *fs.PathError
				if err == nil || !errors.As(err, &pe) || pe.Op != "create" || pe.Path != tc.path {
					t.Errorf("error = %v, want create %s: …", err, tc.path)
				}
				if tc.want != nil && !errors.Is(err, tc.want) {
					t.Errorf("error = %v, want %v", err, tc.want)
				}
			}
			if _, err := os.Stat(filepath.Dir(tc.path)); err == nil && tc.want != nil {
				t.Errorf("%s was made", filepath.Dir(tc.path))
			}
		})
	}
}

// TestFile streams into a File: written in pieces, or by another writer
// through Name, committed or aborted.
func TestFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		old    []byte
		run    func(t *testing.T, f *File) error // returns the commit's error
		want   []byte                            // nil: no file at the target
		errIs  error
		wantOp string
	}{
		{"ok/pieces", nil, func(t *testing.T, f *File) error {
			for i := range 3 {
				fmt.Fprintf(f, "piece %d\n", i)
			}
			return f.Commit()
		}, []byte("piece 0\npiece 1\npiece 2\n"), nil, ""},
		{"ok/through-name", []byte("old"), func(t *testing.T, f *File) error {
			// What SQLite's VACUUM INTO does: its own handle on the path.
			if err := os.WriteFile(f.Name(), []byte("by name"), 0o600); err != nil {
				t.Fatal(err)
			}
			return f.Commit()
		}, []byte("by name"), nil, ""},
		{"ok/commit-new", nil, func(t *testing.T, f *File) error {
			f.Write([]byte("new"))
			return f.CommitNew()
		}, []byte("new"), nil, ""},
		{"ok/abort-after-commit-keeps-file", nil, func(t *testing.T, f *File) error {
			f.Write([]byte("kept"))
			err := f.Commit()
			f.Abort()
			return err
		}, []byte("kept"), nil, ""},
		{"fail/abort", []byte("old"), func(t *testing.T, f *File) error {
			f.Write([]byte("dropped"))
			f.Abort()
			return f.Commit()
		}, []byte("old"), fs.ErrClosed, "close"},
		{"fail/commit-new-over-existing", []byte("old"), func(t *testing.T, f *File) error {
			f.Write([]byte("new"))
			return f.CommitNew()
		}, []byte("old"), fs.ErrExist, "create"},
		{"fail/commit-after-failed-write", []byte("old"), func(t *testing.T, f *File) error {
			failAt(t, "write")
			f.Write([]byte("half of this"))
			if _, err := f.Write([]byte("more")); !errors.Is(err, errInjected) {
				t.Errorf("Write() after a failed Write: error = %v, want the first failure", err)
			}
			return f.Commit()
		}, []byte("old"), errInjected, "write"},
		{"fail/second-commit", nil, func(t *testing.T, f *File) error {
			f.Write([]byte("once"))
			if err := f.Commit(); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("more")); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("Write() after Commit: error = %v, want fs.ErrClosed", err)
			}
			return f.Commit()
		}, []byte("once"), fs.ErrClosed, "close"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "backup.tar.gz")
			if tc.old != nil {
				if err := os.WriteFile(path, tc.old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			f, err := Create(path, 0o600)
			if err != nil {
				t.Fatalf("Create() error = %v", err)
			}
			defer f.Abort()
			if tmp := f.Name(); filepath.Dir(tmp) != dir || tmp == path {
				t.Errorf("Name() = %s, want a file beside %s", tmp, path)
			}
			err = tc.run(t, f)
			var pe *fs.PathError
			switch {
			case tc.errIs == nil && err != nil:
				t.Errorf("commit error = %v", err)
			case tc.errIs != nil && (!errors.Is(err, tc.errIs) || !errors.As(err, &pe) || pe.Op != tc.wantOp || pe.Path != path):
				t.Errorf("commit error = %v, want %s %s: %v", err, tc.wantOp, path, tc.errIs)
			}
			checkFile(t, path, tc.want, 0o600)
			wantNames := []string(nil)
			if tc.want != nil {
				wantNames = []string{"backup.tar.gz"}
			}
			if got := names(t, dir); !slices.Equal(got, wantNames) {
				t.Errorf("folder holds %q, want %q", got, wantNames)
			}
		})
	}
}

// TestWriteNewRace: of several writers racing for one name, exactly one
// wins, and the file is the winner's whole.
func TestWriteNewRace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "laminate.json")
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = WriteNew(path, bytes.Repeat([]byte{'a' + byte(i)}, 64<<10), 0o600)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both created %s", winner, i, path)
		case err == nil:
			winner = i
		case !errors.Is(err, fs.ErrExist):
			t.Errorf("writer %d: error = %v, want fs.ErrExist", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer created the file")
	}
	checkFile(t, path, bytes.Repeat([]byte{'a' + byte(winner)}, 64<<10), 0o600)
	if got := names(t, dir); !slices.Equal(got, []string{"laminate.json"}) {
		t.Errorf("folder holds %q, want only laminate.json", got)
	}
}

func TestSync(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		ok         bool
	}{
		{"ok/file", file, true},
		{"ok/folder", dir, true},
		{"fail/missing", filepath.Join(dir, "missing"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Sync(tc.path); (err == nil) != tc.ok {
				t.Errorf("Sync(%s) error = %v, want ok = %v", tc.path, err, tc.ok)
			}
		})
	}
}
