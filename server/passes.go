package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/store"
)

// PassResponse is GET /v1/passes/{serial}: the pass, whether it is
// revoked, and its scans.
type PassResponse struct {
	PassView
	Status     string          `json:"status"` // issued, revoked, or superseded (replaced by a reissue)
	Revocation *RevocationInfo `json:"revocation,omitempty"`
	Scans      []ScanInfo      `json:"scans"`
	ArtworkURL string          `json:"artwork_url"`
}

// RevocationInfo is a revocation as GET /v1/passes/{serial} shows it. The
// note is for staff: admins and issuers see it, scanners (door devices)
// do not.
type RevocationInfo struct {
	Reason pass.RevokeCategory `json:"reason"`
	Note   string              `json:"note,omitempty"`
	At     time.Time           `json:"at"`
	By     string              `json:"by"`
	// SupersededBy is the pass that replaced this one (reason superseded).
	SupersededBy pass.Serial `json:"superseded_by,omitempty"`
}

// ScanInfo is one scan in a pass's history.
type ScanInfo struct {
	ScanID    string          `json:"scan_id"`
	Gate      string          `json:"gate"`
	Zone      string          `json:"zone"`
	Direction string          `json:"direction"`
	Decision  record.Decision `json:"decision"`
	Code      record.Code     `json:"code"`
	At        time.Time       `json:"at"`
	// Where the scan came from and who sent it (an API token id, never
	// its secret); the server's own verdict; a person's answer to a CHECK.
	Source     record.Source   `json:"source"`
	Credential string          `json:"credential,omitempty"`
	Verdict    record.Code     `json:"verdict,omitempty"`
	DeviceAt   time.Time       `json:"device_at,omitzero"` // the device's own time, when the server dated the scan otherwise
	Resolution *ScanResolution `json:"resolution,omitempty"`
}

// serialParam reads {serial} as a person may type it.
func serialParam(c echo.Context) (pass.Serial, error) {
	s, err := pass.ParseSerial(c.Param("serial"))
	if err != nil {
		return "", apiError(http.StatusBadRequest, "bad_request", "bad serial: "+err.Error())
	}
	return s, nil
}

// passParam loads the pass named by {serial}: 400 for a mistyped serial,
// 404 for one we never issued, 403 for a pass of another event than the
// caller's token is bound to.
func (s *Server) passParam(c echo.Context) (*store.Issued, error) {
	serial, err := serialParam(c)
	if err != nil {
		return nil, err
	}
	p, err := s.cfg.Store.Pass(c.Request().Context(), serial)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiError(http.StatusNotFound, "not_found", "no pass "+serial.String())
	}
	if err != nil {
		return nil, err
	}
	if err := c.Get("caller").(caller).Allows(p.Event, ""); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) getPass(c echo.Context) error {
	p, err := s.passParam(c)
	if err != nil {
		return err
	}
	ctx, serial := c.Request().Context(), p.Serial
	resp := PassResponse{PassView: NewPassView(p), Status: "issued",
		Scans: []ScanInfo{}, ArtworkURL: "/v1/passes/" + string(p.Serial) + "/artwork.svg"}
	if r, err := s.cfg.Store.Revocation(ctx, serial); err == nil {
		resp.Status = "revoked"
		if r.Superseded() {
			resp.Status = "superseded"
		}
		resp.Revocation = &RevocationInfo{Reason: r.Category, At: r.At, By: r.By, SupersededBy: r.SupersededBy}
		if role := c.Get("caller").(caller).Role; role == RoleAdmin || role == RoleIssuer {
			resp.Revocation.Note = r.Note
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	scans, err := s.cfg.Store.Scans(ctx, serial)
	if err != nil {
		return err
	}
	for _, sc := range scans {
		info := ScanInfo{ScanID: sc.ID, Gate: sc.Gate, Zone: sc.Zone, Direction: sc.Direction,
			Decision: sc.Decision, Code: sc.Code, At: sc.At, Source: sc.Source, Credential: sc.Credential, Verdict: sc.Verdict, DeviceAt: sc.DeviceAt}
		if sc.Resolution != "" {
			info.Resolution = &ScanResolution{Decision: sc.Resolution, By: sc.ResolvedBy, At: sc.ResolvedAt}
		}
		resp.Scans = append(resp.Scans, info)
	}
	return c.JSON(http.StatusOK, resp)
}

// getArtwork serves a pass's artwork for the door to compare with the
// printed pass. Only for passes we issued: the artwork of a made-up serial
// is exactly what a forger wants.
func (s *Server) getArtwork(c echo.Context) error {
	p, err := s.passParam(c)
	if err != nil {
		return err
	}
	serial := p.Serial
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
