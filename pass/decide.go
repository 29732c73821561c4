package pass

import (
	"fmt"
	"time"
)

// Code is the machine code of an access decision. Codes are stable: scanners
// and reports switch on them.
type Code string

// Decision codes.
const (
	CodeOK             Code = "ok"               // allowed
	CodeWrongEvent     Code = "wrong_event"      // the pass is for another event
	CodeUnknownZone    Code = "unknown_zone"     // the event has no such zone
	CodeNoRule         Code = "no_rule"          // the policy gives this type or role nothing
	CodeZoneNotAllowed Code = "zone_not_allowed" // never allowed into this zone
	CodeOutsideAccess  Code = "outside_access"   // before access opens or after it closes
	CodeNotNow         Code = "not_now"          // allowed into this zone, but not at this moment
)

// Decision is the answer to "may this pass enter this zone now?".
type Decision struct {
	Allowed bool   `json:"allowed"`
	Code    Code   `json:"code"`
	Reason  string `json:"reason"` // a sentence for the person at the door
	Phase   Phase  `json:"phase"`
	// NextStep is what the door person does about a denial: short,
	// imperative, in the event's time zone (issue 11). Empty when allowed.
	NextStep string `json:"next_step,omitempty"`
	// The reason and the next step as keys with parameters ([Params],
	// [DecideTexts]): what a door page in another language words itself.
	ReasonKey    string `json:"reason_key,omitempty"`
	ReasonParams Params `json:"reason_params,omitempty"`
	NextKey      string `json:"next_key,omitempty"`
	NextParams   Params `json:"next_params,omitempty"`
}

// Next steps of the denials of [Event.Decide]. The offline bundle carries
// them to doors (verifier.DoorRules), so they are named here once.
const (
	NextAccreditation = "Send to the accreditation desk"
	NextCheckZone     = "Check the zone set on this scanner, then scan again"
	NextAccessOver    = "Turn away: access is over for this event"

	// Formats with one %s: the zone, or the time as [Event.NotBefore] gives it.
	NextZoneNotAllowedFormat = "Turn away; send to the accreditation desk if they need %s"
	NextNoMoreAccessFormat   = "Turn away: this pass gives no more access to %s"
	NextNotBeforeFormat      = "Not before %s: ask them to come back then"
)

// NotBefore is the next step of a pass that opens later: come back at t,
// as [Event.Decide] words it (the time of day in the event's time zone,
// with the date when t is not on the day of now).
func (e *Event) NotBefore(t, now time.Time) string {
	return fmt.Sprintf(NextNotBeforeFormat, clock(t, now, e.Location()))
}

// NotBeforeParams are the parameters of [Event.NotBefore]'s next step
// ("not_before").
func (e *Event) NotBeforeParams(t time.Time) Params {
	return Params{"at": ParamTime(t, e.Location())}
}

// Decide applies the event's policy to pass p entering zone at time at. It
// answers only the policy question: the token's signature, revocation and
// validity dates are the verifier's.
func (e *Event) Decide(p *Pass, zone Zone, at time.Time) Decision {
	tl := e.timeline()
	d := Decision{Phase: tl.phase(at)}
	loc := e.Location()
	label := p.Type.Label() + " pass"
	if p.Type == Staff {
		label = fmt.Sprintf("Staff pass (%s)", p.Role)
	}
	// texts sets the keys and parameters of the answer: key with kv
	// (name, value pairs) for the reason, next with nkv for the next step.
	texts := func(key string, kv []string, next string, nkv ...string) {
		d.ReasonKey, d.ReasonParams = key, Params{}
		for i := 0; i+1 < len(kv); i += 2 {
			d.ReasonParams[kv[i]] = kv[i+1]
		}
		if next != "" {
			d.NextKey, d.NextParams = next, Params{}
			for i := 0; i+1 < len(nkv); i += 2 {
				d.NextParams[nkv[i]] = nkv[i+1]
			}
		}
	}
	dl := doorLabel(p)
	deny := func(c Code, next, format string, args ...any) Decision {
		d.Code, d.NextStep, d.Reason = c, next, fmt.Sprintf(format, args...)
		return d
	}
	when := func(t time.Time) string { return ParamTime(t, loc) }
	if p.Event != e.ID {
		texts("wrong_event.label", []string{"label", dl, "event", p.Event}, "accreditation")
		return deny(CodeWrongEvent, NextAccreditation, "%s is for another event (%s)", label, p.Event)
	}
	pol := e.EffectivePolicy()
	if !pol.HasZone(zone) {
		texts("unknown_zone", []string{"zone", string(zone)}, "check_zone")
		return deny(CodeUnknownZone, NextCheckZone, "No zone %q at this event", zone)
	}
	grants, ok := pol.grants(p.Type, p.Role)
	if !ok {
		texts("no_rule", []string{"label", dl}, "accreditation")
		if p.Type == Staff {
			return deny(CodeNoRule, NextAccreditation, "%s: this event gives the role %q no access", label, p.Role)
		}
		return deny(CodeNoRule, NextAccreditation, "%s: this event gives %s passes no access", label, p.Type.Label())
	}
	var open []Window
	for _, g := range grants {
		if g.covers(zone) {
			open = append(open, g.When...)
		}
	}
	if len(open) == 0 {
		texts("zone_not_allowed", []string{"label", dl, "zone", string(zone)}, "zone_not_allowed", "zone", string(zone))
		return deny(CodeZoneNotAllowed, fmt.Sprintf(NextZoneNotAllowedFormat, zone), "%s: no access to %s", label, zone)
	}
	if d.Phase == Closed {
		if at.Before(tl.accessFrom) {
			texts("outside_access.opens", []string{"label", dl, "at", when(tl.accessFrom)}, "not_before", "at", when(tl.accessFrom))
			return deny(CodeOutsideAccess, e.NotBefore(tl.accessFrom, at), "%s: access opens at %s", label, clock(tl.accessFrom, at, loc))
		}
		texts("outside_access.closed", []string{"label", dl, "at", when(tl.accessUntil)}, "access_over")
		return deny(CodeOutsideAccess, NextAccessOver, "%s: access closed at %s", label, clock(tl.accessUntil, at, loc))
	}
	var next, lastEnd time.Time
	for _, w := range open {
		from, until := tl.span(w)
		if within(at, from, until) {
			d.Allowed, d.Code = true, CodeOK
			d.Reason = fmt.Sprintf("%s: %s, %s", label, zone, phaseText[d.Phase])
			texts("ok", []string{"label", dl, "zone", string(zone), "phase", string(d.Phase)}, "")
			return d
		}
		if from.After(at) && from.Before(tl.accessUntil) && (next.IsZero() || from.Before(next)) {
			next = from
		}
		if !until.After(at) && until.After(lastEnd) {
			lastEnd = until
		}
	}
	if !next.IsZero() {
		texts("not_now.from", []string{"label", dl, "at", when(next), "phase", string(d.Phase)}, "not_before", "at", when(next))
		return deny(CodeNotNow, e.NotBefore(next, at), "%s: valid from %s, %s", label, clock(next, at, loc), phaseText[d.Phase])
	}
	over := fmt.Sprintf(NextNoMoreAccessFormat, zone)
	if len(open) == 1 && open[0] == WinPhoto {
		texts("not_now.photo", []string{"label", dl, "zone", string(zone), "at", when(lastEnd)}, "no_more_access", "zone", string(zone))
		return deny(CodeNotNow, over, "%s: %s closed at %s (first songs only)", label, zone, clock(lastEnd, at, loc))
	}
	texts("not_now.closed", []string{"label", dl, "zone", string(zone), "at", when(lastEnd), "phase", string(d.Phase)}, "no_more_access", "zone", string(zone))
	return deny(CodeNotNow, over, "%s: %s closed at %s, %s", label, zone, clock(lastEnd, at, loc), phaseText[d.Phase])
}

var phaseText = map[Phase]string{
	Before: "show not started",
	During: "show still on",
	After:  "show is over",
}

// Text is the phase as a door's reason says it ("show still on"); empty
// for [Closed], which no reason names.
func (p Phase) Text() string { return phaseText[p] }

// clock prints t as a door person wants it: the time of day, and the date
// too when it is not the same day as now.
func clock(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}

// AccessEnded reports when the access of pass p to zone ended, if it has
// no access there at time at but had some earlier: the end of the last
// window that let it in, moved by the cues (the photo window ends with
// the photo_closed cue). It answers for the clear list (issue 14): a pass
// still inside a zone it may no longer be in. ok is false while the pass
// may be in the zone, and for a pass the zone never admitted.
func (e *Event) AccessEnded(p *Pass, zone Zone, at time.Time) (ended time.Time, ok bool) {
	if p.Event != e.ID {
		return time.Time{}, false
	}
	pol := e.EffectivePolicy()
	grants, _ := pol.grants(p.Type, p.Role)
	tl := e.timeline()
	for _, g := range grants {
		if !g.covers(zone) {
			continue
		}
		for _, w := range g.When {
			from, until := tl.span(w)
			if until.After(tl.accessUntil) {
				until = tl.accessUntil
			}
			if within(at, from, until) && tl.phase(at) != Closed {
				return time.Time{}, false
			}
			if !until.After(at) && from.Before(until) && until.After(ended) {
				ended = until
			}
		}
	}
	return ended, !ended.IsZero()
}
