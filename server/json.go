package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/laminate/laminate/pass"
)

func jsonDecoder(r io.Reader) *json.Decoder {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	return dec
}

// decodeStrict decodes one JSON object from body into v (a pointer to a
// struct), and says what is wrong in words a client can act on: the field
// unknown (with the fields there are), the field of the wrong JSON type
// (with the type wanted), the bad time (with the time rule).
func decodeStrict(body []byte, v any) error {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return badBody("the body is empty: want a JSON object")
		case errors.As(err, &se):
			return badBody(fmt.Sprintf("the body is not valid JSON (at byte %d: %v)", se.Offset, se))
		case errors.As(err, &te):
			return badBody(fmt.Sprintf("the body is a JSON %s: want a JSON object", te.Value))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return badBody("the body is not valid JSON (it ends too soon)")
		}
		return err // the body limit, or the connection
	}
	if raw == nil {
		return badBody("the body is null: want a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badBody("one JSON object per request")
	}
	rv := reflect.ValueOf(v).Elem()
	fields := jsonFields(rv.Type())
	var names []string
	for _, f := range fields {
		names = append(names, f.name)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, k) }) {
			return badBody(fmt.Sprintf("unknown field %q: want %s", clipField(k), strings.Join(names, ", ")))
		}
	}
	for _, f := range fields {
		var msg json.RawMessage
		for k, m := range raw {
			if k == f.name || (msg == nil && strings.EqualFold(k, f.name)) {
				msg = m
			}
		}
		if msg == nil {
			continue
		}
		dst := rv.FieldByIndex(f.index).Addr().Interface()
		d := jsonDecoder(bytes.NewReader(msg))
		if err := d.Decode(dst); err != nil {
			return badBody(fieldError(f, err))
		}
	}
	return nil
}

// A jsonField is a field of a request body.
type jsonField struct {
	name  string
	index []int
	typ   reflect.Type
}

func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, index: f.Index, typ: f.Type})
	}
	return out
}

// fieldError says what field f wants, given the decoder's complaint.
func fieldError(f jsonField, err error) string {
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	var he interface{ Hint() string }
	switch {
	case errors.As(err, &he):
		return fmt.Sprintf("field %q: %s", f.name, he.Hint())
	case errors.As(err, &pe):
		return fmt.Sprintf("field %q: bad time %q: want %s", f.name, strings.Trim(pe.Value, `"`), jsonKind(f.typ))
	case errors.As(err, &te) && te.Field != "" && te.Field != f.name:
		return fmt.Sprintf("field %q: %s is a JSON %s: want %s", f.name, te.Field, te.Value, jsonKind(te.Type))
	case errors.As(err, &te):
		return fmt.Sprintf("field %q is a JSON %s: want %s", f.name, te.Value, jsonKind(f.typ))
	}
	var s string
	if errors.As(err, new(*json.SyntaxError)) {
		s = "not valid JSON"
	} else {
		s = strings.TrimPrefix(err.Error(), "json: ")
	}
	return fmt.Sprintf("field %q: %s (want %s)", f.name, s, jsonKind(f.typ))
}

// jsonKind names the JSON a Go type is read from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		return "a time as a string in RFC 3339, such as 2027-03-05T23:00:00+01:00"
	case t == reflect.TypeFor[LocalTime]():
		return "a time as a string: " + pass.TimeRule
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return "a string in base64"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}

func clipField(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func badBody(msg string) error { return apiError(http.StatusBadRequest, "bad_request", msg) }

// LocalTime is a time in a request body by the one rule ([pass.TimeRule]):
// RFC 3339, or a local time without offset that [LocalTime.In] reads in
// the event's time zone once the event is known.
type LocalTime struct{ raw string }

// UnmarshalJSON takes a JSON string and checks its form.
func (t *LocalTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return timeHint{fmt.Sprintf("want a time as a string: %s", pass.TimeRule)}
	}
	if _, err := pass.ParseTime(s, time.UTC); err != nil {
		return timeHint{err.Error()}
	}
	t.raw = s
	return nil
}

// MarshalJSON writes the time as it was given.
func (t LocalTime) MarshalJSON() ([]byte, error) { return json.Marshal(t.raw) }

// In reads the time in loc (the event's zone, for a local time).
func (t *LocalTime) In(loc *time.Location) (time.Time, error) {
	if t == nil || t.raw == "" {
		return time.Time{}, nil
	}
	return pass.ParseTime(t.raw, loc)
}

// NewLocalTime is a LocalTime holding s as given.
func NewLocalTime(s string) *LocalTime { return &LocalTime{raw: s} }

type timeHint struct{ s string }

func (h timeHint) Error() string { return h.s }
func (h timeHint) Hint() string  { return h.s }
