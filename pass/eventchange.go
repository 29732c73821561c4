package pass

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EventChange is an edit of an event (issue 13): every field that is set
// replaces the event's; the others stay. The office, the API and "laminate
// event update" make one, and the store applies it in the transaction that
// writes the event ([EventChange.Apply]), so two edits at once both stay.
type EventChange struct {
	Name, Venue *string
	// TimeZone is the zone the event's times are shown in (a UTC offset;
	// [ParseTimeZone]). Changing it keeps every time's instant: to move
	// the show, give its times.
	TimeZone *time.Location
	// The schedule. A zero time is the default of [Schedule.Normalize].
	// When the show start moves, every time not given moves with it:
	// times keep their distance to the show start.
	ShowStart, ShowEnd, AccessFrom, AccessUntil, MeetGreetFrom, MeetGreetUntil *time.Time
	PhotoDuration                                                              *time.Duration
	// Policy replaces the event's policy; checked as a policy file is.
	Policy *Policy
	// Capacity caps zones (after Policy, if both are set): Max 0 removes
	// the zone's cap.
	Capacity map[Zone]ZoneCapacity
}

// IsZero reports whether c changes nothing.
func (c *EventChange) IsZero() bool {
	return c.Name == nil && c.Venue == nil && c.TimeZone == nil && c.ShowStart == nil && c.ShowEnd == nil &&
		c.AccessFrom == nil && c.AccessUntil == nil && c.MeetGreetFrom == nil && c.MeetGreetUntil == nil &&
		c.PhotoDuration == nil && c.Policy == nil && len(c.Capacity) == 0
}

// Apply returns old changed by c, validated as a new event is, and the
// names of the fields whose value changed ("name", "show_start",
// "policy.capacity", …) for the audit log. old is not modified. To create
// an event, apply the change to an event that has only its ID.
func (c *EventChange) Apply(old *Event) (*Event, []string, error) {
	e := *old
	e.Policy = old.Policy.Clone()
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&e.Name, c.Name)
	set(&e.Venue, c.Venue)
	s := &e.Schedule
	var delta time.Duration
	if c.ShowStart != nil && !old.Schedule.ShowStart.IsZero() && !c.ShowStart.IsZero() {
		delta = c.ShowStart.Sub(old.Schedule.ShowStart)
	}
	for _, f := range []struct {
		dst *time.Time
		v   *time.Time
	}{{&s.ShowStart, c.ShowStart}, {&s.ShowEnd, c.ShowEnd}, {&s.AccessFrom, c.AccessFrom}, {&s.AccessUntil, c.AccessUntil},
		{&s.MeetGreetFrom, c.MeetGreetFrom}, {&s.MeetGreetUntil, c.MeetGreetUntil}, {&s.Doors, nil}} {
		switch {
		case f.v != nil:
			*f.dst = *f.v
		case !f.dst.IsZero():
			*f.dst = f.dst.Add(delta)
		}
	}
	if c.PhotoDuration != nil {
		s.PhotoDuration = *c.PhotoDuration
	}
	loc := s.ShowStart.Location()
	if !old.Schedule.ShowStart.IsZero() {
		loc = old.Location()
	}
	if c.TimeZone != nil {
		loc = c.TimeZone
	}
	for _, t := range []*time.Time{&s.ShowStart, &s.ShowEnd, &s.AccessFrom, &s.AccessUntil, &s.MeetGreetFrom, &s.MeetGreetUntil, &s.Doors} {
		if !t.IsZero() {
			*t = t.In(loc)
		}
	}
	if c.Policy != nil {
		if err := c.Policy.Validate(); err != nil {
			return nil, nil, err
		}
		e.Policy = c.Policy.Clone()
	}
	if len(c.Capacity) > 0 {
		if e.Policy == nil {
			e.Policy = DefaultPolicy()
		}
		for _, z := range slices.Sorted(maps.Keys(c.Capacity)) {
			if err := e.Policy.SetCapacity(z, c.Capacity[z]); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := e.Validate(); err != nil {
		return nil, nil, err
	}
	return &e, changedFields(old, &e), nil
}

// changedFields names what differs between two versions of an event.
func changedFields(a, b *Event) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("name", a.Name != b.Name)
	add("venue", a.Venue != b.Venue)
	sa, sb := a.Schedule, b.Schedule
	add("time_zone", sa.ShowStart.IsZero() || sa.ShowStart.Format("-07:00") != sb.ShowStart.Format("-07:00"))
	for _, f := range []struct {
		name string
		x, y time.Time
	}{{"show_start", sa.ShowStart, sb.ShowStart}, {"show_end", sa.ShowEnd, sb.ShowEnd}, {"access_from", sa.AccessFrom, sb.AccessFrom},
		{"access_until", sa.AccessUntil, sb.AccessUntil}, {"meet_greet_from", sa.MeetGreetFrom, sb.MeetGreetFrom},
		{"meet_greet_until", sa.MeetGreetUntil, sb.MeetGreetUntil}} {
		add(f.name, !f.x.Equal(f.y))
	}
	add("photo_window", sa.PhotoDuration != sb.PhotoDuration)
	pa, pb := a.EffectivePolicy(), b.EffectivePolicy()
	for _, f := range []struct {
		name string
		x, y any
	}{{"policy.zones", pa.Zones, pb.Zones}, {"policy.gates", pa.Gates, pb.Gates}, {"policy.rules", pa.Rules, pb.Rules},
		{"policy.roles", pa.Roles, pb.Roles}, {"policy.capacity", pa.Capacity, pb.Capacity},
		{"policy.clear_grace_seconds", pa.ClearGraceSeconds, pb.ClearGraceSeconds}} {
		x, _ := json.Marshal(f.x)
		y, _ := json.Marshal(f.y)
		add(f.name, !bytes.Equal(x, y))
	}
	return out
}

// Clone is a deep copy of p (nil for nil).
func (p *Policy) Clone() *Policy {
	if p == nil {
		return nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic("pass: policy: " + err.Error())
	}
	var q Policy
	if err := json.Unmarshal(b, &q); err != nil {
		panic("pass: policy: " + err.Error())
	}
	return &q
}

// Validate checks a policy made in code (the office's table) by the rules
// of a policy file, with the same messages as [ParsePolicy].
func (p *Policy) Validate() error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	return nil
}

var offsetRE = regexp.MustCompile(`^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$`)

// MaxOffset bounds a time zone's offset from UTC.
const MaxOffset = 14 * time.Hour

// ParseTimeZone reads an event's time zone: its offset from UTC, as
// "+01:00", "UTC+01:00", "-05:30" or "UTC". An event's times are shown
// with this offset.
func ParseTimeZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	switch strings.ToUpper(s) {
	case "UTC", "Z", "GMT", "+00:00", "UTC+00:00":
		return time.FixedZone("", 0), nil
	}
	m := offsetRE.FindStringSubmatch(strings.ToUpper(s))
	if m != nil {
		h, _ := strconv.Atoi(m[2])
		mins := 0
		if m[3] != "" {
			mins, _ = strconv.Atoi(m[3])
		}
		off := time.Duration(h)*time.Hour + time.Duration(mins)*time.Minute
		if mins < 60 && off <= MaxOffset {
			if m[1] == "-" {
				off = -off
			}
			return time.FixedZone("", int(off/time.Second)), nil
		}
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return nil, fmt.Errorf("bad time zone %q: want an offset from UTC such as +01:00, -05:00 or UTC", s)
}

// TimeZoneOf is an event's time zone as [ParseTimeZone] reads it: "+01:00".
func TimeZoneOf(e *Event) string { return e.Schedule.ShowStart.In(e.Location()).Format("-07:00") }

// EventText is an event's editable fields as people type them: the
// office's form, the API's JSON and the CLI's flags. A nil field is not
// changed; times follow the one rule ([ParseTime]), a local time read in
// TimeZone when it is given, else in the event's zone.
type EventText struct {
	Name, Venue, TimeZone                                                      *string
	ShowStart, ShowEnd, AccessFrom, AccessUntil, MeetGreetFrom, MeetGreetUntil *string
	PhotoWindow                                                                *string // a duration: 15m, 20m, 1h
}

// Change reads t into a change of an event whose times are shown in loc
// (nil for a new event: then TimeZone or an RFC 3339 show start gives the
// zone). Errors are [FieldError]s naming the field.
func (t EventText) Change(loc *time.Location) (EventChange, error) {
	c := EventChange{Name: t.Name, Venue: t.Venue}
	if t.TimeZone != nil && *t.TimeZone != "" {
		z, err := ParseTimeZone(*t.TimeZone)
		if err != nil {
			return c, &FieldError{Field: "time_zone", Msg: err.Error()}
		}
		c.TimeZone, loc = z, z
	}
	for _, f := range []struct {
		name string
		in   *string
		out  **time.Time
		need bool
	}{{"show_start", t.ShowStart, &c.ShowStart, true}, {"show_end", t.ShowEnd, &c.ShowEnd, true},
		{"access_from", t.AccessFrom, &c.AccessFrom, false}, {"access_until", t.AccessUntil, &c.AccessUntil, false},
		{"meet_greet_from", t.MeetGreetFrom, &c.MeetGreetFrom, false}, {"meet_greet_until", t.MeetGreetUntil, &c.MeetGreetUntil, false}} {
		if f.in == nil {
			continue
		}
		var v time.Time
		switch s := strings.TrimSpace(*f.in); {
		case s == "" && f.need:
			return c, &FieldError{Field: f.name, Msg: strings.ReplaceAll(f.name, "_", " ") + " is empty: want " + TimeRule}
		case s != "":
			var err error
			if v, err = ParseTime(s, loc); err != nil {
				return c, &FieldError{Field: f.name, Msg: err.Error()}
			}
		}
		*f.out = &v
	}
	if t.PhotoWindow != nil {
		d, err := time.ParseDuration(strings.TrimSpace(*t.PhotoWindow))
		if err != nil || d < 0 {
			return c, &FieldError{Field: "photo_window", Msg: fmt.Sprintf("bad photo window %q: want a duration such as 15m or 1h", *t.PhotoWindow)}
		}
		c.PhotoDuration = &d
	}
	return c, nil
}

// NextShow is the event of the next show of a tour made from e (clone):
// the venue, policy and branding are copied, the cues are not, and the
// change (a new name, a new show start) is applied; times not given keep
// their distance to the show start.
func (e *Event) NextShow(id string, c EventChange) (*Event, error) {
	base := *e
	base.ID, base.Cues = id, Cues{}
	if e.Branding != nil {
		b := *e.Branding
		b.Logo = slices.Clone(b.Logo)
		base.Branding = &b
	}
	next, _, err := c.Apply(&base)
	return next, err
}
