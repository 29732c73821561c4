package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/laminate/laminate/internal/atomicfile"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
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
		*out, ev.ID, plural(len(b.Revocations.Serials), "revoked pass", "revoked passes"), b.Revocations.Seq, pass.FormatTime(b.Expires(), ev.Location()), b.Door.CloneWindow(), len(jws))
	return nil
}

// verifyOffline is "laminate verify --offline FILE": the decision from the
// bundle alone, with no database. The bundle must be signed by a key of the
// data folder's keyring (keys.Open reads only keyring.json) or, with
// --keys, of a JWKS saved earlier.
func (a *app) verifyOffline(file, keysFile, eventID, tok string, zone *pass.Zone, at time.Time, asJSON bool) error {
	trusted, err := a.trustedKeys(keysFile)
	if err != nil {
		return err
	}
	raw, err := verifier.ReadFile(file, verifier.MaxBundleSize+2)
	if err != nil {
		return fmt.Errorf("offline bundle: %w", err)
	}
	b, err := verifier.ParseBundle(strings.TrimSpace(string(raw)), trusted, at)
	switch {
	case errors.Is(err, verifier.ErrBundleExpired):
		return withHint(fmt.Errorf("offline bundle %s is out of date, refusing to decide: %w", file, err),
			"export a new one while online: \"laminate bundle export --event ID --out %s\" or GET /v1/events/ID/bundle", file)
	case errors.Is(err, verifier.ErrBundleUntrusted):
		return withHint(fmt.Errorf("offline bundle %s: %w", file, err),
			"check it against the keyring of the deployment that made it (--data DIR), or --keys FILE with its /.well-known/jwks.json")
	case err != nil:
		return fmt.Errorf("offline bundle %s refused: %w", file, err)
	}
	if eventID != "" && eventID != b.Event.ID {
		return fmt.Errorf("offline bundle %s is for event %s, not %s", file, b.Event.ID, eventID)
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

// trustedKeys are the keys a bundle must be signed with: those of the JWKS
// file, or the data folder's keyring.
func (a *app) trustedKeys(keysFile string) (verifier.KeySource, error) {
	if keysFile != "" {
		raw, err := verifier.ReadFile(keysFile, 64<<10)
		if err != nil {
			return nil, fmt.Errorf("--keys: %w", err)
		}
		ks, err := verifier.ParseJWKS(raw)
		if err != nil {
			return nil, fmt.Errorf("--keys %s: %w", keysFile, err)
		}
		return ks, nil
	}
	ring, err := keys.Open(a.g.data)
	if errors.Is(err, keys.ErrNotFound) {
		return nil, withHint(fmt.Errorf("no keyring in %s to check the offline bundle with", a.g.data),
			"give the keys you trust with --keys FILE (saved from /.well-known/jwks.json or \"laminate keys jwks\"), or --data DIR")
	}
	if err != nil {
		return nil, err
	}
	return ring, nil
}
