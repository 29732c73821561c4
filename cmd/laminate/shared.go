package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
)

// Names of the documents a deployment shares through its store.
const (
	sharedKeys   = "keys"   // keys.Share: public keyring, encrypted private keys, artwork secret
	sharedConfig = "config" // laminate.json: the issuer code
)

// storeURL is the store's URL: --store, else LAMINATE_STORE, else the data
// folder's own SQLite file (own).
func (a *app) storeURL() (u string, own bool) {
	if a.g.store == "" {
		return "sqlite:" + a.path(dbFile), true
	}
	return a.g.store, false
}

// openStore opens the store at u: sqlite:PATH or postgres://….
func openStore(ctx context.Context, u string) (store.Store, error) {
	switch {
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(u, "sqlite:")
		st, err := sqlite.Open(ctx, path)
		if err == nil {
			if err = st.Check(ctx); err != nil {
				st.Close()
			}
		}
		if err != nil {
			return nil, err
		}
		return st, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return openPostgres(ctx, u)
	}
	return nil, usagef("--store %q: want sqlite:PATH or postgres://USER@HOST/DB", redactURL(u))
}

// redactURL hides a password in a store URL, for messages.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		if i := strings.LastIndex(u, "@"); i >= 0 {
			return "…" + u[i:]
		}
		return u
	}
	return p.Redacted()
}

// join makes the data folder from the keys and settings the store shares.
// It reports false, changing nothing, when the store shares no keys yet.
func (a *app) join(ctx context.Context) (bool, error) {
	raw, _, err := a.st.Shared(ctx, sharedKeys)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sh, err := keys.DecodeShare(raw)
	if err != nil {
		return false, fmt.Errorf("the store's shared keyring: %w", err)
	}
	rawCfg, _, err := a.st.Shared(ctx, sharedConfig)
	if err != nil {
		return false, fmt.Errorf("the store's shared settings: %w", err)
	}
	cfg, err := parseConfig(rawCfg)
	if err != nil {
		return false, fmt.Errorf("the store's shared settings are damaged or from another version of Laminate: %w", err)
	}
	err = makeDataFolder(a.g.data, cfg, func(made *[]string) error {
		*made = append(*made, a.path("keys"))
		return keys.Import(a.g.data, sh)
	})
	if err != nil {
		return false, err
	}
	return true, nil
}

// publish shares a new deployment's keys and settings through the store.
// It fails with store.ErrExists when another node shared its own first.
func (a *app) publish(ctx context.Context, sh *keys.Share, cfg config) error {
	raw, err := sh.Encode()
	if err != nil {
		return err
	}
	if _, err := a.st.PutShared(ctx, sharedKeys, raw, 0, a.actor()); err != nil {
		return err
	}
	rawCfg, _ := json.Marshal(cfg)
	if _, err := a.st.PutShared(ctx, sharedConfig, rawCfg, 0, a.actor()); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	return nil
}

// syncKeys brings the data folder's keyring and the store's shared copy in
// step: each gets what the other has (keys.Merge), so a rotation or a
// retirement made on any node reaches every node. A folder of another
// deployment is refused.
func (a *app) syncKeys(ctx context.Context) error {
	for range 5 {
		local, err := keys.Export(a.g.data)
		if err != nil {
			return err
		}
		raw, ver, err := a.st.Shared(ctx, sharedKeys)
		if errors.Is(err, store.ErrNotFound) {
			// A folder made before its store shared keys: share them now.
			err = a.publish(ctx, local, a.cfg)
			if errors.Is(err, store.ErrExists) {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		shared, err := keys.DecodeShare(raw)
		if err != nil {
			return fmt.Errorf("the store's shared keyring: %w", err)
		}
		merged, err := keys.Merge(shared, local)
		if errors.Is(err, keys.ErrForeign) {
			return withHint(fmt.Errorf("the data folder %s belongs to another deployment than the store: %w", a.g.data, err),
				"use an empty --data folder to join this store, or the --store this folder was made with")
		}
		if err != nil {
			return err
		}
		if !merged.Equal(local) {
			if err := keys.Import(a.g.data, merged); err != nil {
				return err
			}
			if err := a.ring.Reload(); err != nil {
				return err
			}
		}
		if merged.Equal(shared) {
			return nil
		}
		enc, err := merged.Encode()
		if err != nil {
			return err
		}
		_, err = a.st.PutShared(ctx, sharedKeys, enc, ver, a.actor())
		if errors.Is(err, store.ErrConflict) {
			continue // another node changed the keys meanwhile: merge again
		}
		return err
	}
	return errors.New("the store's shared keyring keeps changing; try again")
}

// keysChanged shares a change of the folder's keyring (rotate, retire)
// with the other nodes of a store of its own.
func (a *app) keysChanged(ctx context.Context) error {
	if _, own := a.storeURL(); own {
		return nil
	}
	if err := a.syncKeys(ctx); err != nil {
		return fmt.Errorf("the key change is made in %s but not yet shared with the other nodes (it will be the next time this folder opens the store): %w", a.g.data, err)
	}
	return nil
}
