// Package termbar draws a progress bar on a terminal, for the command line.
package termbar

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// New returns a callback drawing a progress bar of what on w when w is a
// terminal, and nil otherwise (scripts and logs get no bar).
func New(w io.Writer, what string) func(done, total int) {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return bar(f, what)
}

// bar draws on w whenever the percentage changes, and ends the line when
// done reaches total.
func bar(w io.Writer, what string) func(done, total int) {
	last := -1
	return func(done, total int) {
		pct := done * 100 / max(total, 1)
		if pct == last && done != total {
			return
		}
		last = pct
		fmt.Fprintf(w, "\r%s %s %3d%% (%d/%d)", what, strings.Repeat("█", pct/5)+strings.Repeat("░", 20-pct/5), pct, done, total)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}
