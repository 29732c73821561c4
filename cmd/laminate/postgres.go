package main

import (
	"context"
	"errors"

	"github.com/laminate/laminate/store"
)

// openPostgres opens a PostgreSQL store. (Filled in by the postgres store.)
func openPostgres(ctx context.Context, u string) (store.Store, error) {
	return nil, errors.New("postgres store: not built yet")
}
