package pass

import (
	"fmt"
	"time"
)

// Phase is the part of an event a moment falls in.
type Phase string

// Phases of an event. [Closed] is outside the access window.
const (
	Closed Phase = "closed"
	Before Phase = "before"
	During Phase = "during"
	After  Phase = "after"
)

// Window names a span of time in a policy grant: the three phases and the
// two sub-windows.
type Window string

// Windows usable in a policy's "when" lists. [Any] is before, during and
// after together.
const (
	WinBefore    Window = "before"
	WinDuring    Window = "during"
	WinAfter     Window = "after"
	WinMeetGreet Window = "meet-greet"
	WinPhoto     Window = "photo"
	Any          Window = "any"
)

// Defaults used when an event does not set a time itself.
const (
	DefaultAccessLead     = 12 * time.Hour   // access opens this long before show start (load-in)
	DefaultAccessTail     = 6 * time.Hour    // and closes this long after show end (load-out)
	DefaultPhotoDuration  = 15 * time.Minute // three songs
	DefaultMeetGreetStart = 2 * time.Hour    // meet & greet from 2 h before show start
	DefaultMeetGreetEnd   = 30 * time.Minute // until 30 min before
)

// Schedule holds an event's planned times. Zero times take the defaults
// above through [Schedule.Normalize].
type Schedule struct {
	AccessFrom     time.Time     `json:"access_from"`
	Doors          time.Time     `json:"doors,omitzero"`
	ShowStart      time.Time     `json:"show_start"`
	ShowEnd        time.Time     `json:"show_end"`
	AccessUntil    time.Time     `json:"access_until"`
	MeetGreetFrom  time.Time     `json:"meet_greet_from"`
	MeetGreetUntil time.Time     `json:"meet_greet_until"`
	PhotoDuration  time.Duration `json:"photo_duration"`
}

// Normalize fills the defaults and checks that the times are in order.
func (s Schedule) Normalize() (Schedule, error) {
	if s.ShowStart.IsZero() || s.ShowEnd.IsZero() {
		return s, &FieldError{Field: "show_start", Msg: "schedule needs a show start and a show end"}
	}
	if !s.ShowEnd.After(s.ShowStart) {
		return s, &FieldError{Field: "show_end", Msg: fmt.Sprintf("show end %s is not after show start %s", fmtTime(s.ShowEnd), fmtTime(s.ShowStart))}
	}
	if s.AccessFrom.IsZero() {
		s.AccessFrom = s.ShowStart.Add(-DefaultAccessLead)
	}
	if s.AccessUntil.IsZero() {
		s.AccessUntil = s.ShowEnd.Add(DefaultAccessTail)
	}
	if s.MeetGreetFrom.IsZero() && s.MeetGreetUntil.IsZero() {
		s.MeetGreetFrom = s.ShowStart.Add(-DefaultMeetGreetStart)
		s.MeetGreetUntil = s.ShowStart.Add(-DefaultMeetGreetEnd)
	}
	if s.PhotoDuration == 0 {
		s.PhotoDuration = DefaultPhotoDuration
	}
	switch {
	case s.AccessFrom.After(s.ShowStart):
		return s, &FieldError{Field: "access_from", Msg: fmt.Sprintf("access opens (%s) after the show starts (%s)", fmtTime(s.AccessFrom), fmtTime(s.ShowStart))}
	case s.AccessUntil.Before(s.ShowEnd):
		return s, &FieldError{Field: "access_until", Msg: fmt.Sprintf("access closes (%s) before the show ends (%s)", fmtTime(s.AccessUntil), fmtTime(s.ShowEnd))}
	case s.MeetGreetFrom.IsZero() != s.MeetGreetUntil.IsZero():
		return s, &FieldError{Field: "meet_greet_until", Msg: "meet & greet window needs both a start and an end"}
	case !s.MeetGreetUntil.After(s.MeetGreetFrom):
		return s, &FieldError{Field: "meet_greet_until", Msg: "meet & greet window ends before it starts"}
	case s.MeetGreetFrom.Before(s.AccessFrom) || s.MeetGreetUntil.After(s.AccessUntil):
		return s, &FieldError{Field: "meet_greet_from", Msg: "meet & greet window lies outside the access window"}
	case s.PhotoDuration < 0 || s.PhotoDuration > s.ShowEnd.Sub(s.ShowStart):
		return s, &FieldError{Field: "photo_window", Msg: fmt.Sprintf("photo window of %s does not fit in the show", s.PhotoDuration)}
	}
	return s, nil
}

// Cue is a live change of phase sent by the production office or the stage
// manager on the night.
type Cue string

// The live cues.
const (
	CueDoorsOpen    Cue = "doors_open"
	CueShowStarted  Cue = "show_started"
	CuePhotoClosed  Cue = "photo_closed"
	CueShowEnded    Cue = "show_ended"
	CueAccessClosed Cue = "access_closed"
)

// Cues records when each live cue was given; a zero time means not yet.
type Cues struct {
	DoorsOpen    time.Time `json:"doors_open,omitzero"`
	ShowStarted  time.Time `json:"show_started,omitzero"`
	PhotoClosed  time.Time `json:"photo_closed,omitzero"`
	ShowEnded    time.Time `json:"show_ended,omitzero"`
	AccessClosed time.Time `json:"access_closed,omitzero"`
}

// Apply records cue c given at time at.
func (c *Cues) Apply(cue Cue, at time.Time) error {
	switch cue {
	case CueDoorsOpen:
		c.DoorsOpen = at
	case CueShowStarted:
		c.ShowStarted = at
	case CuePhotoClosed:
		c.PhotoClosed = at
	case CueShowEnded:
		c.ShowEnded = at
	case CueAccessClosed:
		c.AccessClosed = at
	default:
		return fmt.Errorf("unknown cue %q (want doors_open, show_started, photo_closed, show_ended or access_closed)", cue)
	}
	return nil
}

// timeline is the schedule as it actually runs: the plan moved by the cues.
type timeline struct {
	accessFrom, showStart, photoEnd, showEnd, accessUntil time.Time
	mgFrom, mgUntil                                       time.Time
}

func (e *Event) timeline() timeline {
	s, c := e.Schedule, e.Cues
	tl := timeline{
		accessFrom: s.AccessFrom, showStart: s.ShowStart, showEnd: s.ShowEnd,
		accessUntil: s.AccessUntil, mgFrom: s.MeetGreetFrom, mgUntil: s.MeetGreetUntil,
	}
	if !c.DoorsOpen.IsZero() && c.DoorsOpen.Before(tl.accessFrom) {
		tl.accessFrom = c.DoorsOpen
	}
	if !c.ShowStarted.IsZero() {
		// A late start moves the end and the close by the same delay.
		delay := c.ShowStarted.Sub(tl.showStart)
		tl.showStart = c.ShowStarted
		tl.showEnd = tl.showEnd.Add(delay)
		tl.accessUntil = tl.accessUntil.Add(delay)
		if tl.mgUntil.After(tl.showStart) {
			tl.mgUntil = tl.showStart
		}
	}
	tl.photoEnd = tl.showStart.Add(s.PhotoDuration)
	if !c.PhotoClosed.IsZero() && c.PhotoClosed.Before(tl.photoEnd) {
		tl.photoEnd = c.PhotoClosed
	}
	if !c.ShowEnded.IsZero() {
		tl.showEnd = c.ShowEnded
		if tl.photoEnd.After(tl.showEnd) {
			tl.photoEnd = tl.showEnd
		}
	}
	if !c.AccessClosed.IsZero() {
		tl.accessUntil = c.AccessClosed
	}
	if tl.accessUntil.Before(tl.showEnd) {
		tl.showEnd = tl.accessUntil
	}
	return tl
}

func (tl timeline) phase(t time.Time) Phase {
	switch {
	case t.Before(tl.accessFrom) || !t.Before(tl.accessUntil):
		return Closed
	case t.Before(tl.showStart):
		return Before
	case t.Before(tl.showEnd):
		return During
	default:
		return After
	}
}

// span returns the interval [from, until) of window w.
func (tl timeline) span(w Window) (from, until time.Time) {
	switch w {
	case WinBefore:
		return tl.accessFrom, tl.showStart
	case WinDuring:
		return tl.showStart, tl.showEnd
	case WinAfter:
		return tl.showEnd, tl.accessUntil
	case WinMeetGreet:
		return tl.mgFrom, tl.mgUntil
	case WinPhoto:
		return tl.showStart, tl.photoEnd
	default: // Any
		return tl.accessFrom, tl.accessUntil
	}
}

func within(t, from, until time.Time) bool { return !t.Before(from) && t.Before(until) }

// fmtTime is a time in a message: the one display format (FormatTime), on
// the clock the time was given in (the event's).
func fmtTime(t time.Time) string { return FormatTime(t, t.Location()) }
