package server

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/verifier"
)

// DefaultCloneWindow is how close in time two scans of one pass at two
// gates must be to raise "attention": one person cannot be at both.
const DefaultCloneWindow = verifier.DefaultCloneWindow

// maxClockSkew is how far a scanner's "at" may be from the server's clock,
// either way. A scan dated ahead would count as the pass's latest until
// then and deny its holder at every door; one dated far back would be
// judged by a policy and revocations that no longer hold. Older scans
// belong in the offline upload, which has its own rules.
const maxClockSkew = 2 * time.Minute

// Scan decisions.
const (
	Admit     = verifier.Admit
	Deny      = verifier.Deny
	Attention = verifier.Attention // a person must look
)

// ScanRequest is the body of POST /v1/scans.
type ScanRequest struct {
	Token     string     `json:"token"`
	Gate      string     `json:"gate"`
	Zone      string     `json:"zone"`
	Direction string     `json:"direction"`
	ScanID    string     `json:"scan_id"`
	At        *time.Time `json:"at,omitempty"` // when scanned; default: when received
}

// ScanResponse is the door's answer.
type ScanResponse struct {
	ScanID   string          `json:"scan_id"`
	Decision record.Decision `json:"decision"`
	Code     record.Code     `json:"code"`
	Reason   string          `json:"reason"`
	NextStep string          `json:"next_step,omitempty"`
	// The reason and the next step as text keys with parameters (issue
	// 14, verifier.TextKeys): the door page words them in its language.
	ReasonKey    string          `json:"reason_key,omitempty"`
	ReasonParams pass.Params     `json:"reason_params,omitempty"`
	NextKey      string          `json:"next_key,omitempty"`
	NextParams   pass.Params     `json:"next_params,omitempty"`
	Status       string          `json:"status"` // the token's verdict status
	Pass         *ScanPass       `json:"pass,omitempty"`
	ArtworkURL   string          `json:"artwork_url,omitempty"`
	Phase        pass.Phase      `json:"phase,omitempty"`
	At           time.Time       `json:"at"`
	Replayed     bool            `json:"replayed,omitempty"`   // a retry: this is the first answer
	Resolution   *ScanResolution `json:"resolution,omitempty"` // a person's answer to "attention"
	Photo        *ScanPhoto      `json:"photo,omitempty"`      // for a pass that signs a holder photo
}

// ScanResolution is what the door person chose after "attention".
type ScanResolution struct {
	Decision record.Decision `json:"decision"` // admit (let in) or deny (turned away)
	By       string          `json:"by"`
	At       time.Time       `json:"at"`
}

// ResolveRequest is the body of POST /v1/scans/{scan_id}/resolve.
type ResolveRequest struct {
	Decision record.Decision `json:"decision"` // admit or deny
}

// ScanPass is what the door person sees of the pass: [pass.Shown] in the
// door's JSON (offline.js builds the same object).
type ScanPass struct {
	Serial pass.Serial `json:"serial"`
	Type   pass.Type   `json:"type"`
	Label  string      `json:"label"`
	Role   string      `json:"role,omitempty"`
	Name   string      `json:"name"`
	Org    string      `json:"org,omitempty"`
	Event  string      `json:"event"`
}

func newScanPass(sh pass.Shown) *ScanPass {
	return &ScanPass{Serial: sh.Serial, Type: sh.Type, Label: sh.Label, Role: sh.Role, Name: sh.Name, Org: sh.Org, Event: sh.Event}
}

// validScanID: 1 to 64 printable ASCII characters (a UUID).
func validScanID(id string) bool {
	return id != "" && len(id) <= 64 && !strings.ContainsFunc(id, func(c rune) bool { return c < '!' || c > '~' })
}

func (r *ScanRequest) check() error {
	switch {
	case r.Token == "":
		return errors.New("no token")
	case !validScanID(r.ScanID):
		return errors.New("scan_id must be 1 to 64 printable characters (a UUID)")
	case r.Direction != record.In && r.Direction != record.Out:
		return errors.New(`direction must be "in" or "out"`)
	}
	if _, err := pass.ParseZone(r.Zone); err != nil {
		return fmt.Errorf("zone: %w", err)
	}
	if _, err := pass.ParseZone(r.Gate); err != nil {
		return fmt.Errorf("gate: %w", err)
	}
	return nil
}

// tokenHash is what binds a scan ID to the token it was first sent with.
func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(verifier.Normalize(token)))
	return sum[:]
}

// checkClock bounds a device's time to the server's clock, either way.
func checkClock(at, now time.Time) error {
	switch {
	case at.After(now.Add(maxClockSkew)):
		return errors.New("at is in the future: the device's clock is wrong")
	case at.Before(now.Add(-maxClockSkew)):
		return fmt.Errorf("at is more than %s in the past", maxClockSkew)
	}
	return nil
}

func (s *Server) postScan(c echo.Context) error {
	var req ScanRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return apiError(http.StatusBadRequest, "bad_request", err.Error())
	}
	if req.At != nil {
		if err := checkClock(*req.At, s.cfg.Now()); err != nil {
			return apiError(http.StatusBadRequest, "bad_request", err.Error()+": a scan is answered now; send older scans with the offline upload (POST /v1/scans/offline)")
		}
	}
	ctx := c.Request().Context()
	zone := pass.Zone(req.Zone)
	// The signature is checked before the pass is locked (the costly
	// part); what depends on time is judged again under the lock, once
	// the scan's time is known.
	first := s.cfg.Now()
	if req.At != nil {
		first = *req.At
	}
	vd := s.cfg.Verifier.Verify(req.Token, first)
	who := c.Get("caller").(caller)
	if err := s.scanPlace(ctx, who, passEvent(&vd), req.Gate, ""); err != nil {
		return err
	}
	var ev *pass.Event
	if vd.Pass != nil {
		var err error
		if ev, err = s.event(ctx, vd.Event); err != nil {
			return err
		}
	}
	photo, _, err := s.scanPhoto(ctx, vd.Pass)
	if err != nil {
		return err
	}
	var resp ScanResponse
	var conflict *record.Scan // an offline door's scan this one disagrees with
	sc := &record.Scan{ID: req.ScanID, Serial: vd.Serial, Event: vd.Event, Gate: req.Gate, Zone: req.Zone, Direction: req.Direction,
		Source: record.Online, Credential: who.ID, TokenHash: tokenHash(req.Token)}
	// A zone with a capacity is counted in the scan's transaction, under
	// the zone's lock (store.RecordZoneScan): two doors cannot both admit
	// its last place. This node's copy of the event says whether to take
	// the lock; the cap applied is the one the transaction reads, so a
	// cap just lowered on another node holds here too.
	capped := false
	if ev != nil && req.Direction == record.In {
		_, capped = ev.EffectivePolicy().CapacityOf(zone)
	}
	decide := func(out *record.Scan, last *record.Scan, inside int, zoneCap pass.ZoneCapacity) {
		// Timed here, while the pass is locked: see verifier.TimeScan.
		at := s.cfg.Now()
		if req.At != nil {
			at = *req.At
		}
		at = verifier.TimeScan(at.Truncate(time.Microsecond), last)
		if req.At != nil && !at.Equal(*req.At) {
			out.DeviceAt = *req.At
		}
		d := s.cfg.Verifier.VerdictAt(vd, at)
		s.cfg.Verifier.Access(&d, ev, zone, at)
		verifier.Leave(&d, zone, req.Direction)
		resp = s.scanResponse(req.ScanID, &d, at)
		resp.Photo = photo
		out.At, out.Verdict = at, d.Code
		if d.Allowed != nil && *d.Allowed {
			loc := time.UTC
			if ev != nil {
				loc = ev.Location()
			}
			a := verifier.DecideScanAnswer(verifier.DoorScan{Gate: req.Gate, Zone: req.Zone, Direction: req.Direction, At: at},
				last, s.cfg.CloneWindow, loc)
			if zoneCap.Max > 0 { // the cap read in the scan's transaction
				a = verifier.DecideCapacityAnswer(zoneCap, req.Zone, inside, a)
			}
			resp.Decision = a.Decision
			if a.Decision != Admit {
				resp.Code, resp.Reason, resp.NextStep = a.Code, a.Reason, a.NextStep
				resp.ReasonKey, resp.ReasonParams, resp.NextKey, resp.NextParams = a.ReasonKey, a.ReasonParams, a.NextKey, a.NextParams
			}
			if a.Code == verifier.CodeOfflineConflict {
				conflict = last
			}
		}
		out.Decision, out.Code = resp.Decision, resp.Code
		out.Answer, _ = json.Marshal(resp)
	}
	var rec *record.Scan
	var dup bool
	if capped {
		rec, dup, err = s.cfg.Store.RecordZoneScan(ctx, sc, decide)
	} else {
		rec, dup, err = s.cfg.Store.RecordScan(ctx, sc, func(out, last *record.Scan) { decide(out, last, 0, pass.ZoneCapacity{}) })
	}
	if errors.Is(err, store.ErrScanMismatch) {
		return apiError(http.StatusConflict, "scan_id_reused", "this scan_id was already used for another scan (other token, gate, zone or direction): use a fresh scan_id")
	}
	if err != nil {
		return err
	}
	s.m.verdicts.WithLabelValues(string(vd.Status)).Inc()
	if dup {
		var first ScanResponse
		if err := json.Unmarshal(rec.Answer, &first); err != nil {
			return err
		}
		first.Replayed = true
		return c.JSON(http.StatusOK, first)
	}
	s.m.decisions.WithLabelValues(string(rec.Decision), string(rec.Code)).Inc()
	defer s.changed(rec.Event)
	if conflict != nil {
		// The scan and its answer stand; an alert that cannot be stored
		// now is logged (the answer already told the door to check).
		_, err := s.addAlerts(ctx, []record.Alert{{Event: rec.Event, Serial: rec.Serial, Kind: record.AlertOfflineConflict,
			Scans: [2]string{conflict.ID, rec.ID}, Gates: [2]string{conflict.Gate, rec.Gate}, At: rec.At,
			Reason: fmt.Sprintf("Door %s reported this pass let in while offline; %s then scanned it in again: two people may hold this pass", conflict.Gate, rec.Gate)}})
		if err != nil {
			s.log.Error("offline_conflict alert not stored", "serial", rec.Serial, "scan", rec.ID, "err", err)
		}
	}
	return c.JSON(http.StatusOK, resp)
}

// scanResponse is the answer to a scan from the verdict d at time at,
// before anti-passback: deny unless the policy allows.
func (s *Server) scanResponse(scanID string, d *verifier.Verdict, at time.Time) ScanResponse {
	resp := ScanResponse{ScanID: scanID, Decision: Deny, Status: string(d.Status), Code: d.Code, Reason: d.Reason, NextStep: d.NextStep, Phase: d.Phase, At: at,
		ReasonKey: d.ReasonKey, ReasonParams: d.ReasonParams, NextKey: d.NextKey, NextParams: d.NextParams}
	if p := d.Pass; p != nil {
		resp.Pass = newScanPass(p.Shown())
		resp.ArtworkURL = "/v1/passes/" + string(p.Serial) + "/artwork.svg"
	}
	return resp
}

// addAlerts stores alerts and logs the ones that are new.
func (s *Server) addAlerts(ctx context.Context, alerts []record.Alert) ([]record.Alert, error) {
	if len(alerts) == 0 {
		return nil, nil
	}
	added, err := s.cfg.Store.AddAlerts(ctx, alerts)
	if err != nil {
		return nil, err
	}
	for _, a := range added {
		s.changed(a.Event)
		s.log.Warn("alert", "kind", a.Kind, "serial", a.Serial, "status", a.Status, "gates", a.Gates[:], "scans", a.Scans[:])
	}
	return added, nil
}

// resolveScan records the door person's answer to an "attention" scan:
// let in or turned away. Only the credential that made the scan (or an
// admin) answers it. Letting in is refused once the pass was scanned
// again: the admission would then sit before a scan decided without it.
func (s *Server) resolveScan(c echo.Context) error {
	var req ResolveRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Decision != Admit && req.Decision != Deny {
		return apiError(http.StatusBadRequest, "bad_request", `decision must be "admit" (let in) or "deny" (turned away)`)
	}
	id := c.Param("id")
	if !validScanID(id) {
		return apiError(http.StatusBadRequest, "bad_request", "bad scan_id")
	}
	ctx := c.Request().Context()
	who := c.Get("caller").(caller)
	sc, err := s.cfg.Store.Scan(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return apiError(http.StatusNotFound, "not_found", "no scan "+id)
	}
	if err != nil {
		return err
	}
	if who.Role != RoleAdmin && sc.Credential != who.ID {
		return apiError(http.StatusForbidden, "forbidden", "only the door that made this scan can answer it")
	}
	sc, err = s.cfg.Store.ResolveScan(ctx, id, req.Decision, who.Actor(), s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrNotAttention):
		return apiError(http.StatusConflict, "not_attention", "this scan was not a CHECK: nothing to answer")
	case errors.Is(err, store.ErrAlreadyResolved):
		return apiError(http.StatusConflict, "already_resolved", "this CHECK was already answered the other way")
	case errors.Is(err, store.ErrScannedSince):
		return apiError(http.StatusConflict, "scanned_since", "the pass was scanned again since this CHECK: scan it again")
	case err != nil:
		return err
	}
	s.changed(sc.Event)
	var resp ScanResponse
	if err := json.Unmarshal(sc.Answer, &resp); err != nil {
		return err
	}
	resp.Resolution = &ScanResolution{Decision: sc.Resolution, By: sc.ResolvedBy, At: sc.ResolvedAt}
	return c.JSON(http.StatusOK, resp)
}
