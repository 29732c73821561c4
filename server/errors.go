package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/store"
)

// Error is the one error type of the API (shared with the surfaces in
// package httpkit). Err is logged, never sent.
type Error = httpkit.Error

func apiError(status int, code, msg string) *Error { return httpkit.NewError(status, code, msg) }

// errorBody is what every error looks like on the wire.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Details   any    `json:"details,omitempty"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// handleError renders any error in the one shape; 5xx are logged as errors.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var ae *Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae) && (ae.Status >= 500 || !errors.Is(err, store.ErrUnavailable)):
	case errors.Is(err, store.ErrUnavailable):
		// Also when a handler took it for the request's fault: an
		// unreachable database is never the client's, and its text
		// (the driver's) is never sent.
		// The database is down or unreachable: say so at once, so a door
		// retries or falls back, instead of waiting on a timeout.
		ae = &Error{Status: http.StatusServiceUnavailable, Code: "store_unavailable",
			Message: "the database is not reachable right now; retry in a moment", Err: err}
	case errors.As(err, &he):
		ae = &Error{Status: he.Code, Code: codeFor(he.Code), Message: http.StatusText(he.Code), Err: err}
		if he.Code == http.StatusRequestEntityTooLarge {
			ae.Message = "request body too large"
		}
	default:
		ae = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error", Err: err}
	}
	rid := c.Response().Header().Get(echo.HeaderXRequestID)
	if ae.Status >= 500 {
		s.log.Error("request failed", "request_id", rid, "path", c.Request().URL.Path, "err", ae.Err)
	}
	var body errorBody
	body.Error.Code, body.Error.Message, body.Error.Details, body.Error.RequestID = ae.Code, ae.Message, ae.Details, rid
	if err := c.JSON(ae.Status, body); err != nil {
		s.log.Warn("writing error response", "request_id", rid, "err", err)
	}
}

func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}
