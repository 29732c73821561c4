package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/verifier"
)

// passEvent is the event a verified token names: "" unless a key of ours
// signed it.
func passEvent(vd *verifier.Verdict) string {
	if vd.Pass == nil {
		return ""
	}
	return vd.Event
}

// scanPlace checks where a scan was made, before anything is decided or
// stored (issue 11, item 2): a bound token scans only passes of its event
// and only at its gate, and an event that declares its gates is scanned
// at those only. passEvent is the event the pass names ("" when the token
// is not a pass of ours: then the token's event, if bound, is the one
// checked). zone, when not "", must be one of the event's zones: an
// uploaded scan is refused for a zone the event lacks, where an online
// one is decided "deny unknown_zone".
//
// The error is an *Error: 403 for the binding, 400 for the event's gates
// and zones, or the store's when the event cannot be read.
func (s *Server) scanPlace(ctx context.Context, who caller, passEvent, gate string, zone pass.Zone) error {
	if who.Event != "" && passEvent != "" && passEvent != who.Event {
		return apiError(http.StatusForbidden, "wrong_event", fmt.Sprintf(
			"Genuine pass, but for another event (%s): this door's token is bound to event %s. Do not admit.", passEvent, who.Event))
	}
	if err := who.Allows(who.Event, gate); err != nil {
		return err
	}
	id := passEvent
	if id == "" {
		id = who.Event
	}
	if id == "" {
		return nil // a token of no pass of ours, at an unbound door: nothing to check against
	}
	ev, err := s.event(ctx, id)
	if err != nil || ev == nil {
		return err // an event we do not have: the decision says so
	}
	err = ev.CheckGate(gate)
	if err == nil && zone != "" {
		err = ev.CheckZone(zone)
	}
	if errors.Is(err, pass.ErrUnknownGate) || errors.Is(err, pass.ErrUnknownZone) {
		return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: err.Error(), Err: err}
	}
	return err
}
