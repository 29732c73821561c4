package pass

import (
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	for _, tc := range []struct {
		in   string
		want string // RFC 3339 in UTC, or "error: fragment"
	}{
		{"2027-03-05T23:00:00+01:00", "2027-03-05T22:00:00Z"},
		{"2027-03-05T23:00:00Z", "2027-03-05T23:00:00Z"},
		{"2027-03-05 23:00", "2027-03-05T22:00:00Z"},
		{"2027-03-05T23:00", "2027-03-05T22:00:00Z"},
		{"2027-03-05 23:00:30", "2027-03-05T22:00:30Z"},
		{" 2027-07-05 23:00 ", "2027-07-05T21:00:00Z"}, // summer time
		{"2027-03-28 02:30", "error: does not exist"},  // the clocks skip it
		{"05/03/2027 23:00", "error: want RFC 3339"},
		{"2027-03-05", "error: bad time"},
		{"", "error: bad time"},
	} {
		got, err := ParseTime(tc.in, berlin)
		if frag, ok := strings.CutPrefix(tc.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), frag) {
				t.Errorf("ParseTime(%q) = %v, %v; want an error with %q", tc.in, got, err, frag)
			}
			continue
		}
		if err != nil || got.UTC().Format(time.RFC3339) != tc.want {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestFormatTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := time.Date(2027, 3, 5, 22, 0, 0, 0, time.UTC)
	if got := FormatTime(at, berlin); got != "2027-03-05 23:00 +01:00" {
		t.Errorf("FormatTime = %q", got)
	}
	if got := FormatTime(time.Time{}, berlin); got != "" {
		t.Errorf("zero: %q", got)
	}
	if got := FormatTime(at, nil); got != "2027-03-05 22:00 +00:00" {
		t.Errorf("nil location: %q", got)
	}
}

func TestTimeFlag(t *testing.T) {
	var f TimeFlag
	if !f.IsZero() || f.String() != "" {
		t.Fatal("zero TimeFlag is set")
	}
	if err := f.Set("yesterday"); err == nil {
		t.Error("Set(yesterday) accepted")
	}
	if err := f.Set("2027-03-05T20:00:00+01:00"); err != nil {
		t.Fatal(err)
	}
	if at, err := f.Abs(); err != nil || !at.Equal(time.Date(2027, 3, 5, 19, 0, 0, 0, time.UTC)) {
		t.Errorf("Abs = %v, %v", at, err)
	}
	if err := f.Set("2027-03-05 20:00"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Abs(); err == nil || !strings.Contains(err.Error(), "no UTC offset") {
		t.Errorf("Abs of a local time: error = %v", err)
	}
	loc := time.FixedZone("", 2*3600)
	if at, err := f.In(loc); err != nil || !at.Equal(time.Date(2027, 3, 5, 18, 0, 0, 0, time.UTC)) {
		t.Errorf("In = %v, %v", at, err)
	}
	if f.String() != "2027-03-05 20:00" {
		t.Errorf("String = %q", f.String())
	}
}
