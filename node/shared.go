package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/store"
)

// SharedKeys names the document a deployment shares through its store: a
// keys.Share (public keyring, encrypted private keys, artwork secret, and
// laminate.json as its Config), sealed with a key the nodes already trust.
const SharedKeys = "keys"

// join makes the data folder from the keys and settings the store shares.
// It reports false, changing nothing, when the store shares no keys yet.
// A folder with no keys has nothing to check the store's keys against:
// joining trusts the store on first use (the share must still be signed by
// one of its own keys); from then on a node accepts key changes only when
// they are signed by a key it already trusts.
func (n *Node) join(ctx context.Context) (bool, error) {
	raw, _, err := n.st.Shared(ctx, SharedKeys)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sh, _, err := keys.OpenShare(raw, nil)
	if err != nil {
		return false, fmt.Errorf("the store's shared keyring: %w", err)
	}
	cfg, err := ParseConfig(sh.Config)
	if err != nil {
		return false, fmt.Errorf("the store's shared settings are damaged or from another version of Laminate: %w", err)
	}
	err = makeDataFolder(n.o.Dir, cfg, func(made *[]string) error {
		*made = append(*made, n.path("keys"))
		return keys.Import(n.o.Dir, sh)
	})
	if err != nil {
		return false, err
	}
	return true, nil
}

// seal signs sh for the store with the key kid, which the other nodes
// trust; encrypted keys need the passphrase.
func (n *Node) seal(ring *keys.Keyring, sh *keys.Share, kid string) ([]byte, error) {
	pp, err := n.passphrase()
	if err != nil {
		return nil, err
	}
	js, _, err := ring.SignerFor(kid, pp)
	if err != nil {
		return nil, fmt.Errorf("signing the shared keyring with key %s: %w", kid, err)
	}
	return sh.Seal(js)
}

// sealActive seals sh with its active key. A key that did not seal the
// store's copy (prev did) and has no introduction yet is first introduced
// by prev (keys.Share.Introduce), so that a node that trusts prev, even
// one that missed the rotation, trusts the new seal.
func (n *Node) sealActive(sh *keys.Share, prev string) ([]byte, error) {
	active, err := sh.ActiveKID()
	if err != nil {
		return nil, err
	}
	if active != prev && !sh.Introduced(active) {
		pp, err := n.passphrase()
		if err != nil {
			return nil, err
		}
		js, _, err := n.ring.SignerFor(prev, pp)
		if err != nil {
			return nil, fmt.Errorf("introducing key %s with key %s, which the other nodes trust: %w", active, prev, err)
		}
		if err := sh.Introduce(active, js); err != nil {
			return nil, err
		}
	}
	return n.seal(n.ring, sh, active)
}

// exportShare is the data folder's share, its settings included.
func (n *Node) exportShare(cfg Config) (*keys.Share, error) {
	sh, err := keys.Export(n.o.Dir)
	if err != nil {
		return nil, err
	}
	sh.Config, _ = json.Marshal(cfg)
	return sh, nil
}

// publish shares a new deployment's keys and settings through the store,
// signed by its active key. It fails with store.ErrExists when another node
// shared its own first.
func (n *Node) publish(ctx context.Context, ring *keys.Keyring, cfg Config) error {
	sh, err := n.exportShare(cfg)
	if err != nil {
		return err
	}
	sealed, err := n.seal(ring, sh, ring.Active().KID)
	if err != nil {
		return err
	}
	_, err = n.st.PutShared(ctx, SharedKeys, sealed, 0, n.o.Actor)
	return err
}

// RefreshKeys brings the data folder's keyring and the store's shared copy
// in step (see syncKeys); a node with a store of its own shares nothing
// and has nothing to do. The server runs it every few seconds.
func (n *Node) RefreshKeys(ctx context.Context) error {
	if _, own := n.StoreURL(); own {
		return nil
	}
	return n.syncKeys(ctx)
}

// syncKeys brings the data folder's keyring and the store's shared copy in
// step: each gets what the other has (keys.Merge), so a rotation or a
// retirement made on any node reaches every node. The store's copy is
// taken only if a key this folder trusts signed it (or one such a key
// introduced), and a folder of another deployment is refused. Sharing a
// change made here needs the private active key and, to introduce a new
// one, the key the others trust (with the passphrase); without them the
// change stays here and the error says so.
func (n *Node) syncKeys(ctx context.Context) error {
	for range 5 {
		local, err := n.exportShare(n.cfg)
		if err != nil {
			return err
		}
		raw, ver, err := n.st.Shared(ctx, SharedKeys)
		if errors.Is(err, store.ErrNotFound) {
			// A folder made before its store shared keys: share them now.
			err = n.publish(ctx, n.ring, n.cfg)
			if errors.Is(err, store.ErrExists) {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		shared, by, err := keys.OpenShare(raw, n.ring)
		if errors.Is(err, keys.ErrUntrustedShare) {
			return withHint(fmt.Errorf("refusing the store's shared keyring: %w; none of this folder's keys signed it, so it may hold a key someone slipped into the database", err),
				"if the keys were changed on purpose by a node this folder has not heard from, check with that node; to start afresh from the store, use an empty --data folder")
		}
		if err != nil {
			return fmt.Errorf("the store's shared keyring: %w", err)
		}
		merged, err := keys.Merge(shared, local)
		if errors.Is(err, keys.ErrForeign) {
			return withHint(fmt.Errorf("the data folder %s belongs to another deployment than the store: %w", n.o.Dir, err),
				"use an empty --data folder to join this store, or the --store this folder was made with")
		}
		if err != nil {
			return err
		}
		if !merged.Equal(local) {
			if err := keys.Import(n.o.Dir, merged); err != nil {
				return err
			}
			if err := n.ring.Reload(); err != nil {
				return err
			}
		}
		active, err := merged.ActiveKID()
		if err != nil {
			return err
		}
		unchanged := merged.Equal(shared)
		if unchanged && !shared.Untyped() && by.KID == active {
			return nil
		}
		// Changed here, sealed before sealed keyrings were typed (issue
		// 11), or sealed by an older key (a rotation, or a store sealed
		// before keys were introduced): seal it again with the active key,
		// introduced by the key that sealed the store's copy, which every
		// node reading that copy trusts. No key is left sealing the store
		// that a retirement could make untrusted.
		sealed, err := n.sealActive(merged, by.KID)
		if err != nil && by.KID != active {
			if _, trusted := n.ring.VerifyKey(by.KID); trusted {
				sealed, err = n.seal(n.ring, merged, by.KID)
			}
		}
		if err != nil && unchanged {
			return nil // only the seal is out of date: a node that can sign renews it
		}
		if err != nil {
			return fmt.Errorf("this folder's key changes cannot be shared with the other nodes: %w", err)
		}
		_, err = n.st.PutShared(ctx, SharedKeys, sealed, ver, n.o.Actor)
		if errors.Is(err, store.ErrConflict) {
			continue // another node changed the keys meanwhile: merge again
		}
		return err
	}
	return errors.New("the store's shared keyring keeps changing; try again")
}

// KeysChanged shares a change of the folder's keyring (rotate, retire)
// with the other nodes of a shared store.
func (n *Node) KeysChanged(ctx context.Context) error {
	if _, own := n.StoreURL(); own {
		return nil
	}
	if err := n.syncKeys(ctx); err != nil {
		return fmt.Errorf("the key change is made in %s but not yet shared with the other nodes (it will be the next time this folder opens the store): %w", n.o.Dir, err)
	}
	return nil
}
