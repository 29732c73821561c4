package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/storetest"
)

var cet = time.FixedZone("", 3600)

// baseURL is the test server, from LAMINATE_TEST_POSTGRES. Without it the
// tests skip, unless LAMINATE_CI is set: CI must test this store.
func baseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("LAMINATE_TEST_POSTGRES")
	if u == "" {
		const msg = "LAMINATE_TEST_POSTGRES is not set (e.g. postgres://postgres@127.0.0.1:5432/test)"
		if os.Getenv("LAMINATE_CI") != "" {
			t.Fatal(msg + ", and LAMINATE_CI is: CI must test the PostgreSQL store")
		}
		t.Skip(msg + ": skipping the PostgreSQL store tests")
	}
	return u
}

// withParams adds connection parameters to a URL or keyword/value string.
func withParams(t testing.TB, base string, kv ...string) string {
	t.Helper()
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("LAMINATE_TEST_POSTGRES: %v", err)
		}
		q := u.Query()
		for i := 0; i < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for i := 0; i < len(kv); i += 2 {
		base += fmt.Sprintf(" %s=%s", kv[i], kv[i+1])
	}
	return base
}

// admin runs statements on the test server over a plain connection.
func admin(t testing.TB, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, baseURL(t))
	if err != nil {
		t.Fatalf("connecting to the test server: %v", err)
	}
	defer conn.Close(ctx)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// newSchema makes a fresh schema lam_<random>, dropped when t ends, and
// returns a URL whose search_path is it. The application_name is the
// schema too, so a test can find its own connections.
func newSchema(t testing.TB) (u, schema string) {
	t.Helper()
	base := baseURL(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema = "lam_" + hex.EncodeToString(b)
	admin(t, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { admin(t, "DROP SCHEMA "+schema+" CASCADE") })
	// The machine running the tests may be loaded (go test -race ./...
	// runs packages in parallel): give a new connection more time than
	// the default ConnectTimeout.
	return withParams(t, base, "search_path", schema, "application_name", schema, "connect_timeout", "10"), schema
}

// openURL opens a store, closed when t ends.
func openURL(t testing.TB, u string) *Store {
	t.Helper()
	s, err := Open(context.Background(), u)
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = storetest.Clock()
	return s
}

// openTest opens a store in a fresh schema.
func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	u, schema := newSchema(t)
	return openURL(t, u), schema
}

func TestConformance(t *testing.T) {
	baseURL(t)
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s, _ := openTest(t)
		s.Now = now
		return s
	})
}

// tables lists the tables of a schema, with the marker's version if any.
func tables(t *testing.T, schema string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, baseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, schema)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Join(names, ",")
	if slices.Contains(names, "laminate_schema") {
		var v int
		if err := conn.QueryRow(ctx, `SELECT version FROM `+schema+`.laminate_schema`).Scan(&v); err != nil {
			out += " (no version)"
		} else {
			out += fmt.Sprintf(" version %d", v)
		}
	}
	return out
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("ok/in-its-schema", func(t *testing.T) {
		s, schema := openTest(t)
		if s.schema != schema {
			t.Errorf("schema = %q, want %q", s.schema, schema)
		}
		want := fmt.Sprintf("alerts,api_tokens,audit,collections,devices_seen,doors_seen,enrolments,events,laminate_schema,pass_photos,passes,prints,revocations,scans,sessions,shared,user_events,users,webhook_deliveries,webhooks,zone_inside version %d", len(migrations))
		if got := tables(t, schema); got != want {
			t.Errorf("tables = %s, want %s", got, want)
		}
	})
	t.Run("ok/reopen-keeps-data", func(t *testing.T) {
		u, _ := newSchema(t)
		s := openURL(t, u)
		storetest.MustCreate(t, s, storetest.NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
		s.Close()
		s2 := openURL(t, u)
		if _, err := s2.Event(ctx, "ev"); err != nil {
			t.Errorf("Event() after reopen error = %v", err)
		}
	})
	t.Run("ok/nodes-starting-together", func(t *testing.T) {
		u, schema := newSchema(t)
		const n = 4
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				s, err := Open(ctx, u)
				if err == nil {
					s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("concurrent Open() error = %v", err)
		}
		if got := tables(t, schema); !strings.HasSuffix(got, fmt.Sprintf(" version %d", len(migrations))) {
			t.Errorf("tables = %s", got)
		}
	})
	t.Run("fail/no-such-schema", func(t *testing.T) {
		u := withParams(t, baseURL(t), "search_path", "lam_does_not_exist")
		s, err := Open(ctx, u)
		if err == nil {
			s.Close()
			t.Fatal("Open() with a missing schema succeeded")
		}
		if !strings.Contains(err.Error(), "search_path") {
			t.Errorf("Open() error = %q, want it to name search_path", err)
		}
	})
	t.Run("fail/bad-url", func(t *testing.T) {
		_, err := Open(ctx, "postgres://laminate:hunter2@127.0.0.1:notaport/db")
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(bad URL) error = %v, want one without the password", err)
		}
	})
	t.Run("fail/unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		_, err = Open(ctx, "postgres://laminate:hunter2@"+addr+"/test?sslmode=disable")
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("Open(unreachable) error = %v, want %v", err, store.ErrUnavailable)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open() error = %q holds the password", err)
		}
	})
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		make func(t *testing.T, u, schema string)
		want error
	}{
		{"fail/foreign-schema", func(t *testing.T, _, schema string) {
			admin(t, "CREATE TABLE "+schema+".notes (x TEXT)", "INSERT INTO "+schema+".notes VALUES ('hello')")
		}, store.ErrNotLaminate},
		{"fail/foreign-view", func(t *testing.T, _, schema string) {
			admin(t, "CREATE VIEW "+schema+".v AS SELECT 1 AS x")
		}, store.ErrNotLaminate},
		{"fail/foreign-marker-table", func(t *testing.T, _, schema string) {
			admin(t, "CREATE TABLE "+schema+".laminate_schema (x INT)")
		}, store.ErrNotLaminate},
		{"fail/newer-schema", func(t *testing.T, u, schema string) {
			s, err := Open(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			admin(t, fmt.Sprintf("UPDATE %s.laminate_schema SET version = %d", schema, len(migrations)+1))
		}, store.ErrNewerSchema},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, schema := newSchema(t)
			tt.make(t, u, schema)
			before := tables(t, schema)
			s, err := Open(ctx, u)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open() error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), schema) {
				t.Errorf("Open() error = %q, want it to name the schema", err)
			}
			if after := tables(t, schema); after != before {
				t.Errorf("Open() changed the schema it refused: %s, was %s", after, before)
			}
		})
	}
}

// TestTwoNodes runs two stores on one schema, as two laminate serve nodes.
func TestTwoNodes(t *testing.T) {
	ctx := context.Background()
	u, _ := newSchema(t)
	a, b := openURL(t, u), openURL(t, u)
	storetest.MustCreate(t, a, storetest.NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := storetest.NewPasses(t, "ev", 130, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	storetest.MustInsert(t, a, ps)
	t.Run("ok/scans-decided-one-after-the-other", func(t *testing.T) {
		for _, p := range ps[3:6] {
			storetest.CheckOneAdmit(t, p.Serial, "ev", 40, a, b)
		}
	})
	t.Run("ok/capacity-race-two-nodes", func(t *testing.T) {
		// 50 doors on two nodes race for the last 10 places of 30.
		race := storetest.NewPasses(t, "ev", 70, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
		storetest.MustInsert(t, a, race)
		storetest.CheckCapacityRace(t, "ev", "photo-pit", 30, race[:20], race[20:], a, b)
	})
	t.Run("ok/revocation-seen-by-the-other", func(t *testing.T) {
		r := &store.Revocation{Serial: ps[1].Serial, Category: pass.RevokeLost, By: "tm"}
		if err := a.Revoke(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := b.RevocationsSince(ctx, r.Seq-1)
		if err != nil || len(got) != 1 || got[0].Serial != r.Serial {
			t.Errorf("RevocationsSince() on b = %+v, %v; want the revocation made on a", got, err)
		}
	})
	t.Run("ok/revocations-from-both-polled-on-one", func(t *testing.T) {
		storetest.CheckRevocationPropagation(t, ps[10:], b, a, b)
	})
	t.Run("ok/issues-from-both-polled-on-one", func(t *testing.T) {
		storetest.CheckIssuedPropagation(t, "ev", a, a, b)
	})
	t.Run("ok/notified", func(t *testing.T) {
		// A store on another schema of the same database: not woken.
		other, _ := openTest(t)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		onB, onOther := b.Changes(cctx), other.Changes(cctx)
		if err := a.Revoke(ctx, &store.Revocation{Serial: ps[2].Serial, Category: pass.RevokeLost, By: "tm"}); err != nil {
			t.Fatal(err)
		}
		if err := storetest.WaitChange(onB, 5*time.Second); err != nil {
			t.Fatalf("node b after a revocation on a: %v", err)
		}
		select {
		case <-onOther:
			t.Error("a store on another schema was notified")
		default:
		}
		if _, err := a.ApplyCue(ctx, "ev", "doors_open", time.Date(2026, 11, 20, 18, 0, 0, 0, cet), "stage"); err != nil {
			t.Fatal(err)
		}
		if err := storetest.WaitChange(onB, 5*time.Second); err != nil {
			t.Fatalf("node b after a cue on a: %v", err)
		}
		cancel()
		if err := storetest.WaitClosed(onB, 5*time.Second); err != nil {
			t.Error(err)
		}
	})
	t.Run("ok/close-ends-changes", func(t *testing.T) {
		c := openURL(t, u)
		ch := c.Changes(ctx)
		c.Close()
		if err := storetest.WaitClosed(ch, 5*time.Second); err != nil {
			t.Error(err)
		}
	})
}

// proxy is a TCP proxy to the test server that a test can take down and
// bring back, as a database that restarts or a network that fails.
type proxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target, addr: "127.0.0.1:0"}
	p.up(t)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			p.wg.Go(func() { io.Copy(d, c); d.Close() })
			p.wg.Go(func() { io.Copy(c, d); c.Close() })
		}
	})
}

// down closes the listener and every connection through it.
func (p *proxy) down() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// TestDatabaseDown takes the database away behind a proxy: requests fail
// at once with ErrUnavailable, the pool and the listener recover by
// themselves when it is back.
func TestDatabaseDown(t *testing.T) {
	ctx := context.Background()
	u, _ := newSchema(t)
	pu, err := url.Parse(u)
	if err != nil || pu.Scheme == "" {
		t.Skip("needs LAMINATE_TEST_POSTGRES as a URL")
	}
	p := newProxy(t, pu.Host)
	pu.Host = p.addr
	s := openURL(t, pu.String())
	storetest.MustCreate(t, s, storetest.NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := storetest.NewPasses(t, "ev", 2, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	storetest.MustInsert(t, s, ps)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes := s.Changes(cctx)

	p.down()
	// The bound is only there to fail a hanging test; unavailability is
	// told by the error, not by a clock.
	bctx, bcancel := context.WithTimeout(ctx, 30*time.Second)
	defer bcancel()
	tests := []struct {
		name string
		do   func() error
	}{
		{"ping", func() error { return s.Ping(bctx) }},
		{"read", func() error { _, err := s.Pass(bctx, ps[0].Serial); return err }},
		{"write", func() error {
			return s.Revoke(bctx, &store.Revocation{Serial: ps[0].Serial, Category: pass.RevokeLost, By: "tm"})
		}},
		{"scan", func() error {
			_, _, err := s.RecordScan(bctx, &store.Scan{ID: "x", Serial: ps[0].Serial, Event: "ev", Direction: "in", At: time.Now()}, storetest.AdmitOnce)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run("fail/down/"+tt.name, func(t *testing.T) {
			err := tt.do()
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("error = %v, want %v", err, store.ErrUnavailable)
			}
			if bctx.Err() != nil {
				t.Fatal("the request waited for the database instead of failing")
			}
		})
	}
	p.up(t)
	t.Run("ok/back", func(t *testing.T) {
		// The listener comes back and says so: what was committed meanwhile is unknown.
		if err := storetest.WaitChange(changes, 10*time.Second); err != nil {
			t.Fatalf("listener after the database came back: %v", err)
		}
		var err error
		for bctx.Err() == nil {
			if err = s.Ping(bctx); err == nil {
				break
			}
			if !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("Ping() error = %v, want nil or %v", err, store.ErrUnavailable)
			}
		}
		if err != nil {
			t.Fatalf("pool did not recover: %v", err)
		}
		if err := s.Revoke(ctx, &store.Revocation{Serial: ps[1].Serial, Category: pass.RevokeLost, By: "tm"}); err != nil {
			t.Fatalf("Revoke() after recovery error = %v", err)
		}
		if err := storetest.WaitChange(changes, 5*time.Second); err != nil {
			t.Fatalf("notification after recovery: %v", err)
		}
	})
}

// TestServerKillsConnections: the server ends every connection of the
// store (an administrator, a failover): errors are ErrUnavailable, and the
// store recovers.
func TestServerKillsConnections(t *testing.T) {
	ctx := context.Background()
	s, schema := openTest(t)
	storetest.MustCreate(t, s, storetest.NewEvent(t, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := storetest.NewPasses(t, "ev", 1, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	storetest.MustInsert(t, s, ps)
	changes := s.Changes(ctx)
	admin(t, fmt.Sprintf(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name LIKE '%s%%' AND pid <> pg_backend_pid()`, schema))
	if err := storetest.WaitChange(changes, 10*time.Second); err != nil {
		t.Fatalf("listener after its connection was ended: %v", err)
	}
	bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var err error
	for bctx.Err() == nil {
		if _, err = s.Pass(bctx, ps[0].Serial); err == nil {
			break
		}
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Pass() error = %v, want nil or %v", err, store.ErrUnavailable)
		}
	}
	if err != nil {
		t.Fatalf("store did not recover: %v", err)
	}
	if err := s.Revoke(ctx, &store.Revocation{Serial: ps[0].Serial, Category: pass.RevokeLost, By: "tm"}); err != nil {
		t.Fatal(err)
	}
	if err := storetest.WaitChange(changes, 5*time.Second); err != nil {
		t.Fatalf("notification after reconnecting: %v", err)
	}
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"ok/nil", nil, false},
		{"ok/eof", fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{"ok/deadline", context.DeadlineExceeded, true},
		{"ok/canceled", context.Canceled, false},
		{"ok/refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{"ok/admin-shutdown", pgErr("57P01"), true},
		{"ok/cannot-connect-now", pgErr("57P03"), true},
		{"ok/connection-failure", pgErr("08006"), true},
		{"ok/too-many-connections", pgErr("53300"), true},
		{"ok/unique-violation", pgErr("23505"), false},
		{"ok/query-canceled", pgErr("57014"), false},
		{"ok/other", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unavailable(tt.err); got != tt.want {
				t.Errorf("unavailable(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if got := errors.Is(dbErr(tt.err, "x"), store.ErrUnavailable); tt.err != nil && got != tt.want {
				t.Errorf("errors.Is(dbErr(%v), ErrUnavailable) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestChannelName(t *testing.T) {
	long := strings.Repeat("x", 63)
	tests := []struct{ schema, want string }{
		{"public", "laminate_public"},
		{"lam_0123456789abcdef", "laminate_lam_0123456789abcdef"},
	}
	for _, tt := range tests {
		if got := channelName(tt.schema); got != tt.want {
			t.Errorf("channelName(%q) = %q, want %q", tt.schema, got, tt.want)
		}
	}
	if got := channelName(long); len(got) > 63 || got == channelName(long+"y") {
		t.Errorf("channelName(long) = %q: want at most 63 bytes, distinct per schema", got)
	}
}

func BenchmarkRecordScan(b *testing.B) {
	ctx := context.Background()
	s, _ := openTest(b)
	storetest.MustCreate(b, s, storetest.NewEvent(b, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	ps := storetest.NewPasses(b, "ev", 1000, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	storetest.MustInsert(b, s, ps)
	at := time.Date(2026, 11, 20, 19, 0, 0, 0, time.UTC)
	scan := func(i int) *store.Scan {
		dir := "in"
		if (i/len(ps))%2 == 1 {
			dir = "out"
		}
		return &store.Scan{ID: fmt.Sprintf("bench-%d", i), Serial: ps[i%len(ps)].Serial, Event: "ev", Gate: "north",
			Zone: "backstage", Direction: dir, At: at.Add(time.Duration(i) * time.Millisecond)}
	}
	b.Run("serial", func(b *testing.B) {
		for i := range b.N {
			if _, _, err := s.RecordScan(ctx, scan(i), storetest.AdmitOnce); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var mu sync.Mutex
		next := 1 << 30
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if _, _, err := s.RecordScan(ctx, scan(i), storetest.AdmitOnce); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("retry", func(b *testing.B) {
		sc := scan(1 << 40)
		if _, _, err := s.RecordScan(ctx, sc, storetest.AdmitOnce); err != nil {
			b.Fatal(err)
		}
		for range b.N {
			if _, dup, err := s.RecordScan(ctx, sc, storetest.AdmitOnce); err != nil || !dup {
				b.Fatal(dup, err)
			}
		}
	})
}

func BenchmarkInsertPasses10k(b *testing.B) {
	ctx := context.Background()
	s, _ := openTest(b)
	storetest.MustCreate(b, s, storetest.NewEvent(b, "ev", time.Date(2026, 11, 20, 20, 0, 0, 0, cet)))
	batches := make([][]store.Issued, b.N)
	for i := range batches {
		batches[i] = storetest.NewPasses(b, "ev", 10_000, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	}
	b.ResetTimer()
	for i := range b.N {
		if err := s.InsertPasses(ctx, batches[i], "issuer"); err != nil {
			b.Fatal(err)
		}
	}
}

func pgErr(code string) error {
	return fmt.Errorf("query: %w", &pgconn.PgError{Code: code})
}

// LAMINATE_TEST_POSTGRES=... go test ./store/postgres -run '^$' -bench SearchPasses50k -benchtime 200x
func BenchmarkSearchPasses50k(b *testing.B) {
	baseURL(b)
	storetest.BenchmarkSearchPasses50k(b, func(b *testing.B) store.Store {
		s, _ := openTest(b)
		return s
	}, func(b *testing.B, st store.Store) {
		// What autovacuum does after 50,000 inserts: the visibility map
		// lets the index-only scan skip the heap.
		if _, err := st.(*Store).pool.Exec(context.Background(), `VACUUM ANALYZE passes, revocations, prints, collections`); err != nil {
			b.Fatal(err)
		}
	})
}
