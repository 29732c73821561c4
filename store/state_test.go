package store

import (
	"strings"
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

func TestAPITokenRow(t *testing.T) {
	at := time.Date(2027, 3, 5, 10, 0, 0, 0, time.UTC)
	tok := APIToken{ID: "t1", Role: "scanner", Name: "north", Event: "ev", Created: at}
	if got := strings.Join(tok.Row(), "|"); got != "t1|scanner|north|ev|-|2027-03-05 10:00 +00:00|valid" {
		t.Errorf("Row = %q", got)
	}
	if len(TokenHeader) != len(tok.Row()) {
		t.Error("header and row differ in length")
	}
}
