package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/render/logo"
	"github.com/laminate/laminate/store"
)

// brandFlags are the branding flags of event create and event update.
type brandFlags struct {
	logo, accent, tour, short, contact, fonts *string
	noLogo                                    *bool
}

func brandingFlags(fs *flagSet) *brandFlags {
	return &brandFlags{
		logo:    fs.String("logo", "", "logo file printed on badges: PNG, JPEG or SVG (shapes only), at most 1 MiB; stored re-encoded, metadata stripped"),
		accent:  fs.String("accent", "", "accent colour, #rrggbb (a rule under the band; the tour line)"),
		tour:    fs.String("tour", "", "tour or artist line printed on badges"),
		short:   fs.String("short-name", "", "the event's short name on round stickers (default: the event name)"),
		contact: fs.String("contact", "", "how to reach the production office, printed on the back of badges"),
		noLogo:  fs.Bool("no-logo", false, "event update: remove the logo"),
		fonts:   fs.String("fonts", "", "folder of extra fonts (Noto): the event's texts must print in these or the system's fonts"),
	}
}

// check runs fn, a check of event id's texts against --fonts and the
// system fonts: text no font prints is refused now, not at the first print.
func (f *brandFlags) check(id string, fn func(render.Printable) error) error {
	lib, err := fontLibrary(*f.fonts)
	if err == nil {
		err = fn(render.Printable{Fonts: lib})
	}
	if err != nil {
		return fmt.Errorf("event %s: %w", id, err)
	}
	return nil
}

// apply returns old changed by the flags that were given (every flag for
// a new event), validated; nil when nothing is set.
func (f *brandFlags) apply(fs *flagSet, old *pass.Branding) (*pass.Branding, error) {
	set := setFlags(fs)
	if set["logo"] && *f.noLogo {
		return nil, usagef("--logo and --no-logo: give one")
	}
	given := func(name string, v *string) *string {
		if set[name] {
			return v
		}
		return nil
	}
	c := pass.BrandingChange{Accent: given("accent", f.accent), Tour: given("tour", f.tour), Short: given("short-name", f.short),
		Contact: given("contact", f.contact), NoLogo: *f.noLogo}
	if set["logo"] {
		var err error
		if c.Logo, err = logo.ReadFile(*f.logo); err != nil {
			return nil, err
		}
	}
	b := c.Merge(old)
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if b.IsZero() {
		return nil, nil
	}
	return &b, nil
}

// eventFields are the flags of event update that change the event itself.
var eventFields = []string{"name", "venue", "tz", "start", "end", "access-from", "access-until", "meet-greet-from", "meet-greet-until", "photo-window"}

func eventUpdate(ctx context.Context, a *app, fs *flagSet, args []string) error {
	bf := brandingFlags(fs)
	vals := map[string]*string{}
	for _, f := range eventFields {
		vals[f] = fs.String(f, "", "new "+strings.ReplaceAll(f, "-", " ")+eventFieldHelp[f])
	}
	policy := fs.String("policy", "", "policy file (JSON) replacing the event's zones, rules and capacities")
	pos, err := parseArgs(fs, args, 1, 1, "event ID")
	if err != nil {
		return err
	}
	set := setFlags(fs)
	given := func(f string) *string {
		if set[f] {
			return vals[f]
		}
		return nil
	}
	text := pass.EventText{Name: given("name"), Venue: given("venue"), TimeZone: given("tz"), ShowStart: given("start"), ShowEnd: given("end"),
		AccessFrom: given("access-from"), AccessUntil: given("access-until"), MeetGreetFrom: given("meet-greet-from"),
		MeetGreetUntil: given("meet-greet-until"), PhotoWindow: given("photo-window")}
	branding := len(setFlags(fs, "logo", "no-logo", "accent", "tour", "short-name", "contact")) > 0
	if len(setFlags(fs, append(eventFields, "policy")...)) == 0 && !branding {
		return usagef("event update %s: nothing to change (--name, --venue, --tz, --start, --end, --policy, --logo, --accent, --tour, --short-name, --contact, …)", pos[0])
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	e, err := a.event(ctx, pos[0])
	if err != nil {
		return err
	}
	ch, err := text.Change(e.Location())
	if err != nil {
		return flagError(err)
	}
	if *policy != "" {
		if ch.Policy, err = pass.ReadPolicyFile(*policy); err != nil {
			return err
		}
	}
	var b *pass.Branding
	if branding {
		if b, err = bf.apply(fs, e.Branding); err != nil {
			return err
		}
		if err := bf.check(e.ID, func(p render.Printable) error { return p.CheckBranding(e.Branding, b) }); err != nil {
			return err
		}
	}
	var changed []string
	if !ch.IsZero() {
		if _, changed, err = a.st.UpdateEvent(ctx, e.ID, ch, a.actor()); err != nil {
			return flagError(err)
		}
	}
	if branding {
		if _, err := a.st.SetBranding(ctx, e.ID, b, a.actor()); err != nil {
			return err
		}
		changed = append(changed, "branding")
	}
	if len(changed) == 0 {
		a.printf("event %s unchanged\n", e.ID)
		return nil
	}
	a.printf("updated event %s: %s\n", e.ID, strings.Join(changed, ", "))
	return nil
}

var eventFieldHelp = map[string]string{
	"tz":    " (an offset from UTC such as +01:00); times keep their instants unless given too",
	"start": " (RFC 3339, or a local time such as 2027-03-05 20:00 in the event's time zone; so are the times below); times not given move with it",
	"end":   "", "photo-window": " (a duration: 15m)",
}

// flagError names the flag of an event field error (show_end: --end).
func flagError(err error) error {
	f := pass.ErrorField(err)
	flag := map[string]string{"time_zone": "tz", "show_start": "start", "show_end": "end", "photo_window": "photo-window"}[f]
	if flag == "" && slices.Contains(eventFields, strings.ReplaceAll(f, "_", "-")) {
		flag = strings.ReplaceAll(f, "_", "-")
	}
	if flag == "" {
		return err
	}
	return usagef("--%s: %v", flag, err)
}

func eventCapacity(ctx context.Context, a *app, fs *flagSet, args []string) error {
	zone := fs.String("zone", "", "the zone to cap")
	maxIn := fs.Int("max", -1, "passes inside at once; 0 removes the zone's cap")
	whenFull := fs.String("when-full", pass.FullDeny, "when the zone is full: deny (turn away, zone_full) or attention (a person decides)")
	pos, err := parseArgs(fs, args, 1, 1, "event ID")
	if err == nil {
		err = required(fs, "zone", "max")
	}
	if err != nil {
		return err
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	ch := pass.EventChange{Capacity: map[pass.Zone]pass.ZoneCapacity{pass.Zone(*zone): {Max: *maxIn, WhenFull: *whenFull}}}
	ev, _, err := a.st.UpdateEvent(ctx, pos[0], ch, a.actor())
	if errors.Is(err, store.ErrNotFound) {
		return withHint(fmt.Errorf("no event %q", pos[0]), "\"laminate event list\" shows the events")
	} else if err != nil {
		return err
	}
	if c, ok := ev.EffectivePolicy().CapacityOf(pass.Zone(*zone)); ok {
		a.printf("event %s: zone %s holds %d (when full: %s)\n", ev.ID, *zone, c.Max, c.WhenFull)
	} else {
		a.printf("event %s: zone %s has no cap\n", ev.ID, *zone)
	}
	return nil
}
