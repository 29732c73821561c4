package verifier

import (
	"fmt"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
)

// Door decisions: the answer a door gets for one scan, as named before
// they moved to package record, where the stores' SQL takes them too.
const (
	Admit     = record.Admit
	Deny      = record.Deny
	Attention = record.Attention // a person must look, then let in or turn away
)

// Door codes, beside the token statuses and the policy's [pass.Code]s.
const (
	CodeAlreadyInside   = "already_inside"    // "in" while the pass is inside
	CodePossibleClone   = "possible_clone"    // admitted at another gate moments ago
	CodeOfflineConflict = "offline_conflict"  // an offline door's report disagrees with this scan
	CodeUnknownEvent    = "unknown_event"     // a genuine pass of an event this service does not know
	CodeZoneFull        = record.CodeZoneFull // the zone holds as many passes as its capacity
)

// DoorScan is a scan to decide: where, which way, and when.
type DoorScan struct {
	Gate, Zone, Direction string
	At                    time.Time
}

// TimeScan is the time at which a scan made at "at" is recorded: at, or
// the time of the pass's last admitted scan when that is later. Scans of a
// pass are decided one at a time, each against the last one admitted, so
// a scan stamped earlier but decided later (a slow request, a door whose
// clock runs behind) must not be dated before the scan it was decided
// against: that would reorder the pass's history and let a later scan be
// decided against the wrong one. With this rule, the order of the pass's
// admitted scans by time is the order in which they were decided.
func TimeScan(at time.Time, last *record.Scan) time.Time {
	if last != nil && at.Before(last.At) {
		return last.At
	}
	return at
}

// DecideScan applies anti-passback and clone detection to a scan of a pass
// that the token and the policy allow, given the pass's last admitted scan
// (nil if none), timed by [TimeScan]. window is how close in time two
// admitted scans at two gates must be to be one pass held by two people;
// loc is the time zone the reasons give times in.
//
//   - "in" while the last admitted scan is an online "in": deny,
//     already_inside (possible_clone when it was at another gate within
//     the window). A pass is never admitted "in" twice without an "out"
//     between.
//   - "in" while the last admitted scan is an offline door's "in": what a
//     device reported never denies by itself, so attention,
//     offline_conflict: a person checks the holder.
//   - another gate within the window: attention, possible_clone.
//   - otherwise admit.
func DecideScan(sc DoorScan, last *record.Scan, window time.Duration, loc *time.Location) (decision record.Decision, code, reason, next string) {
	if last == nil {
		return Admit, string(pass.CodeOK), "", ""
	}
	since := sc.At.Sub(last.At)
	otherGate := last.Gate != sc.Gate && since <= window
	switch {
	case sc.Direction == record.In && last.Direction == record.In && last.Source == record.Offline:
		return Attention, CodeOfflineConflict, fmt.Sprintf("Door %s, while offline, let this pass in at %s: check the holder, the pass may be copied",
			last.Gate, last.At.In(loc).Format("15:04")), nextCheck
	case sc.Direction == record.In && last.Direction == record.In && otherGate:
		return Deny, CodePossibleClone, fmt.Sprintf("Same pass entered at %s %s ago: one pass, two people?", last.Gate, since.Round(time.Second)),
			"Keep the pass and call security"
	case sc.Direction == record.In && last.Direction == record.In:
		return Deny, CodeAlreadyInside, fmt.Sprintf("Already inside: entered %s at %s via %s", last.Zone, last.At.In(loc).Format("15:04"), last.Gate),
			"Ask them to scan out first; call a supervisor if they insist"
	case otherGate:
		return Attention, CodePossibleClone, fmt.Sprintf("Same pass scanned at %s %s ago: check the holder, it may be a copy", last.Gate, since.Round(time.Second)), nextCheck
	}
	return Admit, string(pass.CodeOK), "", ""
}

// nextCheck is the next step of an "attention": the door person decides.
const nextCheck = "Compare the holder with the photo ID and the artwork, then let in or turn away"

// KnownCode reports whether code is one a door may give: "ok", a token
// status, a policy code, a door code, or one of the offline door's own
// ("no_offline_data", "bundle_expired", "clock_wrong"). The set is fixed,
// so what is counted or stored per code stays bounded.
func KnownCode(code string) bool {
	_, ok := knownCodes[code]
	return ok
}

var knownCodes = map[string]struct{}{}

func init() {
	for _, c := range []string{
		string(pass.CodeOK), string(pass.CodeWrongEvent), string(pass.CodeUnknownZone), string(pass.CodeNoRule),
		string(pass.CodeZoneNotAllowed), string(pass.CodeOutsideAccess), string(pass.CodeNotNow),
		string(StatusExpired), string(StatusNotYetValid), string(StatusRevoked), string(StatusForged),
		string(StatusUnknownKey), string(StatusMalformed), string(StatusWrongEvent), string(StatusSuperseded), CodeUnknownEvent,
		CodeAlreadyInside, CodePossibleClone, CodeOfflineConflict, CodeZoneFull,
		"no_offline_data", "bundle_expired", "clock_wrong",
	} {
		knownCodes[c] = struct{}{}
	}
}

// DecideCapacity applies a zone's capacity to the answer [DecideScan] gave
// a scan "in" (decision, code, reason, next), given how many passes are
// inside the zone, counted in the scan's transaction while the zone is
// locked (store.Store.RecordZoneScan). When the zone is full, a hard cap
// ([pass.FullDeny]) turns an admit or an attention into deny, zone_full;
// a soft one ([pass.FullAttention]) turns an admit into attention,
// zone_full, and leaves another attention as it was (its reason names the
// greater risk). A denial stays. Offline doors cannot count, so they never
// answer zone_full: the upload raises an over_capacity alert instead.
func DecideCapacity(c pass.ZoneCapacity, zone string, inside int, decision record.Decision, code, reason, next string) (record.Decision, string, string, string) {
	if decision == Deny || c.Max <= 0 || inside < c.Max {
		return decision, code, reason, next
	}
	full := fmt.Sprintf("%s is full: %d inside, capacity %d", zone, inside, c.Max)
	switch {
	case c.WhenFull == pass.FullAttention && decision == Admit:
		return Attention, CodeZoneFull, full + ": a supervisor decides", "Let in only if a supervisor allows it; otherwise ask them to wait until someone leaves"
	case c.WhenFull == pass.FullAttention:
		return decision, code, reason, next
	}
	return Deny, CodeZoneFull, full, "Ask them to wait until someone leaves"
}

// LeavingFormat is the reason of a scan "out" that [Leave] let through;
// %s is the zone. offline.js writes the same.
const LeavingFormat = "Leaving %s: access there has ended"

// Leave lets a scan "out" through a policy that refuses it only for the
// time (not_now, outside_access): a pass whose access to a zone ended
// with a phase (the photo pit after the photo window) may always leave
// it, and its scan out is what takes it off the clear list (issue 14).
// The token must still be valid, and a zone the pass never had is still
// refused. Call it after [Verifier.Access]; offline.js's doorDecision
// does the same.
func Leave(vd *Verdict, zone pass.Zone, direction string) {
	if direction != record.Out || vd.Allowed == nil || *vd.Allowed || vd.Status != StatusValid ||
		(vd.Code != string(pass.CodeNotNow) && vd.Code != string(pass.CodeOutsideAccess)) {
		return
	}
	allowed := true
	vd.Allowed = &allowed
	vd.Code, vd.Reason, vd.NextStep = string(pass.CodeOK), fmt.Sprintf(LeavingFormat, zone), ""
}
