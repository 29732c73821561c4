package verifier

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
)

// DefaultCloneWindow is how close in time two admitted scans of one pass
// at two gates must be to be one pass held by two people, unless the
// service says otherwise ("laminate serve --clone-window").
const DefaultCloneWindow = 10 * time.Second

// maxDoorDuration caps the durations of [DoorRules]: as long as the
// longest bundle (8784 h, a leap year).
const maxDoorDuration = 8784 * time.Hour

// DoorRules are the parameters of the rules an offline door applies, as
// this program applies them: the clock leeway of [Verifier.Verify] and
// [ParseBundle], the clone window of [DecideScan], the pass types with their
// token codes and labels, the phase texts of [pass.Event.Decide] and every
// next step a door shows. A bundle carries them, so a door page
// (server/static/offline.js) hard-codes none of them and follows the
// service's configuration (a changed --clone-window) and its texts with
// the next bundle.
//
// The sentences built around them (reasons and messages) are code on both
// sides: testdata/offline/vectors.json holds this program's answers and a
// Node test (server/offline_test.mjs) checks the page against it.
type DoorRules struct {
	LeewayMS      int64                 `json:"leeway_ms"`       // clock skew on a pass's nbf and exp, and on a bundle's iat
	CloneWindowMS int64                 `json:"clone_window_ms"` // [DecideScan]'s window
	Types         []DoorType            `json:"types"`           // every pass type
	Phases        map[pass.Phase]string `json:"phases"`          // before, during, after: [pass.Phase.Text]
	NextSteps     map[string]string     `json:"next_steps"`      // by name: [DoorNextSteps]
}

// DoorType is a pass type as a door reads and shows it.
type DoorType struct {
	Type  pass.Type `json:"type"`  // as in policies ("AFTER_SHOW")
	Code  string    `json:"code"`  // as in tokens ("AFT")
	Label string    `json:"label"` // as shown ("After Show")
}

// DoorNextSteps returns the names of the next steps of
// [DoorRules.NextSteps]: a bundle has exactly these.
func DoorNextSteps() []string { return slices.Clone(doorNextSteps) }

// doorNextSteps names the next steps, each with where this program says
// it. Those marked "format" hold one %s: the zone, or the time as
// [pass.Event.NotBefore] writes it.
var doorNextSteps = []string{
	// Token statuses (Verifier.Verify).
	string(StatusExpired), string(StatusNotYetValid), string(StatusRevoked), string(StatusForged),
	string(StatusUnknownKey), string(StatusMalformed), string(StatusWrongEvent),
	// The policy (pass.Event.Decide).
	"accreditation",    // pass.NextAccreditation: wrong_event and no_rule
	"check_zone",       // pass.NextCheckZone: unknown_zone
	"access_over",      // pass.NextAccessOver: outside_access once access closed
	"zone_not_allowed", // format, zone: pass.NextZoneNotAllowedFormat
	"no_more_access",   // format, zone: pass.NextNoMoreAccessFormat (not_now, no window left)
	"not_before",       // format, time: pass.NextNotBeforeFormat (not_now, outside_access, not_yet_valid)
	// The door (DecideScan).
	string(CodeAlreadyInside), string(CodePossibleClone),
	"check_holder", // an "attention": look, then let in or turn away
}

var doorFormats = map[string]bool{"zone_not_allowed": true, "no_more_access": true, "not_before": true}

// NewDoorRules returns the door rules of this program with the clone
// window of the service that signs the bundle (to the millisecond, rounded
// down; 1ms to 8784h).
func NewDoorRules(cloneWindow time.Duration) (*DoorRules, error) {
	if cloneWindow < time.Millisecond || cloneWindow > maxDoorDuration {
		return nil, fmt.Errorf("verifier: clone window %s: want 1ms to %s", cloneWindow, maxDoorDuration)
	}
	r := defaultDoorRules()
	r.CloneWindowMS = cloneWindow.Milliseconds()
	return r, nil
}

func defaultDoorRules() *DoorRules {
	r := &DoorRules{
		LeewayMS: DefaultLeeway.Milliseconds(), CloneWindowMS: DefaultCloneWindow.Milliseconds(),
		Phases:    map[pass.Phase]string{},
		NextSteps: map[string]string{},
	}
	for _, t := range pass.Types {
		r.Types = append(r.Types, DoorType{Type: t, Code: t.Code(), Label: t.Label()})
	}
	for _, ph := range []pass.Phase{pass.Before, pass.During, pass.After} {
		r.Phases[ph] = ph.Text()
	}
	for st, next := range nextSteps {
		if st != StatusSuperseded { // version 2 only: Bundle.SetDoor
			r.NextSteps[string(st)] = next
		}
	}
	r.NextSteps["accreditation"] = pass.NextAccreditation
	r.NextSteps["check_zone"] = pass.NextCheckZone
	r.NextSteps["access_over"] = pass.NextAccessOver
	r.NextSteps["zone_not_allowed"] = pass.NextZoneNotAllowedFormat
	r.NextSteps["no_more_access"] = pass.NextNoMoreAccessFormat
	r.NextSteps["not_before"] = pass.NextNotBeforeFormat
	inside, clone, check := scanNextSteps()
	r.NextSteps[string(CodeAlreadyInside)], r.NextSteps[string(CodePossibleClone)], r.NextSteps["check_holder"] = inside, clone, check
	return r
}

// scanNextSteps asks DecideScan itself for the next steps of its answers,
// so the bundle says what the server says: "in" twice at one gate, "in"
// at another gate within the window, "out" at another gate within it.
func scanNextSteps() (inside, clone, check string) {
	at := time.Unix(0, 0)
	last := &record.Scan{Gate: "a", Direction: record.In, At: at, Source: record.Online}
	ask := func(gate, dir string, want record.Code) string {
		_, code, _, next := DecideScan(DoorScan{Gate: gate, Direction: dir, At: at}, last, time.Second, time.UTC)
		if code != want {
			panic("verifier: DecideScan answered " + string(code) + ", want " + string(want))
		}
		return next
	}
	return ask("a", record.In, CodeAlreadyInside), ask("b", record.In, CodePossibleClone), ask("b", record.Out, CodePossibleClone)
}

// Leeway is the clock leeway of the rules.
func (r *DoorRules) Leeway() time.Duration { return time.Duration(r.LeewayMS) * time.Millisecond }

// CloneWindow is the clone window of the rules.
func (r *DoorRules) CloneWindow() time.Duration {
	return time.Duration(r.CloneWindowMS) * time.Millisecond
}

var (
	doorTypeName = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,31}$`)
	doorTypeCode = regexp.MustCompile(`^[A-Z0-9]{1,8}$`)
)

// check holds door rules read from a bundle to what a door can use: every
// part present, nothing unknown, durations in range, texts short and
// printable, each format with one %s. server/static/offline.js checks the
// same (prepareDoor).
func (r *DoorRules) check(version int) error {
	maxMS := maxDoorDuration.Milliseconds()
	switch {
	case r.LeewayMS < 0 || r.LeewayMS > maxMS:
		return fmt.Errorf("leeway_ms %d out of range", r.LeewayMS)
	case r.CloneWindowMS < 1 || r.CloneWindowMS > maxMS:
		return fmt.Errorf("clone_window_ms %d out of range", r.CloneWindowMS)
	case len(r.Types) == 0 || len(r.Types) > 64:
		return fmt.Errorf("%d types", len(r.Types))
	}
	names, codes := map[pass.Type]bool{}, map[string]bool{}
	for i, t := range r.Types {
		switch {
		case !doorTypeName.MatchString(string(t.Type)) || names[t.Type]:
			return fmt.Errorf("types[%d]: bad or repeated type %q", i, safeKID(string(t.Type)))
		case !doorTypeCode.MatchString(t.Code) || codes[t.Code]:
			return fmt.Errorf("types[%d]: bad or repeated code %q", i, safeKID(t.Code))
		case !doorText(t.Label, 32):
			return fmt.Errorf("types[%d]: bad label", i)
		}
		names[t.Type], codes[t.Code] = true, true
	}
	if len(r.Phases) != 3 {
		return fmt.Errorf("phases: want before, during and after")
	}
	for _, ph := range []pass.Phase{pass.Before, pass.During, pass.After} {
		if !doorText(r.Phases[ph], 64) {
			return fmt.Errorf("phases: bad or missing %s", ph)
		}
	}
	steps := doorNextSteps
	if version == BundleVersionSuperseded {
		steps = append(slices.Clone(steps), string(StatusSuperseded))
	}
	if len(r.NextSteps) != len(steps) {
		return fmt.Errorf("next_steps: %d, want %d", len(r.NextSteps), len(steps))
	}
	for _, name := range steps {
		s, ok := r.NextSteps[name]
		verbs := strings.Count(s, "%")
		switch {
		case !ok || !doorText(s, 200):
			return fmt.Errorf("next_steps: bad or missing %s", name)
		case doorFormats[name] && (verbs != 1 || !strings.Contains(s, "%s")):
			return fmt.Errorf("next_steps: %s must hold one %%s", name)
		case !doorFormats[name] && verbs != 0:
			return fmt.Errorf("next_steps: %s holds a %%", name)
		}
	}
	return nil
}

// doorText: 1 to max characters, none of them a control or a bidi
// embedding, override or isolate (what pass.CheckText refuses in signed
// text, and what offline.js's checkText refuses).
func doorText(s string, max int) bool {
	if s == "" || utf8.RuneCountInString(s) > max {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
	})
}

// DecideScan is [DecideScan] with the bundle's clone window, times in the
// event's time zone: anti-passback as the service that signed the bundle
// applies it.
func (o *Offline) DecideScan(sc DoorScan, last *record.Scan) (decision record.Decision, code record.Code, reason, next string) {
	return DecideScan(sc, last, o.b.Door.CloneWindow(), o.b.Event.Location())
}

// DecideScanAnswer is [DecideScanAnswer] with the bundle's clone window,
// times in the event's time zone.
func (o *Offline) DecideScanAnswer(sc DoorScan, last *record.Scan) DoorAnswer {
	return DecideScanAnswer(sc, last, o.b.Door.CloneWindow(), o.b.Event.Location())
}
