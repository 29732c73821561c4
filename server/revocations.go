package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/verifier"
)

// RevokeRequest is the body of POST /v1/passes/{serial}/revoke.
type RevokeRequest struct {
	Reason string `json:"reason"`         // a category: lost, stolen, replaced, misuse, other
	Note   string `json:"note,omitempty"` // for staff; never shown at a door or on /verify
}

// RevokeResponse answers a revocation.
type RevokeResponse struct {
	Serial pass.Serial         `json:"serial"`
	Seq    int64               `json:"seq"`
	At     time.Time           `json:"at"`
	Reason pass.RevokeCategory `json:"reason"`
	Note   string              `json:"note,omitempty"`
}

// revokeReason reads a request's reason and note (pass.ParseRevokeReason:
// a reason that is not a category, with no note, is taken as the note of
// category other, as the free-text reasons of before categories).
func revokeReason(reason, note string) (pass.RevokeCategory, string, error) {
	c, n, _, err := pass.ParseRevokeReason(reason, note)
	if err != nil {
		return "", "", apiError(http.StatusBadRequest, "bad_request", err.Error())
	}
	return c, n, nil
}

func (s *Server) revokePass(c echo.Context) error {
	serial, err := serialParam(c)
	if err != nil {
		return err
	}
	var req RevokeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cat, note, err := revokeReason(req.Reason, req.Note)
	if err != nil {
		return err
	}
	who := c.Get("caller").(caller)
	r := &store.Revocation{Serial: serial, Category: cat, Note: note, By: who.Actor(), At: s.cfg.Now()}
	err = s.cfg.Store.Revoke(c.Request().Context(), r)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apiError(http.StatusNotFound, "not_found", "no pass "+serial.String())
	case errors.Is(err, store.ErrAlreadyRevoked):
		if old, rerr := s.cfg.Store.Revocation(c.Request().Context(), serial); rerr == nil && old.Superseded() {
			return apiError(http.StatusConflict, "superseded", "pass "+serial.String()+" was replaced by pass "+old.SupersededBy.String()+" and is no longer valid; to stop the holder, revoke "+old.SupersededBy.String())
		}
		return apiError(http.StatusConflict, "already_revoked", "pass "+serial.String()+" is already revoked")
	case err != nil:
		return err
	}
	s.cfg.Revocations.Add(*r) // this node honours it at once; others at their next sync
	return c.JSON(http.StatusOK, RevokeResponse{Serial: r.Serial, Seq: r.Seq, At: r.At, Reason: r.Category, Note: r.Note})
}

// MassRevokeRequest is the body of POST /v1/revocations: every pass of
// Event matching all the other fields given (at least one).
type MassRevokeRequest struct {
	Event        string     `json:"event"`
	Type         string     `json:"type,omitempty"`
	Role         string     `json:"role,omitempty"`
	Org          string     `json:"org,omitempty"`
	IssuedBefore *LocalTime `json:"issued_before,omitempty"` // the time rule: RFC 3339, or local in the event's zone
	Reason       string     `json:"reason"`                  // a category, as in RevokeRequest
	Note         string     `json:"note,omitempty"`          // for staff
}

// MassRevokeResponse says how many passes a scoped revocation revoked.
type MassRevokeResponse struct {
	Revoked int           `json:"revoked"`
	Serials []pass.Serial `json:"serials"`
}

func (s *Server) massRevoke(c echo.Context) error {
	var req MassRevokeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cat, note, err := revokeReason(req.Reason, req.Note)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	f := store.RevokeFilter{Event: req.Event, Org: req.Org}
	if req.Type != "" {
		if f.Type, err = pass.ParseType(req.Type); err != nil {
			return apiError(http.StatusBadRequest, "bad_request", err.Error())
		}
	}
	if req.Role != "" {
		if f.Role, err = pass.ParseRole(req.Role); err != nil {
			return apiError(http.StatusBadRequest, "bad_request", err.Error())
		}
	}
	if req.Type == "" && req.Role == "" && req.Org == "" && req.IssuedBefore == nil {
		return apiError(http.StatusBadRequest, "bad_request", "a scoped revocation needs at least one of type, role, org, issued_before")
	}
	ev, err := s.event(ctx, req.Event)
	if err != nil {
		return err
	} else if ev == nil {
		return apiError(http.StatusNotFound, "not_found", "no event "+req.Event)
	}
	if f.IssuedBefore, err = req.IssuedBefore.In(ev.Location()); err != nil {
		return badBody(`field "issued_before": ` + err.Error())
	}
	revs, err := s.cfg.Store.RevokeWhere(ctx, f, cat, note, c.Get("caller").(caller).Actor())
	if err != nil {
		return err
	}
	s.cfg.Revocations.Add(revs...)
	resp := MassRevokeResponse{Revoked: len(revs), Serials: make([]pass.Serial, len(revs))}
	for i, r := range revs {
		resp.Serials[i] = r.Serial
	}
	return c.JSON(http.StatusOK, resp)
}

// RevocationList is the signed payload of GET /v1/revocations: every
// revocation after Since, for scanners that must decide offline.
type RevocationList struct {
	Typ     string         `json:"typ"` // "laminate/revocations"
	Issuer  string         `json:"iss,omitempty"`
	Event   string         `json:"event,omitempty"` // set: the list holds this event's revocations only (a bound token's)
	Since   int64          `json:"since"`
	Seq     int64          `json:"seq"` // the highest sequence number included (or Since)
	Issued  int64          `json:"iat"`
	Revoked []RevokedEntry `json:"revoked"`
}

// RevokedEntry is one revoked pass in a list. The list goes to every
// scanner of every event: it says the category, never the note.
type RevokedEntry struct {
	Seq    int64               `json:"seq"`
	Serial pass.Serial         `json:"serial"`
	Event  string              `json:"event"`
	Reason pass.RevokeCategory `json:"reason"` // superseded: replaced by a reissue (issue 13)
	At     int64               `json:"at"`
	// SupersededBy is the pass that replaced this one, when Reason is
	// superseded: genuine, but the holder has a newer pass.
	SupersededBy pass.Serial `json:"superseded_by,omitempty"`
}

// RevocationListResponse carries the list both signed and readable.
type RevocationListResponse struct {
	JWS  string         `json:"jws"` // compact JWS of the list, verifiable with the JWKS
	List RevocationList `json:"list"`
}

func (s *Server) getRevocations(c echo.Context) error {
	since := int64(0)
	if v := c.QueryParam("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return apiError(http.StatusBadRequest, "bad_request", "since must be a sequence number (0 or more)")
		}
		since = n
	}
	sg, err := s.signerOr503()
	if err != nil {
		return err
	}
	revs, err := s.cfg.Store.RevocationsSince(c.Request().Context(), since)
	if err != nil {
		return err
	}
	who := c.Get("caller").(caller)
	list := RevocationList{Typ: "laminate/revocations", Event: who.Event, Since: since, Seq: since, Issued: s.cfg.Now().Unix(), Revoked: []RevokedEntry{}}
	for _, r := range revs {
		list.Seq = max(list.Seq, r.Seq) // past the other events' too: the door need not ask for them again
		if who.Event != "" && r.Event != who.Event {
			continue // a bound token sees its event's revocations only
		}
		list.Revoked = append(list.Revoked, RevokedEntry{Seq: r.Seq, Serial: r.Serial, Event: r.Event, Reason: r.Category, At: r.At.Unix(), SupersededBy: r.SupersededBy})
	}
	jws, err := sg.SignDocument(verifier.RevocationListHeaderType, list)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, RevocationListResponse{JWS: jws, List: list})
}
