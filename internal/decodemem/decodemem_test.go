package decodemem

import (
	"context"
	"errors"
	"testing"
)

// The budget is shared: while one decode holds all of it, another waits
// (and gives up when its context ends), and gets it once it is released.
func TestAcquireSharesTheBudget(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	whole, err := Acquire(context.Background(), 8192, 8192) // 64 Mpx x 16 B = 1 GiB
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(done, 1, 1); !errors.Is(err, ErrBusy) {
		t.Fatalf("Acquire with the budget spent = %v, want ErrBusy", err)
	}
	whole()
	small, err := Acquire(done, 1000, 1000) // room now: taken even with an ended context
	if err != nil {
		t.Fatalf("Acquire with room = %v", err)
	}
	small()
	if c := Cost(100000, 100000); c != Budget {
		t.Errorf("Cost(100000, 100000) = %d, want the budget %d", c, Budget)
	}
	if c := Cost(4000, 3000); c != 4000*3000*BytesPerPixel {
		t.Errorf("Cost(4000, 3000) = %d", c)
	}
}
