package pass

import (
	"strings"
	"testing"
	"time"
)

func TestParsePolicyCapacity(t *testing.T) {
	const base = `{"zones":["stage","photo-pit"],"rules":{"AAA":[{"zones":["*"],"when":["any"]}]}`
	tests := []struct{ name, extra, want string }{
		{"ok/deny", `,"capacity":{"photo-pit":{"max":30,"when_full":"deny"}}`, ""},
		{"ok/attention-and-grace", `,"capacity":{"stage":{"max":1,"when_full":"attention"}},"clear_grace_seconds":0`, ""},
		{"fail/unknown-zone", `,"capacity":{"roof":{"max":3,"when_full":"deny"}}`, `capacity: unknown zone "roof"`},
		{"fail/zero-max", `,"capacity":{"stage":{"max":0,"when_full":"deny"}}`, "capacity.stage.max: 0, want 1 to 1000000"},
		{"fail/huge-max", `,"capacity":{"stage":{"max":1000001,"when_full":"deny"}}`, "capacity.stage.max"},
		{"fail/no-when-full", `,"capacity":{"stage":{"max":5}}`, `capacity.stage.when_full: "", want "deny"`},
		{"fail/bad-when-full", `,"capacity":{"stage":{"max":5,"when_full":"warn"}}`, `capacity.stage.when_full: "warn"`},
		{"fail/unknown-field", `,"capacity":{"stage":{"max":5,"when_full":"deny","soft":true}}`, `unknown field "soft"`},
		{"fail/grace-negative", `,"clear_grace_seconds":-1`, "clear_grace_seconds: -1, want 0 to 3600"},
		{"fail/grace-long", `,"clear_grace_seconds":3601`, "clear_grace_seconds: 3601"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy(strings.NewReader(base + tt.extra + "}"))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ParsePolicy() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParsePolicy() = %v, %v; want error containing %q", p, err, tt.want)
			}
		})
	}
}

func TestPolicyCapacityAndGrace(t *testing.T) {
	p := DefaultPolicy()
	if _, ok := p.CapacityOf("photo-pit"); ok {
		t.Fatal("default policy caps photo-pit")
	}
	if p.ClearGrace() != DefaultClearGrace {
		t.Errorf("ClearGrace() = %s, want %s", p.ClearGrace(), DefaultClearGrace)
	}
	if err := p.SetCapacity("photo-pit", ZoneCapacity{Max: 20, WhenFull: FullDeny}); err != nil {
		t.Fatal(err)
	}
	if c, ok := p.CapacityOf("photo-pit"); !ok || c.Max != 20 {
		t.Errorf("CapacityOf() = %v, %v", c, ok)
	}
	if err := p.SetCapacity("roof", ZoneCapacity{Max: 2, WhenFull: FullDeny}); err == nil {
		t.Error("SetCapacity(roof) = nil, want an error")
	}
	if err := p.SetCapacity("photo-pit", ZoneCapacity{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.CapacityOf("photo-pit"); ok {
		t.Error("photo-pit still capped after SetCapacity(max 0)")
	}
}

func TestAccessEnded(t *testing.T) {
	e := testEvent(t)
	photo := &Pass{Event: e.ID, Type: Photo}
	crew := &Pass{Event: e.ID, Type: LocalCrew}
	aaa := &Pass{Event: e.ID, Type: AAA}
	photoEnd := at("20:00").Add(DefaultPhotoDuration)
	tests := []struct {
		name  string
		p     *Pass
		zone  Zone
		at    time.Time
		cue   time.Time // photo_closed cue
		ended time.Time // zero: may be there
	}{
		{"in-window/photo-pit", photo, "photo-pit", moments["photo"], time.Time{}, time.Time{}},
		{"schedule/photo-over", photo, "photo-pit", moments["during"], time.Time{}, photoEnd},
		{"cue/song-3-ended", photo, "photo-pit", at("20:07"), at("20:06"), at("20:06")},
		{"before-window/photo-pit", photo, "photo-pit", moments["before"], time.Time{}, time.Time{}},
		{"press/any-time", photo, "press", moments["during"], time.Time{}, time.Time{}},
		{"never/stage", photo, "stage", moments["during"], time.Time{}, time.Time{}},
		{"changeover/crew-stage", crew, "stage", moments["during"], time.Time{}, at("20:00")},
		{"after/crew-back", crew, "stage", moments["after"], time.Time{}, time.Time{}},
		{"closed/aaa", aaa, "stage", moments["closed-late"], time.Time{}, at("02:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := *e
			if !tt.cue.IsZero() {
				if err := ev.Cues.Apply(CuePhotoClosed, tt.cue); err != nil {
					t.Fatal(err)
				}
			}
			got, ok := ev.AccessEnded(tt.p, tt.zone, tt.at)
			if ok != !tt.ended.IsZero() || !got.Equal(tt.ended) {
				t.Errorf("AccessEnded() = %s, %v; want %s", got, ok, tt.ended)
			}
		})
	}
}
