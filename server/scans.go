package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/verifier"
)

// DefaultCloneWindow is how close in time two scans of one pass at two
// gates must be to raise "attention": one person cannot be at both.
const DefaultCloneWindow = 10 * time.Second

// maxClockAhead is how far ahead of the server's clock a scanner's "at"
// may be.
const maxClockAhead = 2 * time.Minute

// Scan decisions.
const (
	Admit     = "admit"
	Deny      = "deny"
	Attention = "attention" // possible clone: a person must look
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
	ScanID     string     `json:"scan_id"`
	Decision   string     `json:"decision"`
	Code       string     `json:"code"`
	Reason     string     `json:"reason"`
	NextStep   string     `json:"next_step,omitempty"`
	Status     string     `json:"status"` // the token's verdict status
	Pass       *ScanPass  `json:"pass,omitempty"`
	ArtworkURL string     `json:"artwork_url,omitempty"`
	Phase      pass.Phase `json:"phase,omitempty"`
	At         time.Time  `json:"at"`
	Replayed   bool       `json:"replayed,omitempty"` // a retry: this is the first answer
}

// ScanPass is what the door person sees of the pass.
type ScanPass struct {
	Serial pass.Serial `json:"serial"`
	Type   pass.Type   `json:"type"`
	Label  string      `json:"label"`
	Role   string      `json:"role,omitempty"`
	Name   string      `json:"name"`
	Org    string      `json:"org,omitempty"`
	Event  string      `json:"event"`
}

func (r *ScanRequest) check() error {
	switch {
	case r.Token == "":
		return errors.New("no token")
	case r.ScanID == "" || len(r.ScanID) > 64 || strings.ContainsFunc(r.ScanID, func(c rune) bool { return c < '!' || c > '~' }):
		return errors.New("scan_id must be 1 to 64 printable characters (a UUID)")
	case r.Direction != "in" && r.Direction != "out":
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

func (s *Server) postScan(c echo.Context) error {
	var req ScanRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return apiError(http.StatusBadRequest, "bad_request", err.Error())
	}
	ctx := c.Request().Context()
	at := s.cfg.Now()
	if req.At != nil {
		if req.At.After(at.Add(maxClockAhead)) {
			// A scan dated ahead would count as the pass's latest until
			// then, and deny its holder at every door.
			return apiError(http.StatusBadRequest, "bad_request", "at is in the future: the scanner's clock is wrong")
		}
		at = *req.At
	}
	zone := pass.Zone(req.Zone)
	vd := s.cfg.Verifier.Verify(req.Token, at)
	var ev *pass.Event
	if vd.Pass != nil {
		var err error
		if ev, err = s.event(ctx, vd.Event); err != nil {
			return err
		}
	}
	s.cfg.Verifier.Access(&vd, ev, zone, at)
	resp := ScanResponse{ScanID: req.ScanID, Status: string(vd.Status), Code: vd.Code, Reason: vd.Reason, NextStep: vd.NextStep, Phase: vd.Phase, At: at}
	if vd.Pass != nil {
		p := vd.Pass
		resp.Pass = &ScanPass{Serial: p.Serial, Type: p.Type, Label: p.Type.Label(), Role: p.Role, Name: p.Name, Org: p.Org, Event: p.Event}
		resp.ArtworkURL = "/v1/passes/" + string(p.Serial) + "/artwork.svg"
	}
	sc := &store.Scan{ID: req.ScanID, Serial: vd.Serial, Event: vd.Event, Gate: req.Gate, Zone: req.Zone, Direction: req.Direction, At: at}
	rec, dup, err := s.cfg.Store.RecordScan(ctx, sc, func(last *store.Scan) (string, string, []byte) {
		s.decideScan(&resp, &vd, &req, last)
		b, _ := json.Marshal(resp)
		return resp.Decision, resp.Code, b
	})
	if err != nil {
		return err
	}
	s.m.verdicts.WithLabelValues(string(vd.Status)).Inc()
	if !dup {
		s.m.decisions.WithLabelValues(rec.Decision, rec.Code).Inc()
	}
	if dup {
		var first ScanResponse
		if err := json.Unmarshal(rec.Answer, &first); err != nil {
			return err
		}
		first.Replayed = true
		return c.JSON(http.StatusOK, first)
	}
	return c.JSON(http.StatusOK, resp)
}

// decideScan applies anti-passback and clone detection to a scan whose
// token and policy answer are known, given the last admitted scan of the
// pass. It runs inside the store's transaction.
func (s *Server) decideScan(resp *ScanResponse, vd *verifier.Verdict, req *ScanRequest, last *store.Scan) {
	resp.Decision = Deny
	if vd.Allowed == nil || !*vd.Allowed {
		return // code and reason from the verdict or the policy
	}
	window := s.cfg.CloneWindow
	if last != nil {
		since := resp.At.Sub(last.At)
		loc := resp.At.Location()
		switch {
		case last.Gate != req.Gate && since >= -window && since <= window:
			resp.Decision, resp.Code = Attention, "possible_clone"
			resp.Reason = fmt.Sprintf("Same pass admitted at %s %s ago: check the holder, it may be a copy", last.Gate, roundDur(since))
			return
		case req.Direction == "in" && last.Direction == "in":
			resp.Code = "already_inside"
			resp.Reason = fmt.Sprintf("Already inside: entered at %s, %s via %s (%s)", last.Zone, last.At.In(loc).Format("15:04"), last.Gate, vd.Name)
			return
		}
	}
	resp.Decision = Admit
}

func roundDur(d time.Duration) time.Duration {
	if d < 0 {
		d = -d
	}
	return d.Round(time.Second)
}
