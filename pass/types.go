package pass

import (
	"fmt"
	"strings"
)

// Type is a pass type. Its value is the upper-case name used in CSV files,
// policy files and the API; [Type.Code] is the shorter form inside tokens.
type Type string

// The pass types of the seed.
const (
	AAA       Type = "AAA"        // Access All Areas
	VIP       Type = "VIP"        // guests: green room, hospitality, front of house
	AfterShow Type = "AFTER_SHOW" // strictly after the performance
	Working   Type = "WORKING"    // production, lighting, sound
	LocalCrew Type = "LOCAL_CREW" // build and load-out: before and after, never during
	Photo     Type = "PHOTO"      // photo pit for the first three songs, press any time
	MeetGreet Type = "MEET_GREET" // the pre-show meet & greet only
	Staff     Type = "STAFF"      // support staff; access depends on the role
)

// Types lists every pass type in the order of the seed.
var Types = []Type{AAA, VIP, AfterShow, Working, LocalCrew, Photo, MeetGreet, Staff}

var typeInfo = map[Type]struct{ code, label string }{
	AAA:       {"AAA", "AAA"},
	VIP:       {"VIP", "VIP"},
	AfterShow: {"AFT", "After Show"},
	Working:   {"WRK", "Working"},
	LocalCrew: {"LOC", "Local Crew"},
	Photo:     {"PHO", "Photo"},
	MeetGreet: {"MEG", "Meet & Greet"},
	Staff:     {"STF", "Staff"},
}

// ParseType accepts a type name in any case, with '-', ' ' or '_' between
// words ("after show", "After-Show", "AFTER_SHOW"), or its token code.
func ParseType(s string) (Type, error) {
	n := strings.ToUpper(strings.TrimSpace(s))
	n = strings.NewReplacer("-", "_", " ", "_", "&", "").Replace(n)
	n = strings.ReplaceAll(n, "__", "_")
	switch n {
	case "ACCESS_ALL_AREAS", "ALL_ACCESS":
		n = string(AAA)
	case "MEET_AND_GREET", "M_G", "MG":
		n = string(MeetGreet)
	}
	if _, ok := typeInfo[Type(n)]; ok {
		return Type(n), nil
	}
	for t, info := range typeInfo {
		if info.code == n {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown pass type %q (want one of %s)", s, typeList())
}

func typeList() string {
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// Code is the three-letter form of the type carried in a token, where every
// byte counts against the QR code's size.
func (t Type) Code() string { return typeInfo[t].code }

// Label is the type as printed on a pass and spoken at a door.
func (t Type) Label() string {
	if info, ok := typeInfo[t]; ok {
		return info.label
	}
	return string(t)
}

// TypeFromCode maps a token's type code back to the type.
func TypeFromCode(code string) (Type, error) {
	for t, info := range typeInfo {
		if info.code == code {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown pass type code %q", code)
}

// Zone is an area of the venue with its own door.
type Zone string

// DefaultZones are the zones of an event that defines none of its own.
var DefaultZones = []Zone{
	"stage", "dressing-rooms", "green-room", "backstage", "photo-pit", "foh",
	"hospitality", "meet-greet", "catering", "press", "merch", "loading-dock",
}

// validName reports whether s is 1 to 32 characters from lower-case
// letters, digits and '-', starting with a letter or digit. (A loop, not a
// regexp: it runs on every verify.)
func validName(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ParseZone checks a zone name: lower case letters, digits and '-', at most 32.
func ParseZone(s string) (Zone, error) {
	if !validName(s) {
		return "", fmt.Errorf("bad zone name %q (lower-case letters, digits and '-', at most 32)", s)
	}
	return Zone(s), nil
}

// ParseGate checks a gate name; same rules as a zone name.
func ParseGate(s string) (string, error) {
	if !validName(s) {
		return "", fmt.Errorf("bad gate name %q (lower-case letters, digits and '-', at most 32)", s)
	}
	return s, nil
}

// ParseRole checks a STAFF role name; same rules as a zone name. Upper case
// is folded to lower case.
func ParseRole(s string) (string, error) {
	r := strings.ToLower(strings.TrimSpace(s))
	if !validName(r) {
		return "", fmt.Errorf("bad role %q (letters, digits and '-', at most 32)", s)
	}
	return r, nil
}

// ValidEventID reports whether s can be an event ID: 1 to 32 characters from
// letters, digits, '.', '_' and '-', starting with a letter or digit. IDs are
// short because every token carries one.
func ValidEventID(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] == '.' || s[0] == '_' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
