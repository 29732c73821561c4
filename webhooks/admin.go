package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/laminate/laminate/store"
)

// Add makes an endpoint: it checks the URL and the event types, draws a
// secret and stores both. It returns the endpoint and its secret in the
// form of [FormatSecret], to show once: the store never gives it back.
func Add(ctx context.Context, st store.Store, rawURL string, events []string, allowPrivate bool, actor string) (*store.Webhook, string, error) {
	u, err := CheckURL(strings.TrimSpace(rawURL), allowPrivate)
	if err != nil {
		return nil, "", &InputError{err}
	}
	if err := checkResolved(ctx, u.Hostname(), allowPrivate); err != nil {
		return nil, "", &InputError{err}
	}
	if len(events) > len(store.WebhookTypes) {
		return nil, "", &InputError{fmt.Errorf("at most %d event types", len(store.WebhookTypes))}
	}
	if err := store.CheckWebhookEvents(events); err != nil {
		return nil, "", &InputError{err}
	}
	id := make([]byte, 8)
	rand.Read(id)
	w := &store.Webhook{ID: "wh_" + hex.EncodeToString(id), URL: u.String(), Events: events, AllowPrivate: allowPrivate, Secret: NewSecret()}
	if err := st.CreateWebhook(ctx, w, actor); err != nil {
		return nil, "", err
	}
	secret := FormatSecret(w.Secret)
	w.Secret = nil
	return w, secret, nil
}

// InputError is a URL or a list of event types refused by [Add]: the
// admin's to fix, unlike an error of the store.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// SplitEvents reads a comma list of event types ("pass.revoked,alert.raised").
func SplitEvents(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// lookup resolves a host name when an endpoint is added; tests replace it.
var lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// checkResolved refuses a host name that resolves, now, to an address the
// endpoint may not reach ("localhost", a name in a private zone): the
// admin learns at once. A name that does not resolve yet is accepted;
// every delivery checks the address it dials anyway.
func checkResolved(ctx context.Context, host string, allowPrivate bool) error {
	if _, err := netip.ParseAddr(host); err == nil {
		return nil // an IP literal is checked by CheckURL
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := lookup(ctx, host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if err := CheckAddr(a, allowPrivate); err != nil {
			return fmt.Errorf("webhook URL: %s resolves to %w%s", host, err, privateHint(a))
		}
	}
	return nil
}
