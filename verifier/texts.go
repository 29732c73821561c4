package verifier

import (
	"maps"
	"slices"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
)

// Texts of door answers and verdicts as keys with parameters (issue 14):
// the English sentences stay as they are, and beside them a key (the
// catalogue key of the door pages after "verdict.", "reason." or "next.")
// and the values of its placeholders ([pass.Params]). The door pages'
// catalogues (server/static/i18n/*.json) are checked against these sets,
// and the offline door (offline.js) gives the same keys and parameters
// for the same decisions (testdata/offline/vectors.json).

// messageTexts are the keys of a verdict's message, with their parameters.
var messageTexts = map[string][]string{
	string(StatusValid):       nil,
	string(StatusWrongEvent):  {"event"},
	string(StatusExpired):     {"at"},
	string(StatusNotYetValid): {"at"},
	string(StatusRevoked):     {"at", "category"},
	"revoked.offline":         {"seq", "at"}, // Offline.Verify: the list, not the revocation, has a time
	string(StatusSuperseded):  nil,
	string(StatusForged):      nil,
	string(StatusUnknownKey):  nil,
	string(StatusMalformed):   nil,
	"malformed.content":       nil, // signed by us, but not a pass
}

// doorReasons are the reason keys of the door beside the policy's
// ([pass.DecideTexts]) and the messages': [Verifier.Access], [Leave],
// [DecideScanAnswer], [DecideCapacityAnswer], and the offline door page's
// own codes (scan.js).
var doorReasons = map[string][]string{
	string(CodeUnknownEvent):                 nil,
	"ok.leaving":                             {"zone"},
	string(CodeAlreadyInside):                {"zone", "at", "gate"},
	string(CodePossibleClone):                {"gate", "seconds"},
	string(CodePossibleClone) + ".attention": {"gate", "seconds"},
	string(CodeOfflineConflict):              {"gate", "at"},
	string(CodeZoneFull):                     {"zone", "inside", "capacity"},
	string(CodeZoneFull) + ".attention":      {"zone", "inside", "capacity"},
	string(record.CodeBundleExpired):         {"at", "minutes"},
	string(record.CodeClockWrong):            nil,
	string(record.CodeNoOfflineData):         nil,
}

// doorNexts are the next-step keys beside the door rules' names
// ([DoorNextSteps]) and the policy's.
var doorNexts = []string{
	string(StatusSuperseded), string(CodeUnknownEvent), string(CodeZoneFull), string(CodeZoneFull) + ".attention",
	string(record.CodeBundleExpired), string(record.CodeClockWrong), string(record.CodeNoOfflineData),
}

// TextKeys returns every text key with the names of its parameters:
// verdict messages (the public check), door reasons and door next steps.
func TextKeys() (messages, reasons, next map[string][]string) {
	messages = clone(messageTexts)
	reasons, next = pass.DecideTexts()
	for k, v := range messageTexts {
		if k != string(StatusValid) { // a valid pass's reason is the policy's
			reasons[k] = slices.Clone(v)
		}
	}
	maps.Copy(reasons, clone(doorReasons))
	for _, k := range DoorNextSteps() {
		if _, ok := next[k]; !ok && !doorFormats[k] {
			next[k] = nil
		}
	}
	for _, k := range doorNexts {
		next[k] = nil
	}
	return messages, reasons, next
}

func clone(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

// messageText sets the key and parameters of vd's message, times in loc
// (nil: UTC), as the message gives them.
func (vd *Verdict) messageText(loc *time.Location) {
	key, params := string(vd.Status), pass.Params{}
	switch vd.Status {
	case StatusWrongEvent:
		params["event"] = vd.Event
	case StatusExpired:
		params["at"] = pass.ParamTime(vd.ExpiresAt, loc)
	case StatusNotYetValid:
		params["at"] = pass.ParamTime(vd.ValidFrom, loc)
	case StatusRevoked:
		if vd.Revocation == nil && vd.MessageKey == "revoked.offline" {
			return // Offline.Verify's: the list's number and time
		}
		if r := vd.Revocation; r != nil {
			cat := r.Reason
			if !cat.Valid() {
				cat = pass.RevokeOther
			}
			params["at"], params["category"] = pass.ParamTime(r.At, loc), string(cat)
		}
	case StatusMalformed:
		if vd.Authentic {
			key = "malformed.content"
		}
	}
	if len(params) == 0 {
		params = nil
	}
	vd.MessageKey, vd.MessageParams = key, params
}
