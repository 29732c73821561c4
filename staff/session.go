package staff

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// Session is a signed-in browser. Only the SHA-256 of its token is kept.
type Session struct {
	Hash     []byte // SHA-256 of the token
	Username string
	Created  time.Time
	LastSeen time.Time
	Address  string // client address at sign-in, for the account page
}

// SessionPolicy bounds sessions: one ends after Idle without a request
// and after Absolute in any case.
type SessionPolicy struct {
	Idle, Absolute time.Duration
}

// DefaultSessions: two idle hours (a show-day break), sixteen hours in all
// (a show day).
var DefaultSessions = SessionPolicy{Idle: 2 * time.Hour, Absolute: 16 * time.Hour}

// Expired reports whether s has ended at now under p.
func (p SessionPolicy) Expired(s *Session, now time.Time) bool {
	return !now.Before(s.LastSeen.Add(p.Idle)) || !now.Before(s.Created.Add(p.Absolute))
}

// tokenLen is the size of a session token's secret.
const tokenLen = 32

// NewSession makes a session for username at now: the token, for the
// cookie (base64url, 43 characters), and the session to store.
func NewSession(username string, now time.Time) (token string, s Session) {
	b := make([]byte, tokenLen)
	rand.Read(b) // never fails (crypto/rand)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Session{Hash: HashToken(token), Username: username, Created: now, LastSeen: now}
}

// HashToken is the stored form of a session token.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// WellFormedToken reports whether a cookie value can be a session token,
// so that junk is refused before any lookup.
func WellFormedToken(token string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenLen) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// csrfLabel separates the CSRF use of a session token from any other.
const csrfLabel = "laminate office csrf v1"

// CSRFToken is the CSRF token of every form of the session whose token is
// secret (a session token, or the pre-session token of the sign-in form):
// HMAC-SHA256 of a fixed label under it, base64url.
func CSRFToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports, in constant time, whether got is the CSRF token of
// secret. An empty secret never matches.
func CheckCSRF(secret, got string) bool {
	if secret == "" {
		return false
	}
	return hmac.Equal([]byte(CSRFToken(secret)), []byte(got))
}
