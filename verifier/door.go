package verifier

import (
	"fmt"
	"strconv"
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

// Door codes, beside the token statuses and the policy's [pass.Code]s, as
// named before they moved to package record.
const (
	CodeAlreadyInside   = record.CodeAlreadyInside
	CodePossibleClone   = record.CodePossibleClone
	CodeOfflineConflict = record.CodeOfflineConflict
	CodeUnknownEvent    = record.CodeUnknownEvent
	CodeZoneFull        = record.CodeZoneFull
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
func DecideScan(sc DoorScan, last *record.Scan, window time.Duration, loc *time.Location) (decision record.Decision, code record.Code, reason, next string) {
	a := DecideScanAnswer(sc, last, window, loc)
	return a.Decision, a.Code, a.Reason, a.NextStep
}

// DoorAnswer is a door decision with its texts: the English reason and
// next step, and the same as keys with parameters ([Texts]).
type DoorAnswer struct {
	Decision         record.Decision
	Code             record.Code
	Reason, NextStep string
	ReasonKey        string
	ReasonParams     pass.Params
	NextKey          string
	NextParams       pass.Params
}

// DecideScanAnswer is [DecideScan] with the texts' keys and parameters.
// An admit has no texts: the policy's stand.
func DecideScanAnswer(sc DoorScan, last *record.Scan, window time.Duration, loc *time.Location) DoorAnswer {
	admit := DoorAnswer{Decision: Admit, Code: record.Code(pass.CodeOK)}
	if last == nil {
		return admit
	}
	since := sc.At.Sub(last.At)
	otherGate := last.Gate != sc.Gate && since <= window
	secs := strconv.FormatInt(int64(since.Round(time.Second)/time.Second), 10)
	at := pass.ParamTime(last.At, loc)
	switch {
	case sc.Direction == record.In && last.Direction == record.In && last.Source == record.Offline:
		return DoorAnswer{Decision: Attention, Code: CodeOfflineConflict,
			Reason: fmt.Sprintf("Door %s, while offline, let this pass in at %s: check the holder, the pass may be copied",
				last.Gate, last.At.In(loc).Format("15:04")), NextStep: nextCheck,
			ReasonKey: string(CodeOfflineConflict), ReasonParams: pass.Params{"gate": last.Gate, "at": at}, NextKey: "check_holder"}
	case sc.Direction == record.In && last.Direction == record.In && otherGate:
		return DoorAnswer{Decision: Deny, Code: CodePossibleClone,
			Reason:    fmt.Sprintf("Same pass entered at %s %s ago: one pass, two people?", last.Gate, since.Round(time.Second)),
			NextStep:  "Keep the pass and call security",
			ReasonKey: string(CodePossibleClone), ReasonParams: pass.Params{"gate": last.Gate, "seconds": secs}, NextKey: string(CodePossibleClone)}
	case sc.Direction == record.In && last.Direction == record.In:
		return DoorAnswer{Decision: Deny, Code: CodeAlreadyInside,
			Reason:    fmt.Sprintf("Already inside: entered %s at %s via %s", last.Zone, last.At.In(loc).Format("15:04"), last.Gate),
			NextStep:  "Ask them to scan out first; call a supervisor if they insist",
			ReasonKey: string(CodeAlreadyInside), ReasonParams: pass.Params{"zone": last.Zone, "at": at, "gate": last.Gate}, NextKey: string(CodeAlreadyInside)}
	case otherGate:
		return DoorAnswer{Decision: Attention, Code: CodePossibleClone,
			Reason:    fmt.Sprintf("Same pass scanned at %s %s ago: check the holder, it may be a copy", last.Gate, since.Round(time.Second)),
			NextStep:  nextCheck,
			ReasonKey: string(CodePossibleClone) + ".attention", ReasonParams: pass.Params{"gate": last.Gate, "seconds": secs}, NextKey: "check_holder"}
	}
	return admit
}

// nextCheck is the next step of an "attention": the door person decides.
const nextCheck = "Compare the holder with the photo ID and the artwork, then let in or turn away"

// KnownCode reports whether code is one a door may give: "ok", a token
// status, a policy code, a door code, or one of the offline door's own
// ("no_offline_data", "bundle_expired", "clock_wrong"). The set is fixed,
// so what is counted or stored per code stays bounded.
func KnownCode(code record.Code) bool {
	_, ok := knownCodes[code]
	return ok
}

var knownCodes = map[record.Code]struct{}{}

func init() {
	for _, c := range []record.Code{
		record.Code(pass.CodeOK), record.Code(pass.CodeWrongEvent), record.Code(pass.CodeUnknownZone), record.Code(pass.CodeNoRule),
		record.Code(pass.CodeZoneNotAllowed), record.Code(pass.CodeOutsideAccess), record.Code(pass.CodeNotNow),
		record.Code(StatusExpired), record.Code(StatusNotYetValid), record.Code(StatusRevoked), record.Code(StatusForged),
		record.Code(StatusUnknownKey), record.Code(StatusMalformed), record.Code(StatusWrongEvent), record.Code(StatusSuperseded), CodeUnknownEvent,
		CodeAlreadyInside, CodePossibleClone, CodeOfflineConflict, CodeZoneFull,
		record.CodeNoOfflineData, record.CodeBundleExpired, record.CodeClockWrong,
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
func DecideCapacity(c pass.ZoneCapacity, zone string, inside int, decision record.Decision, code record.Code, reason, next string) (record.Decision, record.Code, string, string) {
	a := DecideCapacityAnswer(c, zone, inside, DoorAnswer{Decision: decision, Code: code, Reason: reason, NextStep: next})
	return a.Decision, a.Code, a.Reason, a.NextStep
}

// DecideCapacityAnswer is [DecideCapacity] on a [DoorAnswer], with the
// texts' keys and parameters.
func DecideCapacityAnswer(c pass.ZoneCapacity, zone string, inside int, a DoorAnswer) DoorAnswer {
	if a.Decision == Deny || c.Max <= 0 || inside < c.Max {
		return a
	}
	full := fmt.Sprintf("%s is full: %d inside, capacity %d", zone, inside, c.Max)
	params := pass.Params{"zone": zone, "inside": strconv.Itoa(inside), "capacity": strconv.Itoa(c.Max)}
	switch {
	case c.WhenFull == pass.FullAttention && a.Decision == Admit:
		return DoorAnswer{Decision: Attention, Code: CodeZoneFull, Reason: full + ": a supervisor decides",
			NextStep:  "Let in only if a supervisor allows it; otherwise ask them to wait until someone leaves",
			ReasonKey: string(CodeZoneFull) + ".attention", ReasonParams: params, NextKey: string(CodeZoneFull) + ".attention"}
	case c.WhenFull == pass.FullAttention:
		return a
	}
	return DoorAnswer{Decision: Deny, Code: CodeZoneFull, Reason: full, NextStep: "Ask them to wait until someone leaves",
		ReasonKey: string(CodeZoneFull), ReasonParams: params, NextKey: string(CodeZoneFull)}
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
		(vd.Code != record.Code(pass.CodeNotNow) && vd.Code != record.Code(pass.CodeOutsideAccess)) {
		return
	}
	allowed := true
	vd.Allowed = &allowed
	vd.Code, vd.Reason, vd.NextStep = record.Code(pass.CodeOK), fmt.Sprintf(LeavingFormat, zone), ""
	vd.ReasonKey, vd.ReasonParams, vd.NextKey, vd.NextParams = "ok.leaving", pass.Params{"zone": string(zone)}, "", nil
}
