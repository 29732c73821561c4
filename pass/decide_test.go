package pass

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var london = time.FixedZone("BST", 3600)

func at(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-06-12 "+hhmm, london)
	if err != nil {
		panic(err)
	}
	if t.Hour() < 6 { // small hours belong to the next day
		t = t.Add(24 * time.Hour)
	}
	return t
}

func testEvent(t *testing.T) *Event {
	t.Helper()
	e := &Event{ID: "tour26-ldn01", Name: "Test Tour — London", Schedule: Schedule{
		AccessFrom: at("10:00"), MeetGreetFrom: at("18:00"), MeetGreetUntil: at("19:30"),
		Doors: at("19:00"), ShowStart: at("20:00"), ShowEnd: at("22:30"), AccessUntil: at("02:00"),
	}}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	return e
}

// moments of the test event, each in exactly one phase or sub-window.
var moments = map[string]time.Time{
	"closed-early": at("08:00"),
	"before":       at("12:00"),
	"meet-greet":   at("18:30"),
	"photo":        at("20:05"),
	"during":       at("21:00"),
	"after":        at("23:00"),
	"closed-late":  at("03:00"),
}

var open = []string{"before", "meet-greet", "photo", "during", "after"}

// expected is the policy table of docs/design.md ("Default policy"),
// written out independently of default_policy.json: for each pass
// (type/role) and zone, the moments in which the door opens.
func expected(t Type, role string, z Zone) []string {
	all := func(zs ...Zone) bool { return len(zs) == 0 || slices.Contains(zs, z) }
	switch {
	case t == AAA:
		return open
	case t == VIP && all("green-room", "hospitality", "foh"):
		return open
	case t == AfterShow && all("green-room", "hospitality"):
		return []string{"after"}
	case t == Working && z != "dressing-rooms":
		return open
	case t == LocalCrew && all("stage", "backstage", "loading-dock"):
		return []string{"before", "meet-greet", "after"}
	case t == Photo && z == "photo-pit":
		return []string{"photo"}
	case t == Photo && z == "press":
		return open
	case t == MeetGreet && z == "meet-greet":
		return []string{"meet-greet"}
	case t == Staff && role == "catering" && all("catering", "backstage"):
		return open
	case t == Staff && role == "security":
		return open
	case t == Staff && role == "publicist" && all("press", "green-room", "hospitality", "foh"):
		return open
	case t == Staff && role == "merchandising" && all("merch", "loading-dock"):
		return open
	}
	return nil
}

func TestDecideDefaultPolicyTable(t *testing.T) {
	e := testEvent(t)
	type holder struct {
		t    Type
		role string
	}
	var holders []holder
	for _, ty := range Types {
		if ty != Staff {
			holders = append(holders, holder{ty, ""})
		}
	}
	for _, r := range []string{"catering", "security", "publicist", "merchandising"} {
		holders = append(holders, holder{Staff, r})
	}
	n := 0
	for _, h := range holders {
		p := &Pass{Event: e.ID, Type: h.t, Role: h.role, Name: "Zoë"}
		for _, z := range DefaultZones {
			want := expected(h.t, h.role, z)
			for name, when := range moments {
				d := e.Decide(p, z, when)
				allowed := slices.Contains(want, name)
				var code Code
				switch {
				case allowed:
					code = CodeOK
				case len(want) == 0:
					code = CodeZoneNotAllowed
				case strings.HasPrefix(name, "closed"):
					code = CodeOutsideAccess
				default:
					code = CodeNotNow
				}
				if d.Allowed != allowed || d.Code != code || d.Reason == "" {
					t.Errorf("Decide(%s/%s, %s, %s) = %+v, want allowed=%v code=%s", h.t, h.role, z, name, d, allowed, code)
				}
				if (d.NextStep == "") != allowed { // issue 11: every denial says what to do next
					t.Errorf("Decide(%s/%s, %s, %s) next step %q, want one exactly when denied", h.t, h.role, z, name, d.NextStep)
				}
				n++
			}
		}
	}
	if n != 11*12*7 { // 7 types + 4 STAFF roles, 12 zones, 7 moments
		t.Fatalf("checked %d cases, want %d", n, 11*12*7)
	}
}

func TestDecideSpecialCases(t *testing.T) {
	e := testEvent(t)
	tests := []struct {
		name   string
		pass   Pass
		zone   Zone
		at     time.Time
		cues   func(*Cues)
		code   Code
		reason string
		next   string // the next step, when the case checks it
	}{
		{name: "deny/after-show-during", pass: Pass{Type: AfterShow}, zone: "green-room", at: at("21:00"),
			code: CodeNotNow, reason: "After Show pass: valid from 22:30, show still on", next: "Not before 22:30: ask them to come back then"},
		{name: "deny/after-show-before", pass: Pass{Type: AfterShow}, zone: "hospitality", at: at("12:00"),
			code: CodeNotNow, reason: "After Show pass: valid from 22:30, show not started"},
		{name: "deny/local-crew-during", pass: Pass{Type: LocalCrew}, zone: "stage", at: at("21:00"),
			code: CodeNotNow, reason: "Local Crew pass: valid from 22:30, show still on"},
		{name: "deny/photo-pit-after-three-songs", pass: Pass{Type: Photo}, zone: "photo-pit", at: at("20:15"),
			code: CodeNotNow, reason: "Photo pass: photo-pit closed at 20:15 (first songs only)", next: "Turn away: this pass gives no more access to photo-pit"},
		{name: "deny/photo-pit-before-show", pass: Pass{Type: Photo}, zone: "photo-pit", at: at("19:00"),
			code: CodeNotNow, reason: "Photo pass: valid from 20:00, show not started"},
		{name: "allow/photo-pit-late-start", pass: Pass{Type: Photo}, zone: "photo-pit", at: at("20:35"),
			cues: func(c *Cues) { c.ShowStarted = at("20:25") }, code: CodeOK},
		{name: "deny/photo-closed-by-cue", pass: Pass{Type: Photo}, zone: "photo-pit", at: at("20:10"),
			cues: func(c *Cues) { c.PhotoClosed = at("20:09") }, code: CodeNotNow},
		{name: "deny/after-show-late-start", pass: Pass{Type: AfterShow}, zone: "green-room", at: at("22:40"),
			cues: func(c *Cues) { c.ShowStarted = at("20:30") }, code: CodeNotNow, reason: "After Show pass: valid from 23:00, show still on"},
		{name: "allow/after-show-early-end", pass: Pass{Type: AfterShow}, zone: "green-room", at: at("22:00"),
			cues: func(c *Cues) { c.ShowEnded = at("21:55") }, code: CodeOK},
		{name: "deny/access-closed-by-cue", pass: Pass{Type: AAA}, zone: "stage", at: at("01:00"),
			cues: func(c *Cues) { c.AccessClosed = at("00:30") }, code: CodeOutsideAccess, next: "Turn away: access is over for this event"},
		{name: "deny/meet-greet-over", pass: Pass{Type: MeetGreet}, zone: "meet-greet", at: at("21:00"),
			code: CodeNotNow, reason: "Meet & Greet pass: meet-greet closed at 19:30, show still on", next: "Turn away: this pass gives no more access to meet-greet"},
		{name: "deny/too-early-day-before", pass: Pass{Type: AAA}, zone: "stage", at: at("08:00").Add(-24 * time.Hour),
			code: CodeOutsideAccess, next: "Not before Fri 12 Jun 10:00: ask them to come back then"},
		{name: "deny/too-early", pass: Pass{Type: AAA}, zone: "stage", at: at("08:00"),
			code: CodeOutsideAccess, reason: "AAA pass: access opens at 10:00", next: "Not before 10:00: ask them to come back then"},
		{name: "deny/unknown-zone", pass: Pass{Type: AAA}, zone: "roof", at: at("12:00"), code: CodeUnknownZone,
			next: "Check the zone set on this scanner, then scan again"},
		{name: "deny/staff-unknown-role", pass: Pass{Type: Staff, Role: "juggler"}, zone: "stage", at: at("12:00"),
			code: CodeNoRule, reason: `Staff pass (juggler): this event gives the role "juggler" no access`, next: "Send to the accreditation desk"},
		{name: "deny/vip-stage", pass: Pass{Type: VIP}, zone: "stage", at: at("21:00"),
			code: CodeZoneNotAllowed, reason: "VIP pass: no access to stage", next: "Turn away; send to the accreditation desk if they need stage"},
		{name: "deny/wrong-event", pass: Pass{Type: AAA, Event: "other"}, zone: "stage", at: at("21:00"), code: CodeWrongEvent,
			next: "Send to the accreditation desk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := *e
			if tt.cues != nil {
				tt.cues(&ev.Cues)
			}
			p := tt.pass
			if p.Event == "" {
				p.Event = e.ID
			}
			d := ev.Decide(&p, tt.zone, tt.at)
			if d.Code != tt.code || (tt.reason != "" && d.Reason != tt.reason) || d.Allowed != (tt.code == CodeOK) {
				t.Fatalf("Decide() = %+v, want code %s reason %q", d, tt.code, tt.reason)
			}
			if tt.next != "" && d.NextStep != tt.next {
				t.Fatalf("Decide() next step %q, want %q", d.NextStep, tt.next)
			}
		})
	}
}

func TestPhaseAt(t *testing.T) {
	e := testEvent(t)
	want := map[string]Phase{"closed-early": Closed, "before": Before, "meet-greet": Before,
		"photo": During, "during": During, "after": After, "closed-late": Closed}
	for name, when := range moments {
		if got := e.PhaseAt(when); got != want[name] {
			t.Errorf("PhaseAt(%s) = %s, want %s", name, got, want[name])
		}
	}
}

func TestCuesApply(t *testing.T) {
	var c Cues
	for _, cue := range []Cue{CueDoorsOpen, CueShowStarted, CuePhotoClosed, CueShowEnded, CueAccessClosed} {
		if err := c.Apply(cue, at("20:00")); err != nil {
			t.Fatalf("Apply(%s) = %v", cue, err)
		}
	}
	if err := c.Apply("encore", at("20:00")); err == nil {
		t.Fatal("Apply(encore) succeeded, want error")
	}
}
