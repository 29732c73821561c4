package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/render/logo"
	"github.com/laminate/laminate/store"
)

// absTime is f's time where no event's zone is known (pass.TimeFlag.Abs);
// a time without offset is a usage error.
func absTime(f *pass.TimeFlag, flag string) (time.Time, error) {
	t, err := f.Abs()
	if err != nil {
		return t, usagef("--%s %v", flag, err)
	}
	return t, nil
}

func cmdEvent(ctx context.Context, a *app, args []string) error {
	sub, fs, args := a.sub("event", args)
	switch sub {
	case "create":
		return eventCreate(ctx, a, fs, args)
	case "update":
		return eventUpdate(ctx, a, fs, args)
	case "capacity":
		return eventCapacity(ctx, a, fs, args)
	case "list":
		if err := a.openFlags(ctx, fs, args); err != nil {
			return err
		}
		evs, err := a.st.Events(ctx)
		if err != nil {
			return err
		}
		var rows [][]string
		for _, e := range evs {
			rows = append(rows, []string{e.ID, e.Schedule.ShowStart.Format("2006-01-02 15:04 -07:00"), e.Name, e.Venue})
		}
		a.table([]string{"ID", "SHOW START", "NAME", "VENUE"}, rows)
		return nil
	case "show":
		pos, err := a.openArgs(ctx, fs, args, 1, 1, "event ID")
		if err != nil {
			return err
		}
		e, err := a.event(ctx, pos[0])
		if err != nil {
			return err
		}
		e.Describe(a.stdout, logo.Describe)
		return nil
	}
	return subcommandError("event", sub)
}

func eventCreate(ctx context.Context, a *app, fs *flagSet, args []string) error {
	var sp pass.EventSpec
	var start pass.TimeFlag
	fs.StringVar(&sp.ID, "id", "", "event id, short: it is in every token (e.g. tour26-ldn01)")
	fs.StringVar(&sp.Name, "name", "", "event name as printed")
	fs.StringVar(&sp.Venue, "venue", "", "venue")
	fs.Var(&start, "start", "show start (RFC 3339: its offset is the event's time zone)")
	fs.Var(&sp.End, "end", "show end (RFC 3339, or a local time such as 2027-03-05 23:00 in the event's time zone; so are the times below)")
	fs.Var(&sp.AccessFrom, "access-from", "access opens (default 12 h before show start)")
	fs.Var(&sp.AccessUntil, "access-until", "access closes (default 6 h after show end)")
	fs.Var(&sp.MeetGreetFrom, "meet-greet-from", "meet & greet opens (default 2 h before show start)")
	fs.Var(&sp.MeetGreetUntil, "meet-greet-until", "meet & greet closes (default 30 min before show start)")
	fs.DurationVar(&sp.PhotoDuration, "photo-window", pass.DefaultPhotoDuration, "photo pit window from show start (the first three songs)")
	fs.StringVar(&sp.PolicyFile, "policy", "", "policy file (JSON) replacing the default zones and rules")
	fs.StringVar(&sp.Gates, "gates", "", "the event's gates, comma-separated (e.g. north,south,stage-door): scans at any other gate are refused; none: any gate")
	bf := brandingFlags(fs)
	if err := parseFlags(fs, args, "id", "name", "start", "end"); err != nil {
		return err
	}
	var err error
	if sp.Start, err = absTime(&start, "start"); err != nil {
		return err
	}
	e, err := sp.Event()
	if errors.Is(err, pass.ErrPolicyYAML) {
		return withHint(err, "see pass/default_policy.json for the format")
	} else if err != nil {
		return err
	}
	b, err := bf.apply(fs, nil)
	if err != nil {
		return err
	}
	e.Branding = b
	if err := bf.check(e.ID, func(p render.Printable) error { return p.CheckEvent(e) }); err != nil {
		return err
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	if err := a.st.CreateEvent(ctx, e, a.actor()); err != nil {
		if errors.Is(err, store.ErrExists) {
			return withHint(fmt.Errorf("event %s already exists", e.ID), "\"laminate event show %s\" shows it", e.ID)
		}
		return err
	}
	a.printf("created event %s\n", e.ID)
	return nil
}

// event loads an event with a friendly error.
func (a *app) event(ctx context.Context, id string) (*pass.Event, error) {
	e, err := a.st.Event(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, withHint(fmt.Errorf("no event %q", id), "\"laminate event list\" shows the events")
	}
	return e, err
}
