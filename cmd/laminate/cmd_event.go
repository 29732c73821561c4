package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	id := fs.String("id", "", "event id, short: it is in every token (e.g. tour26-ldn01)")
	name := fs.String("name", "", "event name as printed")
	venue := fs.String("venue", "", "venue")
	var start, end, from, until, mgFrom, mgUntil pass.TimeFlag
	fs.Var(&start, "start", "show start (RFC 3339: its offset is the event's time zone)")
	fs.Var(&end, "end", "show end (RFC 3339, or a local time such as 2027-03-05 23:00 in the event's time zone; so are the times below)")
	fs.Var(&from, "access-from", "access opens (default 12 h before show start)")
	fs.Var(&until, "access-until", "access closes (default 6 h after show end)")
	fs.Var(&mgFrom, "meet-greet-from", "meet & greet opens (default 2 h before show start)")
	fs.Var(&mgUntil, "meet-greet-until", "meet & greet closes (default 30 min before show start)")
	photo := fs.Duration("photo-window", pass.DefaultPhotoDuration, "photo pit window from show start (the first three songs)")
	policyFile := fs.String("policy", "", "policy file (JSON) replacing the default zones and rules")
	gates := fs.String("gates", "", "the event's gates, comma-separated (e.g. north,south,stage-door): scans at any other gate are refused; none: any gate")
	bf := brandingFlags(fs)
	if err := parseFlags(fs, args, "id", "name", "start", "end"); err != nil {
		return err
	}
	showStart, err := absTime(&start, "start")
	if err != nil {
		return err
	}
	var ts [5]time.Time
	for i, f := range []*pass.TimeFlag{&from, &end, &until, &mgFrom, &mgUntil} {
		if ts[i], err = f.In(showStart.Location()); err != nil {
			return err
		}
	}
	e := &pass.Event{ID: *id, Name: *name, Venue: *venue, Schedule: pass.Schedule{
		AccessFrom: ts[0], ShowStart: showStart, ShowEnd: ts[1], AccessUntil: ts[2],
		MeetGreetFrom: ts[3], MeetGreetUntil: ts[4], PhotoDuration: *photo,
	}}
	if *policyFile != "" {
		p, err := pass.ReadPolicyFile(*policyFile)
		if errors.Is(err, pass.ErrPolicyYAML) {
			return withHint(err, "see pass/default_policy.json for the format")
		} else if err != nil {
			return err
		}
		e.Policy = p
	}
	if *gates != "" {
		if e.Policy == nil {
			e.Policy = pass.DefaultPolicy()
		} else if len(e.Policy.Gates) > 0 {
			return fmt.Errorf("%s declares gates already: leave out --gates, or the policy's \"gates\"", *policyFile)
		}
		if err := e.Policy.SetGates(splitList(*gates)); err != nil {
			return fmt.Errorf("--gates: %w", err)
		}
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("event %s: %w", *id, err)
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

// splitList splits a comma-separated flag value, trimming spaces.
func splitList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		out = append(out, strings.TrimSpace(v))
	}
	return out
}
