// Package office is the production office in the browser (issue 13): the
// pages staff sign in to, served by "laminate serve" under /office/. It is
// an HTTP surface beside package server ([httpkit.Surface]): server mounts
// it, and it reaches the domain through package staff and the store.
//
// # Security model
//
//   - People sign in with a staff account ([staff.Account]); a session is
//     an HttpOnly, SameSite=Strict cookie, Secure and __Host- prefixed
//     under TLS, holding a 32-byte random token of which the store keeps
//     only the SHA-256. Sessions end when idle, at an absolute limit, on
//     sign-out, on sign-out everywhere, and when the account is disabled
//     (checked on every request).
//   - Every form carries a CSRF token derived from the session
//     ([staff.CSRFToken]); every POST without the right one is refused
//     with 403 before its handler runs. The sign-in form's token derives
//     from a pre-session cookie of its own.
//   - Sign-in is rate limited per client address, per username from one
//     address and per node, and five wrong passwords lock a username for
//     the address they came from, never for everyone ([staff.Lockout]);
//     argon2id runs at most two at a time and a password waits at most
//     2 s for a slot (then 503), so a flood of sign-ins cannot exhaust
//     memory or queue without bound.
//   - Pages are rendered on the server with html/template (contextual
//     escaping) under the door pages' Content-Security-Policy, with
//     form-action 'self' so that forms post here and nowhere else: no
//     inline script or style anywhere.
//   - Every change is written with its audit row under the person's name
//     ([httpkit.Caller.Actor]: "user:USERNAME (DISPLAY NAME)").
//
// # Adding a page
//
// A page is a template in templates/ that defines "title" and "content"
// (base.html is the layout and the navigation), a handler that calls
// [Office.page], and a route in [Office.Mount] behind requireUser with the
// roles it needs. Handlers read the person with [UserOf] and check an
// event with [User.Allows]; [httpkit.CallerOf] gives the same person to
// code shared with the API.
package office

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/laminate/laminate/accounts"
	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// CSP is the office pages' Content-Security-Policy: the door pages'
// (httpkit.PageCSP), but forms may post to this origin.
var CSP = strings.Replace(httpkit.PageCSP, "form-action 'none'", "form-action 'self'", 1)

// Prefix is where the office lives.
const Prefix = "/office"

// Config tunes the office; the zero value is the production defaults.
type Config struct {
	Now      func() time.Time
	Logger   *slog.Logger
	Params   staff.Params        // argon2id cost of new hashes (default staff.DefaultParams)
	Lockout  staff.Lockout       // default staff.DefaultLockout
	Sessions staff.SessionPolicy // default staff.DefaultSessions
	// SecureCookies marks cookies Secure and __Host- even on a plain
	// connection: for a server behind a TLS-terminating proxy. Over TLS
	// they are always.
	SecureCookies bool
	// AddressRate and AccountRate limit sign-in attempts: per client
	// address (IPv6 /64) and per username from one address, attempts a
	// minute (burst the same). Defaults 10 and 6. GlobalRate limits every
	// sign-in attempt on this node, whatever its address (default 30), so
	// a flood from many addresses cannot keep the password hashing busy.
	AddressRate, AccountRate, GlobalRate float64
	// Printer draws and logs the print page's and the desk's documents
	// (printing.Desk); nil: those pages answer 501.
	Printer Printer
}

// Office is the surface.
type Office struct {
	cfg   Config
	st    store.Store
	host  httpkit.Host
	log   *slog.Logger
	pages map[string]*pageTemplate

	accounts             *accounts.Service // made by Mount, over the host's store
	byAddress, byAccount *limiter
	global               *limiter // one key: every sign-in on this node

	uploads *guestUploads // guest lists between preview and confirm (guestlist.go)
	lists   *issue.Lists  // the node's guest-list reading and issuing
}

var _ httpkit.Surface = (*Office)(nil)

// New makes the office.
func New(cfg Config) *Office {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Params == (staff.Params{}) {
		cfg.Params = staff.DefaultParams
	}
	if cfg.Lockout == (staff.Lockout{}) {
		cfg.Lockout = staff.DefaultLockout
	}
	if cfg.Sessions == (staff.SessionPolicy{}) {
		cfg.Sessions = staff.DefaultSessions
	}
	if cfg.AddressRate == 0 {
		cfg.AddressRate = 10
	}
	if cfg.AccountRate == 0 {
		cfg.AccountRate = 6
	}
	if cfg.GlobalRate == 0 {
		cfg.GlobalRate = 30
	}
	return &Office{
		cfg: cfg, log: cfg.Logger, pages: mustParsePages(),
		byAddress: newLimiter(cfg.AddressRate), byAccount: newLimiter(cfg.AccountRate),
		global: newLimiter(cfg.GlobalRate),
	}
}

// Mount registers the office's routes (httpkit.Surface). Every route is
// listed here, with the roles it needs.
func (o *Office) Mount(e *echo.Echo, h httpkit.Host) {
	o.host, o.st = h, h.Store()
	svc, err := accounts.New(o.st, o.cfg.Params, o.cfg.Lockout)
	if err != nil {
		panic(err) // only bad Params, a programming error
	}
	o.accounts = svc
	e.GET(Prefix, func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, Prefix+"/") })
	// Forms are small: 64 KB is a hundred times the largest.
	// (The reissue form, which takes a photo, has photoLimit instead.)
	g := e.Group(Prefix, o.headers, o.errors, middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "64K", Skipper: takesPhoto}))
	// The stylesheet and the script are compressed; pages are not: a page
	// holds a CSRF token beside text a request can choose (a username
	// typed back into a form), which compression would leak (BREACH).
	g.GET("/static/:file", o.static, middleware.GzipWithConfig(middleware.GzipConfig{Level: 6}))
	g.GET("/sign-in", o.signInPage)
	g.POST("/sign-in", o.signIn)

	anyone := o.requireUser() // any role
	admin := o.requireUser(staff.RoleAdmin)
	g.GET("/", o.home, anyone)
	g.GET("/events/:id", o.eventPage, anyone)
	o.mountEvents(g, admin)
	g.POST("/sign-out", o.signOut, anyone)
	g.POST("/sign-out-everywhere", o.signOutEverywhere, anyone)
	g.GET("/account", o.accountPage, anyone)
	g.POST("/account/password", o.changePassword, anyone)
	g.GET("/users", o.usersPage, admin)
	g.POST("/users", o.createUser, admin)
	g.GET("/users/:username", o.userPage, admin)
	g.POST("/users/:username", o.updateUser, admin)
	g.POST("/users/:username/disable", o.disableUser, admin)
	g.POST("/users/:username/enable", o.enableUser, admin)
	g.POST("/users/:username/reset-password", o.resetPassword, admin)
	passes := o.requireUser(staff.RoleIssuer, staff.RolePrinter)
	issuer := o.requireUser(staff.RoleIssuer)
	g.GET("/passes", o.passesPage, passes)
	g.GET("/passes/:serial", o.passPage, passes)
	g.GET("/passes/:serial/photo", o.passPhoto, passes)
	g.GET("/passes/:serial/pdf", o.passPDF, passes)
	g.POST("/passes/:serial/revoke", o.revokePass, issuer)
	g.POST("/passes/:serial/reissue", o.reissuePass, photoLimit, issuer)
	printer := o.requireUser(staff.RoleIssuer, staff.RolePrinter)
	g.GET("/print", o.printPage, printer)
	g.POST("/print", o.download, printer)
	g.GET("/print/preview", o.preview, printer)
	g.GET("/desk", o.deskPage, printer)
	g.GET("/desk/photo", o.deskPhoto, printer)
	g.POST("/desk/print", o.deskPrint, printer)
	g.POST("/desk/collected", o.deskCollected, printer)
	// Show control (issue 14): door devices and webhooks, admins only.
	g.GET("/devices", o.devicesPage, admin)
	g.POST("/devices/enrol", o.enrol, admin)
	g.GET("/devices/enrolment/:ticket", o.enrolmentPage, admin)
	g.GET("/devices/enrolment/:ticket/qr.png", o.enrolmentQR, admin)
	g.GET("/devices/enrolment/:ticket/state", o.enrolmentState, admin)
	g.POST("/devices/:id/revoke", o.revokeDevice, admin)
	g.GET("/webhooks", o.webhooksPage, admin)
	g.POST("/webhooks", o.addWebhook, admin)
	g.GET("/webhooks/:id", o.webhookPage, admin)
	g.POST("/webhooks/:id/remove", o.removeWebhook, admin)
	o.mountGuestlists(e, g) // issuer: upload, preview, confirm
	g.RouteNotFound("/*", func(c echo.Context) error {
		return httpkit.NewError(http.StatusNotFound, "not_found", "There is no such page in the office.")
	})
}

// headers: the office's CSP, and pages are never cached (they show who is
// signed in and hold CSRF tokens).
func (o *Office) headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

// errors renders a handler's error as a page: the office speaks HTML,
// the API's error handler JSON.
func (o *Office) errors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		var he *httpkit.Error
		var ee *echo.HTTPError
		switch {
		case errors.As(err, &he):
		case errors.Is(err, accounts.ErrBusy):
			he = &httpkit.Error{Status: http.StatusServiceUnavailable, Code: "busy", Message: busyMessage, Err: err}
		case errors.Is(err, store.ErrUnavailable):
			he = &httpkit.Error{Status: http.StatusServiceUnavailable, Code: "store_unavailable", Message: "The database is not reachable right now. Try again in a moment.", Err: err}
		case errors.As(err, &ee):
			he = &httpkit.Error{Status: ee.Code, Code: "http", Message: http.StatusText(ee.Code), Err: err}
		default:
			he = &httpkit.Error{Status: http.StatusInternalServerError, Code: "internal", Message: "Something went wrong on the server. Try again; if it goes on, tell the admin the request ID below.", Err: err}
		}
		rid := c.Response().Header().Get(echo.HeaderXRequestID)
		if he.Status >= 500 {
			o.log.Error("office request failed", "request_id", rid, "path", c.Request().URL.Path, "err", he.Err)
		}
		return o.page(c, he.Status, "error.html", http.StatusText(he.Status), errorView{Status: he.Status, StatusText: http.StatusText(he.Status), Message: he.Message, RequestID: rid})
	}
}

type errorView struct {
	Status     int
	StatusText string
	Message    string
	RequestID  string
}

func forbidden(msg string) error { return httpkit.NewError(http.StatusForbidden, "forbidden", msg) }
