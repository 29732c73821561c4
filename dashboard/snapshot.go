package dashboard

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
)

// Windows of the entry and exit counts.
const (
	recentWindow = 5 * time.Minute
	longWindow   = 15 * time.Minute
	alertsShown  = 20
)

// Snapshot is what a dashboard shows of one event, as the stream sends it.
type Snapshot struct {
	Event  string      `json:"event"`
	Name   string      `json:"name"`
	Phase  pass.Phase  `json:"phase"`
	Zones  []ZoneView  `json:"zones"`
	Doors  []DoorView  `json:"doors,omitempty"` // not in an "update"
	Alerts []AlertView `json:"alerts"`          // newest first
	Clear  []ClearZone `json:"clear"`           // zones with passes to clear
	At     time.Time   `json:"at"`
}

// ZoneView is one zone.
type ZoneView struct {
	Zone     string `json:"zone"`
	Inside   int    `json:"inside"`
	Capacity int    `json:"capacity,omitempty"`  // 0: no cap
	WhenFull string `json:"when_full,omitempty"` // deny or attention
	Percent  int    `json:"percent,omitempty"`   // of the capacity, rounded down
	Full     bool   `json:"full,omitempty"`
	In5      int    `json:"in_5m"` // admitted entries and exits in the last 5 and 15 minutes
	Out5     int    `json:"out_5m"`
	In15     int    `json:"in_15m"`
	Out15    int    `json:"out_15m"`
}

// DoorView is one door: a gate and the credential scanning there.
type DoorView struct {
	Gate       string    `json:"gate"`
	Credential string    `json:"credential,omitempty"` // the API token's id (never its secret)
	Online     bool      `json:"online"`
	LastScan   time.Time `json:"last_scan,omitzero"`
	LastSeen   time.Time `json:"last_seen,omitzero"` // last scan or heartbeat
	Scans15    int       `json:"scans_15m"`
	// RevocationAge is the age of the door's revocation data in seconds,
	// from its last heartbeat (to any node); absent when unknown.
	RevocationAge *int64 `json:"revocation_age_s,omitempty"`
}

// AlertView is one alert.
type AlertView struct {
	ID     int64            `json:"id"`
	Kind   record.AlertKind `json:"kind"`
	Serial pass.Serial      `json:"serial"`
	Gates  []string         `json:"gates"`
	At     time.Time        `json:"at"`
	Reason string           `json:"reason"`
}

// heavyEvery is how often a room reads what costs the most: the last 15
// minutes of scans (entries, exits, doors), the doors' heartbeats and who
// is inside pass by pass (the clear list). Occupancy and alerts are read
// at every build.
const heavyEvery = time.Second

// heavy is what a room read last at most every heavyEvery.
type heavy struct {
	read    time.Time // wall clock
	traffic []store.Traffic
	beats   []store.DoorSeen
	clear   []ClearZone
}

// build reads the store and makes the event's snapshot at now, reading
// the heavy part again when h is older than heavyEvery (h nil: always).
// It also returns the clear list's overdue alerts, found when the heavy
// part was read.
func (d *Dashboard) build(ctx context.Context, event string, now time.Time, h *heavy) (*Snapshot, []record.Alert, error) {
	host := d.host
	ev, err := host.Event(ctx, event)
	if err != nil {
		return nil, nil, err
	}
	if ev == nil {
		return nil, nil, errNoEvent
	}
	st := d.reads()
	occupancy, err := st.Occupancy(ctx, event)
	if err != nil {
		return nil, nil, err
	}
	alerts, err := st.Alerts(ctx, store.AlertFilter{Event: event, Limit: alertsShown})
	if err != nil {
		return nil, nil, err
	}
	if h == nil {
		h = &heavy{}
	}
	var overdue []record.Alert
	if wall := time.Now(); wall.Sub(h.read) >= heavyEvery {
		present, err := st.Present(ctx, event)
		if err != nil {
			return nil, nil, err
		}
		traffic, err := st.Traffic(ctx, event, now.Add(-longWindow), now.Add(-recentWindow))
		if err != nil {
			return nil, nil, err
		}
		beats, err := d.doorsSeen(ctx, event)
		if err != nil {
			return nil, nil, err
		}
		clear, od, err := d.clear(ctx, ev, present, now)
		if err != nil {
			return nil, nil, err
		}
		*h, overdue = heavy{read: wall, traffic: traffic, beats: beats, clear: clear}, od
	}
	s := &Snapshot{Event: ev.ID, Name: ev.Name, Phase: ev.PhaseAt(now), Clear: h.clear, At: inZone(now, ev),
		Zones: zoneViews(ev, occupancy, h.traffic), Doors: d.doorViews(ev, h.traffic, h.beats, now), Alerts: alertViews(alerts, ev)}
	return s, overdue, nil
}

func zoneViews(ev *pass.Event, occupancy map[string]int, traffic []store.Traffic) []ZoneView {
	pol := ev.EffectivePolicy()
	var out []ZoneView
	seen := map[string]bool{}
	zone := func(z string) {
		if !seen[z] {
			seen[z] = true
			out = append(out, ZoneView{Zone: z})
		}
	}
	for _, z := range pol.Zones {
		zone(string(z))
	}
	for _, z := range slices.Sorted(maps.Keys(occupancy)) {
		zone(z)
	}
	for _, t := range traffic {
		zone(t.Zone)
	}
	byZone := map[string]*ZoneView{}
	for i := range out {
		byZone[out[i].Zone] = &out[i]
	}
	for z, n := range occupancy {
		byZone[z].Inside = n
	}
	for _, t := range traffic {
		v := byZone[t.Zone]
		switch t.Direction {
		case record.In:
			v.In15 += t.Admitted
			v.In5 += t.AdmittedRecent
		case record.Out:
			v.Out15 += t.Admitted
			v.Out5 += t.AdmittedRecent
		}
	}
	for i := range out {
		v := &out[i]
		if c, ok := pol.CapacityOf(pass.Zone(v.Zone)); ok {
			v.Capacity, v.WhenFull = c.Max, c.WhenFull
			v.Percent = v.Inside * 100 / c.Max
			v.Full = v.Inside >= c.Max
		}
	}
	return out
}

// doorsSeen is the last heartbeat of every door of event, every node's.
func (d *Dashboard) doorsSeen(ctx context.Context, event string) ([]store.DoorSeen, error) {
	if d.beats != nil {
		return d.beats.DoorsSeen(ctx, d.reads(), event)
	}
	return d.reads().DoorsSeen(ctx, event)
}

func (d *Dashboard) doorViews(ev *pass.Event, traffic []store.Traffic, beats []store.DoorSeen, now time.Time) []DoorView {
	key := func(gate, cred string) string { return gate + "\x00" + cred }
	doors := map[string]*DoorView{}
	get := func(gate, cred string) *DoorView {
		k := key(gate, cred)
		if v, ok := doors[k]; ok {
			return v
		}
		v := &DoorView{Gate: gate, Credential: cred}
		doors[k] = v
		return v
	}
	for _, t := range traffic {
		v := get(t.Gate, t.Credential)
		v.Scans15 += t.Scans
		if t.Last.After(v.LastScan) {
			v.LastScan = t.Last
		}
	}
	for _, b := range beats {
		v := get(b.Gate, b.Token)
		if b.At.After(v.LastSeen) {
			age := b.RevocationAge + int64(now.Sub(b.At)/time.Second)
			v.RevocationAge = &age
		}
		v.LastSeen = maxTime(v.LastSeen, b.At)
	}
	seenGate := map[string]bool{}
	out := make([]DoorView, 0, len(doors))
	for _, v := range doors {
		v.LastSeen = maxTime(v.LastSeen, v.LastScan)
		v.Online = !v.LastSeen.IsZero() && now.Sub(v.LastSeen) <= d.cfg.OfflineAfter
		v.LastScan, v.LastSeen = inZone(v.LastScan, ev), inZone(v.LastSeen, ev)
		seenGate[v.Gate] = true
		out = append(out, *v)
	}
	for _, g := range ev.EffectivePolicy().Gates { // declared gates with no door heard of
		if !seenGate[g] {
			out = append(out, DoorView{Gate: g})
		}
	}
	slices.SortFunc(out, func(a, b DoorView) int {
		return strings.Compare(a.Gate+"\x00"+a.Credential, b.Gate+"\x00"+b.Credential)
	})
	return out
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// inZone is t on the event's clock: every time the dashboard sends
// carries the event's offset, and the page shows that clock, not the
// device's (a laptop in another time zone shows the venue's time).
func inZone(t time.Time, ev *pass.Event) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(ev.Location())
}

func alertViews(as []record.Alert, ev *pass.Event) []AlertView {
	out := make([]AlertView, 0, len(as))
	for _, a := range as {
		gates := []string{}
		for _, g := range a.Gates {
			if g != "" {
				gates = append(gates, g)
			}
		}
		out = append(out, AlertView{ID: a.ID, Kind: a.Kind, Serial: a.Serial, Gates: gates, At: inZone(a.At, ev), Reason: a.Reason})
	}
	return out
}

var errNoEvent = fmt.Errorf("dashboard: no such event")
