package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
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
	configFile = "laminate.json" // issuer and format version
	dbFile     = "laminate.db"
)

// config is the data folder's own settings.
type config struct {
	Format int    `json:"format"`
	Issuer string `json:"issuer"`
}

// app is what a command works with: the data folder, opened on demand.
type app struct {
	*ui
	g    *globals
	cfg  config
	ring *keys.Keyring
	st   store.Store
}

func (a *app) close() {
	if a.st != nil {
		a.st.Close()
	}
}

func (a *app) path(name string) string { return filepath.Join(a.g.data, name) }

// open opens the data folder's keyring and the store. With a store of its
// own (--store), a missing data folder is made from the keys the store
// shares (a node joins by the store URL alone), and the folder's keyring is
// brought in step with the shared one.
func (a *app) open(ctx context.Context) error {
	if a.ring != nil {
		return nil
	}
	url, own := a.storeURL()
	if !own {
		if a.st == nil {
			st, err := openStore(ctx, url)
			if err != nil {
				return err
			}
			a.st = st
		}
		if _, err := os.Stat(a.path(configFile)); errors.Is(err, fs.ErrNotExist) {
			joined, err := a.join(ctx)
			if err != nil {
				return err
			}
			if !joined {
				return withHint(fmt.Errorf("no Laminate data folder at %s, and the store %s holds no keys yet", a.g.data, redactURL(url)),
					"run \"laminate init\" with this --store first")
			}
		}
	}
	fi, err := os.Stat(a.g.data)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return withHint(fmt.Errorf("no Laminate data folder at %s", a.g.data), "run \"laminate init\" first, or pass --data DIR")
	case err != nil:
		return fmt.Errorf("cannot read data folder: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("data folder %s is not a folder", a.g.data)
	}
	raw, err := os.ReadFile(a.path(configFile))
	if errors.Is(err, fs.ErrNotExist) {
		return withHint(fmt.Errorf("%s is not a Laminate data folder (no %s)", a.g.data, configFile), "run \"laminate init --data %s\" to set it up", a.g.data)
	}
	if err != nil {
		return fmt.Errorf("cannot read data folder: %w", err)
	}
	if a.cfg, err = parseConfig(raw); err != nil {
		return fmt.Errorf("%s is damaged or from another version of Laminate", a.path(configFile))
	}
	if a.ring, err = keys.Open(a.g.data); err != nil {
		if errors.Is(err, keys.ErrNotFound) {
			return withHint(fmt.Errorf("the keyring of %s is missing", a.g.data), "restore %s from a backup; without it no pass can be verified", filepath.Join(a.g.data, "keys"))
		}
		return err
	}
	if !own {
		return a.syncKeys(ctx)
	}
	if _, err := os.Stat(a.path(dbFile)); err != nil {
		return withHint(fmt.Errorf("database: %w", err), "restore %s from a backup", a.path(dbFile))
	}
	st, err := openStore(ctx, url)
	switch {
	case errors.Is(err, store.ErrNewerSchema):
		return withHint(err, "%s was written by a newer version of Laminate: run that version (or restore a backup made by this one)", a.path(dbFile))
	case err != nil:
		return withHint(err, "restore %s from a backup, or move it away and run \"laminate init\" for a new, empty database", a.path(dbFile))
	}
	a.st = st
	return nil
}

func parseConfig(raw []byte) (config, error) {
	var cfg config
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

// passphrase reads the key passphrase from --passphrase-file, else from
// LAMINATE_KEY_PASSPHRASE. Never from the command line: it would show in
// ps and shell history.
func (a *app) passphrase() ([]byte, error) {
	if a.g.passphraseFile != "" {
		f, err := os.Open(a.g.passphraseFile)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		defer f.Close()
		// As ssh and age do for keys: a file others can read (or write) is
		// no secret. A pipe (--passphrase-file <(…)) is the caller's own.
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
			return nil, withHint(fmt.Errorf("passphrase file %s has mode %04o: group or others can read or write it", a.g.passphraseFile, fi.Mode().Perm()),
				"chmod 600 %s", a.g.passphraseFile)
		}
		b, err := io.ReadAll(io.LimitReader(f, 1025))
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		if len(b) > 1024 {
			return nil, fmt.Errorf("passphrase file %s is larger than 1 KiB", a.g.passphraseFile)
		}
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[:i] // the first line is the passphrase
		}
		b = bytes.TrimSuffix(b, []byte("\r"))
		if len(b) == 0 {
			return nil, fmt.Errorf("passphrase file %s is empty", a.g.passphraseFile)
		}
		return b, nil
	}
	if p := os.Getenv("LAMINATE_KEY_PASSPHRASE"); p != "" {
		return []byte(p), nil
	}
	return nil, nil
}

// signer returns a signer over the active key, decrypting it if needed.
func (a *app) signer() (*signer.Signer, error) {
	pp, err := a.passphrase()
	if err != nil {
		return nil, err
	}
	js, key, err := a.ring.Signer(pp)
	switch {
	case errors.Is(err, keys.ErrPassphraseRequired):
		return nil, withHint(err, passphraseHint)
	case err != nil:
		return nil, err
	}
	return signer.New(js, key.KID, a.cfg.Issuer), nil
}

// verifier returns a verifier over the keyring with the store's current
// revocations loaded.
func (a *app) verifier(ctx context.Context, event string) (*verifier.Verifier, error) {
	revs := verifier.NewRevocationSet()
	if err := revs.Sync(ctx, a.st); err != nil {
		return nil, err
	}
	return verifier.New(verifier.Config{Keys: a.ring, Revocations: revs, Event: event})
}

const passphraseHint = "set LAMINATE_KEY_PASSPHRASE or pass --passphrase-file FILE"

// actor names who did something, for the audit log.
func (a *app) actor() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = fmt.Sprintf("uid-%d", os.Getuid())
	}
	return "cli:" + name
}

// initResult says what initData did.
type initResult int

const (
	initExisted initResult = iota // the folder was already set up: nothing changed
	initCreated                   // new keys: a new deployment
	initJoined                    // the folder was made from the keys the store shares
)

// initData sets up the data folder: with the default store, new keys and a
// new SQLite database; with a store of its own (--store), the keys that
// store shares if it has any (join), else new keys, which it then shares.
// On any failure it removes what it made, so a failed init leaves nothing
// half-written.
func (a *app) initData(ctx context.Context, alg keys.Alg, issuer string, passphrase []byte, now time.Time) (initResult, error) {
	if _, err := os.Stat(a.path(configFile)); err == nil {
		return initExisted, nil
	}
	url, own := a.storeURL()
	if own {
		err := makeDataFolder(a.g.data, config{Format: 1, Issuer: issuer}, func(made *[]string) error {
			*made = append(*made, a.path("keys"))
			if _, err := keys.Init(a.g.data, alg, passphrase, now); err != nil {
				return err
			}
			db := a.path(dbFile)
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
		return initCreated, nil
	}
	st, err := openStore(ctx, url)
	if err != nil {
		return 0, err
	}
	a.st = st
	for range 3 {
		if joined, err := a.join(ctx); err != nil || joined {
			return initJoined, err
		}
		// A new deployment: make the whole folder first, then share it. A
		// folder is removed only while nothing of it is shared.
		cfg := config{Format: 1, Issuer: issuer}
		var ring *keys.Keyring
		err := makeDataFolder(a.g.data, cfg, func(made *[]string) error {
			*made = append(*made, a.path("keys"))
			var err error
			ring, err = keys.Init(a.g.data, alg, passphrase, now)
			return err
		})
		if err != nil {
			return 0, err
		}
		err = a.publish(ctx, ring, cfg)
		if err == nil {
			return initCreated, nil
		}
		// Nothing was shared: take the folder back, and join if another
		// node shared its keys first.
		for _, name := range []string{configFile, "keys"} {
			os.RemoveAll(a.path(name))
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
func makeDataFolder(dir string, cfg config, fill func(made *[]string) error) (err error) {
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
	return atomicfile.WriteNew(filepath.Join(dir, configFile), append(raw, '\n'), 0o600) // fails if another init won
}
