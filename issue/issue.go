// Package issue issues passes: it signs a batch with a [signer.Signer] and
// stores it whole, drawing fresh serials when one is already taken. The
// server's issuing endpoints and "laminate issue" call it.
//
// It sits above signing (package signer signs and never stores) and below
// its callers; it knows nothing of HTTP or the CLI (docs/design.md,
// "Layers and packages").
package issue

import (
	"context"
	"errors"
	"fmt"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// Store is where issued passes go; a store.Store is one.
type Store interface {
	// InsertPasses stores passes all or nothing; a serial already stored
	// gives store.ErrDuplicateSerial.
	InsertPasses(ctx context.Context, passes []record.Issued, actor string) error
}

// maxSerialRetries bounds how often a batch is re-drawn after a serial
// collision with a stored pass (about one in 10^5 per pass at 50,000 passes).
const maxSerialRetries = 3

// Options tune [Batch].
type Options struct {
	// Printable, when set, refuses a name or org that cannot be printed
	// (a *signer.RequestError), before anything is signed.
	Printable signer.TextChecker
	// Progress, when set, is called after each signed pass.
	Progress func(done, total int)
	// Check, when set, sees the signed passes before they are stored (to
	// print them, say); an error from it stores nothing.
	Check func([]record.Issued) error
}

// Batch signs a pass for every request with sg and stores them all in one
// transaction. On any error nothing is stored. A request sg refuses gives
// a [*signer.RequestError] naming the request (its guest-list line, or its
// place in the batch); any other error is the machine's or the store's.
func Batch(ctx context.Context, sg *signer.Signer, st Store, ev *pass.Event, reqs []signer.Request, actor string, opt Options) ([]record.Issued, error) {
	for i := range reqs {
		if err := signer.CheckPrintable(opt.Printable, &reqs[i]); err != nil {
			switch {
			case reqs[i].Line > 0:
				return nil, &signer.RequestError{Err: fmt.Errorf("line %d (%s): %w", reqs[i].Line, reqs[i].Name, err)}
			case len(reqs) > 1:
				return nil, &signer.RequestError{Err: fmt.Errorf("pass %d (%s): %w", i+1, reqs[i].Name, err)}
			}
			return nil, &signer.RequestError{Err: err}
		}
	}
	for attempt := 0; ; attempt++ {
		out := make([]record.Issued, 0, len(reqs))
		seen := make(map[pass.Serial]bool, len(reqs))
		for i := 0; i < len(reqs); {
			iss, err := sg.Issue(ev, reqs[i])
			switch {
			case err == nil:
			case reqs[i].Line > 0:
				return nil, fmt.Errorf("line %d (%s): %w", reqs[i].Line, reqs[i].Name, err)
			case len(reqs) > 1:
				return nil, fmt.Errorf("pass %d (%s): %w", i+1, reqs[i].Name, err)
			default:
				return nil, err
			}
			if seen[iss.Serial] { // a collision inside the batch: draw again
				continue
			}
			seen[iss.Serial] = true
			i++
			out = append(out, iss)
			if opt.Progress != nil {
				opt.Progress(len(out), len(reqs))
			}
		}
		if opt.Check != nil {
			if err := opt.Check(out); err != nil {
				return nil, err
			}
		}
		err := st.InsertPasses(ctx, out, actor)
		if errors.Is(err, store.ErrDuplicateSerial) && attempt < maxSerialRetries {
			continue
		}
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}
