package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/laminate/laminate/devices"
	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render/typeset"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/verifier"
)

// Config wires a server.
type Config struct {
	Store       store.Store
	Keys        *keys.Keyring
	Verifier    *verifier.Verifier
	Revocations *verifier.RevocationSet // kept in step with Store by Sync
	Logger      *slog.Logger
	// VerifyRate is the public verification limit per client address, in
	// requests per second (burst twice that); 0 turns it off.
	VerifyRate float64
	// CloneWindow: two admitted scans of one pass at two gates closer than
	// this are "attention" (default DefaultCloneWindow).
	CloneWindow time.Duration
	// ArtworkSecret keys the serial artwork shown to door staff.
	ArtworkSecret []byte
	// Signer issues passes; nil on a node that cannot sign (no passphrase
	// for an encrypted keyring): issuing answers 503 there.
	Signer *signer.Signer
	// Node, when set, is the node the server runs on (a *node.Node).
	Node Node
	Now  func() time.Time
	// TrustedProxies are the reverse proxies in front of the server: only
	// a connection from one of them may name the client (X-Forwarded-For),
	// for the rate limit and the logs. None: the connection's peer is the
	// client.
	TrustedProxies []netip.Prefix
	// Fonts print the scripts beyond Latin, Greek and Cyrillic (nil: the
	// system font folders). Issuing refuses a name or org no font prints.
	Fonts *typeset.Library
	// Surfaces are the HTTP surfaces of their own packages (the office,
	// the dashboard, webhooks), mounted after the API's routes.
	Surfaces []httpkit.Surface
	// Printer is a thermal printer's raw port (host:port, usually 9100):
	// POST /v1/print with "send" sends ZPL there. Empty: no printer.
	Printer string
}

// DefaultVerifyRate suits a person checking passes by hand and a collector's
// script; doors use authenticated scans, not this.
const DefaultVerifyRate = 10

// Limits on requests.
const (
	maxBody       = 64 << 10 // JSON bodies; CSV uploads get their own limit
	syncInterval  = 250 * time.Millisecond
	reloadKeysDur = 2 * time.Second
)

// Server is the HTTP API.
type Server struct {
	cfg Config
	log *slog.Logger
	e   *echo.Echo

	// issued maps serial -> issue time, kept in step with the store by
	// Sync, so a verification needs no query.
	issuedMu  sync.RWMutex
	issued    map[pass.Serial]time.Time
	issuedPos int64

	// events holds every event (schedule, policy, cues), reloaded by Sync:
	// a door decision reads it without a query.
	events atomic.Pointer[map[string]*pass.Event]

	// tokens caches API token records for tokenTTL, so a scan does not
	// query the store to authenticate; a revoked token stops working
	// within tokenTTL.
	tokensMu sync.Mutex
	tokens   map[string]cachedToken

	m *metrics

	// lists reads few guest lists at once and issues them one at a time
	// (issue.Lists), for the API and the office alike.
	lists *issue.Lists

	lastSync atomic.Int64 // unix nanoseconds of the last good sync with the store

	signer atomic.Pointer[signer.Signer] // nil: this node cannot sign

	seen deviceReports // door devices' reports, flushed to the store by Sync
}

type cachedToken struct {
	rec     store.APIToken
	fetched time.Time
}

const tokenTTL = time.Second

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CloneWindow == 0 {
		cfg.CloneWindow = DefaultCloneWindow
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, log: cfg.Logger, issued: map[pass.Serial]time.Time{}, tokens: map[string]cachedToken{}, m: newMetrics(),
		lists: issue.NewLists(maxListReads)}
	s.signer.Store(cfg.Signer)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = s.clientIP // X-Forwarded-For only from Config.TrustedProxies
	e.HTTPErrorHandler = s.handleError
	e.Use(requestID)
	e.Use(hsts)
	e.Use(s.logRequests)
	e.Use(s.m.observe)
	e.Use(middleware.Recover())
	// Guest lists; JSON bodies are capped at maxBody in decodeJSON, the
	// batch form with photos at maxBatchForm in issueBatch.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "32M", Skipper: skipBodyLimit}))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
		ContentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
		ReferrerPolicy:        "no-referrer",
	}))
	s.e = e
	s.routes()
	s.m.setRoutes(e.Routes())
	return s
}

// routes registers every route in one place.
func (s *Server) routes() {
	e := s.e
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/.well-known/jwks.json", s.jwks)
	e.GET("/metrics", s.m.handler())

	public := e.Group("/v1")
	if s.cfg.VerifyRate > 0 {
		public.Use(middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
			Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
				Rate: rate.Limit(s.cfg.VerifyRate), Burst: int(2*s.cfg.VerifyRate) + 1, ExpiresIn: 3 * time.Minute,
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
				return apiError(http.StatusTooManyRequests, "rate_limited", "too many verifications from this address; slow down")
			},
		}))
	}
	public.POST("/verify", s.verifyPost)
	public.GET("/verify", s.verifyGet)
	public.POST("/artwork", s.publicArtwork)
	public.POST("/devices/enroll", s.enroll, s.enrollLimit())
	s.pageRoutes()

	api := e.Group("/v1")
	api.POST("/scans", s.postScan, s.require(RoleScanner))
	api.POST("/scans/offline", s.postOfflineScans, s.require(RoleScanner))
	api.POST("/scans/:id/resolve", s.resolveScan, s.require(RoleScanner))
	api.GET("/alerts", s.getAlerts, s.require(RoleScanner))
	api.POST("/passes", s.issueOne, s.require(RoleIssuer))
	api.POST("/passes/batch", s.issueBatch, s.require(RoleIssuer))
	api.POST("/events/:id/guestlists/preview", s.previewGuestList, s.require(RoleIssuer))
	api.GET("/passes/:serial", s.getPass, s.require(RoleScanner, RoleIssuer, RolePrinter))
	api.GET("/passes/:serial/pdf", s.getPDF, s.require(RoleIssuer, RolePrinter))
	api.GET("/passes/:serial/prints", s.getPrints, s.require(RoleIssuer, RolePrinter))
	api.POST("/passes/:serial/collected", s.postCollected, s.require(RoleIssuer, RolePrinter))
	api.POST("/print", s.postPrint, s.require(RoleIssuer, RolePrinter))
	api.GET("/passes/:serial/artwork.svg", s.getArtwork, s.require(RoleScanner))
	api.GET("/passes/:serial/photo", s.getPhoto, s.RequireReader(RoleScanner, RoleIssuer, RolePrinter)) // the live dashboard shows photos to people signed in to the office
	api.POST("/passes/:serial/revoke", s.revokePass, s.require(RoleAdmin))
	api.POST("/passes/:serial/reissue", s.reissuePass, s.require(RoleIssuer))
	api.GET("/passes", s.searchPasses, s.require(RoleIssuer))
	api.POST("/revocations", s.massRevoke, s.require(RoleAdmin))
	api.GET("/revocations", s.getRevocations, s.require(RoleScanner))
	api.POST("/events/:id/cues", s.postCue, s.require(RoleStage))
	api.GET("/events/:id/status", s.getStatus, s.require(RoleScanner, RoleStage, RoleIssuer))
	api.GET("/events/:id/bundle", s.getBundle, s.require(RoleScanner))
	api.GET("/events/:id/branding", s.getBranding, s.require(RoleAdmin, RoleIssuer))
	api.PUT("/events/:id/branding", s.putBranding, s.require(RoleAdmin))
	api.POST("/events", s.postEvent, s.require(RoleAdmin))
	api.PUT("/events/:id", s.putEvent, s.require(RoleAdmin))
	api.GET("/events/:id/logo", s.getLogo, s.require(RoleAdmin, RoleIssuer))
	api.PUT("/events/:id/logo", s.putLogo, s.require(RoleAdmin))
	api.DELETE("/events/:id/logo", s.deleteLogo, s.require(RoleAdmin))
	api.POST("/devices/enrolments", s.postEnrolment, s.require(RoleAdmin))
	api.GET("/devices", s.getDevices, s.require(RoleAdmin))
	api.POST("/devices/:id/revoke", s.revokeDevice, s.require(RoleAdmin))
	s.mountSurfaces()
}

// maxRequestID bounds a client's X-Request-ID that the server takes and
// echoes; a longer one, or one with other characters than these, is
// replaced by an ID of the server's own.
const maxRequestID = 64

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.:=+/", c) >= 0) {
			return false
		}
	}
	return true
}

// requestID gives every request an ID, in the X-Request-ID of the request
// and of the answer: the client's if it is short and plain (a proxy's
// trace ID), else a fresh one. It is reflected and logged, so it is never
// taken as sent.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID(id) {
			id = newRequestID()
			c.Request().Header.Set(echo.HeaderXRequestID, id)
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

func newRequestID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// hstsMaxAge is two years, the usual preload value (at least a year).
const hstsMaxAge = 2 * 365 * 24 * 3600

// hsts tells a browser that reached the server over TLS to use nothing
// else for two years (RFC 6797). Only over TLS: a browser ignores it over
// plain HTTP, and behind a TLS proxy that proxy sends it. Subdomains are
// left alone: they may be other services of the venue or the promoter.
func hsts(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().TLS != nil {
			c.Response().Header().Set(echo.HeaderStrictTransportSecurity, "max-age="+strconv.Itoa(hstsMaxAge))
		}
		return next(c)
	}
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.e }

// logRequests writes one structured line per request. The query string is
// left out (a token in /v1/verify?token= is not a secret, but logs need not
// keep it) and so are headers (bearer tokens are).
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.log.Info("request",
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID),
			"method", c.Request().Method, "path", c.Request().URL.Path,
			"status", c.Response().Status, "bytes", c.Response().Size,
			"ms", float64(time.Since(start).Microseconds())/1000, "client", c.RealIP())
		return nil
	}
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "the database does not answer", Err: err}
	}
	age := -1 // never synced
	if t := s.lastSync.Load(); t != 0 {
		age = int(time.Since(time.Unix(0, t)).Seconds())
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "revocation_seq": s.cfg.Revocations.Seq(), "revocations_age_seconds": age})
}

func (s *Server) jwks(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, s.cfg.Keys.JWKS())
}

// VerifyRequest is the body of POST /v1/verify.
type VerifyRequest struct {
	Token string `json:"token"`
}

// VerifyResponse is the verdict, with the issue time from the store when
// the pass is ours.
type VerifyResponse struct {
	verifier.Verdict
	IssuedAt time.Time `json:"issued_at,omitzero"`
	// IssuedShown and ExpiresShown are IssuedAt and ExpiresAt as people
	// read them: in the event's zone with its offset (pass.FormatTime).
	IssuedShown  string `json:"issued_shown,omitempty"`
	ExpiresShown string `json:"expires_shown,omitempty"`
}

func (s *Server) verifyPost(c echo.Context) error {
	var req VerifyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return s.verify(c, req.Token)
}

func (s *Server) verifyGet(c echo.Context) error {
	return s.verify(c, c.QueryParam("token"))
}

func (s *Server) verify(c echo.Context, token string) error {
	if token == "" {
		return apiError(http.StatusBadRequest, "bad_request", `no token: send {"token": "..."}`)
	}
	vd := s.cfg.Verifier.Verify(token, s.cfg.Now())
	s.m.verdicts.WithLabelValues(string(vd.Status)).Inc()
	var loc *time.Location
	if vd.Pass != nil { // times in the event's own zone; the verify path itself reads no event
		if ev, err := s.event(c.Request().Context(), vd.Pass.Event); err == nil && ev != nil {
			loc = ev.Location()
			vd.InZone(loc)
		}
	}
	resp := VerifyResponse{Verdict: vd}
	if vd.Authentic {
		resp.IssuedAt = s.issuedAt(c.Request().Context(), vd.Serial)
		resp.IssuedShown, resp.ExpiresShown = pass.FormatTime(resp.IssuedAt, loc), pass.FormatTime(vd.ExpiresAt, loc)
	}
	return c.JSON(http.StatusOK, resp)
}

// issuedAt is the issue time of a pass: from memory, or, for a pass
// issued since the last sync, from the store (zero if unknown).
func (s *Server) issuedAt(ctx context.Context, serial pass.Serial) time.Time {
	s.issuedMu.RLock()
	at, ok := s.issued[serial]
	s.issuedMu.RUnlock()
	if ok {
		return at
	}
	if p, err := s.cfg.Store.Pass(ctx, serial); err == nil {
		return p.IssuedAt
	}
	return time.Time{}
}

// syncIssued adds passes stored since the last call to the index.
func (s *Server) syncIssued(ctx context.Context) error {
	s.issuedMu.RLock()
	pos := s.issuedPos
	s.issuedMu.RUnlock()
	refs, next, err := s.cfg.Store.IssuedSince(ctx, pos)
	if err != nil {
		return err
	}
	s.issuedMu.Lock()
	for _, r := range refs {
		s.issued[r.Serial] = r.IssuedAt
	}
	s.issuedPos = max(s.issuedPos, next)
	s.issuedMu.Unlock()
	return nil
}

// decodeJSON reads a JSON body strictly: one object, no unknown fields.
func decodeJSON(c echo.Context, v any) error { return decodeJSONLimit(c, v, maxBody) }

// decodeJSONLimit is decodeJSON with a body limit of its own. A bad body
// gets a 400 naming the field and what it wants (decodeStrict).
func decodeJSONLimit(c echo.Context, v any, limit int64) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, limit))
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return he // body limit
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apiError(http.StatusRequestEntityTooLarge, "too_large", "request body too large")
		}
		return apiError(http.StatusBadRequest, "bad_request", "the body could not be read")
	}
	return decodeStrict(body, v)
}

// Sync keeps the revocation set and the keyring in step with the store
// and the data folder until ctx ends: a revocation made by the CLI or
// another server process is honoured here within syncInterval.
func (s *Server) Sync(ctx context.Context) {
	tick := time.NewTicker(syncInterval)
	defer tick.Stop()
	var changes <-chan struct{}
	if n, ok := s.cfg.Store.(store.Notifier); ok {
		changes = n.Changes(ctx)
	}
	lastKeys := time.Now()
	var lastOffline time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case _, ok := <-changes:
			if !ok {
				changes = nil
			}
		}
		if err := s.SyncOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sync with the store failed", "err", err)
		}
		if err := s.seen.flush(ctx, s.cfg.Store, time.Now(), false); err != nil && ctx.Err() == nil {
			s.log.Warn("recording door devices' reports failed", "err", err)
		}
		if time.Since(lastOffline) > devices.CheckOfflineEvery {
			// Door devices gone quiet: device.offline, once per silence
			// (its ID names the device and when it was last seen, so every
			// node enqueues the same event).
			lastOffline = time.Now()
			if _, err := devices.NotifyOffline(ctx, s.cfg.Store, s.seen.pending(), s.cfg.Now()); err != nil && ctx.Err() == nil {
				s.log.Warn("device.offline check failed", "err", err)
			}
		}
		if time.Since(lastKeys) > reloadKeysDur {
			lastKeys = time.Now()
			s.reloadKeys(ctx)
		}
	}
}

// Node is what the server needs of the node it runs on.
type Node interface {
	// RefreshKeys runs every few seconds before the keyring is reloaded:
	// it brings the data folder's keyring in step with the keys shared
	// through the store (a rotation on another node).
	RefreshKeys(ctx context.Context) error
	// Signer is called after a reload that changed the active key, and
	// its signer replaces Config.Signer (nil: this node cannot sign).
	Signer() (*signer.Signer, error)
}

// reloadKeys picks up key changes made elsewhere: through the store
// (Node.RefreshKeys) and in the data folder; a new active key gets a new
// signer.
func (s *Server) reloadKeys(ctx context.Context) {
	// Before the refresh: a refresh that takes the store's keys reloads
	// the keyring itself.
	before := s.cfg.Keys.Active().KID
	if s.cfg.Node != nil {
		if err := s.cfg.Node.RefreshKeys(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("shared keyring refresh failed", "err", err)
		}
	}
	if err := s.cfg.Keys.Reload(); err != nil {
		s.log.Warn("keyring reload failed", "err", err)
		return
	}
	if after := s.cfg.Keys.Active().KID; after != before && s.cfg.Node != nil {
		sg, err := s.cfg.Node.Signer()
		if err != nil {
			s.log.Warn("new active key: this node cannot sign with it", "kid", after, "err", err)
		}
		s.signer.Store(sg)
		s.log.Info("active signing key changed", "from", before, "to", after)
	}
}

// SyncOnce brings revocations, events and the issue-time index up to date.
func (s *Server) SyncOnce(ctx context.Context) error {
	if err := s.cfg.Revocations.Sync(ctx, s.cfg.Store); err != nil {
		return err
	}
	evs, err := s.cfg.Store.Events(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]*pass.Event, len(evs))
	for _, e := range evs {
		m[e.ID] = e
	}
	s.events.Store(&m)
	if err := s.syncIssued(ctx); err != nil {
		return err
	}
	s.lastSync.Store(time.Now().UnixNano())
	return nil
}

// event returns an event from the synced copy, or from the store when it
// is newer than the last sync; nil when there is no such event.
func (s *Server) event(ctx context.Context, id string) (*pass.Event, error) {
	if m := s.events.Load(); m != nil {
		if e, ok := (*m)[id]; ok {
			return e, nil
		}
	}
	e, err := s.cfg.Store.Event(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return e, err
}

// ListenAndServe serves h on addr until ctx ends, then shuts down
// gracefully: in-flight requests finish (up to 10 s). With certFile and
// keyFile it serves HTTPS. ready, when set, gets the bound address.
func ListenAndServe(ctx context.Context, addr, certFile, keyFile string, h http.Handler, log *slog.Logger, ready func(net.Addr)) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() {
		if certFile != "" {
			errc <- srv.ServeTLS(ln, certFile, keyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
