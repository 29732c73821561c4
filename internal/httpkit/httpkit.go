// Package httpkit is what the HTTP surfaces share with package server: the
// one error type of the API, the roles, the caller of a request, the page
// Content-Security-Policy, and the [Surface] contract by which server mounts
// a surface's routes (the office, the live dashboard, webhooks).
//
// server keeps the one router and the middleware every route passes
// (request ID, logging, metrics, security headers, authentication); a
// surface package provides handlers and the role each needs, and
// server.routes mounts it, so every route is still registered from one
// function and server → surface is the only edge between them. A surface
// imports this package, the domain packages and store; never server or cmd.
package httpkit

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// Error is the one error type of the API. Err is logged, never sent.
// server's error handler renders it as
// {"error": {"code", "message", "request_id"}}.
type Error struct {
	Status  int
	Code    string // machine code: bad_request, unauthorized, …
	Message string // for people; no internal detail
	// Details, when set, is sent as "details": what a client shows to fix
	// the request (a guest list's errors by line and column, say).
	Details any
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// NewError is an [Error] without an internal cause.
func NewError(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

// Roles of API tokens (and, from issue 13, of staff accounts).
const (
	RoleAdmin   = "admin"   // everything
	RoleIssuer  = "issuer"  // issue and print passes
	RoleScanner = "scanner" // door scans, pass lookups
	RoleStage   = "stage"   // live show cues
	RolePrinter = "printer" // print and reprint passes, mark them collected; cannot issue (issue 13)
)

// WatchRoles are the roles, besides admin, that may watch an event live
// (the dashboard): of an API token, and of a person signed in to the
// office (the security chief's scanner account, the production office's
// stage account). An account limited to events watches those only.
var WatchRoles = []string{RoleScanner, RoleStage}

// Roles lists the roles a credential may have.
var Roles = []string{RoleAdmin, RoleIssuer, RolePrinter, RoleScanner, RoleStage}

// Kinds of caller.
const (
	KindToken = ""     // an API bearer token (machines)
	KindUser  = "user" // a staff account signed in to the office (people)
)

// Caller is who made a request, for authorisation and the audit log.
// ID is the credential's public id: its stable name, never its secret.
type Caller struct {
	Kind           string // KindToken or KindUser
	ID, Name, Role string
	Event, Gate    string // the credential's binding; "" for none
	// Events is, for a person (KindUser), every event the account is
	// limited to; empty: every event. Event is set too when there is
	// exactly one. [Caller.Allows] checks both.
	Events []string
}

// Actor is the caller as the audit log names it: "token:ID (NAME)" for a
// token, "user:ID (NAME)" for a person.
func (c Caller) Actor() string {
	kind := "token"
	if c.Kind == KindUser {
		kind = "user"
	}
	return kind + ":" + c.ID + " (" + c.Name + ")"
}

// Allows refuses, with a 403, what the caller's binding forbids: acting
// for another event than its own, or scanning at another gate than its
// own. gate "" is an action made at no gate (a bundle, a status). An
// unbound caller may do whatever its role may, everywhere.
func (c Caller) Allows(event, gate string) error {
	if c.Kind == KindUser && len(c.Events) > 0 && !slices.Contains(c.Events, event) {
		what := "event " + event
		if event == "" {
			what = "every event"
		}
		return NewError(http.StatusForbidden, "forbidden", fmt.Sprintf("this account is limited to events %s: it cannot act for %s", strings.Join(c.Events, ", "), what))
	}
	if c.Event != "" && event != c.Event {
		what := "event " + event
		if event == "" {
			what = "every event"
		}
		return NewError(http.StatusForbidden, "forbidden", fmt.Sprintf("this token is bound to event %s: it cannot act for %s", c.Event, what))
	}
	if c.Gate != "" && gate != "" && gate != c.Gate {
		return NewError(http.StatusForbidden, "forbidden", fmt.Sprintf("this token is bound to gate %s of event %s: it cannot scan at gate %s", c.Gate, c.Event, gate))
	}
	return nil
}

const callerKey = "caller"

// SetCaller records who made the request; authentication middleware calls it.
func SetCaller(c echo.Context, who Caller) { c.Set(callerKey, who) }

// CallerOf is who made the request, as the authentication middleware
// recorded it; the zero Caller on a route without authentication.
func CallerOf(c echo.Context) Caller {
	who, _ := c.Get(callerKey).(Caller)
	return who
}

// PageCSP is the Content-Security-Policy of every page: the pages run
// their own scripts and talk to this server only; blob: is for artwork
// fetched with the scanner's token. 'wasm-unsafe-eval' lets them compile
// WebAssembly (the zxing-wasm decoder, fetched from this server under
// connect-src 'self'); it allows no eval() and no script from anywhere
// else. No inline script or style anywhere.
const PageCSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " +
	"media-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Host is what server offers a surface when it mounts it.
type Host interface {
	// Require is middleware admitting API bearer tokens with one of
	// roles (admin always); it records the [Caller].
	Require(roles ...string) echo.MiddlewareFunc
	// Event is an event from the server's in-memory copy, kept in step
	// with the store; nil and no error when there is none.
	Event(ctx context.Context, id string) (*pass.Event, error)
	// Signer signs passes; nil on a node that cannot sign.
	Signer() *signer.Signer
	// Store is the node's store.
	Store() store.Store
}

// Revoker is implemented by a [Host] that keeps an in-memory revocation
// list (server): a surface that revokes a pass, or supersedes one, hands
// the revocation over after the store's commit, so this node's doors turn
// the pass away at once rather than at the next sync.
type Revoker interface {
	Revoked(rs ...store.Revocation)
}

// EventSyncer is implemented by a [Host] that keeps the events in memory
// (server): a surface that created or edited an event calls EventChanged
// after the store's commit, so this node's doors, bundles and dashboards
// use the new schedule and policy at once rather than at the next sync.
type EventSyncer interface {
	EventChanged(ctx context.Context, id string) error
}

// TextChecker is implemented by a [Host] that can tell whether a name or
// an organisation can be printed with its fonts (server), so a surface
// refuses, as the API does, a pass that would print as boxes.
type TextChecker interface {
	Printable() signer.TextChecker
}

// PassPrinter is implemented by a [Host] that renders passes (server):
// ServePassPDF answers c with pass p printed as GET
// /v1/passes/{serial}/pdf prints it (the default template, a revoked pass
// refused), logged as a print by [CallerOf](c). The caller has checked
// the person's event limits.
type PassPrinter interface {
	ServePassPDF(c echo.Context, p *store.Issued) error
}

// PhotoServer is implemented by a [Host] that serves holders' photos
// (server): ServePassPhoto answers c with the photo of pass p, checked
// against its signed token, as GET /v1/passes/{serial}/photo does. The
// caller has checked who may see it.
type PhotoServer interface {
	ServePassPhoto(c echo.Context, p *store.Issued) error
}

// DoorBeats is implemented by a [Host] that batches door devices'
// reports (server). NoteDoor keeps a door's heartbeat in memory, written
// to the store every few seconds with the devices' reports (never a write
// per heartbeat); DoorsSeen is the last heartbeat of every door of an
// event, from the store (every node's: read from the store from, the
// host's if nil) and this node's not written yet.
type DoorBeats interface {
	NoteDoor(b store.DoorSeen)
	DoorsSeen(ctx context.Context, from store.Store, event string) ([]store.DoorSeen, error)
}

// ListIssuer is implemented by a [Host] that takes guest lists (server):
// the node's one [issue.Lists], so that a list confirmed in a surface and
// one sent to the API are read within the same limit and issued one at a
// time, each after a last duplicate check.
type ListIssuer interface {
	GuestLists() *issue.Lists
}

// Surface is an HTTP surface of its own package. server.routes calls
// Mount once, after its own routes; Mount registers the surface's routes
// on e, each with the middleware that authenticates it.
type Surface interface {
	Mount(e *echo.Echo, h Host)
}

// RateKey is the key of a client address for a rate limit: the address,
// or for IPv6 its /64 (one home or phone has a whole /64, so limiting
// single addresses would limit nothing).
func RateKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// Watcher is implemented by a surface that wants to hear at once what
// this node recorded for an event (a scan, the answer to a CHECK, alerts,
// a cue), so a live view follows within a second without polling its own
// node. server calls Changed after the commit, on the request's
// goroutine: it must not block. Other nodes' changes are the surface's to
// poll for.
type Watcher interface {
	Changed(event string)
}

// BaseURL is the address of this server as the client of c reached it
// (scheme and host): the base of an address a door device opens, such as
// an enrolment's.
func BaseURL(c echo.Context) string { return c.Scheme() + "://" + c.Request().Host }

// SessionResolver is implemented by a surface that signs people in with a
// cookie (the office): ResolveSession finds the person signed in on c's
// request, ok false when nobody is (no cookie, an ended session, a
// disabled account). It checks no role. server asks the surfaces it
// mounts, so that another surface admits people without importing the
// one that signs them in ([SessionHost]).
type SessionResolver interface {
	ResolveSession(c echo.Context) (who Caller, ok bool, err error)
}

// SessionHost is implemented by a [Host] that admits people signed in to
// a [SessionResolver] surface besides API tokens (server).
type SessionHost interface {
	// RequireReader is middleware for a read-only GET route: a request
	// with an Authorization header is a token's, checked as Require
	// checks it; one without is a person's, signed in to the office
	// with one of roles (admin always), and it must come from this
	// site's own pages ([SameSite]). Anything else is refused (401, 403).
	RequireReader(roles ...string) echo.MiddlewareFunc
	// Person is the person signed in on c, if any, roles unchecked: for
	// a page that offers what a session allows instead of a token form.
	Person(c echo.Context) (who Caller, ok bool, err error)
}

// SameSite reports whether a request comes from this site's own pages
// or from the person (typed, bookmarked), not from another site: what a
// route that admits a session cookie without a CSRF token checks on top
// of the cookie's SameSite=Strict. Sec-Fetch-Site, which browsers send
// and pages cannot forge, must be same-origin or none when present; an
// Origin header, when present, must be this host.
func SameSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	_, host, ok := strings.Cut(o, "://")
	return ok && strings.EqualFold(host, r.Host)
}

// HasRole reports whether role is admin or one of roles: who may use a
// route that needs roles.
func HasRole(role string, roles ...string) bool {
	return role == RoleAdmin || slices.Contains(roles, role)
}

// DeviceReporter is implemented by a [Host] that gathers door devices'
// reports of themselves from their requests (server): DeviceReports is
// those not yet written to the store, the freshest, for a list of
// devices (devices.Listed).
type DeviceReporter interface {
	DeviceReports() []store.DeviceSeen
}

// TokenForgetter is implemented by a [Host] that caches API tokens
// (server): a surface that revoked a token has the cache drop it, so that
// this node refuses it at its very next request.
type TokenForgetter interface {
	ForgetToken(id string)
}
