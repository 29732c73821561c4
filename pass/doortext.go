package pass

import (
	"maps"
	"slices"
	"time"
)

// Params are the values of the placeholders of a door text (issue 14):
// what a reason or a next step says beyond its code, as structured fields
// next to the English sentence, so a door page in another language words
// the same detail itself. Times are RFC 3339 in the event's time zone
// ([ParamTime]: the page shows the clock the English text shows), counts
// and durations decimal numbers, phases and revocation categories their
// codes (the catalogues name them), everything else as the sentence
// has it.
type Params map[string]string

// ParamTime is t as a time parameter: RFC 3339 to the second in loc (nil:
// UTC), "2027-09-18T20:00:00+02:00". offline.js writes the same.
func ParamTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(time.RFC3339)
}

// Text keys of [Event.Decide]'s reasons, with the parameters each one
// always carries. A key is the catalogue key after "reason." on the door
// pages (server/static/i18n/*.json); the keys of its next steps are the
// names of verifier.DoorRules.NextSteps.
var decideReasons = map[string][]string{
	"ok":                    {"label", "zone", "phase"},
	"wrong_event.label":     {"label", "event"}, // the verifier's wrong_event has no label
	"unknown_zone":          {"zone"},
	"no_rule":               {"label"},
	"zone_not_allowed":      {"label", "zone"},
	"outside_access.opens":  {"label", "at"},
	"outside_access.closed": {"label", "at"},
	"not_now.from":          {"label", "at", "phase"},
	"not_now.closed":        {"label", "zone", "at", "phase"},
	"not_now.photo":         {"label", "zone", "at"},
}

// Next steps of [Event.Decide] by key, with their parameters.
var decideNextSteps = map[string][]string{
	"accreditation":    nil,
	"check_zone":       nil,
	"access_over":      nil,
	"zone_not_allowed": {"zone"},
	"no_more_access":   {"zone"},
	"not_before":       {"at"},
}

// DecideTexts returns the text keys of [Event.Decide]'s reasons and next
// steps, each with the names of the parameters it carries.
func DecideTexts() (reasons, next map[string][]string) {
	return cloneTexts(decideReasons), cloneTexts(decideNextSteps)
}

func cloneTexts(m map[string][]string) map[string][]string {
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = slices.Clone(v)
	}
	return out
}

// Label is how a door's reason names the pass: its type's label, with the
// role of a staff pass ("Staff (rigger)"); the "label" parameter.
func doorLabel(p *Pass) string {
	if p.Type == Staff {
		return p.Type.Label() + " (" + p.Role + ")"
	}
	return p.Type.Label()
}
