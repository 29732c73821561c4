package pass

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEventTextChange(t *testing.T) {
	cet := time.FixedZone("", 3600)
	start := time.Date(2027, 3, 5, 20, 0, 0, 0, cet)
	old := &Event{ID: "ber", Name: "Berlin", Schedule: Schedule{ShowStart: start, ShowEnd: start.Add(3 * time.Hour)}}
	if err := old.Validate(); err != nil {
		t.Fatal(err)
	}
	s := func(v string) *string { return &v }
	tests := []struct {
		name      string
		text      EventText
		wantField string
		wantMsg   string
		check     func(t *testing.T, e *Event, changed []string)
	}{
		{name: "local times in the event's zone", text: EventText{ShowStart: s("2027-03-06 20:00"), ShowEnd: s("2027-03-06 23:30")},
			check: func(t *testing.T, e *Event, changed []string) {
				if !e.Schedule.ShowStart.Equal(start.Add(24*time.Hour)) || !e.Schedule.AccessFrom.Equal(old.Schedule.AccessFrom.Add(24*time.Hour)) {
					t.Errorf("schedule %+v: want the show and its other times a day later", e.Schedule)
				}
			}},
		{name: "local times in a new zone", text: EventText{TimeZone: s("UTC+02:00"), ShowStart: s("2027-03-05 21:00")},
			check: func(t *testing.T, e *Event, changed []string) {
				if !e.Schedule.ShowStart.Equal(start) || TimeZoneOf(e) != "+02:00" || e.Schedule.ShowEnd.Format("15:04") != "00:00" {
					t.Errorf("start %s, zone %s, end %s", e.Schedule.ShowStart, TimeZoneOf(e), e.Schedule.ShowEnd)
				}
				if !slices.Contains(changed, "time_zone") || slices.Contains(changed, "show_start") {
					t.Errorf("changed %v: want time_zone, not show_start (same instant)", changed)
				}
			}},
		{name: "bad zone", text: EventText{TimeZone: s("Mars/Olympus")}, wantField: "time_zone", wantMsg: `bad time zone "Mars/Olympus": want an offset from UTC such as +01:00, -05:00 or UTC`},
		{name: "zone too far", text: EventText{TimeZone: s("+15:00")}, wantField: "time_zone"},
		{name: "bad time", text: EventText{ShowEnd: s("tomorrow")}, wantField: "show_end", wantMsg: `bad time "tomorrow": want ` + TimeRule},
		{name: "empty start", text: EventText{ShowStart: s(" ")}, wantField: "show_start"},
		{name: "end before start", text: EventText{ShowEnd: s("2027-03-05 19:00")}, wantField: "show_end"},
		{name: "access after start", text: EventText{AccessFrom: s("2027-03-05 21:00")}, wantField: "access_from"},
		{name: "bad photo window", text: EventText{PhotoWindow: s("three songs")}, wantField: "photo_window"},
		{name: "photo window too long", text: EventText{PhotoWindow: s("4h")}, wantField: "photo_window"},
		{name: "empty name", text: EventText{Name: s("")}, wantField: "name", wantMsg: "event name is empty"},
		{name: "blank access: the default", text: EventText{AccessFrom: s("")},
			check: func(t *testing.T, e *Event, _ []string) {
				if !e.Schedule.AccessFrom.Equal(start.Add(-DefaultAccessLead)) {
					t.Errorf("access from %s", e.Schedule.AccessFrom)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.text.Change(old.Location())
			var e *Event
			var changed []string
			if err == nil {
				e, changed, err = c.Apply(old)
			}
			if tt.wantField != "" {
				if ErrorField(err) != tt.wantField || tt.wantMsg != "" && err.Error() != tt.wantMsg {
					t.Fatalf("error %v (field %q), want field %s %q", err, ErrorField(err), tt.wantField, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, e, changed)
		})
	}
	if old.Name != "Berlin" || !old.Schedule.ShowStart.Equal(start) {
		t.Errorf("Apply changed the old event: %+v", old)
	}
}

// The table of a policy gives back a policy that decides the same; errors
// made in the table are a policy file's, naming the field.
func TestPolicyTable(t *testing.T) {
	def := DefaultPolicy()
	tb := TableOf(def)
	if got := tb.Cells["dressing-rooms"]["WORKING"]; got != "" {
		t.Errorf("WORKING in dressing-rooms = %q, want none (except)", got)
	}
	if got := tb.Cells["stage"]["LOCAL_CREW"]; got != "before+after" {
		t.Errorf("LOCAL_CREW on stage = %q", got)
	}
	p, err := tb.Policy(def)
	if err != nil {
		t.Fatal(err)
	}
	if again := TableOf(p); !reflect.DeepEqual(again.Cells, tb.Cells) || !slices.Equal(again.Zones, tb.Zones) {
		t.Errorf("round trip changed the table")
	}
	tests := []struct {
		name   string
		edit   func(*PolicyTable)
		field  string
		prefix string
	}{
		{"bad capacity", func(t *PolicyTable) { t.Capacity = map[Zone]ZoneCapacity{"stage": {Max: 0, WhenFull: FullDeny}} }, "capacity.stage.max", "bad policy: capacity.stage.max: 0, want 1 to"},
		{"bad zone name", func(t *PolicyTable) { t.Zones = append(t.Zones, "Roof Top") }, "zones[12]", `bad policy: zones[12]: bad zone name "Roof Top"`},
		{"zone twice", func(t *PolicyTable) { t.Zones = append(t.Zones, "stage") }, "zones[12]", `bad policy: zones[12]: zone "stage" listed twice`},
		{"no rule", func(t *PolicyTable) { t.Cells = nil }, "rules", "bad policy: rules: no pass type has any rule"},
		{"bad window", func(t *PolicyTable) { t.Cells["stage"]["AAA"] = "lunch" }, "rules.AAA[0].when[0]", `bad policy: rules.AAA[0].when[0]: unknown window "lunch"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := TableOf(DefaultPolicy())
			tt.edit(&tb)
			_, err := tb.Policy(def)
			if ErrorField(err) != tt.field || !strings.HasPrefix(err.Error(), tt.prefix) {
				t.Errorf("error %v (field %q), want %s %q…", err, ErrorField(err), tt.field, tt.prefix)
			}
		})
	}
}
