package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/store"
)

// PassResponse is GET /v1/passes/{serial}: the pass, whether it is
// revoked, and its scans.
type PassResponse struct {
	Serial     pass.Serial     `json:"serial"`
	Printed    string          `json:"printed"`
	Event      string          `json:"event"`
	Type       pass.Type       `json:"type"`
	Role       string          `json:"role,omitempty"`
	Name       string          `json:"name"`
	Org        string          `json:"org,omitempty"`
	ValidFrom  time.Time       `json:"valid_from,omitzero"`
	ValidUntil time.Time       `json:"valid_until"`
	IssuedAt   time.Time       `json:"issued_at"`
	KID        string          `json:"kid"`
	Status     string          `json:"status"` // issued or revoked
	Revocation *RevocationInfo `json:"revocation,omitempty"`
	Scans      []ScanInfo      `json:"scans"`
	ArtworkURL string          `json:"artwork_url"`
}

// RevocationInfo is the public part of a revocation.
type RevocationInfo struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}

// ScanInfo is one scan in a pass's history.
type ScanInfo struct {
	ScanID    string    `json:"scan_id"`
	Gate      string    `json:"gate"`
	Zone      string    `json:"zone"`
	Direction string    `json:"direction"`
	Decision  string    `json:"decision"`
	Code      string    `json:"code"`
	At        time.Time `json:"at"`
}

// serialParam reads {serial} as a person may type it.
func serialParam(c echo.Context) (pass.Serial, error) {
	s, err := pass.ParseSerial(c.Param("serial"))
	if err != nil {
		return "", apiError(http.StatusBadRequest, "bad_request", "bad serial: "+err.Error())
	}
	return s, nil
}

func (s *Server) getPass(c echo.Context) error {
	serial, err := serialParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := s.cfg.Store.Pass(ctx, serial)
	if errors.Is(err, store.ErrNotFound) {
		return apiError(http.StatusNotFound, "not_found", "no pass "+serial.String())
	}
	if err != nil {
		return err
	}
	resp := PassResponse{Serial: p.Serial, Printed: p.Serial.String(), Event: p.Event, Type: p.Type, Role: p.Role, Name: p.Name,
		Org: p.Org, ValidFrom: p.ValidFrom, ValidUntil: p.ValidUntil, IssuedAt: p.IssuedAt, KID: p.KID, Status: "issued",
		Scans: []ScanInfo{}, ArtworkURL: "/v1/passes/" + string(p.Serial) + "/artwork.svg"}
	if r, err := s.cfg.Store.Revocation(ctx, serial); err == nil {
		resp.Status = "revoked"
		resp.Revocation = &RevocationInfo{Reason: r.Reason, At: r.At, By: r.By}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	scans, err := s.cfg.Store.Scans(ctx, serial)
	if err != nil {
		return err
	}
	for _, sc := range scans {
		resp.Scans = append(resp.Scans, ScanInfo{ScanID: sc.ID, Gate: sc.Gate, Zone: sc.Zone, Direction: sc.Direction,
			Decision: sc.Decision, Code: sc.Code, At: sc.At})
	}
	return c.JSON(http.StatusOK, resp)
}

// getArtwork serves a pass's artwork for the door to compare with the
// printed pass. Only for passes we issued: the artwork of a made-up serial
// is exactly what a forger wants.
func (s *Server) getArtwork(c echo.Context) error {
	serial, err := serialParam(c)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Store.Pass(c.Request().Context(), serial); errors.Is(err, store.ErrNotFound) {
		return apiError(http.StatusNotFound, "not_found", "no pass "+serial.String())
	} else if err != nil {
		return err
	}
	if len(s.cfg.ArtworkSecret) == 0 {
		return apiError(http.StatusNotFound, "not_found", "this server has no artwork secret")
	}
	art, err := render.NewArtwork(s.cfg.ArtworkSecret, string(serial))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=3600")
	c.Response().Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return c.Blob(http.StatusOK, "image/svg+xml", art.SVG())
}
