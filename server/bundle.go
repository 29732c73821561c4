package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/verifier"
)

// BundleFreshness is the freshness limit of the bundles this API serves. It
// is fixed: a door that is online fetches a new one well within it, and a
// scanner token cannot ask for a bundle that outlives the office's choice
// (longer ones are made with "laminate bundle export --fresh-for").
const BundleFreshness = verifier.DefaultBundleFreshness

// getBundle answers GET /v1/events/{id}/bundle: the event's signed offline
// bundle as a compact JWS (application/jose, RFC 7515 §9.2.1), for a door
// that must keep deciding when the venue network fails. Its door rules
// carry this server's clone window.
func (s *Server) getBundle(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	if err := c.Get("caller").(caller).allows(id, ""); err != nil {
		return err
	}
	ev, err := s.event(ctx, id)
	if err != nil {
		return err
	}
	if ev == nil {
		return apiError(http.StatusNotFound, "not_found", "no event "+id)
	}
	sg, err := s.signerOr503()
	if err != nil {
		return err
	}
	revs, err := s.cfg.Store.RevocationsSince(ctx, 0)
	if err != nil {
		return err
	}
	b, err := verifier.NewBundle(ev, s.cfg.Keys.JWKS(), revs, sg.Issuer(), s.cfg.Now(), BundleFreshness)
	if err != nil {
		return err
	}
	// The door decides offline as this server does online: its clone
	// window (serve --clone-window), not a default of the page's.
	door, err := verifier.NewDoorRules(s.cfg.CloneWindow)
	if err != nil {
		return err
	}
	b.SetDoor(door)
	jws, err := sg.SignDocument(verifier.BundleHeaderType, b)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/jose", []byte(jws))
}
