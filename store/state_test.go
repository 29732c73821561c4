package store

import (
	"testing"
	"time"
)

func TestAPITokenState(t *testing.T) {
	if got := (&APIToken{}).State(); got != "valid" {
		t.Errorf("State = %q", got)
	}
	at := time.Date(2027, 3, 5, 11, 0, 0, 0, time.FixedZone("", 3600))
	if got := (&APIToken{Revoked: at}).State(); got != "revoked 2027-03-05 10:00 +00:00" {
		t.Errorf("State = %q", got)
	}
}
