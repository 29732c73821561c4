package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconnection backoff of the LISTEN connection.
const (
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 2 * time.Second
)

// Changes implements [store.Notifier]. It returns once its connection
// LISTENs (or the first attempt failed), so a commit made after it returns
// is signalled. When the connection drops it reconnects with backoff, and
// signals once it is back, since notifications sent meanwhile are lost. The
// channel is closed when ctx ends or the store is closed.
func (s *Store) Changes(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	lctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	conn, _ := s.listenConn(lctx)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		defer stop()
		defer cancel()
		s.listenLoop(lctx, conn, out)
	}()
	return out
}

func (s *Store) listenLoop(ctx context.Context, conn *pgx.Conn, out chan<- struct{}) {
	backoff := listenBackoffMin
	for {
		if conn == nil {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			var err error
			if conn, err = s.listenConn(ctx); err != nil {
				backoff = min(2*backoff, listenBackoffMax)
				continue
			}
			backoff = listenBackoffMin
			signal(out) // what was committed while we were away
		}
		if _, err := conn.WaitForNotification(ctx); err != nil {
			closeConn(conn)
			conn = nil
			if ctx.Err() != nil {
				return
			}
			continue
		}
		signal(out)
	}
}

// listenConn connects and LISTENs on the schema's channel.
func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.listen)
	if err != nil {
		return nil, dbErr(err, "listen")
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		closeConn(conn)
		return nil, dbErr(err, "listen")
	}
	return conn, nil
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn.Close(ctx)
}

// signal sends on a buffered channel of one without blocking: signals
// coalesce.
func signal(out chan<- struct{}) {
	select {
	case out <- struct{}{}:
	default:
	}
}
