package pass

import (
	"fmt"
	"strings"
	"time"
)

// TimeRule is the one date and time rule of guest lists, the CLI and the
// API, as people are told it.
const TimeRule = "RFC 3339 (2027-03-05T23:00:00+01:00), or a local time without offset (2027-03-05 23:00 or 2027-03-05T23:00) read in the event's time zone"

// localLayouts are the times without an offset that [ParseTime] reads in
// the event's time zone.
var localLayouts = []string{
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
}

// ParseTime reads a time given by a person or a program, by the one rule
// of guest lists, the CLI and the API ([TimeRule]): RFC 3339, or a local
// time without offset read in loc (the event's time zone; UTC when nil).
// A local time that the zone skips (a spring-forward gap) is refused
// rather than moved.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	for _, layout := range localLayouts {
		t, err := time.ParseInLocation(layout, s, loc)
		if err != nil {
			continue
		}
		if t.Format(layout) != s {
			return time.Time{}, fmt.Errorf("%s does not exist in %s (the clocks skip it)", s, loc)
		}
		return t, nil
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return time.Time{}, fmt.Errorf("bad time %q: want %s", s, TimeRule)
}

// TimeLayout is the one format of times shown to people: the event's
// local time with its offset, e.g. "2027-03-05 23:00 +01:00".
const TimeLayout = "2006-01-02 15:04 -07:00"

// FormatTime shows t in loc (the event's time zone; UTC when nil) in
// [TimeLayout]. The zero time is "".
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(TimeLayout)
}

// TimeFlag is a command-line flag (flag.Value) holding a time by the one
// rule ([TimeRule]): RFC 3339, or a local time without offset that
// [TimeFlag.In] reads in the event's time zone.
type TimeFlag struct {
	t     time.Time // RFC 3339 as given; a local time read in UTC until In says otherwise
	raw   string
	local bool
}

func (f *TimeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.raw
}

// Set reads s by the rule.
func (f *TimeFlag) Set(s string) error {
	t, err := ParseTime(s, time.UTC)
	if err != nil {
		return fmt.Errorf("want %s", TimeRule)
	}
	_, rerr := time.Parse(time.RFC3339, strings.TrimSpace(s))
	f.t, f.raw, f.local = t, s, rerr != nil
	return nil
}

// IsZero reports whether the flag was not set.
func (f *TimeFlag) IsZero() bool { return f.t.IsZero() }

// In is the time, a local one read in loc (the event's time zone).
func (f *TimeFlag) In(loc *time.Location) (time.Time, error) {
	if !f.local {
		return f.t, nil
	}
	return ParseTime(f.raw, loc)
}

// Abs is the time where no event's zone is known: it needs an offset.
func (f *TimeFlag) Abs() (time.Time, error) {
	if f.local {
		return time.Time{}, fmt.Errorf("%s has no UTC offset: give RFC 3339 such as 2027-03-05T20:00:00+01:00", f.raw)
	}
	return f.t, nil
}
