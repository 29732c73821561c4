package node

import (
	"context"
	"errors"
	"strings"

	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/postgres"
	"github.com/laminate/laminate/store/sqlite"
)

// OpenStore opens the store at u: sqlite:PATH or postgres://…, creating or
// upgrading its schema. A SQLite file is checked, all but its scan history
// (CheckWhole checks the rest once a node serves). A URL of no known kind
// is a *URLError.
func OpenStore(ctx context.Context, u string) (store.Store, error) {
	switch {
	case strings.HasPrefix(u, "sqlite:"):
		st, err := sqlite.Open(ctx, strings.TrimPrefix(u, "sqlite:"))
		if err == nil {
			if err = st.CheckStartup(ctx); err != nil {
				st.Close()
			}
		}
		if err != nil {
			return nil, err
		}
		return st, nil
	case IsPostgresURL(u):
		st, err := postgres.Open(ctx, u)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	return nil, &URLError{URL: u}
}

// IsPostgresURL reports whether u names a PostgreSQL store.
func IsPostgresURL(u string) bool { return postgres.IsURL(u) }

// RedactURL hides a password in a store URL, for messages.
func RedactURL(u string) string { return store.RedactURL(u) }

// IsDamaged reports whether err says a SQLite file is damaged (CheckWhole,
// or opening one).
func IsDamaged(err error) bool { return errors.Is(err, sqlite.ErrDamaged) }

// CheckWhole checks every page of a SQLite store; other stores have
// nothing to check. The check when the store opens leaves out the scan
// history, whose size would make start-up grow with the scans stored
// (issue 11): a serving node runs this once it serves.
func (n *Node) CheckWhole(ctx context.Context) error {
	st, ok := n.st.(*sqlite.Store)
	if !ok {
		return nil
	}
	return st.Check(ctx)
}

// ReadStoreConns is the size of [Node.ReadStore]'s pool on PostgreSQL.
const ReadStoreConns = 2

// ReadStore is a handle on the node's store for reads that must never
// wait behind, nor slow, the node's requests (the live dashboard's): on
// PostgreSQL a pool of its own of [ReadStoreConns] connections, closed
// with the node; elsewhere the store itself (SQLite's reads have
// connections of their own already).
func (n *Node) ReadStore(ctx context.Context) (store.Store, error) {
	pg, ok := n.st.(*postgres.Store)
	if !ok {
		return n.st, nil
	}
	if n.rd == nil {
		rd, err := pg.Readers(ctx, ReadStoreConns)
		if err != nil {
			return nil, err
		}
		n.rd = rd
	}
	return n.rd, nil
}
