package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/laminate/laminate/internal/atomicfile"
)

// stagedFiles lists the files of a staged data folder in archive order;
// db is the database's file: DatabaseName or PgDumpName.
func stagedFiles(stage, db string) ([]string, error) {
	names := []string{ConfigName, KeyringName}
	entries, err := os.ReadDir(filepath.Join(stage, keysDir))
	if err != nil {
		return nil, err
	}
	for _, e := range entries { // sorted by name
		if n := keysDir + "/" + e.Name(); keyFileName.MatchString(n) {
			names = append(names, n)
		}
	}
	if _, err := os.Stat(filepath.Join(stage, filepath.FromSlash(ArtworkName))); err == nil {
		names = append(names, ArtworkName)
	}
	return append(names, db), nil
}

// writeArchive writes the staged data folder as an archive to a temporary
// file beside out, fsyncs it and moves it to out: a failure leaves no
// file behind, and an existing out is replaced only with force. m is the
// manifest without its files, which writeArchive lists. It returns the
// archive's size.
func writeArchive(stage, out string, force bool, m *Manifest) (size int64, err error) {
	db := DatabaseName
	if m.Store == StorePostgres {
		db = PgDumpName
	}
	names, err := stagedFiles(stage, db)
	if err != nil {
		return 0, err
	}
	now := m.Created
	m.Files = nil
	for _, name := range names {
		h := sha256.New()
		n, err := hashFile(filepath.Join(stage, filepath.FromSlash(name)), h)
		if err != nil {
			return 0, err
		}
		m.Files = append(m.Files, File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	mraw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return 0, err
	}
	mraw = append(mraw, '\n')

	f, err := atomicfile.Create(out, 0o600)
	if err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	defer f.Abort()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	add := func(name string, size int64, r io.Reader) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: now, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	if err := add(ManifestName, int64(len(mraw)), bytes.NewReader(mraw)); err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	for _, mf := range m.Files {
		err := func() error {
			src, err := os.Open(filepath.Join(stage, filepath.FromSlash(mf.Name)))
			if err != nil {
				return err
			}
			defer src.Close()
			// Checked again as it goes in: a bad read would otherwise make
			// an archive that no restore accepts.
			h := sha256.New()
			if err := add(mf.Name, mf.Size, io.TeeReader(io.LimitReader(src, mf.Size), h)); err != nil {
				return err
			}
			if hex.EncodeToString(h.Sum(nil)) != mf.SHA256 {
				return fmt.Errorf("%s changed while it was archived", mf.Name)
			}
			return nil
		}()
		if err != nil {
			return 0, fmt.Errorf("cannot write %s: %w", out, err)
		}
	}
	if err := tw.Close(); err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	if err := gz.Close(); err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	fi, err := os.Stat(f.Name())
	if err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	if force {
		err = f.Commit()
	} else {
		// Unlike Commit, CommitNew fails if out appeared meanwhile.
		err = f.CommitNew()
		if errors.Is(err, fs.ErrExist) {
			return 0, outExists(out)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("cannot write %s: %w", out, err)
	}
	return fi.Size(), nil
}

func hashFile(path string, h hash.Hash) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(h, f)
}

// writeNew creates path (never over an existing file, mode 0600), copies r
// into it, also into h when h is not nil, durably: path appears whole or
// not at all.
func writeNew(path string, r io.Reader, h hash.Hash) error {
	f, err := atomicfile.Create(path, 0o600)
	if err != nil {
		return err
	}
	defer f.Abort()
	w := io.Writer(f)
	if h != nil {
		w = io.MultiWriter(f, h)
	}
	_, err = io.Copy(w, r)
	if err == nil {
		err = f.CommitNew()
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// extractArchive reads a backup archive into stage, checking as it goes:
// gzip and tar framing, the manifest first, every entry a regular file with
// a name the manifest lists (so nothing lands outside stage), sizes within
// limits, and each file's SHA-256. It never follows or creates a link.
func extractArchive(path, stage string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	return extract(f, stage)
}

// extract is extractArchive of the archive read from r.
func extract(r io.Reader, stage string) (*Manifest, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, errors.New("not a Laminate backup (not a gzip file)")
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("not a Laminate backup, or damaged (%v)", err)
	}
	if hdr.Name != ManifestName || hdr.Typeflag != tar.TypeReg || hdr.Size > MaxManifest {
		return nil, fmt.Errorf("not a Laminate backup (its first file is %q, not %s)", hdr.Name, ManifestName)
	}
	raw, err := io.ReadAll(io.LimitReader(tr, MaxManifest))
	if err != nil {
		return nil, fmt.Errorf("damaged: %s: %v", ManifestName, err)
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return nil, err
	}
	want := map[string]File{}
	for _, mf := range m.Files {
		want[mf.Name] = mf
	}
	if err := os.Mkdir(filepath.Join(stage, keysDir), 0o700); err != nil {
		return nil, err
	}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("damaged (%v)", err)
		}
		mf, ok := want[hdr.Name]
		switch {
		case hdr.Typeflag != tar.TypeReg:
			return nil, fmt.Errorf("entry %q is not a regular file (type %q): refused", hdr.Name, hdr.Typeflag)
		case !ok:
			return nil, fmt.Errorf("entry %q is not in the manifest, or comes twice: refused", hdr.Name)
		case hdr.Size != mf.Size:
			return nil, fmt.Errorf("damaged: %s is %d bytes, the manifest says %d", hdr.Name, hdr.Size, mf.Size)
		}
		delete(want, hdr.Name)
		h := sha256.New()
		dst := filepath.Join(stage, filepath.FromSlash(mf.Name)) // a name ParseManifest allowed
		if err := writeNew(dst, io.LimitReader(tr, mf.Size), h); err != nil {
			return nil, fmt.Errorf("damaged: %s: %v", mf.Name, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != mf.SHA256 {
			return nil, fmt.Errorf("damaged: the SHA-256 of %s does not match the manifest", mf.Name)
		}
	}
	if len(want) > 0 {
		missing := slices.Sorted(maps.Keys(want))
		return nil, fmt.Errorf("damaged or cut short: %s is missing", strings.Join(missing, ", "))
	}
	// Read to the end of the gzip stream, which checks its CRC: the tar
	// reader stops at the end-of-archive blocks.
	if n, err := io.Copy(io.Discard, io.LimitReader(gz, 1<<20)); err != nil {
		return nil, fmt.Errorf("damaged (%v)", err)
	} else if n == 1<<20 {
		return nil, errors.New("damaged: data after the end of the archive")
	}
	return m, nil
}

// syncTree fsyncs every file and folder under dir, and sets the modes
// restored files get: 0600 for files, 0700 for folders.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o600)
		if d.IsDir() {
			mode = 0o700
		} else if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", path)
		}
		if err := os.Chmod(path, mode); err != nil {
			return err
		}
		return atomicfile.Sync(path)
	})
}
