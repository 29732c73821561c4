package store

import (
	"encoding/json"
	"fmt"

	"github.com/laminate/laminate/pass"
)

// ActionEventUpdate records an edit of an event (its name, venue, time
// zone, schedule or policy); its detail names the fields changed
// ([UpdateAudit]).
const ActionEventUpdate = "event.update"

// UpdateAudit is the audit detail of an event update: the fields changed,
// as [pass.EventChange.Apply] names them.
func UpdateAudit(fields []string) map[string]any {
	return map[string]any{"changed": fields}
}

// CapacityIn is zone's capacity under a policy as EventJSON keeps it
// (nil: the default policy); Max 0 when the zone has no cap.
func CapacityIn(policy *string, zone string) (pass.ZoneCapacity, error) {
	p := pass.DefaultPolicy()
	if policy != nil {
		p = new(pass.Policy)
		if err := json.Unmarshal([]byte(*policy), p); err != nil {
			return pass.ZoneCapacity{}, fmt.Errorf("store: policy: %w", err)
		}
	}
	c, _ := p.CapacityOf(pass.Zone(zone))
	return c, nil
}

// EventJSON is how both backends keep an event's schedule and policy:
// JSON, the policy NULL for the default one.
func EventJSON(ev *pass.Event) (schedule string, policy *string, err error) {
	sched, err := json.Marshal(ev.Schedule)
	if err != nil {
		return "", nil, fmt.Errorf("store: event %s: %w", ev.ID, err)
	}
	if ev.Policy != nil {
		b, err := json.Marshal(ev.Policy)
		if err != nil {
			return "", nil, fmt.Errorf("store: event %s: %w", ev.ID, err)
		}
		p := string(b)
		policy = &p
	}
	return string(sched), policy, nil
}
