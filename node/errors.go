package node

import "fmt"

// An Error is a failure a person can do something about: the Hint,
// lowercase and without a final period, which the laminate command prints
// on a line of its own.
type Error struct {
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func withHint(err error, format string, args ...any) error {
	return &Error{Err: err, Hint: fmt.Sprintf(format, args...)}
}

// A URLError is a store URL of no known kind: a mistake in the command
// line, not a failure of the store.
type URLError struct{ URL string }

func (e *URLError) Error() string {
	return fmt.Sprintf("--store %q: want sqlite:PATH or postgres://USER@HOST/DB", RedactURL(e.URL))
}
