package main

import (
	"context"
	"fmt"
	"time"

	"github.com/laminate/laminate/internal/atomicfile"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/node"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/printing"
	"github.com/laminate/laminate/verifier"
)

// maxFreshFor caps --fresh-for: a door must come back online to learn of
// revocations at least this often.
const maxFreshFor = 366 * 24 * time.Hour

func cmdBundle(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return subcommandError("bundle", "")
	}
	sub, args := args[0], args[1:]
	if sub != "export" {
		return subcommandError("bundle", sub)
	}
	fs := a.flags("bundle export")
	eventID := fs.String("event", "", "event id")
	out := fs.String("out", "", "file to write the bundle to (a compact JWS); - for standard output")
	freshFor := fs.Duration("fresh-for", verifier.DefaultBundleFreshness, "how long doors may decide from the bundle (e.g. 12h, 36h; at most 8784h)")
	cloneWindow := fs.Duration("clone-window", verifier.DefaultCloneWindow, "the clone window doors apply offline: the one \"serve --clone-window\" uses")
	if err := parseFlags(fs, args, "event", "out"); err != nil {
		return err
	}
	if *freshFor < time.Minute || *freshFor > maxFreshFor {
		return usagef("bundle export: --fresh-for %s: want 1m to %s", *freshFor, maxFreshFor)
	}
	if _, err := verifier.NewDoorRules(*cloneWindow); err != nil {
		return usagef("bundle export: --clone-window %s: want 1ms to 8784h", *cloneWindow)
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	ev, err := a.event(ctx, *eventID)
	if err != nil {
		return err
	}
	sg, err := a.signer()
	if err != nil {
		return err
	}
	jws, b, err := issue.Bundle(ctx, sg, a.st, a.ring.JWKS(), ev, time.Now(), *freshFor, *cloneWindow)
	if err != nil {
		return err
	}
	if *out == "-" {
		a.printf("%s\n", jws)
		return nil
	}
	if err := atomicfile.WriteFile(*out, []byte(jws+"\n"), 0o644); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	a.printf("wrote %s: offline bundle for %s, %s (revocation list %d), fresh until %s, clone window %s, %d bytes\n",
		*out, ev.ID, printing.Count(len(b.Revocations.Serials), "revoked pass", "revoked passes"), b.Revocations.Seq, pass.FormatTime(b.Expires(), ev.Location()), b.Door.CloneWindow(), len(jws))
	return nil
}

// verifyOffline is "laminate verify --offline FILE": the decision from the
// bundle alone, with no database (node.OfflineBundle).
func (a *app) verifyOffline(file, keysFile, eventID, tok string, zone *pass.Zone, at time.Time, asJSON bool) error {
	b, err := node.OfflineBundle(a.g.data, file, keysFile, eventID, at)
	if err != nil {
		return err
	}
	ov, err := verifier.DecideOffline(b, tok, zone, at)
	if err != nil {
		return err
	}
	a.loc = b.Event.Location() // times in the bundle's event's zone
	var out any
	if asJSON {
		out = ov
	}
	return a.reportVerdict(&ov.Verdict, out, ov.Bundle.Line())
}
