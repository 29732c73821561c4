package pass

import (
	"strings"
	"testing"
	"time"
)

// TestDescribe checks "event show"'s text: the schedule in the event's
// own zone, gates, the policy's kind and grants, and the branding.
func TestDescribe(t *testing.T) {
	loc := time.FixedZone("", 3600)
	e := &Event{ID: "tour27-ber01", Name: "Tour — Berlin", Venue: "Velodrom", Schedule: Schedule{
		ShowStart: time.Date(2027, 3, 5, 20, 0, 0, 0, loc), ShowEnd: time.Date(2027, 3, 5, 23, 0, 0, 0, loc)}}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	e.Describe(&b, nil)
	got := b.String()
	for _, want := range []string{
		"event         tour27-ber01\nname          Tour — Berlin\nvenue         Velodrom\ntime zone     UTC+01:00\n",
		"show          Fri 2027-03-05 20:00 +01:00 -> Fri 2027-03-05 23:00 +01:00\n",
		"gates         any (none declared)\nclear grace   2m0s\npolicy        default; zones: ",
		"  AAA         ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "logo") || strings.Contains(got, "tour ") {
		t.Errorf("no branding, yet:\n%s", got)
	}

	// Gates alone keep the default policy; other rules make it custom.
	e.Policy = DefaultPolicy()
	if err := e.Policy.SetGates([]string{"north", "south"}); err != nil {
		t.Fatal(err)
	}
	e.Branding = &Branding{Tour: "World Tour", Logo: []byte("x")}
	b.Reset()
	e.Describe(&b, func(stored []byte) string { return "svg 3x1" })
	got = b.String()
	for _, want := range []string{"gates         north, south\nclear grace   2m0s\npolicy        default;", "tour          World Tour\n", "logo          svg 3x1, 1 bytes\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	delete(e.Policy.Rules, VIP)
	e.Branding = nil
	b.Reset()
	e.Describe(&b, nil)
	if !strings.Contains(b.String(), "policy        custom;") {
		t.Errorf("a policy with other rules is custom:\n%s", b.String())
	}
}

// TestBrandingChangeMerge: a change replaces only what it sets.
func TestBrandingChangeMerge(t *testing.T) {
	tour, empty := "New Tour", ""
	old := &Branding{Tour: "Old", Short: "BER", Logo: []byte("logo")}
	b := BrandingChange{Tour: &tour, Short: &empty}.Merge(old)
	if b.Tour != "New Tour" || b.Short != "" || string(b.Logo) != "logo" || old.Tour != "Old" {
		t.Errorf("Merge = %+v (old %+v)", b, old)
	}
	if b := (BrandingChange{NoLogo: true}).Merge(old); b.Logo != nil || b.Tour != "Old" {
		t.Errorf("NoLogo: %+v", b)
	}
	if b := (BrandingChange{Logo: []byte("new")}).Merge(nil); string(b.Logo) != "new" {
		t.Errorf("Logo on no branding: %+v", b)
	}
}
