package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rogpeppe/go-internal/testscript"
)

// pgCondition is the testscript condition [pg]: a PostgreSQL server to
// test against is given (LAMINATE_TEST_POSTGRES). Under LAMINATE_CI it is
// always true, so a missing server fails the script instead of skipping it.
func pgCondition(cond string) (bool, error) {
	if cond != "pg" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	return os.Getenv("LAMINATE_TEST_POSTGRES") != "" || os.Getenv("LAMINATE_CI") != "", nil
}

// pgschemaCmd is the testscript command "pgschema VAR": it makes a fresh
// schema in the PostgreSQL database of LAMINATE_TEST_POSTGRES, dropped when
// the script ends, and sets $VAR to a store URL that uses it.
func pgschemaCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: pgschema VAR")
	}
	base := os.Getenv("LAMINATE_TEST_POSTGRES")
	if base == "" {
		ts.Fatalf("LAMINATE_TEST_POSTGRES is not set (e.g. postgres://postgres@127.0.0.1:5432/test); scripts guard pgschema with [pg]")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	ts.Check(err)
	defer conn.Close(ctx)
	schema := "lam_script_" + strings.ToLower(rand.Text()[:12])
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
	ts.Check(err)
	ts.Defer(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	ts.Check(err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	ts.Setenv(args[0], u.String())
}
