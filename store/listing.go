package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/laminate/laminate/pass"
)

// PassHeader is the header of the table of passes ("laminate passes list").
var PassHeader = []string{"SERIAL", "EVENT", "TYPE", "NAME", "STATE"}

// PassStates is the state of every revoked pass as the table of passes
// shows it: "revoked", or "superseded by SERIAL". A pass not in it is
// "issued".
func PassStates(ctx context.Context, s Store) (map[pass.Serial]string, error) {
	revs, err := s.RevocationsSince(ctx, 0)
	if err != nil {
		return nil, err
	}
	states := map[pass.Serial]string{}
	for _, r := range revs {
		states[r.Serial] = "revoked"
		if r.Superseded() {
			states[r.Serial] = "superseded by " + r.SupersededBy.String()
		}
	}
	return states, nil
}

// PassRow is p's row of the table of passes, its state from states
// ([PassStates]).
func PassRow(p *Issued, states map[pass.Serial]string) []string {
	state := "issued"
	if st := states[p.Serial]; st != "" {
		state = st
	}
	role := string(p.Type)
	if p.Role != "" {
		role += "/" + p.Role
	}
	return []string{p.Serial.String(), p.Event, role, p.Name, state}
}

// ShowPass writes the pass serial with its revocation, times in its
// event's zone ([Issued.WriteText]); ErrNotFound when there is no such pass.
func ShowPass(ctx context.Context, s Store, serial pass.Serial, w io.Writer) error {
	p, err := s.Pass(ctx, serial)
	if err != nil {
		return err
	}
	var loc *time.Location
	if ev, err := s.Event(ctx, p.Event); err == nil {
		loc = ev.Location()
	}
	r, err := s.Revocation(ctx, serial)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	p.WriteText(w, r, loc)
	return nil
}

// AlreadyRevokedError is the error for revoking serial again (err, the
// store's [ErrAlreadyRevoked]): when and why it was revoked, in its event's
// time zone; err itself when the revocation cannot be read.
func AlreadyRevokedError(ctx context.Context, s Store, serial pass.Serial, err error) error {
	old, oerr := s.Revocation(ctx, serial)
	if oerr != nil {
		return err
	}
	var loc *time.Location
	if ev, err := s.Event(ctx, old.Event); err == nil {
		loc = ev.Location()
	}
	return fmt.Errorf("pass %s is already revoked (%s, %s)", serial, old.Text(), pass.FormatTime(old.At, loc))
}

// PassRows are the rows of the table of passes ps ([PassRow]), their
// states read from s.
func PassRows(ctx context.Context, s Store, ps []*Issued) ([][]string, error) {
	states, err := PassStates(ctx, s)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for _, p := range ps {
		rows = append(rows, PassRow(p, states))
	}
	return rows, nil
}
