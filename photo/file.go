package photo

import (
	"fmt"
	"io"
	"os"
)

// FileError is a photo file that was read but is not a photo Laminate can
// print: too large, not a JPEG or PNG, or not decodable.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return "photo " + e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// ReadFile reads the photo of one pass (issue --photo FILE) and prepares it
// ([Process]). It reads at most one byte more than [MaxBytes]. A file that
// cannot be opened is an error "photo: ..."; one that is no printable
// photo is a [*FileError].
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("photo: %w", err)
	}
	defer f.Close()
	b, err := Read(f)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	return b, nil
}

// Read reads one photo from r, at most one byte more than [MaxBytes], and
// prepares it ([Process]): a file given by path ([ReadFile]) or uploaded
// (the office's reissue form).
func Read(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	return Process(b)
}

// Loader reads the photos src holds by name and prepares each ([Process]):
// the load function of signer.LoadPhotos for a guest list's photo column.
func Loader(src Source) func(name string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		b, err := src.Read(name)
		if err != nil {
			return nil, err
		}
		if b, err = Process(b); err != nil {
			return nil, fmt.Errorf("photo %s: %w", name, err)
		}
		return b, nil
	}
}
