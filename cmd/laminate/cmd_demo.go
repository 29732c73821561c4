package main

import (
	"context"
	"errors"
	"time"

	"github.com/laminate/laminate/demo"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/node"
)

// cmdDemo shows the whole path on a fresh machine (package demo): init,
// then an event, a guest list, door decisions, a revocation and a forgery.
func cmdDemo(ctx context.Context, a *app, args []string) error {
	fs := a.flags("demo")
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	now := time.Now().Truncate(time.Minute)
	pp, err := a.passphrase()
	if err != nil {
		return err
	}
	res, err := a.node().Init(ctx, "EdDSA", "lam", pp, now)
	if err != nil {
		return err
	}
	if res == node.Created {
		a.printf("1. initialised data folder %s (keyring + database)\n", a.g.data)
	} else {
		a.printf("1. using data folder %s\n", a.g.data)
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	err = demo.Run(ctx, a.n, a.actor(), a.g.data, now, a.stdout)
	if errors.Is(err, keys.ErrPassphraseRequired) {
		return withHint(err, passphraseHint)
	}
	return err
}
