package main

import (
	"context"
	"errors"
	"time"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/node"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// app is what a command works with: the node of the data folder, opened on
// demand, and its store, keyring and settings once open.
type app struct {
	*ui
	g    *globals
	n    *node.Node
	cfg  node.Config
	ring *keys.Keyring
	loc  *time.Location // the zone times are shown in (the event's), once known; nil: UTC
	st   store.Store
}

func (a *app) close() {
	if a.n != nil {
		a.n.Close()
	}
}

// node is the node of --data and --store, made once the flags are parsed.
func (a *app) node() *node.Node {
	if a.n == nil {
		a.n = node.New(node.Options{Dir: a.g.data, Store: a.g.store, Passphrase: a.passphrase, Actor: a.actor()})
	}
	return a.n
}

// open opens the data folder's keyring and the store (node.Node.Open).
func (a *app) open(ctx context.Context) error {
	if err := a.node().Open(ctx); err != nil {
		return err
	}
	a.st, a.ring, a.cfg = a.n.Store(), a.n.Keys(), a.n.Config()
	return nil
}

// passphrase is the key passphrase (node.Passphrase).
func (a *app) passphrase() ([]byte, error) { return node.Passphrase(a.g.passphraseFile) }

// signer returns a signer over the active key, decrypting it if needed.
func (a *app) signer() (*signer.Signer, error) {
	sg, err := a.node().Signer()
	if errors.Is(err, keys.ErrPassphraseRequired) {
		return nil, withHint(err, passphraseHint)
	}
	return sg, err
}

const passphraseHint = "set LAMINATE_KEY_PASSPHRASE or pass --passphrase-file FILE"

// actor names who did something, for the audit log (node.LocalActor).
func (a *app) actor() string { return node.LocalActor() }
