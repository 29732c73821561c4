// Package decodemem bounds the memory that image decodes in flight take
// together, in the whole process: holder photos (package photo) and event
// logos (render/logo) share one budget, so a burst of uploads of either
// kind, or of both, cannot take more than [Budget] between them.
//
// A decode is charged by the pixels its header declares, before any pixel
// is decoded: a progressive JPEG keeps its coefficients (up to 12 bytes a
// pixel at 4:4:4) beside the image and a 16-bit PNG takes 8 bytes a pixel,
// so a decode costs [BytesPerPixel] bytes a declared pixel (a 40-megapixel
// photo: 640 MB, one at a time; a 12-megapixel phone photo: 192 MB, five at
// a time). Besides the memory, one decode per CPU runs at a time.
//
// The callers check their own caps on the declared size first (a header
// declaring 60,000 x 60,000 pixels is refused, never charged).
package decodemem

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sync/semaphore"
)

const (
	// Budget is the memory, in bytes, that decodes in flight may take
	// together.
	Budget = 1 << 30
	// BytesPerPixel is what a decode is charged per declared pixel.
	BytesPerPixel = 16
)

// ErrBusy is wrapped by the error of [Acquire] when its context ends
// before the budget has room.
var ErrBusy = errors.New("too many images are being decoded at once")

var (
	sem = make(chan struct{}, runtime.GOMAXPROCS(0))
	mem = semaphore.NewWeighted(Budget)
)

// Cost is what a decode of w x h declared pixels is charged, at most
// [Budget] (so that one decode larger than the budget runs alone rather
// than never).
func Cost(w, h int) int64 {
	return min(int64(max(w, 0))*int64(max(h, 0))*BytesPerPixel, Budget)
}

// Acquire waits until a decode of w x h declared pixels fits the budget
// and a CPU is free, and returns the function that gives both back. It
// takes room at once when there is room, even if ctx has ended; else it
// waits for room or for ctx, and then returns an error wrapping [ErrBusy].
func Acquire(ctx context.Context, w, h int) (release func(), err error) {
	cost := Cost(w, h)
	if !mem.TryAcquire(cost) {
		if err := mem.Acquire(ctx, cost); err != nil {
			return nil, fmt.Errorf("%w (%v): try again", ErrBusy, err)
		}
	}
	select {
	case sem <- struct{}{}:
	default:
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			mem.Release(cost)
			return nil, fmt.Errorf("%w (%v): try again", ErrBusy, ctx.Err())
		}
	}
	return func() { <-sem; mem.Release(cost) }, nil
}
