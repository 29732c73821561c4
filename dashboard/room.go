package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"
)

// resendEvery: a snapshot that did not change is sent again this often,
// so the ages and the doors' online state move on screen. doorsEvery: the
// doors, which change with every scan and are most of a snapshot's bytes
// (200 dashboards of 300 doors: 10 MB/s at once a second), are sent at
// most this often; zones, alerts and the clear list follow
// every build (an "update" event, a snapshot without its doors).
const (
	resendEvery = 5 * time.Second
	doorsEvery  = 3 * time.Second
)

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

	mu        sync.Mutex
	clients   map[*client]struct{}
	last      []byte // the latest whole snapshot, for a client that joins
	lastBody  []byte // the JSON sent last without doors and time, to tell a change
	lastDoors []byte // the doors' JSON sent last
	lastSent  time.Time
	doorsSent time.Time
	heavy     heavy // only the room's goroutine touches it
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
	s, overdue, err := d.build(ctx, r.event, now, &r.heavy)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Logger.Warn("dashboard: snapshot", "event", r.event, "err", err)
		}
		return
	}
	if err := d.raise(ctx, overdue, now); err != nil && ctx.Err() == nil {
		d.cfg.Logger.Warn("dashboard: clear list alerts", "event", r.event, "err", err)
	}
	doors, err := json.Marshal(s.Doors)
	if err != nil {
		return
	}
	at, ds := s.At, s.Doors
	s.At, s.Doors = time.Time{}, nil
	body, err := json.Marshal(s)
	if err != nil {
		return
	}
	s.At = at
	upd, _ := json.Marshal(s) // without doors: an "update"
	s.Doors = ds
	full, _ := json.Marshal(s)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = sse("snapshot", full)
	var msg []byte
	wall := time.Now() // the pace of sending is the wall clock's, whatever the event's clock says
	switch {
	case wall.Sub(r.lastSent) >= resendEvery || (!bytes.Equal(doors, r.lastDoors) && wall.Sub(r.doorsSent) >= doorsEvery):
		msg, r.lastDoors, r.doorsSent = r.last, doors, wall
	case !bytes.Equal(body, r.lastBody):
		msg = sse("update", upd)
	default:
		return
	}
	r.lastBody, r.lastSent = body, wall
	for c := range r.clients {
		select {
		case c.ch <- msg:
		default: // too slow: dropped, never waited for
			delete(r.clients, c)
			c.drop()
		}
	}
}

// sse frames one server-sent event.
func sse(event string, data []byte) []byte {
	msg := make([]byte, 0, len(data)+len(event)+16)
	msg = append(msg, "event: "...)
	msg = append(msg, event...)
	msg = append(msg, "\ndata: "...)
	msg = append(msg, data...)
	return append(msg, "\n\n"...)
}
