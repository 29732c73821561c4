package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/laminate/laminate/pass"
)

// ToPrint returns the passes of event to print: those of serials, in that
// order, or with no serials every pass of the event that is not revoked.
// A serial of no pass, of another event or of a revoked pass is an error
// that names it; so is an event with nothing to print.
func ToPrint(ctx context.Context, s Store, event string, serials []pass.Serial) ([]Issued, error) {
	var out []Issued
	if len(serials) == 0 {
		ps, err := s.Passes(ctx, PassFilter{Event: event})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if _, err := s.Revocation(ctx, p.Serial); errors.Is(err, ErrNotFound) {
				out = append(out, *p)
			} else if err != nil {
				return nil, err
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("event %s has no passes to print", event)
		}
		return out, nil
	}
	for _, serial := range serials {
		p, err := s.Pass(ctx, serial)
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("no pass %s", serial)
		}
		if err != nil {
			return nil, err
		}
		if p.Event != event {
			return nil, fmt.Errorf("pass %s is for event %s, not %s", serial, p.Event, event)
		}
		if r, err := s.Revocation(ctx, serial); err == nil {
			return nil, fmt.Errorf("pass %s is revoked (%s): it is not printed", serial, r.Text())
		}
		out = append(out, *p)
	}
	return out, nil
}
