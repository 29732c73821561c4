package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/decodemem"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/render/logo"
	"github.com/laminate/laminate/store"
)

// BrandingRequest is the body of PUT /v1/events/{id}/branding: the fields
// given replace the event's, the others stay ("" clears one). The logo has
// its own route, since it is not JSON.
type BrandingRequest struct {
	Tour    *string `json:"tour,omitempty"`
	Short   *string `json:"short,omitempty"`
	Accent  *string `json:"accent,omitempty"`
	Contact *string `json:"contact,omitempty"`
}

// BrandingView is an event's branding as the API shows it: the logo by
// format, size and hash (GET /v1/events/{id}/logo returns its bytes).
type BrandingView struct {
	Event   string    `json:"event"`
	Tour    string    `json:"tour,omitempty"`
	Short   string    `json:"short,omitempty"`
	Accent  string    `json:"accent,omitempty"`
	Contact string    `json:"contact,omitempty"`
	Logo    *LogoView `json:"logo,omitempty"`
}

// LogoView describes a stored logo.
type LogoView struct {
	Kind   string  `json:"kind"` // png, jpeg, svg
	W      float64 `json:"w"`    // pixels, or SVG viewBox units
	H      float64 `json:"h"`
	Bytes  int     `json:"bytes"`
	SHA256 string  `json:"sha256"`
}

func brandingView(ev *pass.Event) BrandingView {
	v := BrandingView{Event: ev.ID}
	b := ev.Branding
	if b == nil {
		return v
	}
	v.Tour, v.Short, v.Accent, v.Contact = b.Tour, b.Short, b.Accent, b.Contact
	if l, err := logo.Decode(b.Logo); err == nil && len(b.Logo) > 0 {
		sum := sha256.Sum256(b.Logo)
		v.Logo = &LogoView{Kind: string(l.Kind), W: l.W, H: l.H, Bytes: len(b.Logo), SHA256: hex.EncodeToString(sum[:])}
	}
	return v
}

// brandedEvent reads the event a branding route acts on, for an admin
// token bound to it or to none.
func (s *Server) brandedEvent(c echo.Context) (*pass.Event, error) {
	if err := c.Get("caller").(caller).Allows(c.Param("id"), ""); err != nil {
		return nil, err
	}
	ev, err := s.cfg.Store.Event(c.Request().Context(), c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiError(http.StatusNotFound, "not_found", "no event "+c.Param("id"))
	}
	return ev, err
}

// setBranding stores b (validated with the rules the CLI uses) and answers
// the new branding.
func (s *Server) setBranding(c echo.Context, ev *pass.Event, b pass.Branding) error {
	err := b.Validate()
	if err == nil { // text no font prints is refused now, as the CLI does
		err = render.Printable{Fonts: s.cfg.Fonts}.CheckBranding(ev.Branding, &b)
	}
	if err != nil {
		return apiError(http.StatusBadRequest, "bad_branding", err.Error())
	}
	ctx := c.Request().Context()
	out, err := s.cfg.Store.SetBranding(ctx, ev.ID, &b, c.Get("caller").(caller).Actor())
	if errors.Is(err, store.ErrNotFound) {
		return apiError(http.StatusNotFound, "not_found", "no event "+ev.ID)
	}
	if err != nil {
		return err
	}
	if err := s.SyncOnce(ctx); err != nil { // this node prints it at once
		return err
	}
	return c.JSON(http.StatusOK, brandingView(out))
}

func (s *Server) getBranding(c echo.Context) error {
	ev, err := s.brandedEvent(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, brandingView(ev))
}

func (s *Server) putBranding(c echo.Context) error {
	var req BrandingRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ev, err := s.brandedEvent(c)
	if err != nil {
		return err
	}
	b := pass.BrandingChange{Tour: req.Tour, Short: req.Short, Accent: req.Accent, Contact: req.Contact}.Merge(ev.Branding)
	return s.setBranding(c, ev, b)
}

// putLogo takes the logo file as the body (PNG, JPEG or SVG, whatever the
// Content-Type says: the bytes are sniffed), at most logo.MaxInput bytes.
func (s *Server) putLogo(c echo.Context) error {
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, logo.MaxInput+1))
	if err != nil {
		return apiError(http.StatusBadRequest, "bad_request", "cannot read the logo")
	}
	ev, err := s.brandedEvent(c)
	if err != nil {
		return err
	}
	stored, err := logo.SanitizeContext(c.Request().Context(), data)
	if errors.Is(err, decodemem.ErrBusy) { // the shared decode budget: the client left while it waited
		return apiError(http.StatusServiceUnavailable, "busy", err.Error())
	}
	if err != nil {
		status := http.StatusBadRequest
		if len(data) > logo.MaxInput {
			status = http.StatusRequestEntityTooLarge
		}
		return apiError(status, "bad_logo", err.Error())
	}
	return s.setLogo(c, ev, stored)
}

// setLogo stores ev's branding with logo (nil: none) and the rest as it was.
func (s *Server) setLogo(c echo.Context, ev *pass.Event, logo []byte) error {
	return s.setBranding(c, ev, pass.BrandingChange{Logo: logo, NoLogo: logo == nil}.Merge(ev.Branding))
}

func (s *Server) deleteLogo(c echo.Context) error {
	ev, err := s.brandedEvent(c)
	if err != nil {
		return err
	}
	return s.setLogo(c, ev, nil)
}

// getLogo returns the stored (sanitised) logo, for a preview.
func (s *Server) getLogo(c echo.Context) error {
	ev, err := s.brandedEvent(c)
	if err != nil {
		return err
	}
	if ev.Branding == nil || len(ev.Branding.Logo) == 0 {
		return apiError(http.StatusNotFound, "not_found", "event "+ev.ID+" has no logo")
	}
	l, err := logo.Decode(ev.Branding.Logo)
	if err != nil {
		return err
	}
	mime := map[logo.Kind]string{logo.PNG: "image/png", logo.JPEG: "image/jpeg", logo.SVG: "image/svg+xml"}[l.Kind]
	// An SVG is Laminate's own shapes-only form; still, never let a
	// browser run anything from it.
	c.Response().Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, mime, ev.Branding.Logo)
}
