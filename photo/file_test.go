package photo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadFileAndLoader: one photo file and the photos of a folder are read
// and prepared; a missing file is an open error, a file that is no photo a
// *FileError, and a loader names the photo that is no photo.
func TestReadFileAndLoader(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "kim.jpg")
	bad := filepath.Join(dir, "notes.jpg")
	if err := os.WriteFile(good, encJPEG(t, gradient(300, 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("not a photo"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := ReadFile(good)
	if err != nil || len(b) == 0 {
		t.Fatalf("ReadFile(good) = %d bytes, %v", len(b), err)
	}
	var fe *FileError
	if _, err := ReadFile(bad); !errors.As(err, &fe) || fe.Path != bad || !strings.HasPrefix(err.Error(), "photo "+bad+": ") {
		t.Errorf("ReadFile(bad) = %v; want a *FileError naming it", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "none.jpg")); err == nil || errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "photo: ") {
		t.Errorf("ReadFile(missing) = %v; want an open error", err)
	}

	src, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	load := Loader(src)
	if b, err := load("kim.jpg"); err != nil || len(b) == 0 {
		t.Errorf("load(kim.jpg) = %d bytes, %v", len(b), err)
	}
	if _, err := load("notes.jpg"); err == nil || !strings.HasPrefix(err.Error(), "photo notes.jpg: ") {
		t.Errorf("load(notes.jpg) = %v", err)
	}
	if _, err := load("none.jpg"); err == nil {
		t.Error("load(none.jpg): no error")
	}
}
