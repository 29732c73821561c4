package pass

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestScheduleNormalize(t *testing.T) {
	start, end := at("20:00"), at("22:30")
	tests := []struct {
		name string
		s    Schedule
		want string // error substring; "" for ok
	}{
		{"ok/defaults", Schedule{ShowStart: start, ShowEnd: end}, ""},
		{"fail/no-start", Schedule{ShowEnd: end}, "show start"},
		{"fail/end-before-start", Schedule{ShowStart: end, ShowEnd: start}, "not after show start"},
		{"fail/access-after-start", Schedule{ShowStart: start, ShowEnd: end, AccessFrom: at("21:00")}, "access opens"},
		{"fail/access-closes-early", Schedule{ShowStart: start, ShowEnd: end, AccessUntil: at("21:00")}, "access closes"},
		{"fail/meet-greet-half", Schedule{ShowStart: start, ShowEnd: end, MeetGreetFrom: at("18:00")}, "both"},
		{"fail/meet-greet-reversed", Schedule{ShowStart: start, ShowEnd: end, MeetGreetFrom: at("19:00"), MeetGreetUntil: at("18:00")}, "ends before"},
		{"fail/photo-too-long", Schedule{ShowStart: start, ShowEnd: end, PhotoDuration: 5 * time.Hour}, "photo window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.s.Normalize()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Normalize() = %v", err)
				}
				if !s.AccessFrom.Equal(start.Add(-DefaultAccessLead)) || !s.AccessUntil.Equal(end.Add(DefaultAccessTail)) ||
					s.PhotoDuration != DefaultPhotoDuration || !s.MeetGreetUntil.Equal(start.Add(-DefaultMeetGreetEnd)) {
					t.Fatalf("Normalize() = %+v, defaults missing", s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Normalize() error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPassValidate(t *testing.T) {
	serial, _ := NewSerial(nil)
	ok := Pass{Serial: serial, Event: "tour26-ldn01", Type: AAA, Name: "Björk Guðmundsdóttir", ValidUntil: at("23:00")}
	tests := []struct {
		name string
		edit func(*Pass)
		want string
	}{
		{"ok/plain", func(*Pass) {}, ""},
		{"ok/staff-role", func(p *Pass) { p.Type, p.Role = Staff, "catering" }, ""},
		{"ok/cyrillic", func(p *Pass) { p.Name = "Дмитрий Шостакович" }, ""},
		{"fail/staff-no-role", func(p *Pass) { p.Type = Staff }, "needs a role"},
		{"fail/empty-name", func(p *Pass) { p.Name = "" }, "name is empty"},
		{"fail/long-name", func(p *Pass) { p.Name = strings.Repeat("x", MaxNameLen+1) }, "longer than"},
		{"fail/control", func(p *Pass) { p.Name = "Zoë\x1b[31m" }, "control character"},
		{"fail/bad-utf8", func(p *Pass) { p.Name = "Zo\xeb" }, "UTF-8"},
		{"fail/spaces", func(p *Pass) { p.Name = " Zoë" }, "spaces"},
		{"fail/serial", func(p *Pass) { p.Serial = "AAAA-AAAA" }, "bad serial"},
		{"fail/event", func(p *Pass) { p.Event = "../etc" }, "bad event id"},
		{"fail/type", func(p *Pass) { p.Type = "ROADIE" }, "unknown pass type"},
		{"fail/role", func(p *Pass) { p.Role = "Head Chef" }, "bad role"},
		{"fail/no-end", func(p *Pass) { p.ValidUntil = time.Time{} }, "no end"},
		{"fail/reversed", func(p *Pass) { p.ValidFrom = at("23:30") }, "before it becomes valid"},
		{"ok/photo", func(p *Pass) { p.Photo = PhotoHash([]byte("jpeg")) }, ""},
		{"fail/photo-short", func(p *Pass) { p.Photo = PhotoHash(nil)[:10] }, "bad photo hash"},
		{"fail/photo-long", func(p *Pass) { p.Photo = PhotoHash(nil) + "A" }, "bad photo hash"},
		{"fail/photo-not-base64url", func(p *Pass) { p.Photo = "AAAAAAAAAA+" }, "bad photo hash"},
		{"fail/photo-low-bits", func(p *Pass) { p.Photo = "AAAAAAAAAAB" }, "bad photo hash"}, // a second spelling of AAAAAAAAAAA
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.edit(&p)
			err := p.Validate()
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestClaimsRoundTrip(t *testing.T) {
	serial, _ := NewSerial(nil)
	for _, ty := range Types {
		p := Pass{Serial: serial, Event: "tour26-ldn01", Type: ty, Name: "Sigur Rós", Org: "Motörhead Ltd",
			ValidFrom: at("10:00").UTC(), ValidUntil: at("02:00").UTC(), Issuer: "lam"}
		if ty == Staff {
			p.Role = "merchandising"
		}
		c := p.Claims()
		got, err := c.Pass()
		if err != nil || got != p {
			t.Fatalf("Claims().Pass() = %+v, %v; want %+v", got, err, p)
		}
	}
	p := Pass{Serial: serial, Event: "tour26-ldn01", Type: VIP, Name: "Zoë", ValidUntil: at("02:00").UTC(), Photo: PhotoHash([]byte("photo"))}
	if c := p.Claims(); c.Photo != p.Photo {
		t.Fatalf("Claims().Photo = %q, want %q", c.Photo, p.Photo)
	} else if got, err := c.Pass(); err != nil || got != p {
		t.Fatalf("Claims().Pass() = %+v, %v; want %+v", got, err, p)
	}
	c := p.Claims()
	c.Photo = "short"
	if _, err := c.Pass(); err == nil {
		t.Fatal("Pass() of a claim with a 5-character photo hash succeeded")
	}
	bad := Claims{Subject: string(serial), Event: "e", Type: "XYZ", Name: "n", Expiry: 1}
	if _, err := bad.Pass(); err == nil {
		t.Fatal("Pass() of unknown type code succeeded")
	}
}

// TestPhotoHash pins the hash: SHA-256, first 8 bytes, base64url, and
// claims without a photo unchanged to the byte.
func TestPhotoHash(t *testing.T) {
	// SHA-256("abc") = ba7816bf 8f01cfea ...
	if got := PhotoHash([]byte("abc")); got != "ungWv48Bz-o" {
		t.Fatalf("PhotoHash(abc) = %q, want ungWv48Bz-o", got)
	}
	serial, _ := ParseSerial("2222-2222")
	p := Pass{Serial: serial, Event: "e1", Type: VIP, Name: "Zoë", ValidUntil: time.Unix(1800000000, 0)}
	b, _ := json.Marshal(p.Claims())
	if want := `{"sub":"22222222","ev":"e1","pt":"VIP","n":"Zoë","exp":1800000000}`; string(b) != want {
		t.Fatalf("claims without a photo = %s, want %s", b, want)
	}
	p.Photo = PhotoHash([]byte("abc"))
	b, _ = json.Marshal(p.Claims())
	if want := `{"sub":"22222222","ev":"e1","pt":"VIP","n":"Zoë","exp":1800000000,"ph":"ungWv48Bz-o"}`; string(b) != want {
		t.Fatalf("claims with a photo = %s, want %s", b, want)
	}
}

func TestParseType(t *testing.T) {
	for in, want := range map[string]Type{"aaa": AAA, "After Show": AfterShow, "after-show": AfterShow,
		"MEET & GREET": MeetGreet, "local_crew": LocalCrew, "STF": Staff, "Access All Areas": AAA} {
		if got, err := ParseType(in); err != nil || got != want {
			t.Errorf("ParseType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseType("roadie"); err == nil || !strings.Contains(err.Error(), "AFTER_SHOW") {
		t.Errorf("ParseType(roadie) error = %v, want the list of types", err)
	}
}
