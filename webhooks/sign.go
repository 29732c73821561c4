// Package webhooks sends Laminate's events to the HTTP endpoints an admin
// entered (issue 14, item 5): the admin API (an httpkit.Surface), the
// signatures of the Standard Webhooks specification, the guard against
// server-side request forgery, and the worker that delivers the durable
// outbox of the store.
//
// # Signatures
//
// Every delivery carries three headers: webhook-id (the event's message
// id, the same on every retry), webhook-timestamp (Unix seconds of the
// attempt) and webhook-signature ("v1," and the base64 HMAC-SHA256 of
// "id.timestamp.body" under the endpoint's secret). The secret is shown
// once as "whsec_" and its base64; [Verify] is what a receiver written in
// Go runs.
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix marks a serialised secret.
const SecretPrefix = "whsec_"

// SecretBytes is the size of an endpoint's secret.
const SecretBytes = 32

// DefaultTolerance is how far a webhook-timestamp may be from the
// receiver's clock, either way, before [Verify] refuses it as a replay.
const DefaultTolerance = 5 * time.Minute

// NewSecret draws a fresh endpoint secret.
func NewSecret() []byte {
	b := make([]byte, SecretBytes)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return b
}

// FormatSecret is the form a secret is shown in, once: "whsec_" and the
// standard base64 of its bytes.
func FormatSecret(secret []byte) string {
	return SecretPrefix + base64.StdEncoding.EncodeToString(secret)
}

// ParseSecret reads a secret in the form of [FormatSecret].
func ParseSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), SecretPrefix)
	if !ok {
		return nil, errors.New("webhooks: a secret starts with " + SecretPrefix)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("webhooks: secret: %w", err)
	}
	if len(b) < 24 || len(b) > 64 {
		return nil, fmt.Errorf("webhooks: a secret has 24 to 64 bytes, not %d", len(b))
	}
	return b, nil
}

// mac is the HMAC-SHA256 of "id.timestamp.body".
func mac(secret []byte, id string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, ts, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Sign is the webhook-signature of a delivery: "v1," and the base64
// HMAC-SHA256 of "id.timestamp.body".
func Sign(secret []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, id, ts.Unix(), body))
}

// Headers sets the three headers of a delivery attempt made at ts.
func Headers(h http.Header, secret []byte, id string, ts time.Time, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(secret, id, ts, body))
}

// Errors of [Verify].
var (
	ErrMissingHeaders = errors.New("webhooks: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrTimestamp      = errors.New("webhooks: timestamp outside the tolerance (a replay, or a clock far off)")
	ErrSignature      = errors.New("webhooks: no valid signature")
)

// Verify checks a delivery as a receiver gets it: the headers, the body
// exactly as received (before any JSON parsing), the receiver's clock and
// a tolerance (0: [DefaultTolerance]). It accepts when the timestamp is
// within the tolerance of now and one of the space-separated "v1,"
// signatures matches, compared in constant time.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not Unix seconds", ErrTimestamp, tsText)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	want := mac(secret, id, ts, body)
	ok := false
	for _, s := range strings.Fields(sigs) {
		v, b64, found := strings.Cut(s, ",")
		if !found || v != "v1" {
			continue // another scheme (v1a) or version: not ours to check
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		// hmac.Equal is constant-time; every signature is checked, so the
		// time taken does not say which one matched.
		if hmac.Equal(got, want) {
			ok = true
		}
	}
	if !ok {
		return ErrSignature
	}
	return nil
}
