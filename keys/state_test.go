package keys

import (
	"testing"
	"time"
)

func TestKeyState(t *testing.T) {
	at := time.Date(2027, 3, 5, 11, 0, 0, 0, time.FixedZone("", 3600))
	for _, tt := range []struct {
		k    Key
		want string
	}{{Key{Active: true}, "active"}, {Key{}, "verifying"}, {Key{Retired: at}, "retired 2027-03-05 10:00 +00:00"}} {
		if got := tt.k.State(); got != tt.want {
			t.Errorf("State(%+v) = %q, want %q", tt.k, got, tt.want)
		}
	}
}
