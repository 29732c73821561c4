package issue

import (
	"bytes"
	"context"
	"errors"
	"sync"

	"github.com/laminate/laminate/guestlist"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/signer"
)

// Lists is one node's guest-list work, shared by every surface that takes
// a list (the API's POST /v1/passes/batch, the office's upload page): it
// reads at most a few lists at once ([Lists.Check]) and issues them one
// at a time from their last duplicate check to stored ([Lists.Issue]), so
// the same list sent twice at once (a double click, the API and the
// office together) issues once.
type Lists struct {
	slots chan struct{} // one token per list being read
	mu    sync.Mutex    // one list issued at a time
}

// NewLists makes a node's Lists reading at most reads lists at once
// (at least 1).
func NewLists(reads int) *Lists {
	return &Lists{slots: make(chan struct{}, max(reads, 1))}
}

// ErrListBusy is [Lists.Check] when every reading slot is taken: the
// caller answers "try again in a moment" rather than queueing.
var ErrListBusy = errors.New("busy: another guest list is being read; try again in a moment")

// Check is [guestlist.Check] of a list already in memory (a slow sender
// holds no slot), in one of the node's reading slots, or [ErrListBusy].
func (l *Lists) Check(ctx context.Context, b []byte, ev *pass.Event, chk signer.TextChecker, st guestlist.Keys) (*guestlist.Preview, error) {
	select {
	case l.slots <- struct{}{}:
		defer func() { <-l.slots }()
	default:
		return nil, ErrListBusy
	}
	return guestlist.Check(ctx, bytes.NewReader(b), ev, chk, st)
}

// Reading is how many lists are being read now.
func (l *Lists) Reading() int { return len(l.slots) }

// ListStore is where a list's passes go and where the passes already
// issued are found; a store.Store is one.
type ListStore interface {
	Store
	guestlist.Keys
}

// Issue issues reqs, the requests of preview p by choice
// ([guestlist.Preview.Requests], photos loaded), for ev, all or nothing,
// under the node's list lock: first p's duplicates are marked again
// against the event's passes now, and with choice [guestlist.Skip] the
// rows that have become duplicates since the preview are dropped. p's
// counts are those of that last check. The names and orgs were checked
// for print when p was read. No request left: nothing issued, no error.
func (l *Lists) Issue(ctx context.Context, sg *signer.Signer, st ListStore, ev *pass.Event, p *guestlist.Preview, reqs []signer.Request, choice, actor string) ([]record.Issued, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys, err := st.PassKeys(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	p.MarkDuplicates(keys)
	if choice == guestlist.Skip {
		dup := map[int]bool{}
		for _, r := range p.Rows {
			if r.Duplicate != nil {
				dup[r.Line] = true
			}
		}
		kept := reqs[:0:0]
		for _, r := range reqs {
			if !dup[r.Line] {
				kept = append(kept, r)
			}
		}
		reqs = kept
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	return Batch(ctx, sg, st, ev, reqs, actor, Options{})
}
