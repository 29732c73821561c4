package pass

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParsePolicyGates(t *testing.T) {
	const rules = `"zones":["stage"],"rules":{"AAA":[{"zones":["*"],"when":["any"]}]}`
	tests := []struct {
		name, gates string
		want        string // error substring; "" for ok
	}{
		{"ok/none", ``, ""},
		{"ok/three", `,"gates":["north","south","stage-door"]`, ""},
		{"ok/empty-list", `,"gates":[]`, ""},
		{"fail/bad-name", `,"gates":["North Gate"]`, `gates[0]: bad gate name "North Gate"`},
		{"fail/empty-name", `,"gates":["north",""]`, `gates[1]: bad gate name ""`},
		{"fail/twice", `,"gates":["north","south","north"]`, `gates[2]: gate "north" listed twice`},
		{"fail/too-many", `,"gates":[` + manyGates(MaxGates+1) + `]`, fmt.Sprintf("more than %d gates", MaxGates)},
		{"fail/not-strings", `,"gates":[1]`, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy(strings.NewReader(`{` + rules + tt.gates + `}`))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ParsePolicy() = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParsePolicy() = %+v, %v; want ErrPolicy containing %q", p, err, tt.want)
			}
		})
	}
}

func TestPolicySetGates(t *testing.T) {
	tests := []struct {
		name  string
		gates []string
		want  string // error substring; "" for ok
	}{
		{"ok/two", []string{"north", "south"}, ""},
		{"ok/none", nil, ""},
		{"fail/twice", []string{"north", "north"}, `gates[1]: gate "north" listed twice`},
		{"fail/bad-name", []string{"north", "Stage Door"}, `gates[1]: bad gate name "Stage Door"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultPolicy()
			err := p.SetGates(tt.gates)
			if tt.want == "" {
				if err != nil || len(p.Gates) != len(tt.gates) {
					t.Fatalf("SetGates() = %v, gates %q", err, p.Gates)
				}
				return
			}
			if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), tt.want) || p.Gates != nil {
				t.Fatalf("SetGates() = %v, gates %q; want ErrPolicy containing %q and no gates", err, p.Gates, tt.want)
			}
		})
	}
}

func manyGates(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"g%d"`, i)
	}
	return b.String()
}

func TestEventCheckGateAndZone(t *testing.T) {
	gated := testEvent(t)
	gated.Policy = DefaultPolicy()
	gated.Policy.Gates = []string{"north", "south", "stage-door"}
	open := testEvent(t) // the default policy: no gates declared
	tests := []struct {
		name string
		ev   *Event
		gate string
		zone Zone
		want error  // nil for ok
		text string // in the error
	}{
		{"ok/declared-gate", gated, "south", "stage", nil, ""},
		{"ok/no-gates-declared-any-gate", open, "loading-bay-7", "stage", nil, ""},
		{"fail/undeclared-gate", gated, "west", "stage", ErrUnknownGate, `gate "west" is not a gate of event tour26-ldn01 (its gates: north, south, stage-door)`},
		{"fail/unknown-zone", open, "north", "roof", ErrUnknownZone, `zone "roof" is not a zone of event tour26-ldn01`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ev.CheckGate(tt.gate)
			if err == nil {
				err = tt.ev.CheckZone(tt.zone)
			}
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) || (err != nil && !strings.Contains(err.Error(), tt.text)) {
				t.Fatalf("CheckGate(%q), CheckZone(%q) = %v, want %v with %q", tt.gate, tt.zone, err, tt.want, tt.text)
			}
		})
	}
}
