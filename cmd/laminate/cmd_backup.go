package main

// backup and restore: the command lines of package backup, which holds
// the archive, its checks and the snapshots of both stores.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/laminate/laminate/backup"
	"github.com/laminate/laminate/node"
)

func cmdBackup(ctx context.Context, a *app, args []string) error {
	fs := a.flags("backup")
	out := fs.String("out", "", "archive file to write (.tar.gz)")
	force := fs.Bool("force", false, "replace an existing --out file")
	if _, err := parseArgs(fs, args, 0, 0, ""); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.printf("%s", backup.Help)
		}
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	if fi, err := os.Stat(*out); err == nil && fi.IsDir() {
		return usagef("backup: --out %s is a folder; give a file name such as %s", *out, filepath.Join(*out, "laminate-backup.tar.gz"))
	}
	if err := backup.CheckOut(*out, *force); err != nil {
		return err
	}
	u, _ := a.node().StoreURL()
	if err := backup.CheckTools(u); err != nil {
		return err
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	st, ok := a.st.(backup.Snapshotter)
	if !ok {
		return fmt.Errorf("backup: the store %s is neither SQLite nor PostgreSQL", node.RedactURL(a.g.store))
	}
	opts := backup.Options{Data: a.g.data, Out: *out, Force: *force, CheckConfig: checkConfig}
	if node.IsPostgresURL(u) {
		// Nodes may have added keys since this one opened the store.
		opts.SyncKeys = a.n.RefreshKeys
	}
	w, err := backup.Write(ctx, st, opts)
	if err != nil {
		return err
	}
	a.infof("wrote %s (%s): %s", *out, backup.ByteSize(w.Size), w)
	a.infof("it holds the private keys: keep it as safe as the keys")
	return nil
}

// checkConfig checks laminate.json for package backup.
func checkConfig(raw []byte) error {
	_, err := node.ParseConfig(raw)
	return err
}

func cmdRestore(ctx context.Context, a *app, args []string) error {
	fset := a.flags("restore")
	pos, err := parseArgs(fset, args, 1, 1, "backup FILE")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.printf("%s", backup.RestoreHelp)
		}
		return err
	}
	archive := pos[0]
	r, err := backup.Restore(ctx, backup.RestoreOptions{Archive: archive, Data: a.g.data, Store: a.g.store, CheckConfig: checkConfig})
	if err != nil {
		return err
	}
	a.printf("%s\n", r.Text(a.g.data, archive))
	return nil
}
