package issue

import (
	"context"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/verifier"
)

// Bundle signs an offline bundle of ev for doors: the keys of jwks, every
// revocation of log, the event, fresh for freshFor from now, and the door
// rules of cloneWindow (so that a door decides offline as the server does
// online). GET /v1/events/{id}/bundle and "laminate bundle export" call it.
func Bundle(ctx context.Context, sg *signer.Signer, log verifier.RevocationLog, jwks jose.JSONWebKeySet, ev *pass.Event,
	now time.Time, freshFor, cloneWindow time.Duration) (jws string, b *verifier.Bundle, err error) {
	revs, err := log.RevocationsSince(ctx, 0)
	if err != nil {
		return "", nil, err
	}
	if b, err = verifier.NewBundle(ev, jwks, revs, sg.Issuer(), now, freshFor); err != nil {
		return "", nil, err
	}
	door, err := verifier.NewDoorRules(cloneWindow)
	if err != nil {
		return "", nil, err
	}
	b.SetDoor(door)
	if jws, err = sg.SignDocument(verifier.BundleHeaderType, b); err != nil {
		return "", nil, err
	}
	return jws, b, nil
}
