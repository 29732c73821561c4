package pass

import (
	"fmt"
	"strings"
)

// ReissueReason is why a pass is reissued (issue 13): a new serial is
// signed for the same holder and access, and the old pass is superseded
// ([RevokeSuperseded]). The reason is kept for staff (the audit log); the
// door and the public check say only that the pass was replaced.
type ReissueReason string

// The reissue reasons.
const (
	ReissueLost       ReissueReason = "lost"
	ReissueDamaged    ReissueReason = "damaged"
	ReissueNameChange ReissueReason = "name_change"
	ReissueNewPhoto   ReissueReason = "new_photo"
)

// ReissueReasons lists every reason.
var ReissueReasons = []ReissueReason{ReissueLost, ReissueDamaged, ReissueNameChange, ReissueNewPhoto}

// ParseReissueReason reads a reason in any case; "" stays "" (the
// caller infers it from what changes).
func ParseReissueReason(s string) (ReissueReason, error) {
	r := ReissueReason(strings.ToLower(strings.TrimSpace(s)))
	if r == "" {
		return "", nil
	}
	for _, k := range ReissueReasons {
		if r == k {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown reissue reason %q (want one of %s)", s, ReissueReasonList())
}

// ReissueReasonList is the reasons, comma-separated, for messages.
func ReissueReasonList() string {
	names := make([]string, len(ReissueReasons))
	for i, k := range ReissueReasons {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
