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

// open opens the data folder's keyring and database.
func (a *app) open(ctx context.Context) error {
	if a.st != nil {
		return nil
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
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a.cfg); err != nil || a.cfg.Format != 1 {
		return fmt.Errorf("%s is damaged or from another version of Laminate", a.path(configFile))
	}
	if a.ring, err = keys.Open(a.g.data); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if _, err := os.Stat(a.path(dbFile)); err != nil {
		return fmt.Errorf("database %s: %w", a.path(dbFile), err)
	}
	st, err := sqlite.Open(ctx, a.path(dbFile))
	if err != nil {
		return err
	}
	a.st = st
	return nil
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
		b, err := io.ReadAll(io.LimitReader(f, 1025))
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		if len(b) > 1024 {
			return nil, fmt.Errorf("passphrase file %s is larger than 1 KiB", a.g.passphraseFile)
		}
		b = bytes.TrimRight(b, "\r\n")
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
		return nil, withHint(err, "set LAMINATE_KEY_PASSPHRASE or pass --passphrase-file FILE")
	case errors.Is(err, keys.ErrInsecureFile):
		return nil, withHint(err, "chmod 600 the key file; nobody else may read a private key")
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

// initData creates a data folder. On any failure it removes what it made,
// so a failed init leaves nothing half-written.
func initData(ctx context.Context, dir string, alg string, issuer string, passphrase []byte, now time.Time) (created bool, err error) {
	if _, err := os.Stat(filepath.Join(dir, configFile)); err == nil {
		return false, nil
	}
	fresh := false
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		fresh = true
	}
	var made []string
	defer func() {
		if err == nil {
			return
		}
		for i := len(made) - 1; i >= 0; i-- {
			os.RemoveAll(made[i])
		}
	}()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("cannot create data folder: %w", err)
	}
	if fresh {
		made = append(made, dir)
	}
	if entries, err := os.ReadDir(dir); err != nil {
		return false, fmt.Errorf("cannot read data folder: %w", err)
	} else if len(entries) > 0 && !fresh {
		return false, withHint(fmt.Errorf("%s is not empty and is not a Laminate data folder", dir), "choose an empty or new folder with --data DIR")
	}
	made = append(made, filepath.Join(dir, "keys"))
	if _, err := keys.Init(dir, keyAlg(alg), passphrase, now); err != nil {
		return false, fmt.Errorf("keyring: %w", err)
	}
	db := filepath.Join(dir, dbFile)
	made = append(made, db, db+"-wal", db+"-shm")
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		return false, err
	}
	if err := st.Close(); err != nil {
		return false, err
	}
	raw, _ := json.MarshalIndent(config{Format: 1, Issuer: issuer}, "", "  ")
	cfgPath := filepath.Join(dir, configFile)
	made = append(made, cfgPath)
	f, err := os.OpenFile(cfgPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, err
	}
	if _, err := f.Write(append(raw, '\n')); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	return true, nil
}
