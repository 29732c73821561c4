package node

import (
	"context"
	"errors"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/verifier"
)

// Verify decides tok at at as a door of event ("" for any) with the
// store's current revocations, and access to zone when it is not nil. The
// verdict's times are in the zone of the pass's event, also returned (nil
// when the event is unknown). The node is open.
func (n *Node) Verify(ctx context.Context, tok, event string, zone *pass.Zone, at time.Time) (verifier.Verdict, *time.Location, error) {
	v, err := n.Verifier(ctx, event, nil)
	if err != nil {
		return verifier.Verdict{}, nil, err
	}
	vd := v.Verify(tok, at)
	var ev *pass.Event
	var loc *time.Location
	if vd.Pass != nil {
		e, err := n.st.Event(ctx, vd.Pass.Event)
		switch {
		case err == nil:
			ev, loc = e, e.Location()
			vd.InZone(loc)
		case zone != nil && !errors.Is(err, store.ErrNotFound):
			return vd, nil, err
		}
	}
	if zone != nil {
		v.Access(&vd, ev, *zone, at)
	}
	return vd, loc, nil
}
