package pass

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// MaxPolicySize caps a policy file; real ones are a few KiB.
const MaxPolicySize = 256 << 10

// Grant opens a set of zones during a set of windows.
type Grant struct {
	Zones  []Zone   `json:"zones"`            // zone names, or "*" for every zone
	Except []Zone   `json:"except,omitempty"` // taken out of Zones
	When   []Window `json:"when"`             // windows in which the zones are open
}

// Policy is an event's zones and who may enter them when, and the gates
// its doors scan at.
type Policy struct {
	Comment string `json:"comment,omitempty"`
	Zones   []Zone `json:"zones"`
	// Gates, when declared, are the only gates a scan of the event may be
	// made at (see [Event.CheckGate]); none declared: any gate name.
	Gates []string           `json:"gates,omitempty"`
	Rules map[Type][]Grant   `json:"rules"`
	Roles map[string][]Grant `json:"roles,omitempty"` // grants of STAFF passes, by role
	// Capacity caps zones: how many passes may be inside at once, and
	// what a door answers for "in" when the zone is full (issue 14). A
	// zone not listed has no cap.
	Capacity map[Zone]ZoneCapacity `json:"capacity,omitempty"`
	// ClearGraceSeconds is how long a pass may stay in a zone after its
	// access to the zone ended (the photo window closed, a changeover
	// began) before it is an alert (record.AlertStillInside); omitted:
	// [DefaultClearGrace].
	ClearGraceSeconds *int `json:"clear_grace_seconds,omitempty"`
}

// ZoneCapacity is the cap of one zone.
type ZoneCapacity struct {
	Max int `json:"max"` // passes inside at once, 1 to [MaxZoneCapacity]
	// WhenFull is the answer to "in" when Max passes are inside:
	// [FullDeny] (hard: code zone_full) or [FullAttention] (soft: a person
	// decides).
	WhenFull string `json:"when_full"`
}

// What a full zone answers ([ZoneCapacity.WhenFull]).
const (
	FullDeny      = "deny"
	FullAttention = "attention"
)

// Bounds of the capacity settings.
const (
	MaxZoneCapacity   = 1_000_000
	DefaultClearGrace = 2 * time.Minute
	MaxClearGrace     = time.Hour
)

// CapacityOf is the cap of zone z; ok is false for a zone without one.
func (p *Policy) CapacityOf(z Zone) (c ZoneCapacity, ok bool) {
	c, ok = p.Capacity[z]
	return c, ok
}

// ClearGrace is how long a pass may stay in a zone after its access to it
// ended before it is an alert.
func (p *Policy) ClearGrace() time.Duration {
	if p.ClearGraceSeconds == nil {
		return DefaultClearGrace
	}
	return time.Duration(*p.ClearGraceSeconds) * time.Second
}

// SetCapacity caps zone z (max 0: no cap), checked as in a policy file.
func (p *Policy) SetCapacity(z Zone, c ZoneCapacity) error {
	if c.Max == 0 {
		delete(p.Capacity, z)
		return nil
	}
	next := maps.Clone(p.Capacity)
	if next == nil {
		next = map[Zone]ZoneCapacity{}
	}
	next[z] = c
	if err := checkCapacity(next, zoneSet(p.Zones)); err != nil {
		return fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	p.Capacity = next
	return nil
}

func zoneSet(zs []Zone) map[Zone]bool {
	m := make(map[Zone]bool, len(zs))
	for _, z := range zs {
		m[z] = true
	}
	return m
}

func checkCapacity(caps map[Zone]ZoneCapacity, zones map[Zone]bool) error {
	for _, z := range slices.Sorted(maps.Keys(caps)) {
		c := caps[z]
		switch {
		case !zones[z]:
			return fieldErr("capacity", "unknown zone %q", z)
		case c.Max < 1 || c.Max > MaxZoneCapacity:
			return fieldErr("capacity."+string(z)+".max", "%d, want 1 to %d", c.Max, MaxZoneCapacity)
		case c.WhenFull != FullDeny && c.WhenFull != FullAttention:
			return fieldErr("capacity."+string(z)+".when_full", "%q, want %q (turn away) or %q (a person decides)", c.WhenFull, FullDeny, FullAttention)
		}
	}
	return nil
}

//go:embed default_policy.json
var defaultPolicyJSON []byte

var defaultPolicy = func() *Policy {
	p, err := ParsePolicy(bytes.NewReader(defaultPolicyJSON))
	if err != nil {
		panic("pass: default policy: " + err.Error())
	}
	return p
}()

// DefaultPolicy returns a copy of the default policy.
func DefaultPolicy() *Policy {
	p, _ := ParsePolicy(bytes.NewReader(defaultPolicyJSON))
	return p
}

// ErrPolicy is wrapped by every error of [ParsePolicy].
var ErrPolicy = errors.New("bad policy")

// ParsePolicy reads a policy file (JSON) and checks it: unknown fields, pass
// types, roles, zones and windows are errors naming where they are.
func ParsePolicy(r io.Reader) (*Policy, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPolicySize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	if len(data) > MaxPolicySize {
		return nil, fmt.Errorf("%w: larger than %d KiB", ErrPolicy, MaxPolicySize>>10)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrPolicy, jsonErr(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the policy object", ErrPolicy)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	return &p, nil
}

// jsonErr turns a JSON error into one with a line number where it has an offset.
func jsonErr(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	return fmt.Sprintf("line %d: %v", line, err)
}

func (p *Policy) validate() error {
	if len(p.Zones) == 0 {
		return fieldErr("zones", "at least one zone is needed")
	}
	seen := map[Zone]bool{}
	for i, z := range p.Zones {
		if _, err := ParseZone(string(z)); err != nil {
			return fieldErr(fmt.Sprintf("zones[%d]", i), "%v", err)
		}
		if seen[z] {
			return fieldErr(fmt.Sprintf("zones[%d]", i), "zone %q listed twice", z)
		}
		seen[z] = true
	}
	if err := checkGates(p.Gates); err != nil {
		return err
	}
	if err := checkCapacity(p.Capacity, seen); err != nil {
		return err
	}
	if g := p.ClearGraceSeconds; g != nil && (*g < 0 || time.Duration(*g)*time.Second > MaxClearGrace) {
		return fieldErr("clear_grace_seconds", "%d, want 0 to %d", *g, int(MaxClearGrace/time.Second))
	}
	if len(p.Rules) == 0 {
		return fieldErr("rules", "no pass type has any rule")
	}
	for t, grants := range p.Rules {
		if _, ok := typeInfo[t]; !ok {
			return fieldErr("rules", "unknown pass type %q (want one of %s)", t, typeList())
		}
		if t == Staff {
			return fieldErr("rules", `STAFF access is given per role, under "roles"`)
		}
		if err := p.checkGrants("rules."+string(t), grants, seen); err != nil {
			return err
		}
	}
	for role, grants := range p.Roles {
		if r, err := ParseRole(role); err != nil || r != role {
			return fieldErr("roles", "bad role name %q (lower-case letters, digits and '-')", role)
		}
		if err := p.checkGrants("roles."+role, grants, seen); err != nil {
			return err
		}
	}
	return nil
}

func (p *Policy) checkGrants(where string, grants []Grant, zones map[Zone]bool) error {
	for i, g := range grants {
		at := fmt.Sprintf("%s[%d]", where, i)
		if len(g.Zones) == 0 {
			return fieldErr(at+".zones", "empty")
		}
		for j, z := range g.Zones {
			if z != "*" && !zones[z] {
				return fieldErr(fmt.Sprintf("%s.zones[%d]", at, j), "unknown zone %q", z)
			}
		}
		for j, z := range g.Except {
			if !zones[z] {
				return fieldErr(fmt.Sprintf("%s.except[%d]", at, j), "unknown zone %q", z)
			}
		}
		if len(g.When) == 0 {
			return fieldErr(at+".when", "empty")
		}
		for j, w := range g.When {
			switch w {
			case WinBefore, WinDuring, WinAfter, WinMeetGreet, WinPhoto, Any:
			default:
				return fieldErr(fmt.Sprintf("%s.when[%d]", at, j), "unknown window %q (want before, during, after, meet-greet, photo or any)", w)
			}
		}
	}
	return nil
}

// HasZone reports whether z is one of the policy's zones.
func (p *Policy) HasZone(z Zone) bool { return slices.Contains(p.Zones, z) }

// MaxGates bounds the gates of a policy.
const MaxGates = 64

// SetGates declares the event's gates (none: any gate name), checked as
// in a policy file.
func (p *Policy) SetGates(gates []string) error {
	if err := checkGates(gates); err != nil {
		return fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	p.Gates = slices.Clone(gates)
	return nil
}

func checkGates(gates []string) error {
	if len(gates) > MaxGates {
		return fieldErr("gates", "more than %d gates", MaxGates)
	}
	seen := map[string]bool{}
	for i, g := range gates {
		if _, err := ParseGate(g); err != nil {
			return fieldErr(fmt.Sprintf("gates[%d]", i), "%v", err)
		}
		if seen[g] {
			return fieldErr(fmt.Sprintf("gates[%d]", i), "gate %q listed twice", g)
		}
		seen[g] = true
	}
	return nil
}

// covers reports whether grant g includes zone z.
func (g Grant) covers(z Zone) bool {
	if slices.Contains(g.Except, z) {
		return false
	}
	return slices.Contains(g.Zones, "*") || slices.Contains(g.Zones, z)
}

// grants returns the grants of a pass under the policy; ok is false when the
// policy says nothing of its type (or of its STAFF role).
func (p *Policy) grants(t Type, role string) ([]Grant, bool) {
	if t == Staff {
		g, ok := p.Roles[role]
		return g, ok
	}
	g, ok := p.Rules[t]
	return g, ok
}

// Allows lists, for a pass type and role, the zones it may ever enter and
// the windows for each, in policy order: for printing on a pass and its back.
func (p *Policy) Allows(t Type, role string) []Grant {
	gs, _ := p.grants(t, role)
	out := make([]Grant, 0, len(gs))
	for _, g := range gs {
		var zs []Zone
		for _, z := range p.Zones {
			if g.covers(z) {
				zs = append(zs, z)
			}
		}
		out = append(out, Grant{Zones: zs, When: g.When})
	}
	return out
}

// ReadPolicyFile reads a policy file (JSON; [ParsePolicy]). A YAML file
// is refused by its name: policy files are JSON.
func ReadPolicyFile(path string) (*Policy, error) {
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
		return nil, fmt.Errorf("%s: %w", path, ErrPolicyYAML)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	p, err := ParsePolicy(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ErrPolicyYAML is ReadPolicyFile's answer to a YAML file.
var ErrPolicyYAML = errors.New("policy files are JSON; YAML is not supported")
