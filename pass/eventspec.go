package pass

import (
	"fmt"
	"strings"
	"time"
)

// EventSpec is an event as "laminate event create" takes it: the times as
// typed (a local time is in the zone of Start), a policy file and a list of
// gates.
type EventSpec struct {
	ID, Name, Venue string
	Start           time.Time // the show start; its zone is the event's
	// End is the show end; the other times default from the schedule.
	End, AccessFrom, AccessUntil, MeetGreetFrom, MeetGreetUntil TimeFlag
	PhotoDuration                                               time.Duration
	PolicyFile                                                  string // "": the default policy
	Gates                                                       string // comma-separated; "": any gate
}

// Event builds and validates the event. A YAML policy file is
// ErrPolicyYAML.
func (s *EventSpec) Event() (*Event, error) {
	var ts [5]time.Time
	for i, f := range []*TimeFlag{&s.AccessFrom, &s.End, &s.AccessUntil, &s.MeetGreetFrom, &s.MeetGreetUntil} {
		var err error
		if ts[i], err = f.In(s.Start.Location()); err != nil {
			return nil, err
		}
	}
	e := &Event{ID: s.ID, Name: s.Name, Venue: s.Venue, Schedule: Schedule{
		AccessFrom: ts[0], ShowStart: s.Start, ShowEnd: ts[1], AccessUntil: ts[2],
		MeetGreetFrom: ts[3], MeetGreetUntil: ts[4], PhotoDuration: s.PhotoDuration,
	}}
	if s.PolicyFile != "" {
		p, err := ReadPolicyFile(s.PolicyFile)
		if err != nil {
			return nil, err
		}
		e.Policy = p
	}
	if s.Gates != "" {
		if e.Policy == nil {
			e.Policy = DefaultPolicy()
		} else if len(e.Policy.Gates) > 0 {
			return nil, fmt.Errorf("%s declares gates already: leave out --gates, or the policy's \"gates\"", s.PolicyFile)
		}
		var gates []string
		for v := range strings.SplitSeq(s.Gates, ",") {
			gates = append(gates, strings.TrimSpace(v))
		}
		if err := e.Policy.SetGates(gates); err != nil {
			return nil, fmt.Errorf("--gates: %w", err)
		}
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("event %s: %w", s.ID, err)
	}
	return e, nil
}
