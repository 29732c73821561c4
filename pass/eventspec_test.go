package pass

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func spec(t *testing.T, end string) *EventSpec {
	t.Helper()
	loc := time.FixedZone("CET", 3600)
	s := &EventSpec{ID: "ldn01", Name: "London", Venue: "O2", Start: time.Date(2027, 3, 5, 20, 0, 0, 0, loc), PhotoDuration: DefaultPhotoDuration}
	if err := s.End.Set(end); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEventSpecLocalTimes: a time without offset is in the show start's
// zone, and the schedule's defaults fill what is not given.
func TestEventSpecLocalTimes(t *testing.T) {
	e, err := spec(t, "2027-03-05 23:00").Event()
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2027, 3, 5, 22, 0, 0, 0, time.UTC); !e.Schedule.ShowEnd.Equal(want) {
		t.Errorf("show end %v, want %v", e.Schedule.ShowEnd, want)
	}
	if e.Policy != nil {
		t.Errorf("policy %v, want the default (nil)", e.Policy)
	}
}

// TestEventSpecGates: --gates sets the default policy's gates, trimmed; a
// policy file with gates of its own refuses it; a YAML policy is
// ErrPolicyYAML; a bad schedule names the event.
func TestEventSpecGates(t *testing.T) {
	s := spec(t, "2027-03-05T23:00:00+01:00")
	s.Gates = "north, south"
	e, err := s.Event()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(e.Policy.Gates, ",") != "north,south" {
		t.Errorf("gates %q", e.Policy.Gates)
	}
	dir := t.TempDir()
	yaml := filepath.Join(dir, "p.yaml")
	os.WriteFile(yaml, []byte("zones:\n  - backstage\n"), 0o600)
	s.PolicyFile = yaml
	if _, err := s.Event(); !errors.Is(err, ErrPolicyYAML) {
		t.Errorf("YAML policy: %v, want ErrPolicyYAML", err)
	}
	s = spec(t, "2027-03-05T19:00:00+01:00") // ends before it starts
	if _, err := s.Event(); err == nil || !strings.HasPrefix(err.Error(), "event ldn01: ") {
		t.Errorf("bad schedule: %v", err)
	}
}
