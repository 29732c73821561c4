package pass

import (
	"errors"
	"fmt"
)

// FieldError is an error about one field of an event or a policy: Field
// names it ("show_end", "capacity.photo-pit.max"), so that a form shows
// the message beside the field and the API names it. Its text is the same
// whichever surface reports it: the office, the API, the CLI and a policy
// file all get one message from one rule.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Msg }

// fieldErr is a FieldError whose message is the field, a colon, then the
// detail: how policy files name where an error is.
func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: field + ": " + fmt.Sprintf(format, args...)}
}

// about marks err (nil: none) as an error of field, keeping its message;
// an error already about a field keeps its own.
func about(field string, err error) error {
	var fe *FieldError
	if err == nil || errors.As(err, &fe) {
		return err
	}
	return &FieldError{Field: field, Msg: err.Error()}
}

// ErrorField is the field an error is about ("" when it names none).
func ErrorField(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}
