// Package testevents is the decision table the offline door is checked
// against, in one place: the events, holders, zones and moments that
// verifier's vectors (testdata/offline/vectors.json, run through offline.js
// by Node) and server's Chromium test (TestOfflineDecisionMatchesGo) both
// put to pass.Event.Decide and to the page. Only tests import it.
package testevents

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
)

// bst is the London show's zone; its moments are written in it.
var bst = time.FixedZone("BST", 3600)

// Events are pass/decide_test.go's London show under every live cue, a
// festival with its own policy (testdata/policies/festival.json) in
// another time zone, and a UTC show; each validates.
func Events(t testing.TB) []*pass.Event {
	t.Helper()
	at := func(day int, hhmm string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", "2026-06-12 "+hhmm, bst)
		if err != nil {
			t.Fatal(err)
		}
		return tm.AddDate(0, 0, day)
	}
	london := func(cues func(*pass.Cues)) *pass.Event {
		e := &pass.Event{ID: "tour26-ldn01", Name: "Test Tour — London", Schedule: pass.Schedule{
			AccessFrom: at(0, "10:00"), MeetGreetFrom: at(0, "18:00"), MeetGreetUntil: at(0, "19:30"),
			Doors: at(0, "19:00"), ShowStart: at(0, "20:00"), ShowEnd: at(0, "22:30"), AccessUntil: at(1, "02:00")}}
		if cues != nil {
			cues(&e.Cues)
		}
		return e
	}
	_, here, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(here), "..", "..", "testdata", "policies", "festival.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	festivalPolicy, err := pass.ParsePolicy(f)
	if err != nil {
		t.Fatal(err)
	}
	edt := time.FixedZone("EDT", -4*3600)
	festival := func(cues func(*pass.Cues)) *pass.Event {
		e := &pass.Event{ID: "fest26", Name: "Festival", Policy: festivalPolicy, Schedule: pass.Schedule{
			ShowStart: time.Date(2026, 6, 12, 16, 0, 0, 0, edt), ShowEnd: time.Date(2026, 6, 12, 23, 0, 0, 0, edt), PhotoDuration: 10 * time.Minute}}
		if cues != nil {
			cues(&e.Cues)
		}
		return e
	}
	evs := []*pass.Event{
		london(nil),
		london(func(c *pass.Cues) { c.ShowStarted = at(0, "20:25") }),
		london(func(c *pass.Cues) { c.PhotoClosed = at(0, "20:09") }),
		london(func(c *pass.Cues) { c.ShowEnded = at(0, "21:55") }),
		london(func(c *pass.Cues) { c.AccessClosed = at(1, "00:30") }),
		london(func(c *pass.Cues) { c.DoorsOpen = at(0, "09:00") }),
		london(func(c *pass.Cues) {
			c.DoorsOpen, c.ShowStarted, c.PhotoClosed, c.ShowEnded = at(0, "18:45"), at(0, "20:40"), at(0, "20:50"), at(0, "22:55")
		}),
		festival(nil),
		festival(func(c *pass.Cues) { c.ShowStarted = time.Date(2026, 6, 12, 16, 20, 0, 0, edt) }),
		{ID: "utc-show", Name: "UTC show", Schedule: pass.Schedule{ShowStart: at(0, "19:00").UTC(), ShowEnd: at(0, "21:00").UTC()}},
		// Last, so that the answers of the others keep their indices in the
		// vectors file (it came from the browser test's list).
		london(func(c *pass.Cues) { c.ShowStarted = at(0, "20:30") }),
	}
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	return evs
}

// Holder is a pass holder of the table: a type, a STAFF role, and an event
// when it is another than the one asked about.
type Holder struct {
	Event string    `json:"event,omitempty"` // another event than the event's
	Type  pass.Type `json:"type"`
	Role  string    `json:"role,omitempty"`
}

// Pass is the holder's pass for the event ev.
func (h Holder) Pass(ev *pass.Event) *pass.Pass {
	p := &pass.Pass{Event: h.Event, Type: h.Type, Role: h.Role, Name: "Zoë"}
	if p.Event == "" {
		p.Event = ev.ID
	}
	return p
}

// Holders are every pass type but STAFF, STAFF with a set of roles (one
// that no policy names), and an AAA pass of another event.
func Holders() []Holder {
	var hs []Holder
	for _, ty := range pass.Types {
		if ty != pass.Staff {
			hs = append(hs, Holder{Type: ty})
		}
	}
	for _, r := range []string{"catering", "security", "publicist", "merchandising", "runner", "juggler"} {
		hs = append(hs, Holder{Type: pass.Staff, Role: r})
	}
	return append(hs, Holder{Event: "other", Type: pass.AAA})
}

// Zones are the default zones and three that only some policies name.
func Zones() []pass.Zone {
	return append(slices.Clone(pass.DefaultZones), "artist-village", "press-tent", "roof")
}

// Moments are moments in every phase and window of the events, on the
// edges and across midnight, and a millisecond before the photo window
// shuts. With few, only the fifteen the vectors file keeps (it stays
// small); the browser test takes all.
func Moments(t testing.TB, few bool) []time.Time {
	t.Helper()
	all := []string{"06-11 23:00", "06-12 08:00", "06-12 09:30", "06-12 10:00", "06-12 12:00", "06-12 18:00", "06-12 18:30",
		"06-12 19:30", "06-12 20:00", "06-12 20:05", "06-12 20:09", "06-12 20:15", "06-12 20:30", "06-12 20:35", "06-12 21:00",
		"06-12 21:55", "06-12 22:00", "06-12 22:30", "06-12 22:40", "06-12 23:00", "06-13 00:30", "06-13 01:00", "06-13 02:00",
		"06-13 03:00", "06-13 04:30", "06-13 09:00"}
	fewer := []string{"06-11 23:00", "06-12 09:30", "06-12 10:00", "06-12 18:00", "06-12 19:30", "06-12 20:00",
		"06-12 20:09", "06-12 20:15", "06-12 20:30", "06-12 21:55", "06-12 22:30", "06-12 23:00", "06-13 00:30", "06-13 02:00",
		"06-13 04:30"}
	list := all
	if few {
		list = fewer
	}
	var ms []time.Time
	for _, m := range list {
		tm, err := time.ParseInLocation("2006-01-02 15:04", "2026-"+m, bst)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, tm)
	}
	return append(ms, time.Date(2026, 6, 12, 20, 14, 59, 999e6, bst))
}
