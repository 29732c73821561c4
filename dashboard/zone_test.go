package dashboard

import (
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
)

// TestTimesInEventZone: every time a dashboard sends carries the event's
// offset, so the page (which shows the clock as written) shows the
// venue's time, whatever the zone of the device watching.
func TestTimesInEventZone(t *testing.T) {
	kathmandu := time.FixedZone("", 5*3600+45*60)
	ev := &pass.Event{ID: "ev", Schedule: pass.Schedule{ShowStart: time.Date(2027, 3, 5, 20, 0, 0, 0, kathmandu)}}
	at := time.Date(2027, 3, 5, 15, 4, 5, 0, time.UTC) // 20:49:05 in Kathmandu
	as := alertViews([]record.Alert{{ID: 1, Kind: "double_entry", At: at}}, ev)
	if got := as[0].At.Format(time.RFC3339); got != "2027-03-05T20:49:05+05:45" {
		t.Errorf("alert at %s, want the event's clock 2027-03-05T20:49:05+05:45", got)
	}
	if !as[0].At.Equal(at) {
		t.Errorf("alert instant changed: %s != %s", as[0].At, at)
	}
	if !inZone(time.Time{}, ev).IsZero() {
		t.Error("a zero time must stay zero (omitzero: never seen)")
	}
}
