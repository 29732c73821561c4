// Package node runs one Laminate node: its data folder (laminate.json and
// the keyring), the store named by a URL, joining a deployment that shares
// its keys through that store, keeping the shared keyring in step, and the
// signer and verifier built from them. See docs/design.md.
package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/laminate/laminate/internal/atomicfile"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/sqlite"
	"github.com/laminate/laminate/verifier"
)

// Files of a data folder.
const (
	ConfigFile = "laminate.json" // issuer and format version
	DBFile     = "laminate.db"   // the store, unless the node has one of its own
)

// Config is the data folder's own settings (laminate.json).
type Config struct {
	Format int    `json:"format"`
	Issuer string `json:"issuer"`
}

// ParseConfig reads laminate.json, refusing unknown fields and formats.
func ParseConfig(raw []byte) (Config, error) {
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, err
	}
	if cfg.Format != 1 {
		return cfg, fmt.Errorf("format %d", cfg.Format)
	}
	return cfg, nil
}

// Options say where a node's data is and who acts through it.
type Options struct {
	Dir   string // the data folder
	Store string // the store URL; "" is the data folder's own SQLite file
	// Passphrase returns the passphrase of an encrypted keyring (nil: none).
	Passphrase func() ([]byte, error)
	Actor      string // who acts, for the audit log
}

// A Node is a data folder and its store, opened by Open or Init.
type Node struct {
	o    Options
	cfg  Config
	ring *keys.Keyring
	st   store.Store
	rd   store.Store // ReadStore's handle of its own, if one was opened
}

// New returns a node over o; nothing is opened yet.
func New(o Options) *Node { return &Node{o: o} }

func (n *Node) path(name string) string { return filepath.Join(n.o.Dir, name) }

// Store is the node's store (nil until opened).
func (n *Node) Store() store.Store { return n.st }

// Keys is the data folder's keyring (nil until opened).
func (n *Node) Keys() *keys.Keyring { return n.ring }

// Config is the data folder's laminate.json.
func (n *Node) Config() Config { return n.cfg }

// Close closes the store.
func (n *Node) Close() error {
	if n.st == nil {
		return nil
	}
	if n.rd != nil {
		n.rd.Close()
		n.rd = nil
	}
	return n.st.Close()
}

// StoreURL is the store's URL, and whether it is the data folder's own
// SQLite file (own) rather than a store shared with other nodes.
func (n *Node) StoreURL() (u string, own bool) {
	if n.o.Store == "" {
		return "sqlite:" + n.path(DBFile), true
	}
	return n.o.Store, false
}

func (n *Node) passphrase() ([]byte, error) {
	if n.o.Passphrase == nil {
		return nil, nil
	}
	return n.o.Passphrase()
}

// Open opens the data folder's keyring and the store. With a store of its
// own (Options.Store), a missing data folder is made from the keys the
// store shares (a node joins by the store URL alone), and the folder's
// keyring is brought in step with the shared one.
func (n *Node) Open(ctx context.Context) error {
	if n.ring != nil {
		return nil
	}
	url, own := n.StoreURL()
	dir := n.o.Dir
	if !own {
		if n.st == nil {
			st, err := OpenStore(ctx, url)
			if err != nil {
				return err
			}
			n.st = st
		}
		if _, err := os.Stat(n.path(ConfigFile)); errors.Is(err, fs.ErrNotExist) {
			joined, err := n.join(ctx)
			if err != nil {
				return err
			}
			if !joined {
				return withHint(fmt.Errorf("no Laminate data folder at %s, and the store %s holds no keys yet", dir, RedactURL(url)),
					"run \"laminate init\" with this --store first")
			}
		}
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return withHint(fmt.Errorf("no Laminate data folder at %s", dir), "run \"laminate init\" first, or pass --data DIR")
	case err != nil:
		return fmt.Errorf("cannot read data folder: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("data folder %s is not a folder", dir)
	}
	raw, err := os.ReadFile(n.path(ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return withHint(fmt.Errorf("%s is not a Laminate data folder (no %s)", dir, ConfigFile), "run \"laminate init --data %s\" to set it up", dir)
	}
	if err != nil {
		return fmt.Errorf("cannot read data folder: %w", err)
	}
	if n.cfg, err = ParseConfig(raw); err != nil {
		return fmt.Errorf("%s is damaged or from another version of Laminate", n.path(ConfigFile))
	}
	ring, err := keys.Open(dir)
	if err != nil {
		if errors.Is(err, keys.ErrNotFound) {
			return withHint(fmt.Errorf("the keyring of %s is missing", dir), "restore %s from a backup; without it no pass can be verified", filepath.Join(dir, "keys"))
		}
		return err
	}
	n.ring = ring
	if !own {
		return n.syncKeys(ctx)
	}
	if _, err := os.Stat(n.path(DBFile)); err != nil {
		return withHint(fmt.Errorf("database: %w", err), "restore %s from a backup", n.path(DBFile))
	}
	st, err := OpenStore(ctx, url)
	switch {
	case errors.Is(err, store.ErrNewerSchema):
		return withHint(err, "%s was written by a newer version of Laminate: run that version (or restore a backup made by this one)", n.path(DBFile))
	case err != nil:
		return withHint(err, "restore %s from a backup, or move it away and run \"laminate init\" for a new, empty database", n.path(DBFile))
	}
	n.st = st
	return nil
}

// Signer returns a signer over the active key, decrypting it if needed
// (keys.ErrPassphraseRequired when it is encrypted and no passphrase was
// given).
func (n *Node) Signer() (*signer.Signer, error) {
	pp, err := n.passphrase()
	if err != nil {
		return nil, err
	}
	js, key, err := n.ring.Signer(pp)
	if err != nil {
		return nil, err
	}
	return signer.New(js, key.KID, n.cfg.Issuer), nil
}

// Verifier returns a verifier over the keyring for event ("" for any),
// with the store's current revocations loaded into revs (a new set when
// nil).
func (n *Node) Verifier(ctx context.Context, event string, revs *verifier.RevocationSet) (*verifier.Verifier, error) {
	if revs == nil {
		revs = verifier.NewRevocationSet()
	}
	if err := revs.Sync(ctx, n.st); err != nil {
		return nil, err
	}
	return verifier.New(verifier.Config{Keys: n.ring, Revocations: revs, Event: event})
}

// InitResult says what Init did.
type InitResult int

const (
	Existed InitResult = iota // the folder was already set up: nothing changed
	Created                   // new keys: a new deployment
	Joined                    // the folder was made from the keys the store shares
)

// Init sets up the data folder: with the default store, new keys and a new
// SQLite database; with a store of its own, the keys that store shares if
// it has any (join), else new keys, which it then shares. On any failure
// it removes what it made, so a failed init leaves nothing half-written.
// Open still has to be called.
func (n *Node) Init(ctx context.Context, alg keys.Alg, issuer string, passphrase []byte, now time.Time) (InitResult, error) {
	if _, err := os.Stat(n.path(ConfigFile)); err == nil {
		return Existed, nil
	}
	url, own := n.StoreURL()
	if own {
		err := makeDataFolder(n.o.Dir, Config{Format: 1, Issuer: issuer}, func(made *[]string) error {
			*made = append(*made, n.path("keys"))
			if _, err := keys.Init(n.o.Dir, alg, passphrase, now); err != nil {
				return err
			}
			db := n.path(DBFile)
			*made = append(*made, db, db+"-wal", db+"-shm")
			st, err := sqlite.Open(ctx, db)
			if err != nil {
				return err
			}
			return st.Close()
		})
		if err != nil {
			return 0, err
		}
		return Created, nil
	}
	if n.st == nil {
		st, err := OpenStore(ctx, url)
		if err != nil {
			return 0, err
		}
		n.st = st
	}
	for range 3 {
		if joined, err := n.join(ctx); err != nil || joined {
			return Joined, err
		}
		// A new deployment: make the whole folder first, then share it. A
		// folder is removed only while nothing of it is shared.
		cfg := Config{Format: 1, Issuer: issuer}
		var ring *keys.Keyring
		err := makeDataFolder(n.o.Dir, cfg, func(made *[]string) error {
			*made = append(*made, n.path("keys"))
			var err error
			ring, err = keys.Init(n.o.Dir, alg, passphrase, now)
			return err
		})
		if err != nil {
			return 0, err
		}
		err = n.publish(ctx, ring, cfg)
		if err == nil {
			return Created, nil
		}
		// Nothing was shared: take the folder back, and join if another
		// node shared its keys first.
		for _, name := range []string{ConfigFile, "keys"} {
			os.RemoveAll(n.path(name))
		}
		if !errors.Is(err, store.ErrExists) {
			return 0, err
		}
	}
	return 0, errors.New("init: the store's shared keys keep changing; try again")
}

// makeDataFolder creates dir, lets fill add to it (appending what it makes
// to made), and writes laminate.json last and atomically: its presence
// means the folder is complete. On failure it removes what was made.
func makeDataFolder(dir string, cfg Config, fill func(made *[]string) error) (err error) {
	var made []string
	defer func() {
		if err == nil {
			return
		}
		for i := len(made) - 1; i >= 0; i-- {
			os.RemoveAll(made[i])
		}
	}()
	// Only a folder this call created is ours to remove on failure: two
	// inits racing on one new folder must not delete each other's work.
	fresh := false
	switch err := os.Mkdir(dir, 0o700); {
	case err == nil:
		fresh = true
		made = append(made, dir)
	case errors.Is(err, fs.ErrExist):
	default:
		return fmt.Errorf("cannot create data folder: %w", err)
	}
	if entries, err := os.ReadDir(dir); err != nil {
		return fmt.Errorf("cannot read data folder: %w", err)
	} else if len(entries) > 0 && !fresh {
		return withHint(fmt.Errorf("%s is not empty and is not a Laminate data folder", dir), "choose an empty or new folder with --data DIR")
	}
	if err := fill(&made); err != nil {
		return err
	}
	raw, _ := json.MarshalIndent(cfg, "", "  ")
	return atomicfile.WriteNew(filepath.Join(dir, ConfigFile), append(raw, '\n'), 0o600) // fails if another init won
}
