package devices

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestNewCodeParses(t *testing.T) {
	code, hash, err := NewCode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hash, Hash(code)) {
		t.Fatal("NewCode's hash is not Hash(code)")
	}
	other, _, _ := NewCode()
	if other == code {
		t.Fatal("two codes are equal")
	}
	for _, in := range []string{code, " " + code + "\n", URL("https://doors.example.org/", code), "http://127.0.0.1:8080/scan#enrol=" + code} {
		got, err := ParseCode(in)
		if err != nil || got != code {
			t.Errorf("ParseCode(%q) = %q, %v; want %q", in, got, err, code)
		}
	}
}

func TestParseCodeRefuses(t *testing.T) {
	code, _, _ := NewCode()
	for _, in := range []string{
		"", "lde_", code[:len(code)-1], code + "a", "LDE_" + code[4:], "lam_abcdefgh_" + code,
		"https://x/scan#enrol=" + code[:10], "https://x/scan#other=" + code, code[:10] + "0" + code[11:], // 0 is not in the alphabet
		"https://x/scan#enrol=%zz", "9" + code,
	} {
		if got, err := ParseCode(in); err == nil {
			t.Errorf("ParseCode(%q) = %q, want an error", in, got)
		}
	}
}

func TestURLKeepsCodeInFragment(t *testing.T) {
	if got := URL("https://doors.example.org/", "lde_x"); got != "https://doors.example.org/scan#enrol=lde_x" {
		t.Fatalf("URL() = %q", got)
	}
}

func TestParseReport(t *testing.T) {
	tests := []struct {
		app, queued string
		want        Report
	}{
		{"scan 2026.12", "3", Report{"scan 2026.12", 3}},
		{"", "", Report{Queued: -1}},
		{"<script>", "-1", Report{Queued: -1}},
		{"x\nEvil: 1", "1000001", Report{Queued: -1}},
		{"scan", "0", Report{"scan", 0}},
		{"0123456789012345678901234567890123456789x", "7", Report{Queued: 7}},
	}
	for _, tt := range tests {
		if got := ParseReport(tt.app, tt.queued); got != tt.want {
			t.Errorf("ParseReport(%q, %q) = %+v, want %+v", tt.app, tt.queued, got, tt.want)
		}
	}
}

func TestOnline(t *testing.T) {
	now := time.Date(2027, 3, 5, 20, 0, 0, 0, time.UTC)
	if Online(time.Time{}, now) || !Online(now.Add(-59*time.Second), now) || Online(now.Add(-OnlineWithin), now) {
		t.Fatal("Online() disagrees with OnlineWithin")
	}
}

func FuzzParseCode(f *testing.F) {
	code, _, _ := NewCode()
	f.Add(code)
	f.Add(URL("https://a", code))
	f.Add("#enrol=")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseCode(s)
		if err != nil {
			return
		}
		if again, err := ParseCode(got); err != nil || again != got {
			t.Fatalf("ParseCode(%q) = %q, which does not parse as itself", s, got)
		}
	})
}

func TestStatusRow(t *testing.T) {
	at := time.Date(2027, 3, 5, 20, 0, 0, 0, time.FixedZone("", 3600))
	for _, c := range []struct {
		s    Status
		want string
	}{
		{Status{TokenID: "t1", Name: "north door"}, "t1|north door|-|-|offline|never|-|0"},
		{Status{TokenID: "t2", Name: "n", Event: "ev", Gate: "north", Online: true, LastSeen: at, App: "1.2", Queued: 3}, "t2|n|ev|north|online|2027-03-05T19:00:00Z|1.2|3"},
		{Status{TokenID: "t3", Name: "n", Revoked: true, Online: true}, "t3|n|-|-|revoked|never|-|0"},
	} {
		if got := strings.Join(c.s.Row(), "|"); got != c.want {
			t.Errorf("Row = %q, want %q", got, c.want)
		}
	}
}
