package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/node"
	"github.com/laminate/laminate/pass"
)

// parseAlg reads --alg; a bad name is a usage error.
func parseAlg(s string) (keys.Alg, error) {
	a, err := keys.ParseAlg(s)
	if err != nil {
		return a, usagef("unknown key algorithm %q (want EdDSA or ES256)", s)
	}
	return a, nil
}

func cmdInit(ctx context.Context, a *app, args []string) error {
	fs := a.flags("init")
	alg := fs.String("alg", "EdDSA", "signing algorithm: EdDSA (Ed25519) or ES256")
	issuer := fs.String("issuer", "lam", "issuer code in every token (keep it short: it is printed in the QR)")
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	algo, err := parseAlg(*alg)
	if err != nil {
		return err
	}
	if len(*issuer) == 0 || len(*issuer) > 16 || strings.ContainsAny(*issuer, " \t\r\n\"\\") {
		return usagef("init: --issuer must be 1 to 16 characters without spaces or quotes")
	}
	pp, err := a.passphrase()
	if err != nil {
		return err
	}
	res, err := a.node().Init(ctx, algo, *issuer, pp, time.Now())
	if err != nil {
		return err
	}
	if res == node.Existed {
		a.infof("%s is already a Laminate data folder; nothing changed", a.g.data)
		return nil
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	k := a.ring.Active()
	if res == node.Joined {
		u, _ := a.node().StoreURL()
		a.printf("joined the deployment of %s in %s\nsigning key %s (%s)\n", node.RedactURL(u), a.g.data, k.KID, k.Alg)
		if _, _, err := a.ring.Signer(pp); err != nil {
			a.infof("this folder cannot sign passes: %v", err)
		}
		return nil
	}
	enc := "unencrypted (set LAMINATE_KEY_PASSPHRASE or --passphrase-file to encrypt keys)"
	if len(pp) > 0 {
		enc = "encrypted with your passphrase"
	}
	a.printf("initialised %s\nsigning key %s (%s), %s\n", a.g.data, k.KID, k.Alg, enc)
	return nil
}

func cmdKeys(ctx context.Context, a *app, args []string) error {
	sub, fs, args := a.sub("keys", args)
	switch sub {
	case "list":
		if err := a.openFlags(ctx, fs, args); err != nil {
			return err
		}
		var rows [][]string
		for _, k := range a.ring.Keys() {
			rows = append(rows, []string{k.KID, string(k.Alg), pass.FormatTime(k.Created, nil), k.State()})
		}
		a.table([]string{"KID", "ALG", "CREATED", "STATE"}, rows)
		return nil
	case "rotate":
		alg := fs.String("alg", "", "algorithm of the new key (default: that of the active key)")
		if err := a.openFlags(ctx, fs, args); err != nil {
			return err
		}
		algo := a.ring.Active().Alg
		if *alg != "" {
			var err error
			if algo, err = parseAlg(*alg); err != nil {
				return err
			}
		}
		pp, err := a.passphrase()
		if err != nil {
			return err
		}
		k, err := a.n.RotateKey(ctx, algo, pp, time.Now())
		if errors.Is(err, keys.ErrPassphraseRequired) {
			return withHint(err, "the keyring is encrypted: "+passphraseHint)
		}
		if err != nil {
			return err
		}
		a.printf("new active key %s (%s); older keys keep verifying until retired\n", k.KID, k.Alg)
		return nil
	case "retire":
		pos, err := a.openArgs(ctx, fs, args, 1, 1, "KID")
		if err != nil {
			return err
		}
		err = a.n.RetireKey(ctx, pos[0], time.Now())
		switch {
		case errors.Is(err, keys.ErrActiveKey):
			return withHint(err, "run \"laminate keys rotate\" first, then retire the old key")
		case errors.Is(err, keys.ErrNotFound):
			return withHint(err, "\"laminate keys list\" shows the key IDs")
		case err != nil:
			return err
		}
		a.printf("retired key %s: passes it signed now verify as unknown_key\n", pos[0])
		return nil
	case "jwks":
		if err := a.openFlags(ctx, fs, args); err != nil {
			return err
		}
		return a.jsonPretty(a.ring.JWKS())
	}
	return subcommandError("keys", sub)
}
