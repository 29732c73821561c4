package pass

import (
	"maps"
	"slices"
	"strings"
)

// PolicyTable is a policy as the office edits it (issue 13): rows are the
// zones, columns the pass types and the STAFF roles, and each cell the
// windows in which the column's passes may enter the row's zone ("" for
// never; several joined by "+", such as "before+after"). [PolicyTable.Policy]
// turns it back into a policy checked by the rules of policy files.
type PolicyTable struct {
	Zones    []Zone
	Columns  []PolicyColumn
	Cells    map[Zone]map[string]string // zone -> column key -> windows
	Capacity map[Zone]ZoneCapacity
}

// PolicyColumn is a column of a [PolicyTable]: a pass type (Key "AAA") or
// a STAFF role (Key "role:catering").
type PolicyColumn struct {
	Key, Label string
	Type       Type
	Role       string
}

// RoleKey is the column key of STAFF role r.
func RoleKey(r string) string { return "role:" + r }

// windowOrder is the order windows are listed in a cell.
var windowOrder = []Window{Any, WinBefore, WinDuring, WinAfter, WinMeetGreet, WinPhoto}

// CellChoices are the windows a cell offers; a cell holding another
// combination offers it as well.
var CellChoices = []string{"", "any", "before", "during", "after", "before+during", "before+after", "during+after", "meet-greet", "photo"}

// TableOf is p as a table: every pass type but STAFF, then p's roles, by name.
func TableOf(p *Policy) PolicyTable {
	t := PolicyTable{Zones: slices.Clone(p.Zones), Cells: map[Zone]map[string]string{}, Capacity: maps.Clone(p.Capacity)}
	for _, ty := range Types {
		if ty != Staff {
			t.Columns = append(t.Columns, PolicyColumn{Key: string(ty), Label: ty.Label(), Type: ty})
		}
	}
	for _, r := range slices.Sorted(maps.Keys(p.Roles)) {
		t.Columns = append(t.Columns, PolicyColumn{Key: RoleKey(r), Label: "Staff: " + r, Type: Staff, Role: r})
	}
	for _, z := range p.Zones {
		row := map[string]string{}
		for _, col := range t.Columns {
			gs, _ := p.grants(col.Type, col.Role)
			var ws []Window
			for _, g := range gs {
				if g.covers(z) {
					ws = append(ws, g.When...)
				}
			}
			row[col.Key] = joinWindows(ws)
		}
		t.Cells[z] = row
	}
	return t
}

func joinWindows(ws []Window) string {
	if slices.Contains(ws, Any) {
		return string(Any)
	}
	var out []string
	for _, w := range windowOrder {
		if slices.Contains(ws, w) {
			out = append(out, string(w))
		}
	}
	return strings.Join(out, "+")
}

// Policy is the table as a policy, with base's comment, gates and clear
// grace, checked by the rules of policy files ([Policy.Validate]): an
// error is a [FieldError] with a policy file's message. Each column's
// zones with the same windows become one grant.
func (t PolicyTable) Policy(base *Policy) (*Policy, error) {
	p := &Policy{Comment: base.Comment, Gates: slices.Clone(base.Gates), ClearGraceSeconds: base.ClearGraceSeconds,
		Zones: slices.Clone(t.Zones), Rules: map[Type][]Grant{}, Capacity: maps.Clone(t.Capacity)}
	if len(p.Capacity) == 0 {
		p.Capacity = nil
	}
	for _, col := range t.Columns {
		var grants []Grant
		index := map[string]int{}
		for _, z := range t.Zones {
			cell := t.Cells[z][col.Key]
			if cell == "" {
				continue
			}
			i, ok := index[cell]
			if !ok {
				var ws []Window
				for w := range strings.SplitSeq(cell, "+") {
					ws = append(ws, Window(w))
				}
				i = len(grants)
				index[cell] = i
				grants = append(grants, Grant{When: ws})
			}
			grants[i].Zones = append(grants[i].Zones, z)
		}
		switch {
		case col.Type == Staff:
			if p.Roles == nil {
				p.Roles = map[string][]Grant{}
			}
			p.Roles[col.Role] = grants // a role with no zone stays: its passes are known, and enter nowhere
		case len(grants) > 0:
			p.Rules[col.Type] = grants
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}
