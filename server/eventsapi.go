package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// The office tells this node of the events it changes.
var _ httpkit.EventSyncer = (*Server)(nil)

// EventRequest is the body of POST /v1/events (create) and PUT
// /v1/events/{id} (edit). A field left out is not changed (a new event
// takes the defaults); times follow the one rule (RFC 3339, or a local
// time read in time_zone, else the event's zone).
type EventRequest struct {
	ID             string  `json:"id,omitempty"` // POST only
	Name           *string `json:"name,omitempty"`
	Venue          *string `json:"venue,omitempty"`
	TimeZone       *string `json:"time_zone,omitempty"` // "+01:00"
	ShowStart      *string `json:"show_start,omitempty"`
	ShowEnd        *string `json:"show_end,omitempty"`
	AccessFrom     *string `json:"access_from,omitempty"`
	AccessUntil    *string `json:"access_until,omitempty"`
	MeetGreetFrom  *string `json:"meet_greet_from,omitempty"`
	MeetGreetUntil *string `json:"meet_greet_until,omitempty"`
	PhotoWindow    *string `json:"photo_window,omitempty"` // "15m"
	// Policy is a policy file's JSON: it replaces the event's policy.
	Policy RawPolicy `json:"policy,omitempty"`
	// Capacity caps zones: {"photo-pit": {"max": 30, "when_full": "deny"}};
	// max 0 removes a zone's cap.
	Capacity map[pass.Zone]pass.ZoneCapacity `json:"capacity,omitempty"`
}

// RawPolicy is a policy kept as its JSON, read by pass.ParsePolicy (the
// rules and messages of policy files).
type RawPolicy []byte

// UnmarshalJSON keeps the bytes.
func (r *RawPolicy) UnmarshalJSON(b []byte) error { *r = append((*r)[:0], b...); return nil }

// EventView is the answer to an event create or edit.
type EventView struct {
	Event    *pass.Event `json:"event"`
	TimeZone string      `json:"time_zone"`
	Changed  []string    `json:"changed"` // the fields the request changed
}

// badEvent is the 400 of a bad event field: the message the CLI and the
// office give, and the field in details.
func badEvent(err error, prefix string) error {
	field := pass.ErrorField(err)
	if field == "" {
		return err
	}
	field = prefix + field
	msg := err.Error()
	if !strings.Contains(msg, pass.ErrorField(err)) {
		msg = field + ": " + msg
	}
	return &Error{Status: http.StatusBadRequest, Code: "bad_event", Message: msg, Details: map[string]string{"field": field}}
}

// change reads the request into a change of an event shown in ev's zone
// (nil: a new event).
func (r *EventRequest) change(ev *pass.Event) (pass.EventChange, error) {
	t := pass.EventText{Name: r.Name, Venue: r.Venue, TimeZone: r.TimeZone, ShowStart: r.ShowStart, ShowEnd: r.ShowEnd,
		AccessFrom: r.AccessFrom, AccessUntil: r.AccessUntil, MeetGreetFrom: r.MeetGreetFrom, MeetGreetUntil: r.MeetGreetUntil,
		PhotoWindow: r.PhotoWindow}
	var c pass.EventChange
	var err error
	if ev != nil {
		c, err = t.Change(ev.Location())
	} else {
		c, err = t.Change(nil)
	}
	if err != nil {
		return c, badEvent(err, "")
	}
	if len(r.Policy) > 0 {
		if c.Policy, err = pass.ParsePolicy(bytes.NewReader(r.Policy)); err != nil {
			if pass.ErrorField(err) == "" {
				return c, &Error{Status: http.StatusBadRequest, Code: "bad_event", Message: "policy: " + err.Error(), Details: map[string]string{"field": "policy"}}
			}
			return c, badEvent(err, "policy.")
		}
	}
	c.Capacity = r.Capacity
	return c, nil
}

// putEvent is PUT /v1/events/{id}: edits the event; the doors of this
// node decide by the new schedule and policy at once, other nodes' at
// their next sync (at once on PostgreSQL, which notifies them).
func (s *Server) putEvent(c echo.Context) error {
	var req EventRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	id := c.Param("id")
	if req.ID != "" && req.ID != id {
		return apiError(http.StatusBadRequest, "bad_event", "id: an event's id cannot change (it is in every pass)")
	}
	ev, err := s.brandedEvent(c)
	if err != nil {
		return err
	}
	ch, err := req.change(ev)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, changed, err := s.cfg.Store.UpdateEvent(ctx, id, ch, c.Get("caller").(caller).Actor())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apiError(http.StatusNotFound, "not_found", "no event "+id)
	case pass.ErrorField(err) != "":
		return badEvent(err, "")
	case err != nil:
		return err
	}
	if err := s.EventChanged(ctx, id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, EventView{Event: out, TimeZone: pass.TimeZoneOf(out), Changed: nonNilStrings(changed)})
}

// postEvent is POST /v1/events: a new event, the default policy unless
// the request gives one.
func (s *Server) postEvent(c echo.Context) error {
	var req EventRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := c.Get("caller").(caller).Allows(req.ID, ""); err != nil {
		return err
	}
	ch, err := req.change(nil)
	if err != nil {
		return err
	}
	for _, need := range []struct {
		field string
		v     *string
	}{{"name", req.Name}, {"show_start", req.ShowStart}, {"show_end", req.ShowEnd}} {
		if need.v == nil {
			return &Error{Status: http.StatusBadRequest, Code: "bad_event", Message: need.field + ": missing", Details: map[string]string{"field": need.field}}
		}
	}
	ev, changed, err := ch.Apply(&pass.Event{ID: req.ID})
	if err != nil {
		return badEvent(err, "")
	}
	ctx := c.Request().Context()
	err = s.cfg.Store.CreateEvent(ctx, ev, c.Get("caller").(caller).Actor())
	if errors.Is(err, store.ErrExists) {
		return &Error{Status: http.StatusConflict, Code: "exists", Message: "id: event " + ev.ID + " already exists", Details: map[string]string{"field": "id"}}
	}
	if err != nil {
		return err
	}
	if err := s.EventChanged(ctx, ev.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, EventView{Event: ev, TimeZone: pass.TimeZoneOf(ev), Changed: changed})
}

// EventChanged brings this node's copy of the events up to date after an
// event was created or edited (httpkit.EventSyncer): its doors, bundles
// and dashboards use the new schedule and policy at once.
func (s *Server) EventChanged(ctx context.Context, id string) error {
	if err := s.SyncOnce(ctx); err != nil {
		return err
	}
	s.changed(id)
	return nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
