package main

import (
	"context"
	"errors"
	"fmt"

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

func eventUpdate(ctx context.Context, a *app, fs *flagSet, args []string) error {
	bf := brandingFlags(fs)
	pos, err := parseArgs(fs, args, 1, 1, "event ID")
	if err != nil {
		return err
	}
	if len(setFlags(fs, "logo", "no-logo", "accent", "tour", "short-name", "contact")) == 0 {
		return usagef("event update %s: nothing to change (--logo, --no-logo, --accent, --tour, --short-name, --contact)", pos[0])
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	e, err := a.event(ctx, pos[0])
	if err != nil {
		return err
	}
	b, err := bf.apply(fs, e.Branding)
	if err != nil {
		return err
	}
	if err := bf.check(e.ID, func(p render.Printable) error { return p.CheckBranding(e.Branding, b) }); err != nil {
		return err
	}
	if _, err := a.st.SetBranding(ctx, e.ID, b, a.actor()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return withHint(fmt.Errorf("no event %q", e.ID), "\"laminate event list\" shows the events")
		}
		return err
	}
	a.printf("updated event %s\n", e.ID)
	return nil
}
