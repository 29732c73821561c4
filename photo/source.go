package photo

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Limits on a ZIP of photos (laminate issue --photos, the API's batch form).
const (
	MaxZipBytes   = 1 << 30 // the archive itself
	MaxZipEntries = 20_000
	// MaxZipRead caps what all reads from one archive decompress in
	// total, so a guest list naming one small, highly compressed entry on
	// every row cannot make the server inflate it without end.
	MaxZipRead = 4 << 30
)

// ErrBadArchive is wrapped by the errors of [OpenZip] for an archive that
// is refused as a whole.
var ErrBadArchive = errors.New("photo archive refused")

// Source finds the photos a guest list names (its photo column): a folder
// or a ZIP archive. Names are relative slash-separated paths inside it;
// nothing outside it can be named, by ".." or a symbolic link.
type Source interface {
	// Read returns the bytes of the named file, at most [MaxBytes].
	Read(name string) ([]byte, error)
	Close() error
}

// Open opens a folder, or a file ending in .zip, as a [Source].
func Open(path string) (Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		root, err := os.OpenRoot(path)
		if err != nil {
			return nil, err
		}
		return dirSource{root}, nil
	}
	if !strings.HasSuffix(strings.ToLower(path), ".zip") {
		return nil, fmt.Errorf("photos %s: want a folder or a .zip file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	zs, err := OpenZip(f, fi.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("photos %s: %w", path, err)
	}
	zs.closer = f
	return zs, nil
}

// checkName refuses a name that could leave the source.
func checkName(name string) error {
	if !fs.ValidPath(name) || name == "." || strings.Contains(name, `\`) {
		return fmt.Errorf("photo %q: want a relative path inside the photo folder or ZIP, such as photos/ana.jpg (no .., no leading /)", name)
	}
	return nil
}

// readCapped reads r, refusing more than MaxBytes.
func readCapped(name string, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("photo %s: %w", name, err)
	}
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("photo %s: %w: more than %d MiB; export a smaller JPEG", name, ErrTooLarge, MaxBytes>>20)
	}
	return b, nil
}

type dirSource struct{ root *os.Root }

func (d dirSource) Read(name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	f, err := d.root.Open(name) // os.Root: no escape by .. or a symbolic link
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("photo %s: no such file in the photo folder", name)
		}
		return nil, fmt.Errorf("photo %s: %w", name, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("photo %s: not a regular file", name)
	}
	return readCapped(name, f)
}

func (d dirSource) Close() error { return d.root.Close() }

// maxZipDirRead bounds what opening an archive reads: the end record (at
// most 64 KiB of comment) and a directory of MaxZipEntries entries with
// names and extra fields of up to about 200 bytes each.
const maxZipDirRead = 64<<10 + MaxZipEntries*256

// capReaderAt fails reads once left bytes have been read, until it is
// uncapped: zip.NewReader reads the directory through it, then the
// entries are read through it with no cap of its own.
type capReaderAt struct {
	r        io.ReaderAt
	left     int64
	uncapped bool
}

func (c *capReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if c.left -= int64(len(p)); c.left < 0 && !c.uncapped {
		return 0, errors.New("directory too large")
	}
	return c.r.ReadAt(p, off)
}

// ZipSource is a [Source] reading a ZIP archive.
type ZipSource struct {
	files  map[string]*zip.File
	read   int64
	closer io.Closer
}

// OpenZip checks a ZIP archive of size bytes and indexes its files. The
// whole archive is refused ([ErrBadArchive]) when it is larger than
// [MaxZipBytes], holds more than [MaxZipEntries] entries, or holds a name
// that is absolute, climbs out with "..", uses a backslash or appears
// twice: such an archive was made to attack an extractor, not to carry
// photos.
func OpenZip(r io.ReaderAt, size int64) (*ZipSource, error) {
	if size > MaxZipBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d MiB", ErrBadArchive, size, MaxZipBytes>>20)
	}
	// zip.NewReader indexes the whole central directory before the entry
	// count can be checked: a 256 MiB form holds millions of tiny headers.
	// Reading the directory stops at what MaxZipEntries honest entries take.
	dir := &capReaderAt{r: r, left: maxZipDirRead}
	zr, err := zip.NewReader(dir, size)
	if dir.left < 0 {
		return nil, fmt.Errorf("%w: its directory lists more than %d entries", ErrBadArchive, MaxZipEntries)
	}
	dir.uncapped = true // the entries are read through it, each with its own cap
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("%w: not a ZIP archive (%v)", ErrBadArchive, err)
	}
	if len(zr.File) > MaxZipEntries {
		return nil, fmt.Errorf("%w: %d entries, at most %d", ErrBadArchive, len(zr.File), MaxZipEntries)
	}
	zs := &ZipSource{files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") && f.FileInfo().IsDir() {
			continue
		}
		if err := checkName(f.Name); err != nil {
			return nil, fmt.Errorf("%w: entry %q is not a plain relative path (.., / or \\)", ErrBadArchive, f.Name)
		}
		if zs.files[f.Name] != nil {
			return nil, fmt.Errorf("%w: entry %q appears twice", ErrBadArchive, f.Name)
		}
		zs.files[f.Name] = f
	}
	return zs, nil
}

// Read implements [Source].
func (z *ZipSource) Read(name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	f := z.files[name]
	if f == nil {
		return nil, fmt.Errorf("photo %s: no such file in the ZIP", name)
	}
	if f.UncompressedSize64 > MaxBytes {
		return nil, fmt.Errorf("photo %s: %w: %d bytes, at most %d MiB; export a smaller JPEG", name, ErrTooLarge, f.UncompressedSize64, MaxBytes>>20)
	}
	if z.read+int64(f.UncompressedSize64) > MaxZipRead {
		return nil, fmt.Errorf("%w: photos read from it exceed %d GiB in total", ErrBadArchive, MaxZipRead>>30)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("photo %s: %w", name, err)
	}
	defer rc.Close()
	// archive/zip fails a read past the declared size; the cap holds anyway.
	b, err := readCapped(name, rc)
	z.read += int64(len(b))
	return b, err
}

// Close implements [Source].
func (z *ZipSource) Close() error {
	if z.closer != nil {
		return z.closer.Close()
	}
	return nil
}
