package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/webhooks"
)

// cmdWebhooks: laminate webhooks add|list|remove|deliveries.
func cmdWebhooks(ctx context.Context, a *app, args []string) error {
	sub, fs, args := a.sub("webhooks", args)
	switch sub {
	case "add":
		u := fs.String("url", "", "the receiver's URL, https://…")
		events := fs.String("events", "", "comma list of "+strings.Join(store.WebhookTypes, ", "))
		private := fs.Bool("allow-private", false, "allow a receiver on a private, loopback or carrier-grade NAT (Tailscale) address, and http")
		asJSON := fs.Bool("json", false, "print the endpoint and its secret as JSON")
		if err := a.openFlags(ctx, fs, args, "url", "events"); err != nil {
			return err
		}
		w, secret, err := webhooks.Add(ctx, a.st, *u, webhooks.SplitEvents(*events), *private, a.actor())
		if err != nil {
			return fmt.Errorf("webhooks add: %w", err)
		}
		if *asJSON {
			ep := webhooks.EndpointOf(w)
			ep.Secret = secret
			return a.jsonLine(ep)
		}
		a.printf("%s\n%s\n", w.ID, secret)
		a.infof("webhook %s for %s: the secret (whsec_…) is shown once; give it to the receiver to check signatures", w.ID, strings.Join(w.Events, ", "))
		return nil
	case "list":
		if err := a.openFlags(ctx, fs, args); err != nil {
			return err
		}
		ws, err := a.st.Webhooks(ctx)
		if err != nil {
			return err
		}
		a.table(webhooks.Table(ws))
		return nil
	case "remove", "deliveries":
		limit := fs.Int("limit", 20, "deliveries: the newest N (at most 1000)")
		pos, err := parseArgs(fs, args, 1, 1, "webhook ID")
		if err != nil {
			return err
		}
		if *limit < 1 || *limit > 1000 {
			return usagef("--limit must be from 1 to 1000")
		}
		if err := a.open(ctx); err != nil {
			return err
		}
		if sub == "remove" {
			err = a.st.DeleteWebhook(ctx, pos[0], a.actor())
		} else {
			var ds []store.Delivery
			if ds, err = a.st.Deliveries(ctx, pos[0], *limit); err == nil {
				a.table(webhooks.DeliveryTable(ds))
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			return withHint(fmt.Errorf("no webhook %q", pos[0]), "\"laminate webhooks list\" shows the IDs")
		}
		if err == nil && sub == "remove" {
			a.printf("removed webhook %s and its pending deliveries\n", pos[0])
		}
		return err
	}
	return subcommandError("webhooks", sub)
}
