package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/laminate/laminate/devices"
	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/store"
)

// EnrolmentRequest is the body of POST /v1/devices/enrolments.
type EnrolmentRequest struct {
	Event string `json:"event"`
	Gate  string `json:"gate"`
	Zone  string `json:"zone,omitempty"`
	Name  string `json:"name"`
}

// Enrolment is a new enrolment code: shown once, as text and as the
// address its QR code holds.
type Enrolment struct {
	Code    string    `json:"code"`
	URL     string    `json:"url"` // the door page with the code in its fragment
	Expires time.Time `json:"expires"`
	Event   string    `json:"event"`
	Gate    string    `json:"gate"`
	Zone    string    `json:"zone,omitempty"`
	Name    string    `json:"name"`
}

// EnrolledDevice answers a redeemed code: the device's scanner token,
// bound to Event and Gate, and where its page starts.
type EnrolledDevice struct {
	Token string `json:"token"`
	Event string `json:"event"`
	Gate  string `json:"gate"`
	Zone  string `json:"zone,omitempty"`
	Name  string `json:"name"`
}

// postEnrolment is POST /v1/devices/enrolments (admin): a one-time code
// that enrols a door device for an event and gate within 10 minutes.
func (s *Server) postEnrolment(c echo.Context) error {
	var req EnrolmentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Event == "" {
		return apiError(http.StatusBadRequest, "bad_request", "event: required (the event the device scans for)")
	}
	ev, err := s.eventOr404(c, req.Event)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	code, e, err := devices.Enrol(c.Request().Context(), s.cfg.Store, ev, devices.Request{Gate: req.Gate, Zone: req.Zone, Name: req.Name},
		c.Get("caller").(caller).Actor(), now)
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			return err
		}
		return apiError(http.StatusBadRequest, "bad_request", err.Error())
	}
	return c.JSON(http.StatusCreated, Enrolment{Code: code, URL: devices.URL(httpkit.BaseURL(c), code), Expires: e.Expires,
		Event: e.Event, Gate: e.Gate, Zone: e.Zone, Name: e.Name})
}

// EnrollRequest is the body of POST /v1/devices/enroll.
type EnrollRequest struct {
	Code string `json:"code"` // the code, or the enrolment address
}

// enrollPerMinute is how many enrolment attempts one client address (an
// IPv4 address or an IPv6 /64, httpkit.RateKey) may make a minute, with a
// burst of as many: on always, whatever --verify-rate says.
const enrollPerMinute = 10

// enrollLimit is the limiter of POST /v1/devices/enroll alone.
func (s *Server) enrollLimit() echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(enrollPerMinute / 60.0), Burst: enrollPerMinute, ExpiresIn: 10 * time.Minute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) {
			if ip := c.RealIP(); ip != "" {
				return rateKey(ip), nil
			}
			return "", errors.New("no client address")
		},
		ErrorHandler: func(c echo.Context, err error) error {
			return apiError(http.StatusForbidden, "forbidden", "no client address")
		},
		DenyHandler: func(c echo.Context, id string, err error) error {
			c.Response().Header().Set("Retry-After", "6")
			return apiError(http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("too many enrolment attempts from this address (at most %d a minute); wait a minute, then enter the code again", enrollPerMinute))
		},
	})
}

// enroll is POST /v1/devices/enroll (public, rate limited): a door device
// redeems its enrolment code, once, for a scanner token.
func (s *Server) enroll(c echo.Context) error {
	var req EnrollRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	invalid := apiError(http.StatusNotFound, "enrolment_invalid",
		"this enrolment code is not valid: it was used already, it expired (codes last 10 minutes) or it is mistyped; ask the production office for a new one")
	code, err := devices.ParseCode(req.Code)
	if err != nil {
		return invalid
	}
	var token string
	now := s.cfg.Now()
	e, err := s.cfg.Store.RedeemEnrolment(c.Request().Context(), devices.Hash(code), now, func(e store.Enrolment) (*store.APIToken, error) {
		tok, rec, err := NewBoundToken(RoleScanner, e.Name, Binding{Event: e.Event, Gate: e.Gate}, now)
		token = tok
		return &rec, err
	})
	if errors.Is(err, store.ErrNotFound) {
		return invalid
	}
	if err != nil {
		return err
	}
	s.log.Info("door device enrolled", "token", e.Token, "event", e.Event, "gate", e.Gate)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, EnrolledDevice{Token: token, Event: e.Event, Gate: e.Gate, Zone: e.Zone, Name: e.Name})
}

// getDevices is GET /v1/devices (admin): every door device (scanner
// token), newest first, with its last report and whether it is online.
func (s *Server) getDevices(c echo.Context) error {
	list, err := devices.Listed(c.Request().Context(), s.cfg.Store, s.seen.pending(), s.cfg.Now()) // this node's unflushed reports are the freshest
	if err != nil {
		return err
	}
	if list == nil {
		list = []devices.Status{}
	}
	return c.JSON(http.StatusOK, map[string]any{"devices": list})
}

// revokeDevice is POST /v1/devices/{id}/revoke (admin): the device's
// token stops working at its next request, within a second on every node.
func (s *Server) revokeDevice(c echo.Context) error {
	id := c.Param("id")
	err := devices.Revoke(c.Request().Context(), s.cfg.Store, id, c.Get("caller").(caller).Actor())
	if errors.Is(err, devices.ErrNoDevice) {
		return apiError(http.StatusNotFound, "not_found", "no door device "+id)
	}
	if errors.Is(err, store.ErrAlreadyRevoked) {
		return apiError(http.StatusConflict, "already_revoked", "door device "+id+" is revoked already")
	}
	if err != nil {
		return err
	}
	s.forgetToken(id)
	return c.NoContent(http.StatusNoContent)
}

// deviceReports gathers door devices' reports of themselves from their
// requests, and the doors' heartbeats (a device at a gate of an event,
// with the age of its revocation data), and writes them to the store now
// and then (flush), newest wins, so that every node and the CLI see them
// without a write per request.
type deviceReports struct {
	mu    sync.Mutex
	m     map[string]store.DeviceSeen
	doors map[doorKey]store.DoorSeen
	last  time.Time // of the last flush
}

type doorKey struct{ event, gate, token string }

// maxDeviceReports bounds the reports, and the heartbeats, held between
// flushes; only authenticated scanner tokens report, so it is never
// reached in practice.
const maxDeviceReports = 10000

// deviceFlushEvery is how often reports go to the store.
const deviceFlushEvery = 5 * time.Second

func (d *deviceReports) note(id string, r devices.Report, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old, ok := d.m[id]
	if !ok && len(d.m) >= maxDeviceReports {
		return
	}
	// What a request leaves out keeps its last value from this node.
	n := store.DeviceSeen{Token: id, At: at, App: r.App, Queued: r.Queued}
	if n.App == "" {
		n.App = old.App
	}
	if n.Queued < 0 {
		n.Queued = max(old.Queued, 0)
	}
	d.m = put(d.m, id, n)
}

// noteDoor keeps a door's heartbeat until the next flush.
func (d *deviceReports) noteDoor(b store.DoorSeen) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := doorKey{b.Event, b.Gate, b.Token}
	if old, ok := d.doors[k]; ok && old.At.After(b.At) || !ok && len(d.doors) >= maxDeviceReports {
		return
	}
	d.doors = put(d.doors, k, b)
}

func (d *deviceReports) pending() []store.DeviceSeen {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Collect(maps.Values(d.m))
}

// pendingDoors is the heartbeats of event's doors not flushed yet.
func (d *deviceReports) pendingDoors(event string) []store.DoorSeen {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []store.DoorSeen
	for k, v := range d.doors {
		if k.event == event {
			out = append(out, v)
		}
	}
	return out
}

// flush writes the reports and heartbeats to st when deviceFlushEvery
// has passed (or force); what fails to write is kept for the next flush.
func (d *deviceReports) flush(ctx context.Context, st store.Store, now time.Time, force bool) error {
	d.mu.Lock()
	if !force && now.Sub(d.last) < deviceFlushEvery || len(d.m) == 0 && len(d.doors) == 0 {
		d.mu.Unlock()
		return nil
	}
	batch, doors := d.m, d.doors
	d.m, d.doors, d.last = nil, nil, now
	d.mu.Unlock()
	err := st.TouchDevices(ctx, slices.Collect(maps.Values(batch)))
	if err == nil {
		err = st.TouchDoors(ctx, slices.Collect(maps.Values(doors)))
	}
	if err != nil {
		d.mu.Lock()
		d.m, d.doors = keepOlder(d.m, batch), keepOlder(d.doors, doors)
		d.mu.Unlock()
	}
	return err
}

// put sets m[k] = v, making m if it is nil.
func put[K comparable, V any](m map[K]V, k K, v V) map[K]V {
	if m == nil {
		m = map[K]V{}
	}
	m[k] = v
	return m
}

// keepOlder puts back into m the entries of a batch that failed to write,
// except where m holds a newer one already.
func keepOlder[K comparable, V any](m, batch map[K]V) map[K]V {
	for k, v := range batch {
		if _, newer := m[k]; !newer && len(m) < maxDeviceReports {
			m = put(m, k, v)
		}
	}
	return m
}
