package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/verifier"
)

// Limits of POST /v1/scans/offline.
const (
	maxOfflineScans = 1000    // scans per request; a door splits a longer queue
	maxOfflineBody  = 2 << 20 // bytes
)

// OfflineScan is one scan a door decided on its own while offline.
type OfflineScan struct {
	ScanRequest
	Decision record.Decision `json:"decision"`           // what the door answered: admit, deny or attention
	Code     record.Code     `json:"code"`               // its machine code
	Override string          `json:"override,omitempty"` // a supervisor's reason for admitting past the bundle's freshness limit
	// Resolution is what the door person chose after "attention": "admit"
	// (let in) or "deny" (turned away).
	Resolution record.Decision `json:"resolution,omitempty"`
}

// OfflineUpload is the body of POST /v1/scans/offline.
type OfflineUpload struct {
	Scans []OfflineScan `json:"scans"`
}

// OfflineResult says what became of one uploaded scan.
type OfflineResult struct {
	ScanID string `json:"scan_id"`
	Stored bool   `json:"stored"`          // false: already stored by an earlier upload, or refused
	Error  string `json:"error,omitempty"` // why it was refused
}

// OfflineResponse answers an upload.
type OfflineResponse struct {
	Stored     int             `json:"stored"`
	Duplicates int             `json:"duplicates"`
	Results    []OfflineResult `json:"results"`
	Alerts     []AlertView     `json:"alerts"` // raised by this upload
}

// AlertView is an alert as the API shows it.
type AlertView struct {
	ID       int64            `json:"id"`
	Event    string           `json:"event"`
	Serial   pass.Serial      `json:"serial"`
	Kind     record.AlertKind `json:"kind"`
	Status   string           `json:"status,omitempty"` // admitted_invalid: the server's verdict
	Scans    [2]string        `json:"scans"`
	Gates    [2]string        `json:"gates"`
	At       time.Time        `json:"at"`
	Detected time.Time        `json:"detected_at"`
	Reason   string           `json:"reason"`
}

func alertViews(as []record.Alert) []AlertView {
	out := make([]AlertView, 0, len(as))
	for _, a := range as {
		out = append(out, AlertView{ID: a.ID, Event: a.Event, Serial: a.Serial, Kind: a.Kind, Status: a.Status, Scans: a.Scans,
			Gates: a.Gates, At: a.At, Detected: a.Detected, Reason: a.Reason})
	}
	return out
}

func (o *OfflineScan) check() error {
	if err := o.ScanRequest.check(); err != nil {
		return err
	}
	switch {
	case o.At == nil:
		return errors.New("at is required: when the door scanned")
	case !o.Decision.Valid():
		return errors.New(`decision must be "admit", "deny" or "attention"`)
	case !verifier.KnownCode(o.Code):
		return fmt.Errorf("unknown code %q", truncate(string(o.Code), 64))
	case o.Resolution != "" && o.Decision != Attention:
		return errors.New(`resolution is for a scan whose decision was "attention"`)
	case o.Resolution != "" && o.Resolution != Admit && o.Resolution != Deny:
		return errors.New(`resolution must be "admit" or "deny"`)
	case len(o.Override) > 500:
		return errors.New("override is longer than 500 characters")
	}
	return nil
}

// postOfflineScans stores the scans a door decided while offline, as the
// door decided them (the person was let in or not; the server cannot undo
// that), each once whatever the number of uploads, and then looks for a
// pass used by two people.
func (s *Server) postOfflineScans(c echo.Context) error {
	var up OfflineUpload
	dec := jsonDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, maxOfflineBody))
	if err := dec.Decode(&up); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apiError(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("upload larger than %d MiB; send the queue in parts", maxOfflineBody>>20))
		}
		return apiError(http.StatusBadRequest, "bad_request", `body must be {"scans": [...]}`)
	}
	if len(up.Scans) > maxOfflineScans {
		return apiError(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("at most %d scans per upload; send the queue in parts", maxOfflineScans))
	}
	ctx, who := c.Request().Context(), c.Get("caller").(caller)
	resp := OfflineResponse{Results: make([]OfflineResult, 0, len(up.Scans)), Alerts: []AlertView{}}
	touched := map[pass.Serial]bool{}
	var alerts []record.Alert
	var capped []*record.Scan   // admitted "in" to zones with a capacity
	events := map[string]bool{} // of the scans stored: their dashboards wake up
	for i := range up.Scans {
		o := &up.Scans[i]
		res := OfflineResult{ScanID: o.ScanID}
		if err := o.check(); err != nil {
			res.Error = err.Error()
			resp.Results = append(resp.Results, res)
			continue
		}
		now := s.cfg.Now()
		sc := &record.Scan{ID: o.ScanID, Gate: o.Gate, Zone: o.Zone, Direction: o.Direction, At: *o.At,
			Decision: o.Decision, Code: o.Code, Source: record.Offline, Credential: who.ID, TokenHash: tokenHash(o.Token)}
		if sc.At.After(now.Add(maxClockSkew)) {
			// A door whose clock runs ahead: keep the scan, but not dated in
			// the future, where it would count as the pass's latest scan
			// until then.
			sc.At, sc.DeviceAt = now, *o.At
		}
		if o.Resolution != "" {
			sc.Resolution, sc.ResolvedBy, sc.ResolvedAt = o.Resolution, who.Actor(), now
		}
		// The server's own verdict, beside the door's: the door decided
		// from what it knew; the office must hear of a pass let in that
		// the server refuses (revoked since the door's data, forged, ...).
		// A forged token tells no serial: it is stored without one.
		vd := s.cfg.Verifier.Verify(o.Token, sc.At)
		if err := s.scanPlace(ctx, who, passEvent(&vd), o.Gate, pass.Zone(o.Zone)); err != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae.Status >= 500 {
				return err // the store: the door keeps its queue and sends it again
			}
			res.Error = ae.Message
			resp.Results = append(resp.Results, res)
			continue
		}
		sc.Event = who.Event // a forged token names no event: the door's, if bound
		var ev *pass.Event
		if vd.Pass != nil {
			sc.Serial, sc.Event = vd.Serial, vd.Event
			var err error
			if ev, err = s.event(ctx, vd.Event); err != nil {
				return err
			}
		}
		s.cfg.Verifier.Access(&vd, ev, pass.Zone(o.Zone), sc.At)
		verifier.Leave(&vd, pass.Zone(o.Zone), o.Direction)
		sc.Verdict = vd.Code
		answer := map[string]any{"offline": true, "decision": o.Decision, "code": o.Code, "override": o.Override, "status": vd.Status, "verdict": vd.Code}
		if !sc.DeviceAt.IsZero() {
			answer["door_clock"] = sc.DeviceAt
		}
		if o.Resolution != "" {
			answer["resolution"] = o.Resolution
		}
		rawAnswer, _ := json.Marshal(answer)
		rec, dup, err := s.cfg.Store.RecordScan(ctx, sc, func(out *record.Scan, _ *record.Scan) { out.Answer = rawAnswer })
		if errors.Is(err, store.ErrScanMismatch) {
			res.Error = "scan_id already used for another scan (other token, gate, zone or direction)"
			resp.Results = append(resp.Results, res)
			continue
		}
		if err != nil {
			return err // the door keeps its queue and sends it again
		}
		res.Stored = !dup
		events[rec.Event] = true
		if dup {
			resp.Duplicates++
		} else {
			resp.Stored++
			s.m.decisions.WithLabelValues(string(o.Decision), string(o.Code)).Inc()
		}
		// Stored now or by an upload that failed part way: look again
		// either way (finding an alert twice adds nothing).
		if rec.Admitted() {
			if rec.Verdict != record.Code(pass.CodeOK) {
				alerts = append(alerts, admittedInvalid(rec, &vd))
			}
			if rec.Serial != "" {
				touched[rec.Serial] = true
			}
			if _, ok := capacityOf(ev, rec); ok {
				capped = append(capped, rec)
			}
		}
		resp.Results = append(resp.Results, res)
	}
	window := s.cfg.CloneWindow
	for serial := range touched {
		scans, err := s.cfg.Store.Scans(ctx, serial)
		if err != nil {
			return err
		}
		alerts = append(alerts, verifier.FindDuplicates(scans, window)...)
	}
	over, err := s.overCapacity(ctx, capped)
	if err != nil {
		return err
	}
	alerts = append(alerts, over...)
	added, err := s.addAlerts(ctx, alerts)
	if err != nil {
		return err
	}
	resp.Alerts = append(resp.Alerts, alertViews(added)...)
	for ev := range events {
		s.changed(ev)
	}
	return c.JSON(http.StatusOK, resp)
}

// capacityOf is the capacity of the zone an admitted offline scan "in"
// entered, if it has one.
func capacityOf(ev *pass.Event, rec *record.Scan) (pass.ZoneCapacity, bool) {
	if ev == nil || rec.Direction != record.In {
		return pass.ZoneCapacity{}, false
	}
	return ev.EffectivePolicy().CapacityOf(pass.Zone(rec.Zone))
}

// overCapacity finds, after an upload, the zones that offline doors (which
// cannot count) filled past their capacity: one over_capacity alert for
// each pass such a door let in that is still inside the zone.
func (s *Server) overCapacity(ctx context.Context, capped []*record.Scan) ([]record.Alert, error) {
	var alerts []record.Alert
	present := map[string]map[string]int{} // event -> scan ID inside -> zone count
	for _, rec := range capped {
		byScan, ok := present[rec.Event]
		if !ok {
			ps, err := s.cfg.Store.Present(ctx, rec.Event)
			if err != nil {
				return nil, err
			}
			count := map[string]int{}
			for _, p := range ps {
				count[p.Zone]++
			}
			byScan = map[string]int{}
			for _, p := range ps {
				byScan[p.ScanID] = count[p.Zone]
			}
			present[rec.Event] = byScan
		}
		ev, err := s.event(ctx, rec.Event)
		if err != nil {
			return nil, err
		}
		c, ok := capacityOf(ev, rec)
		n, inside := byScan[rec.ID]
		if !ok || !inside || n <= c.Max {
			continue
		}
		alerts = append(alerts, record.Alert{Event: rec.Event, Serial: rec.Serial, Kind: record.AlertOverCapacity,
			Scans: [2]string{rec.ID, ""}, Gates: [2]string{rec.Gate, ""}, At: rec.At,
			Reason: fmt.Sprintf("%s holds %d passes, capacity %d: door %s let pass %s in while offline", rec.Zone, n, c.Max, rec.Gate, rec.Serial)})
	}
	return alerts, nil
}

// admittedInvalid is the alert for an offline door that let in a pass the
// server refuses; vd is the server's verdict on it.
func admittedInvalid(sc *record.Scan, vd *verifier.Verdict) record.Alert {
	what := sc.Verdict
	if vd.Status != verifier.StatusValid {
		what = record.Code(vd.Status)
	}
	who := "a pass"
	if vd.Pass != nil {
		who = fmt.Sprintf("%s pass %s", vd.Pass.Shown().Label, sc.Serial)
	}
	return record.Alert{Event: sc.Event, Serial: sc.Serial, Kind: record.AlertAdmittedInvalid, Status: string(what),
		Scans: [2]string{sc.ID, ""}, Gates: [2]string{sc.Gate, ""}, At: sc.At,
		Reason: fmt.Sprintf("Door %s, offline, let in %s that the server refuses (%s): %s", sc.Gate, who, what, vd.Reason)}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// maxAlertsListed bounds an alert list: the newest first.
const maxAlertsListed = 500

// getAlerts lists alerts: every alert for an admin (optionally of one
// event), the alerts of its own gate for a scanner, those of its event
// (and gate) for a bound token.
func (s *Server) getAlerts(c echo.Context) error {
	f := store.AlertFilter{Event: c.QueryParam("event"), Gate: c.QueryParam("gate"), Limit: maxAlertsListed}
	who := c.Get("caller").(caller)
	// A bound token's alerts are those of its event (and gate).
	if f.Event == "" {
		f.Event = who.Event
	}
	if f.Gate == "" {
		f.Gate = who.Gate
	}
	if err := who.Allows(f.Event, f.Gate); err != nil {
		return err
	}
	if who.Role != RoleAdmin && f.Gate == "" && who.Event == "" {
		return apiError(http.StatusForbidden, "forbidden", "a scanner sees the alerts of its gate: add ?gate=GATE")
	}
	as, err := s.cfg.Store.Alerts(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"alerts": alertViews(as)})
}
