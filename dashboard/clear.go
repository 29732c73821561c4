package dashboard

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// ClearZone is the clear list of one zone: the passes inside it whose
// access to it ended with a phase (the photo window, a changeover).
type ClearZone struct {
	Zone   string      `json:"zone"`
	Passes []ClearPass `json:"passes"`
}

// ClearPass is one pass to clear out of a zone.
type ClearPass struct {
	Serial   pass.Serial `json:"serial"`
	Name     string      `json:"name"`
	Org      string      `json:"org,omitempty"`
	Type     pass.Type   `json:"type"`
	Label    string      `json:"label"`
	Role     string      `json:"role,omitempty"`
	PhotoURL string      `json:"photo_url,omitempty"` // GET by whoever may watch the event, while the pass is on the list
	Entered  time.Time   `json:"entered"`
	Gate     string      `json:"gate"`     // where it entered
	Ended    time.Time   `json:"ended"`    // when its access to the zone ended
	AlertAt  time.Time   `json:"alert_at"` // Ended plus the event's grace period
	Overdue  bool        `json:"overdue"`  // past AlertAt: an alert was raised
}

// passInfo is what the clear list needs of a pass; passes never change.
type passInfo struct {
	pass.Pass
	found bool
}

type passCache struct {
	mu sync.Mutex
	m  map[string]passInfo
}

// maxCachedPasses bounds the cache; past it, it starts again.
const maxCachedPasses = 200_000

func (c *passCache) get(ctx context.Context, st store.Store, serial pass.Serial) (passInfo, error) {
	c.mu.Lock()
	pi, ok := c.m[string(serial)]
	c.mu.Unlock()
	if ok {
		return pi, nil
	}
	p, err := st.Pass(ctx, serial)
	switch {
	case errors.Is(err, store.ErrNotFound):
		pi = passInfo{}
	case err != nil:
		return passInfo{}, err
	default:
		pi = passInfo{Pass: p.Pass, found: true}
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedPasses {
		clear(c.m)
	}
	c.m[string(serial)] = pi
	c.mu.Unlock()
	return pi, nil
}

// raisedSet remembers the clear list's alerts this node stored, so that
// it writes each once (the store would refuse a second one anyway).
type raisedSet struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (r *raisedSet) has(k string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.m[k]
	return ok
}

func (r *raisedSet) add(ks []string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, at := range r.m {
		if now.Sub(at) > 24*time.Hour {
			delete(r.m, k)
		}
	}
	for _, k := range ks {
		r.m[k] = now
	}
}

func alertKey(a record.Alert) string { return a.Scans[0] + "\x00" + a.Scans[1] }

// clear makes the clear lists of an event at now from who is inside, and
// the alerts of the passes overdue that this node has not stored yet.
func (d *Dashboard) clear(ctx context.Context, ev *pass.Event, present []store.Presence, now time.Time) ([]ClearZone, []record.Alert, error) {
	grace := ev.EffectivePolicy().ClearGrace()
	loc := ev.Location()
	var zones []ClearZone
	var overdue []record.Alert
	for _, pr := range present {
		if pr.Serial == "" || pr.Type == "" { // "": the pass is not stored
			continue
		}
		pi, ended, ok, err := d.toClear(ctx, ev, pr, now)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		sh := pi.Shown()
		cp := ClearPass{Serial: pr.Serial, Name: sh.Name, Org: sh.Org, Type: sh.Type, Label: sh.Label, Role: sh.Role,
			Entered: inZone(pr.At, ev), Gate: pr.Gate, Ended: inZone(ended, ev), AlertAt: inZone(ended.Add(grace), ev)}
		if pi.Photo != "" {
			cp.PhotoURL = "/v1/events/" + ev.ID + "/clear/" + string(pr.Serial) + "/photo"
		}
		if !now.Before(cp.AlertAt) {
			cp.Overdue = true
			a := record.Alert{Event: ev.ID, Serial: pr.Serial, Kind: record.AlertStillInside,
				Scans: [2]string{pr.ScanID, "closed@" + strconv.FormatInt(ended.Unix(), 10)}, Gates: [2]string{pr.Gate, ""}, At: cp.AlertAt,
				Reason: fmt.Sprintf("%s pass %s (%s) still in %s: access ended at %s, %s ago", sh.Label, pr.Serial, sh.Name, pr.Zone,
					ended.In(loc).Format("15:04"), now.Sub(ended).Round(time.Second))}
			if !d.raised.has(alertKey(a)) {
				overdue = append(overdue, a)
			}
		}
		if len(zones) == 0 || zones[len(zones)-1].Zone != pr.Zone { // present is ordered by zone
			zones = append(zones, ClearZone{Zone: pr.Zone})
		}
		z := &zones[len(zones)-1]
		z.Passes = append(z.Passes, cp)
	}
	return zones, overdue, nil
}

// toClear tells whether pr, a pass inside a zone at now, is to be
// cleared out of it: its access to the zone ended (when: ended).
func (d *Dashboard) toClear(ctx context.Context, ev *pass.Event, pr store.Presence, now time.Time) (pi passInfo, ended time.Time, ok bool, err error) {
	if pr.Serial == "" || pr.Type == "" { // "": the pass is not stored
		return pi, ended, false, nil
	}
	// Whether its access ended depends on the type and role alone, which
	// Present gives: only a pass to clear is read (and cached), not every
	// pass inside (at 300 scans a second, 300 reads a second, each
	// waiting for a connection behind the scans).
	ended, ok = ev.AccessEnded(&pass.Pass{Event: ev.ID, Type: pr.Type, Role: pr.Role}, pass.Zone(pr.Zone), now)
	if !ok {
		return pi, ended, false, nil
	}
	pi, err = d.passes.get(ctx, d.reads(), pr.Serial)
	if err != nil || !pi.found {
		return pi, ended, false, err
	}
	return pi, ended, true, nil
}

// onClearList tells whether the pass serial is on a clear list of event
// ev at now.
func (d *Dashboard) onClearList(ctx context.Context, ev *pass.Event, serial pass.Serial, now time.Time) (bool, error) {
	present, err := d.reads().Present(ctx, ev.ID)
	if err != nil {
		return false, err
	}
	for _, pr := range present {
		if pr.Serial != serial {
			continue
		}
		if _, _, ok, err := d.toClear(ctx, ev, pr, now); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// raise stores the clear list's overdue alerts, once each.
func (d *Dashboard) raise(ctx context.Context, alerts []record.Alert, now time.Time) error {
	if len(alerts) == 0 {
		return nil
	}
	added, err := d.host.Store().AddAlerts(ctx, alerts)
	if err != nil {
		return err
	}
	keys := make([]string, len(alerts))
	for i, a := range alerts {
		keys[i] = alertKey(a)
	}
	d.raised.add(keys, now)
	for _, a := range added {
		d.cfg.Logger.Warn("alert", "kind", a.Kind, "serial", a.Serial, "gates", a.Gates[:], "scans", a.Scans[:])
		d.Changed(a.Event)
	}
	return nil
}

// clearAll raises the overdue alerts of every event within its access
// window or closed less than an hour ago.
func (d *Dashboard) clearAll(ctx context.Context) error {
	evs, err := d.reads().Events(ctx)
	if err != nil {
		return err
	}
	now := d.cfg.Now()
	var errs []error
	for _, stored := range evs {
		ev, err := d.host.Event(ctx, stored.ID) // the copy that follows the cues
		if err != nil || ev == nil {
			errs = append(errs, err)
			continue
		}
		s := ev.Schedule
		if now.Before(s.AccessFrom) || now.After(s.AccessUntil.Add(12*time.Hour)) {
			continue
		}
		present, err := d.reads().Present(ctx, ev.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, overdue, err := d.clear(ctx, ev, present, now)
		if err == nil {
			err = d.raise(ctx, overdue, now)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
