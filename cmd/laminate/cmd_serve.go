package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/laminate/laminate/node"
	"github.com/laminate/laminate/server"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/wire"
)

func cmdServe(ctx context.Context, a *app, args []string) error {
	fs := a.flags("serve")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	cert := fs.String("tls-cert", "", "TLS certificate file (PEM): serve HTTPS, which phone cameras need away from localhost")
	key := fs.String("tls-key", "", "TLS private key file (PEM)")
	fontsDir := fs.String("fonts", "", "folder of extra fonts (Noto) for scripts beyond Latin, Greek and Cyrillic; searched before the system font folders")
	verifyRate := fs.Float64("verify-rate", server.DefaultVerifyRate, "public verifications per second per client address; 0 turns the limit off")
	cloneWindow := fs.Duration("clone-window", server.DefaultCloneWindow, "one pass admitted at two gates within this is \"attention\" (possible clone)")
	printer := fs.String("printer", "", "a thermal printer's raw port (host:port, usually 9100) that POST /v1/print with \"send\" prints ZPL on")
	secureCookies := fs.Bool("secure-cookies", false, "mark the office's cookies Secure (__Host-) on plain HTTP too: for a server behind a TLS proxy")
	var proxies server.ProxyList
	hooks := fs.Bool("webhooks", true, "deliver the webhook outbox from this node (every node may; leases keep each delivery to one)")
	fs.Var(&proxies, "trusted-proxy", "CIDR or address of a reverse proxy in front of this server (repeat, or a comma list): only it may name the client in X-Forwarded-For")
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		return err
	}
	if (*cert == "") != (*key == "") {
		return usagef("serve: --tls-cert and --tls-key go together")
	}
	if *cloneWindow <= 0 || *cloneWindow > time.Hour {
		return usagef("serve: --clone-window must be positive and at most 1h (the time one person needs between two gates)")
	}
	if *verifyRate < 0 {
		return usagef("serve: --verify-rate must be 0 or more")
	}
	if _, _, err := net.SplitHostPort(*printer); *printer != "" && err != nil {
		return usagef("serve: --printer must be host:port (a Zebra's raw port is 9100)")
	}
	// A fresh machine: the run command is the whole set-up.
	pp, err := a.passphrase()
	if err != nil {
		return err
	}
	res, err := a.node().Init(ctx, "EdDSA", "lam", pp, time.Now())
	if err != nil {
		return err
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	if res == node.Joined {
		a.infof("joined the deployment: keys from the store, data folder %s", a.g.data)
	}
	if res == node.Created {
		tok, err := a.createToken(ctx, server.RoleAdmin, "first admin (made by serve)")
		if err != nil {
			return err
		}
		a.printf("initialised %s\nadmin token (shown once, keep it safe):\n%s\n", a.g.data, tok)
	}
	log := slog.New(slog.NewJSONHandler(a.stderr, nil))
	// A node without the passphrase of an encrypted keyring still verifies
	// and scans; it just cannot issue.
	sg, err := a.signer()
	if err != nil {
		a.infof("this node cannot issue passes: %v", err)
		sg = nil
	}
	fonts, err := fontLibrary(*fontsDir)
	if err != nil {
		return err
	}
	users, err := a.st.Users(ctx)
	if err != nil {
		return err
	}
	srv, err := wire.New(ctx, a.n, a.g.data, wire.Options{Logger: log, Signer: sg, Fonts: fonts,
		VerifyRate: *verifyRate, CloneWindow: *cloneWindow, Printer: *printer, SecureCookies: *secureCookies,
		TrustedProxies: proxies, Webhooks: *hooks})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	srv.Start(ctx)
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	err = server.ListenAndServe(ctx, *addr, *cert, *key, srv.Handler(), log, func(ln net.Addr) {
		if res == node.Created {
			a.nextSteps(scheme, ln, a.g)
		}
		a.infof("serving on %s://%s (data %s); Ctrl-C stops", scheme, ln, a.g.data)
		if len(users) == 0 {
			a.infof("hint: the office at %s://%s/office/ has no accounts yet: make the first admin with \"%s users create --role admin --username NAME --name 'YOUR NAME'\"", scheme, ln, progName())
		}
		go func() { // the check before serving leaves out the scan history
			if err := a.n.CheckWhole(ctx); err != nil && ctx.Err() == nil {
				log.Error("the database is damaged: stopping", "err", err)
				fail(err)
			}
		}()
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if cause := context.Cause(ctx); node.IsDamaged(cause) {
		u, _ := a.node().StoreURL()
		return withHint(cause, "restore %s from a backup, or move it away and run \"laminate init\" for a new, empty database", strings.TrimPrefix(u, "sqlite:"))
	}
	a.infof("stopped")
	return nil
}

// createToken makes and stores an API token, returning the token text.
func (a *app) createToken(ctx context.Context, role, name string) (string, error) {
	return a.createBoundToken(ctx, role, name, server.Binding{})
}

// createBoundToken makes and stores an API token bound to b: the event
// must exist and, when it declares its gates, have b's gate.
func (a *app) createBoundToken(ctx context.Context, role, name string, b server.Binding) (string, error) {
	tok, rec, err := server.NewBoundToken(role, name, b, time.Now())
	if err != nil {
		return "", usagef("tokens create: %v", err)
	}
	if b.Event != "" {
		ev, err := a.event(ctx, b.Event)
		if err != nil {
			return "", err
		}
		if err := ev.CheckGate(b.Gate); b.Gate != "" && err != nil {
			return "", withHint(fmt.Errorf("tokens create: %w", err), "\"laminate event show %s\" lists its gates", b.Event)
		}
	}
	if err := a.st.CreateAPIToken(ctx, &rec, a.actor()); err != nil {
		return "", err
	}
	return tok, nil
}

func cmdTokens(ctx context.Context, a *app, args []string) error {
	sub, fs, args := a.sub("tokens", args)
	switch sub {
	case "create":
		role := fs.String("role", "", "admin, issuer, scanner, stage or printer")
		name := fs.String("name", "", "who holds it, e.g. \"north gate phone 3\"")
		event := fs.String("event", "", "bind the token to this event: it acts for no other (not for admin tokens)")
		gate := fs.String("gate", "", "bind a scanner token to this gate of --event: it scans at no other")
		asJSON := fs.Bool("json", false, `print {"token": ...}`)
		if err := a.openFlags(ctx, fs, args, "role", "name"); err != nil {
			return err
		}
		tok, err := a.createBoundToken(ctx, *role, *name, server.Binding{Event: *event, Gate: *gate})
		if err != nil {
			return err
		}
		if *asJSON {
			return a.jsonLine(map[string]string{"token": tok})
		}
		a.printf("%s\n", tok)
		bound := ""
		if *event != "" {
			bound = ", bound to event " + *event
			if *gate != "" {
				bound += " gate " + *gate
			}
		}
		a.infof("%s token for %q%s: shown once, keep it safe", *role, *name, bound)
		return nil
	case "list":
		if err := a.openFlags(ctx, fs, args); err != nil {
			return err
		}
		ts, err := a.st.APITokens(ctx)
		if err != nil {
			return err
		}
		var rows [][]string
		for _, t := range ts {
			rows = append(rows, t.Row())
		}
		a.table(store.TokenHeader, rows)
		return nil
	case "revoke":
		pos, err := a.openArgs(ctx, fs, args, 1, 1, "token ID")
		if err != nil {
			return err
		}
		err = a.st.RevokeAPIToken(ctx, pos[0], a.actor())
		switch {
		case errors.Is(err, store.ErrNotFound):
			return withHint(fmt.Errorf("no token %q", pos[0]), "\"laminate tokens list\" shows the IDs")
		case errors.Is(err, store.ErrAlreadyRevoked):
			return fmt.Errorf("token %s is already revoked", pos[0])
		case err != nil:
			return err
		}
		a.printf("revoked token %s\n", pos[0])
		return nil
	}
	return subcommandError("tokens", sub)
}
