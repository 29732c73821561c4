package office

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/laminate/laminate/accounts"
	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// User is the person signed in, as the office's handlers see them: the
// account (its event limits included) and the session.
type User struct {
	staff.Account
	token string // the session token, from the cookie: the CSRF secret
	hash  []byte // its SHA-256, the session's key in the store
}

// Caller is the person as httpkit names callers, for the audit log and
// for code shared with the API. Caller.Events is the account's event
// limits, so Caller.Allows refuses every other event; Caller.Event is set
// too when there is exactly one.
func (u *User) Caller() httpkit.Caller {
	c := httpkit.Caller{Kind: httpkit.KindUser, ID: u.Username, Name: u.DisplayName, Role: u.Role, Events: slices.Clone(u.Events)}
	if len(u.Events) == 1 {
		c.Event = u.Events[0]
	}
	return c
}

// Actor is the person as the audit log names them.
func (u *User) Actor() string { return u.Caller().Actor() }

// CSRF is the token every form of this session carries.
func (u *User) CSRF() string { return staff.CSRFToken(u.token) }

// Allows refuses, with a 403, an event the account is not limited to.
func (u *User) Allows(event string) error {
	if u.MayActFor(event) {
		return nil
	}
	return forbidden(fmt.Sprintf("Your account is limited to %s: it cannot see or act for event %s. Ask an admin to add it.", listEvents(u.Events), event))
}

func listEvents(evs []string) string {
	if len(evs) == 1 {
		return "event " + evs[0]
	}
	return "events " + strings.Join(evs, ", ")
}

const userKey = "office.user"

// UserOf is the person signed in; nil on a route without requireUser.
func UserOf(c echo.Context) *User {
	u, _ := c.Get(userKey).(*User)
	return u
}

// Cookie names: __Host- (Secure, Path=/, no Domain) when served securely.
const (
	sessionCookie    = "laminate_office"
	preSessionCookie = "laminate_signin" // the sign-in form's CSRF secret
	csrfField        = "csrf"
)

func (o *Office) secure(c echo.Context) bool { return o.cfg.SecureCookies || c.IsTLS() }

func (o *Office) cookieName(c echo.Context, base string) string {
	if o.secure(c) {
		return "__Host-" + base
	}
	return base
}

func (o *Office) setCookie(c echo.Context, base, value string, maxAge int) {
	c.SetCookie(&http.Cookie{
		Name: o.cookieName(c, base), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: o.secure(c), SameSite: http.SameSiteStrictMode,
	})
}

func (o *Office) cookie(c echo.Context, base string) string {
	ck, err := c.Cookie(o.cookieName(c, base))
	if err != nil {
		return ""
	}
	return ck.Value
}

// signInURL is the sign-in page, with a notice (expired, disabled,
// signed-out) and the page to come back to.
func signInURL(notice, next string) string {
	q := url.Values{}
	if notice != "" {
		q.Set("m", notice)
	}
	if next != "" && next != Prefix+"/" {
		q.Set("next", next)
	}
	if len(q) == 0 {
		return Prefix + "/sign-in"
	}
	return Prefix + "/sign-in?" + q.Encode()
}

// safeNext is a page of the office to go to after signing in, or the home
// page: never another site.
func safeNext(next string) string {
	if strings.HasPrefix(next, Prefix+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") && !strings.Contains(next, "//") && !strings.Contains(next, "..") {
		return next
	}
	return Prefix + "/"
}

// session finds the signed-in person from the cookie. notice is why there
// is none, when that needs saying ("expired", "disabled").
func (o *Office) session(c echo.Context) (u *User, notice string, err error) {
	tok := o.cookie(c, sessionCookie)
	if !staff.WellFormedToken(tok) {
		return nil, "", nil
	}
	ctx := c.Request().Context()
	hash := staff.HashToken(tok)
	ss, err := o.st.Session(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	now := o.cfg.Now()
	acct, err := o.st.User(ctx, ss.Username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	if acct == nil || acct.Disabled {
		// Disabling ends sessions in the store; this is the belt to
		// those braces (an account deleted under us, a race).
		if _, err := o.st.DeleteSessions(ctx, ss.Username, nil, "office"); err != nil {
			return nil, "", err
		}
		return nil, "disabled", nil
	}
	u = &User{Account: *acct, token: tok, hash: hash}
	if o.cfg.Sessions.Expired(ss, now) {
		if err := o.st.DeleteSession(ctx, hash, store.ActionUserExpired, u.Actor()); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, "", err
		}
		return nil, "expired", nil
	}
	// The idle clock: one write a minute at most, not one per request.
	if now.Sub(ss.LastSeen) >= time.Minute {
		if err := o.st.TouchSession(ctx, hash, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, "", err
		}
	}
	return u, "", nil
}

// requireUser admits a signed-in person whose role is one of roles (none:
// any role; admin always), checks the CSRF token of every POST, and
// records the person (UserOf, httpkit.CallerOf). Without a session a page
// sends the person to sign in.
func (o *Office) requireUser(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, notice, err := o.session(c)
			if err != nil {
				return err
			}
			if u == nil {
				if notice != "" {
					o.setCookie(c, sessionCookie, "", -1)
				}
				back := ""
				if c.Request().Method == http.MethodGet {
					back = c.Request().URL.RequestURI()
				}
				return c.Redirect(http.StatusSeeOther, signInURL(notice, back))
			}
			if c.Request().Method == http.MethodPost && !staff.CheckCSRF(u.token, c.FormValue(csrfField)) {
				return forbidden("This form is out of date or did not come from the office (its security token is missing or wrong). Go back, reload the page and try again.")
			}
			if len(roles) > 0 && !u.Has(roles...) {
				return forbidden(fmt.Sprintf("This page needs the %s role; your account has the %s role. Ask an admin if you need it.", strings.Join(roles, " or "), u.Role))
			}
			c.Set(userKey, u)
			httpkit.SetCaller(c, u.Caller())
			return next(c)
		}
	}
}

// signInView is the sign-in page's data.
type signInView struct {
	Username string
	Next     string
	Notice   string
	Error    string
}

var notices = map[string]string{
	"expired":       "Your session ended. Sign in again.",
	"disabled":      "Your account has been disabled. Ask an admin.",
	"signed-out":    "You are signed out.",
	"everywhere":    "You are signed out on every device.",
	"created":       "Account created.",
	"saved":         "Changes saved.",
	"disabled-user": "Account disabled: its sessions have ended.",
	"enabled":       "Account enabled.",
	"reset":         "Password reset: the account's sessions have ended.",
	"password":      "Your password is changed; your other sessions have ended.",
	"revoked":       "Pass revoked: doors turn it away from their next sync.",
	"reissued":      "New pass issued: the old one is superseded. Print this one for the holder.",
	"event-created": "Event created.",
	"event-saved":   "Event saved: doors use the new schedule from their next sync.",
	"event-cloned":  "Next show created from the event: check its times.",
	"policy-saved":  "Policy saved: doors use it from their next sync.",
}

func (o *Office) signInPage(c echo.Context) error {
	if u, _, err := o.session(c); err != nil {
		return err
	} else if u != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	v := signInView{Next: c.QueryParam("next"), Notice: notices[c.QueryParam("m")]}
	return o.signInForm(c, http.StatusOK, v)
}

// signInForm renders the sign-in form with a fresh pre-session secret.
func (o *Office) signInForm(c echo.Context, status int, v signInView) error {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	pre := base64.RawURLEncoding.EncodeToString(b)
	o.setCookie(c, preSessionCookie, pre, 3600)
	return o.render(c, status, "sign-in.html", view{Title: "Sign in", CSRF: staff.CSRFToken(pre), Data: v})
}

// signIn is POST /office/sign-in.
func (o *Office) signIn(c echo.Context) error {
	if !staff.CheckCSRF(o.cookie(c, preSessionCookie), c.FormValue(csrfField)) {
		return forbidden("This sign-in form is out of date (its security token is missing or wrong). Reload the page and sign in again.")
	}
	now := o.cfg.Now()
	v := signInView{Username: strings.ToLower(strings.TrimSpace(c.FormValue("username"))), Next: c.FormValue("next")}
	password := c.FormValue("password")
	fail := func(status int, msg string) error {
		v.Error = msg
		return o.signInForm(c, status, v)
	}
	addr := httpkit.RateKey(c.RealIP())
	if !o.byAddress.allow(addr, now) {
		return fail(http.StatusTooManyRequests, "Too many sign-in attempts from your address. Wait a minute, then try again.")
	}
	if v.Username == "" || password == "" {
		return fail(http.StatusBadRequest, "Enter your username and your password.")
	}
	if len(v.Username) > staff.MaxUsername || len(password) > staff.MaxPasswordBytes {
		return fail(http.StatusUnauthorized, "Wrong username or password.")
	}
	// Per username from this address only: a limit on the username from
	// everywhere would let anyone keep its owner out (review finding 2).
	if !o.byAccount.allow(v.Username+" "+addr, now) {
		return fail(http.StatusTooManyRequests, "Too many sign-in attempts for this account. Wait a minute, then try again.")
	}
	if !o.global.allow("", now) {
		return fail(http.StatusServiceUnavailable, busyMessage)
	}
	tok, _, err := o.accounts.SignIn(c.Request().Context(), v.Username, password, c.RealIP(), now)
	var locked *accounts.LockedError
	switch {
	case errors.As(err, &locked):
		return fail(http.StatusUnauthorized, lockedMessage(locked.Until))
	case errors.Is(err, staff.ErrBadSignIn):
		return fail(http.StatusUnauthorized, "Wrong username or password.")
	case errors.Is(err, staff.ErrDisabled):
		return fail(http.StatusForbidden, "This account is disabled. Ask an admin to enable it.")
	case errors.Is(err, accounts.ErrBusy):
		return fail(http.StatusServiceUnavailable, busyMessage)
	case err != nil:
		return err
	}
	o.setCookie(c, sessionCookie, tok, 0) // a browser session cookie; the store ends it too
	o.setCookie(c, preSessionCookie, "", -1)
	return c.Redirect(http.StatusSeeOther, safeNext(v.Next))
}

// lockedMessage is the answer to a (username, address) pair locked after
// wrong passwords; unknown usernames get it too.
func lockedMessage(until time.Time) string {
	return fmt.Sprintf("Too many wrong passwords for this username from your address. Try again after %s, or ask an admin to reset your password.", until.UTC().Format("15:04 MST on 2 January"))
}

// busyMessage is the answer when sign-ins come faster than passwords can
// be checked (review finding 4).
const busyMessage = "Signing in is busy right now. Try again in a moment."

// signOut is POST /office/sign-out: this session ends.
func (o *Office) signOut(c echo.Context) error {
	u := UserOf(c)
	if err := o.st.DeleteSession(c.Request().Context(), u.hash, store.ActionUserSignOut, u.Actor()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	o.setCookie(c, sessionCookie, "", -1)
	return c.Redirect(http.StatusSeeOther, signInURL("signed-out", ""))
}

// signOutEverywhere is POST /office/sign-out-everywhere: every session of
// the account ends, this one included.
func (o *Office) signOutEverywhere(c echo.Context) error {
	u := UserOf(c)
	if _, err := o.st.DeleteSessions(c.Request().Context(), u.Username, nil, u.Actor()); err != nil {
		return err
	}
	o.setCookie(c, sessionCookie, "", -1)
	return c.Redirect(http.StatusSeeOther, signInURL("everywhere", ""))
}

// limiter is a token bucket per key (a client address, a username),
// forgotten after ten idle minutes.
type limiter struct {
	mu      sync.Mutex
	perMin  float64
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perMinute float64) *limiter {
	return &limiter{perMin: perMinute, buckets: map[string]*bucket{}}
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.perMin/60), int(l.perMin))}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// roleList is every role, for the forms.
var roleList = slices.Clone(staff.Roles)
