package main

import (
	"context"

	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/postgres"
)

// openPostgres opens the PostgreSQL store at u (postgres://…), creating or
// upgrading its schema.
func openPostgres(ctx context.Context, u string) (store.Store, error) {
	st, err := postgres.Open(ctx, u)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// isPostgresURL reports whether u names a PostgreSQL store.
func isPostgresURL(u string) bool { return postgres.IsURL(u) }
