package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"
)

// resendEvery: a snapshot that did not change is sent again this often,
// so the ages and the doors' online state move on screen.
const resendEvery = 5 * time.Second

// client is one stream. Its buffer holds snapshots not written yet; when
// it is full the client is dropped (gone is closed), never waited for.
type client struct {
	ch   chan []byte
	gone chan struct{}
	once sync.Once
}

func (c *client) drop() { c.once.Do(func() { close(c.gone) }) }

// room is one event watched: the goroutine that builds its snapshot and
// the clients it hands it to.
type room struct {
	d      *Dashboard
	event  string
	wake   chan struct{}
	cancel context.CancelFunc

	mu       sync.Mutex
	clients  map[*client]struct{}
	last     []byte // the latest message, for a client that joins
	lastBody []byte // its JSON without the time, to tell a change
	lastSent time.Time
}

// poke asks for a build soon; it never blocks.
func (r *room) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// join adds a client to the event's room, starting the room if it is the
// first; the client gets the latest snapshot at once.
func (d *Dashboard) join(event string) (*room, *client) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.rooms[event]
	if r == nil {
		ctx, cancel := context.WithCancel(d.closing)
		r = &room{d: d, event: event, wake: make(chan struct{}, 1), cancel: cancel, clients: map[*client]struct{}{}}
		d.rooms[event] = r
		go r.run(ctx)
	}
	c := &client{ch: make(chan []byte, d.cfg.ClientBuffer), gone: make(chan struct{})}
	r.mu.Lock()
	r.clients[c] = struct{}{}
	if r.last != nil {
		c.ch <- r.last
	}
	r.mu.Unlock()
	return r, c
}

// leave removes a client; the last one out stops the room.
func (d *Dashboard) leave(r *room, c *client) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r.mu.Lock()
	delete(r.clients, c)
	n := len(r.clients)
	r.mu.Unlock()
	if n == 0 && d.rooms[r.event] == r {
		r.cancel()
		delete(d.rooms, r.event)
	}
}

// clients is the number of streams open, for tests and load runs.
func (d *Dashboard) clients() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, r := range d.rooms {
		r.mu.Lock()
		n += len(r.clients)
		r.mu.Unlock()
	}
	return n
}

func (r *room) run(ctx context.Context) {
	cfg := &r.d.cfg
	poll := time.NewTimer(0)
	defer poll.Stop()
	var built time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-poll.C:
		}
		if wait := cfg.MinInterval - time.Since(built); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		select { // what arrived while waiting is in this build
		case <-r.wake:
		default:
		}
		built = time.Now()
		r.refresh(ctx)
		poll.Reset(cfg.Poll)
	}
}

// refresh builds the snapshot and hands it to the clients if it changed.
func (r *room) refresh(ctx context.Context) {
	d := r.d
	now := d.cfg.Now()
	s, overdue, err := d.build(ctx, r.event, now)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Logger.Warn("dashboard: snapshot", "event", r.event, "err", err)
		}
		return
	}
	if err := d.raise(ctx, overdue, now); err != nil && ctx.Err() == nil {
		d.cfg.Logger.Warn("dashboard: clear list alerts", "event", r.event, "err", err)
	}
	at := s.At
	s.At = time.Time{}
	body, err := json.Marshal(s)
	if err != nil {
		return
	}
	s.At = at
	r.mu.Lock()
	defer r.mu.Unlock()
	if bytes.Equal(body, r.lastBody) && now.Sub(r.lastSent) < resendEvery {
		return
	}
	full, _ := json.Marshal(s)
	msg := make([]byte, 0, len(full)+32)
	msg = append(msg, "event: snapshot\ndata: "...)
	msg = append(msg, full...)
	msg = append(msg, "\n\n"...)
	r.last, r.lastBody, r.lastSent = msg, body, now
	for c := range r.clients {
		select {
		case c.ch <- msg:
		default: // too slow: dropped, never waited for
			delete(r.clients, c)
			c.drop()
		}
	}
}
