package issue

import (
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
)

// Single is the request for one pass ("laminate issue --type --name"): the
// type and role parsed, the validity times read in ev's time zone (zero
// flags stay zero: from issuance, until the event's access closes).
func Single(ev *pass.Event, typ, role, name, org string, from, until *pass.TimeFlag) (signer.Request, error) {
	t, err := pass.ParseType(typ)
	if err != nil {
		return signer.Request{}, err
	}
	if role != "" {
		if role, err = pass.ParseRole(role); err != nil {
			return signer.Request{}, err
		}
	}
	r := signer.Request{Type: t, Role: role, Name: name, Org: org}
	if r.ValidFrom, err = from.In(ev.Location()); err != nil {
		return signer.Request{}, err
	}
	if r.ValidUntil, err = until.In(ev.Location()); err != nil {
		return signer.Request{}, err
	}
	return r, nil
}
