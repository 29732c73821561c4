package photo

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type entry struct {
	name string
	data []byte
}

func makeZip(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		m := zip.Deflate
		if len(e.data) == 0 {
			m = zip.Store // no compressor for an empty entry: 20,001 of them are slow under -race
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: m})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestOpenZip(t *testing.T) {
	jpg := encJPEG(t, gradient(90, 120))
	many := make([]entry, MaxZipEntries+1)
	for i := range many {
		many[i] = entry{name: "p" + strconv.Itoa(i) + ".jpg"}
	}
	tests := []struct {
		name    string
		zip     []byte
		read    string
		openErr error
		readErr string // substring
	}{
		{name: "ok/read", zip: makeZip(t, entry{"ana.jpg", jpg}, entry{"crew/bo.jpg", jpg}), read: "crew/bo.jpg"},
		{name: "bad/traversal-entry", zip: makeZip(t, entry{"ana.jpg", jpg}, entry{"../../etc/cron.d/x", jpg}), openErr: ErrBadArchive},
		{name: "bad/absolute-entry", zip: makeZip(t, entry{"/etc/passwd", jpg}), openErr: ErrBadArchive},
		{name: "bad/backslash-entry", zip: makeZip(t, entry{`..\..\x.jpg`, jpg}), openErr: ErrBadArchive},
		{name: "bad/duplicate-entry", zip: makeZip(t, entry{"a.jpg", jpg}, entry{"a.jpg", jpg}), openErr: ErrBadArchive},
		{name: "bad/too-many-entries", zip: makeZip(t, many...), openErr: ErrBadArchive},
		{name: "bad/not-a-zip", zip: jpg, openErr: ErrBadArchive},
		{name: "bad/bomb-entry", zip: makeZip(t, entry{"bomb.jpg", make([]byte, MaxBytes+1)}), read: "bomb.jpg", readErr: "too large"},
		{name: "bad/missing", zip: makeZip(t, entry{"a.jpg", jpg}), read: "b.jpg", readErr: "no such file"},
		{name: "bad/name-climbs", zip: makeZip(t, entry{"a.jpg", jpg}), read: "../a.jpg", readErr: "relative path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zs, err := OpenZip(bytes.NewReader(tt.zip), int64(len(tt.zip)))
			if tt.openErr != nil {
				if !errors.Is(err, tt.openErr) {
					t.Fatalf("OpenZip() error = %v, want %v", err, tt.openErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenZip() error = %v", err)
			}
			b, err := zs.Read(tt.read)
			if tt.readErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.readErr) {
					t.Fatalf("Read(%q) error = %v, want one saying %q", tt.read, err, tt.readErr)
				}
				return
			}
			if err != nil || !bytes.Equal(b, jpg) {
				t.Fatalf("Read(%q) = %d bytes, %v", tt.read, len(b), err)
			}
		})
	}
}

func TestDirSource(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	jpg := encJPEG(t, gradient(90, 120))
	os.WriteFile(filepath.Join(dir, "ana.jpg"), jpg, 0o644)
	os.WriteFile(filepath.Join(outside, "secret.jpg"), jpg, 0o644)
	os.Symlink(filepath.Join(outside, "secret.jpg"), filepath.Join(dir, "link.jpg"))
	src, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if b, err := src.Read("ana.jpg"); err != nil || !bytes.Equal(b, jpg) {
		t.Fatalf("Read(ana.jpg) = %d bytes, %v", len(b), err)
	}
	for _, name := range []string{"../" + filepath.Base(outside) + "/secret.jpg", "link.jpg", "/etc/passwd", "", "."} {
		if _, err := src.Read(name); err == nil {
			t.Errorf("Read(%q) succeeded, want it refused", name)
		}
	}
}

// FuzzOpenZip: no archive makes OpenZip or Read panic, and what Read
// returns never exceeds MaxBytes.
func FuzzOpenZip(f *testing.F) {
	jpg := encJPEG(f, gradient(90, 120))
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range []string{"a.jpg", "crew/b.jpg", "../c.jpg"} {
		w, _ := zw.Create(name)
		w.Write(jpg)
	}
	zw.Close()
	f.Add(b.Bytes(), "a.jpg")
	f.Add(b.Bytes()[:len(b.Bytes())/2], "crew/b.jpg")
	f.Fuzz(func(t *testing.T, archive []byte, name string) {
		zs, err := OpenZip(bytes.NewReader(archive), int64(len(archive)))
		if err != nil {
			return
		}
		if b, err := zs.Read(name); err == nil && len(b) > MaxBytes {
			t.Fatalf("Read(%q) returned %d bytes", name, len(b))
		}
	})
}

// countReaderAt counts the bytes read through it.
type countReaderAt struct {
	r *bytes.Reader
	n int64
}

func (c *countReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.n += int64(len(p))
	return c.r.ReadAt(p, off)
}

// A directory of far more entries than MaxZipEntries is refused before it
// is all read: zip.NewReader would index every header first.
func TestOpenZipStopsReadingAHugeDirectory(t *testing.T) {
	// 6,000 entries with 1,000-byte names: a 6 MB directory, past the
	// 5.2 MB that 20,000 entries of honest names take.
	many := make([]entry, 6_000)
	for i := range many {
		many[i] = entry{name: strings.Repeat("x", 990) + strconv.Itoa(10_000+i)}
	}
	z := makeZip(t, many...)
	cr := &countReaderAt{r: bytes.NewReader(z)}
	_, err := OpenZip(cr, int64(len(z)))
	if !errors.Is(err, ErrBadArchive) || !strings.Contains(err.Error(), "directory lists more than") {
		t.Fatalf("OpenZip() error = %v, want the directory refused", err)
	}
	if cr.n > maxZipDirRead+64<<10 {
		t.Fatalf("OpenZip read %d bytes of a %d-byte archive, want at most about %d", cr.n, len(z), maxZipDirRead)
	}
}
