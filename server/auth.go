package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/devices"
	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// Roles of API tokens (defined in httpkit, shared with the surfaces).
const (
	RoleAdmin   = httpkit.RoleAdmin   // everything
	RoleIssuer  = httpkit.RoleIssuer  // issue and print passes
	RoleScanner = httpkit.RoleScanner // door scans, pass lookups
	RoleStage   = httpkit.RoleStage   // live show cues
	RolePrinter = httpkit.RolePrinter // print and reprint passes, mark them collected; cannot issue (issue 13)
)

// Roles lists the roles a token may have.
var Roles = httpkit.Roles

const tokenPrefix = "lam_"

var idEncoding = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// NewToken makes a bearer token "lam_<id>_<secret>" for role, and the
// record to store: the id and a SHA-256 of the secret, never the secret.
func NewToken(role, name string, now time.Time) (token string, rec store.APIToken, err error) {
	return NewBoundToken(role, name, Binding{}, now)
}

// Binding limits where a token acts. A token bound to an event acts for
// that event only: a scanner scans its passes, reads its bundle, status,
// alerts and revocations; an issuer issues and prints its passes; a stage
// token cues it. A scanner token may also be bound to one gate of its
// event. Admin tokens are never bound: they manage every event.
type Binding struct {
	Event string // "": every event
	Gate  string // "": every gate; needs Event
}

// NewBoundToken is [NewToken] for a token bound to b. It checks the form
// of b; that the event exists, and has the gate when it declares its
// gates, is the caller's to check (see [pass.Event.CheckGate]).
func NewBoundToken(role, name string, b Binding, now time.Time) (token string, rec store.APIToken, err error) {
	ok := false
	for _, r := range Roles {
		ok = ok || r == role
	}
	if !ok {
		return "", rec, fmt.Errorf("unknown role %q (want admin, issuer, scanner, stage or printer)", role)
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 80 {
		return "", rec, errors.New("a token needs a name of 1 to 80 characters (who holds it)")
	}
	if err := pass.CheckText("token name", name, 80, true); err != nil { // shown as who revoked or scanned
		return "", rec, err
	}
	switch {
	case b.Event == "" && b.Gate != "":
		return "", rec, errors.New("a gate needs an event: bind the token to the event too")
	case b.Event == "":
	case role == RoleAdmin:
		return "", rec, errors.New("an admin token cannot be bound to an event (it manages every event)")
	case !pass.ValidEventID(b.Event):
		return "", rec, fmt.Errorf("bad event id %q", b.Event)
	case b.Gate == "":
	case role != RoleScanner:
		return "", rec, fmt.Errorf("only a scanner token is bound to a gate, not a %s token", role)
	default:
		if _, err := pass.ParseGate(b.Gate); err != nil {
			return "", rec, err
		}
	}
	idb := make([]byte, 5)
	secret := make([]byte, 32)
	if _, err := rand.Read(idb); err != nil {
		return "", rec, err
	}
	if _, err := rand.Read(secret); err != nil {
		return "", rec, err
	}
	id := idEncoding.EncodeToString(idb)
	sec := base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(sec))
	return tokenPrefix + id + "_" + sec, store.APIToken{ID: id, Name: name, Role: role, Event: b.Event, Gate: b.Gate, Hash: sum[:], Created: now}, nil
}

// splitToken parses "lam_<id>_<secret>".
func splitToken(tok string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(tok, tokenPrefix)
	if !found || len(rest) > 100 {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	return id, secret, ok && len(id) == 8 && len(secret) == 43
}

// caller is who made a request, for authorisation and the audit log
// (httpkit.Caller: the surfaces read the same value with httpkit.CallerOf).
type caller = httpkit.Caller

// authenticate reads the bearer token and checks it against the store.
func (s *Server) authenticate(ctx context.Context, header string) (caller, error) {
	tok, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return caller{}, apiError(http.StatusUnauthorized, "unauthorized", "a bearer token is required (Authorization: Bearer lam_…)")
	}
	id, secret, ok := splitToken(strings.TrimSpace(tok))
	if !ok {
		return caller{}, apiError(http.StatusUnauthorized, "unauthorized", "not a Laminate API token")
	}
	rec, err := s.apiToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return caller{}, apiError(http.StatusUnauthorized, "unauthorized", "unknown token")
	}
	if err != nil {
		return caller{}, err
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], rec.Hash) != 1 {
		return caller{}, apiError(http.StatusUnauthorized, "unauthorized", "unknown token")
	}
	if !rec.Revoked.IsZero() {
		return caller{}, apiError(http.StatusUnauthorized, "unauthorized", "this token has been revoked")
	}
	return caller{ID: rec.ID, Name: rec.Name, Role: rec.Role, Event: rec.Event, Gate: rec.Gate}, nil
}

// apiToken reads a token record, from the cache when fresh.
func (s *Server) apiToken(ctx context.Context, id string) (store.APIToken, error) {
	now := time.Now()
	s.tokensMu.Lock()
	c, ok := s.tokens[id]
	s.tokensMu.Unlock()
	if ok && now.Sub(c.fetched) < tokenTTL {
		return c.rec, nil
	}
	rec, err := s.cfg.Store.APIToken(ctx, id)
	if err != nil {
		return store.APIToken{}, err
	}
	s.tokensMu.Lock()
	if len(s.tokens) > 10000 { // bounded: ids come from requests
		clear(s.tokens)
	}
	s.tokens[id] = cachedToken{rec: *rec, fetched: now}
	s.tokensMu.Unlock()
	return *rec, nil
}

// require is middleware admitting callers with one of roles (admin always).
func (s *Server) require(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			who, err := s.authenticate(c.Request().Context(), c.Request().Header.Get(echo.HeaderAuthorization))
			if err != nil {
				return err
			}
			allowed := who.Role == RoleAdmin
			for _, r := range roles {
				allowed = allowed || r == who.Role
			}
			if !allowed {
				return apiError(http.StatusForbidden, "forbidden", roleNeeded(roles, who.Role))
			}
			httpkit.SetCaller(c, who)
			if who.Role == RoleScanner { // a door device: note that it is alive, and what it says of itself
				h := c.Request().Header
				s.seen.note(who.ID, devices.ParseReport(h.Get("X-Laminate-App"), h.Get("X-Laminate-Queued")), s.cfg.Now())
			}
			return next(c)
		}
	}
}

// roleNeeded says which roles an action needs and which the caller has:
// "this needs an admin or issuer token; yours is a scanner token".
func roleNeeded(roles []string, have string) string {
	need := []string{RoleAdmin}
	for _, r := range roles {
		if !slices.Contains(need, r) {
			need = append(need, r)
		}
	}
	list := need[0]
	if len(need) > 1 {
		list = strings.Join(need[:len(need)-1], ", ") + " or " + need[len(need)-1]
	}
	return fmt.Sprintf("this needs %s %s token; yours is %s %s token", article(need[0]), list, article(have), have)
}

// article is "an" before a role that starts with a vowel, else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
