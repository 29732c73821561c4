package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/store"
)

// timeFlag is a flag holding an RFC 3339 time.
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("want an RFC 3339 time such as 2026-06-12T20:00:00+01:00")
	}
	f.t = t
	return nil
}

func cmdEvent(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return subcommandError("event", "")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("event "+sub, a.ui)
	a.g.register(fs.FlagSet)
	switch sub {
	case "create":
		return eventCreate(ctx, a, fs, args)
	case "update":
		return eventUpdate(ctx, a, fs, args)
	case "list":
		if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
			return err
		}
		if err := a.open(ctx); err != nil {
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
		pos, err := parseArgs(fs, args, 1, 1, "event ID")
		if err != nil {
			return err
		}
		if err := a.open(ctx); err != nil {
			return err
		}
		e, err := a.event(ctx, pos[0])
		if err != nil {
			return err
		}
		a.showEvent(e)
		return nil
	}
	return subcommandError("event", sub)
}

func eventCreate(ctx context.Context, a *app, fs *flagSet, args []string) error {
	id := fs.String("id", "", "event id, short: it is in every token (e.g. tour26-ldn01)")
	name := fs.String("name", "", "event name as printed")
	venue := fs.String("venue", "", "venue")
	var start, end, from, until, mgFrom, mgUntil timeFlag
	fs.Var(&start, "start", "show start (RFC 3339)")
	fs.Var(&end, "end", "show end (RFC 3339)")
	fs.Var(&from, "access-from", "access opens (default 12 h before show start)")
	fs.Var(&until, "access-until", "access closes (default 6 h after show end)")
	fs.Var(&mgFrom, "meet-greet-from", "meet & greet opens (default 2 h before show start)")
	fs.Var(&mgUntil, "meet-greet-until", "meet & greet closes (default 30 min before show start)")
	photo := fs.Duration("photo-window", pass.DefaultPhotoDuration, "photo pit window from show start (the first three songs)")
	policyFile := fs.String("policy", "", "policy file (JSON) replacing the default zones and rules")
	gates := fs.String("gates", "", "the event's gates, comma-separated (e.g. north,south,stage-door): scans at any other gate are refused; none: any gate")
	bf := brandingFlags(fs)
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	if err := required(fs, "id", "name", "start", "end"); err != nil {
		return err
	}
	e := &pass.Event{ID: *id, Name: *name, Venue: *venue, Schedule: pass.Schedule{
		AccessFrom: from.t, ShowStart: start.t, ShowEnd: end.t, AccessUntil: until.t,
		MeetGreetFrom: mgFrom.t, MeetGreetUntil: mgUntil.t, PhotoDuration: *photo,
	}}
	if *policyFile != "" {
		if ext := strings.ToLower(filepath.Ext(*policyFile)); ext == ".yaml" || ext == ".yml" {
			return withHint(fmt.Errorf("%s: policy files are JSON; YAML is not supported", *policyFile), "see pass/default_policy.json for the format")
		}
		f, err := os.Open(*policyFile)
		if err != nil {
			return fmt.Errorf("policy: %w", err)
		}
		p, err := pass.ParsePolicy(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *policyFile, err)
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

func (a *app) showEvent(e *pass.Event) {
	s := e.Schedule
	loc := e.Location()
	f := func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 2006 15:04") }
	a.printf("event         %s\nname          %s\n", e.ID, e.Name)
	if e.Venue != "" {
		a.printf("venue         %s\n", e.Venue)
	}
	a.printf("time zone     UTC%s\n", s.ShowStart.Format("-07:00"))
	a.printf("access        %s -> %s\n", f(s.AccessFrom), f(s.AccessUntil))
	a.printf("show          %s -> %s\n", f(s.ShowStart), f(s.ShowEnd))
	a.printf("meet & greet  %s -> %s\n", f(s.MeetGreetFrom), f(s.MeetGreetUntil))
	a.printf("photo window  first %s of the show\n", s.PhotoDuration)
	pol := e.EffectivePolicy()
	gates := "any (none declared)"
	if len(pol.Gates) > 0 {
		gates = strings.Join(pol.Gates, ", ")
	}
	a.printf("gates         %s\n", gates)
	kind := "default"
	if e.Policy != nil && !sameRules(e.Policy, pass.DefaultPolicy()) {
		kind = "custom"
	}
	a.printf("policy        %s; zones: %s\n", kind, joinZones(pol.Zones))
	if b := e.Branding; !b.IsZero() {
		for _, f := range [][2]string{{"tour", b.Tour}, {"short name", b.Short}, {"accent", b.Accent}, {"contact", b.Contact}} {
			if f[1] != "" {
				a.printf("%-13s %s\n", f[0], f[1])
			}
		}
		if len(b.Logo) > 0 {
			a.printf("logo          %s, %d bytes\n", logoKind(b.Logo), len(b.Logo))
		}
	}
	for _, t := range pass.Types {
		if t == pass.Staff {
			continue
		}
		a.printf("  %-11s %s\n", t, grantsText(pol.Allows(t, "")))
	}
	for _, role := range slices.Sorted(maps.Keys(pol.Roles)) {
		a.printf("  STAFF/%-5s %s\n", role, grantsText(pol.Allows(pass.Staff, role)))
	}
}

// splitList splits a comma-separated flag value, trimming spaces.
func splitList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		out = append(out, strings.TrimSpace(v))
	}
	return out
}

// sameRules reports whether two policies have the same zones and rules
// (their gates and comments aside): an event made with --gates alone
// keeps the default policy.
func sameRules(a, b *pass.Policy) bool {
	x, y := *a, *b
	x.Gates, y.Gates, x.Comment, y.Comment = nil, nil, "", ""
	ja, err1 := json.Marshal(x)
	jb, err2 := json.Marshal(y)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func joinZones(zs []pass.Zone) string {
	s := make([]string, len(zs))
	for i, z := range zs {
		s[i] = string(z)
	}
	return strings.Join(s, ", ")
}

func grantsText(gs []pass.Grant) string {
	if len(gs) == 0 {
		return "no access"
	}
	var parts []string
	for _, g := range gs {
		w := make([]string, len(g.When))
		for i, x := range g.When {
			w[i] = string(x)
		}
		parts = append(parts, joinZones(g.Zones)+" ("+strings.Join(w, ", ")+")")
	}
	return strings.Join(parts, "; ")
}
