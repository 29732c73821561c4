package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// CueRequest is the body of POST /v1/events/{id}/cues.
type CueRequest struct {
	Cue pass.Cue   `json:"cue"`
	At  *time.Time `json:"at,omitempty"` // default: now
}

// EventStatus is GET /v1/events/{id}/status and the answer to a cue.
type EventStatus struct {
	Event  string                   `json:"event"`
	Name   string                   `json:"name"`
	Phase  pass.Phase               `json:"phase"`
	Cues   pass.Cues                `json:"cues"`
	Inside map[string][]pass.Serial `json:"inside"` // zone -> passes inside
	Counts map[string]int           `json:"counts"` // zone -> how many
	Alerts []AlertView              `json:"alerts"` // passes used by two people, newest first
	At     time.Time                `json:"at"`
}

func (s *Server) postCue(c echo.Context) error {
	var req CueRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	at := s.cfg.Now()
	if req.At != nil {
		// A cue moves the show's phases for every door: a stage token may
		// not date one away from now (issue 11: a cue dated in 2000 let
		// passes of a later show in).
		if err := checkClock(*req.At, at); err != nil {
			return apiError(http.StatusBadRequest, "bad_request", err.Error())
		}
		at = *req.At
	}
	if err := c.Get("caller").(caller).Allows(c.Param("id"), ""); err != nil {
		return err
	}
	var probe pass.Cues
	if err := probe.Apply(req.Cue, at); err != nil {
		return apiError(http.StatusBadRequest, "bad_request", err.Error())
	}
	ctx := c.Request().Context()
	ev, err := s.cfg.Store.ApplyCue(ctx, c.Param("id"), req.Cue, at, c.Get("caller").(caller).Actor())
	if errors.Is(err, store.ErrNotFound) {
		return apiError(http.StatusNotFound, "not_found", "no event "+c.Param("id"))
	}
	if err != nil {
		return err
	}
	if err := s.SyncOnce(ctx); err != nil { // this node follows at once, others within 250 ms
		return err
	}
	s.changed(ev.ID)
	return s.status(c, ev)
}

func (s *Server) getStatus(c echo.Context) error {
	if err := c.Get("caller").(caller).Allows(c.Param("id"), ""); err != nil {
		return err
	}
	ev, err := s.event(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if ev == nil {
		return apiError(http.StatusNotFound, "not_found", "no event "+c.Param("id"))
	}
	return s.status(c, ev)
}

func (s *Server) status(c echo.Context, ev *pass.Event) error {
	inside, err := s.cfg.Store.Inside(c.Request().Context(), ev.ID)
	if err != nil {
		return err
	}
	alerts, err := s.cfg.Store.Alerts(c.Request().Context(), store.AlertFilter{Event: ev.ID, Limit: maxAlertsListed})
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	st := EventStatus{Event: ev.ID, Name: ev.Name, Phase: ev.PhaseAt(now), Cues: ev.Cues, Inside: inside, Counts: map[string]int{},
		Alerts: alertViews(alerts), At: now}
	for z, ps := range inside {
		st.Counts[z] = len(ps)
	}
	return c.JSON(http.StatusOK, st)
}
