package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/store"
)

// The server admits people signed in to the office on the read-only
// routes that ask for it (httpkit.SessionHost), lists door devices'
// unflushed reports (httpkit.DeviceReporter) and drops a revoked token
// from its cache (httpkit.TokenForgetter).
var (
	_ httpkit.SessionHost    = (*Server)(nil)
	_ httpkit.DeviceReporter = (*Server)(nil)
	_ httpkit.TokenForgetter = (*Server)(nil)
)

// Person asks the surfaces that sign people in (httpkit.SessionResolver,
// the office) who is signed in on c.
func (s *Server) Person(c echo.Context) (httpkit.Caller, bool, error) {
	for _, sf := range s.cfg.Surfaces {
		if r, ok := sf.(httpkit.SessionResolver); ok {
			who, ok, err := r.ResolveSession(c)
			if err != nil || ok {
				return who, ok, err
			}
		}
	}
	return httpkit.Caller{}, false, nil
}

// RequireReader admits, on a GET, a token as require does, or without an
// Authorization header a person signed in to the office whose role is one
// of roles (admin always), on a request from this site's own pages. The
// cookie is SameSite=Strict already; the Sec-Fetch-Site and Origin check
// is the second lock, since these routes take no CSRF token.
func (s *Server) RequireReader(roles ...string) echo.MiddlewareFunc {
	tokens := s.require(roles...)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		byToken := tokens(next)
		return func(c echo.Context) error {
			req := c.Request()
			c.Response().Header().Add("Vary", "Cookie")
			if req.Header.Get(echo.HeaderAuthorization) != "" || req.Method != http.MethodGet && req.Method != http.MethodHead {
				return byToken(c)
			}
			who, ok, err := s.Person(c)
			if err != nil {
				return err
			}
			if !ok {
				return apiError(http.StatusUnauthorized, "unauthorized", "a bearer token (Authorization: Bearer lam_…) or an office session is required: sign in to the office at /office/")
			}
			if !httpkit.SameSite(req) {
				return apiError(http.StatusForbidden, "cross_site", "this request came from another site: an office session is accepted from this server's own pages only")
			}
			if !httpkit.HasRole(who.Role, roles...) {
				return apiError(http.StatusForbidden, "forbidden", fmt.Sprintf("this needs an office account of role admin or %s; yours has the %s role", strings.Join(roles, " or "), who.Role))
			}
			httpkit.SetCaller(c, who)
			return next(c)
		}
	}
}

// DeviceReports is door devices' reports this node has not written to
// the store yet.
func (s *Server) DeviceReports() []store.DeviceSeen { return s.seen.pending() }

// ForgetToken drops token id from the cache: its next request reads it
// from the store.
func (s *Server) ForgetToken(id string) { s.forgetToken(id) }

func (s *Server) forgetToken(id string) {
	s.tokensMu.Lock()
	delete(s.tokens, id)
	s.tokensMu.Unlock()
}
