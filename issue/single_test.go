package issue_test

import (
	"testing"
	"time"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
)

func TestSingle(t *testing.T) {
	var from, until pass.TimeFlag
	if err := from.Set("2027-03-05 18:00"); err != nil {
		t.Fatal(err)
	}
	r, err := issue.Single(event, "vip", "", "Ann", "Band", &from, &until)
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != pass.VIP || r.Name != "Ann" || r.Org != "Band" || r.Role != "" || !r.ValidUntil.IsZero() {
		t.Errorf("Single = %+v", r)
	}
	if want := time.Date(2027, 3, 5, 18, 0, 0, 0, event.Location()); !r.ValidFrom.Equal(want) {
		t.Errorf("ValidFrom = %v, want %v (the event's zone)", r.ValidFrom, want)
	}
	if r, err = issue.Single(event, "STAFF", "Catering", "Bo", "", &pass.TimeFlag{}, &pass.TimeFlag{}); err != nil || r.Role != "catering" {
		t.Errorf("STAFF role = %q, %v", r.Role, err)
	}
	if _, err := issue.Single(event, "BOSS", "", "Ann", "", &pass.TimeFlag{}, &pass.TimeFlag{}); err == nil {
		t.Error("type BOSS accepted")
	}
	if _, err := issue.Single(event, "STAFF", "fire eater!", "Ann", "", &pass.TimeFlag{}, &pass.TimeFlag{}); err == nil {
		t.Error(`role "fire eater!" accepted`)
	}
}
