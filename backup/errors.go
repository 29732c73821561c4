package backup

import "fmt"

// An Error is a backup or restore that failed with something a person can
// do about it: the Hint, lowercase and without a final period, which the
// laminate command prints on a line of its own.
type Error struct {
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func withHint(err error, format string, args ...any) error {
	return &Error{Err: err, Hint: fmt.Sprintf(format, args...)}
}
