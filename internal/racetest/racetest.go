// Package racetest splits "make test" in two steps: "go test -race ./..."
// for everything, then, without -race, the tests that call [Skip] (the
// Makefile's NORACE_RUN in NORACE_PKGS).
//
// Those are tests whose subject the race detector cannot see, or sees
// better elsewhere, and that it slows down five to twenty times: one
// goroutine decoding and scaling images, a real Chromium driving the door
// pages, QR codes printed and worn and read back. Every test that runs
// code concurrently stays under -race.
package racetest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Skip skips t under -race, saying where it runs instead. Under -race with
// the Makefile's LAMINATE_NORACE_RUN and LAMINATE_NORACE_PKGS set ("make
// test" sets them), it fails t if the second step would not run it: a test
// must not fall out of both steps.
func Skip(t testing.TB) {
	t.Helper()
	if !Enabled {
		return
	}
	if run := os.Getenv("LAMINATE_NORACE_RUN"); run != "" {
		name, _, _ := strings.Cut(t.Name(), "/")
		if ok, err := regexp.MatchString(run, name); err != nil || !ok {
			t.Fatalf("%s skips -race but NORACE_RUN in the Makefile (%q) does not name it: add it there", name, run)
		}
		wd, _ := os.Getwd()
		pkgs := strings.Fields(os.Getenv("LAMINATE_NORACE_PKGS"))
		if !slices.ContainsFunc(pkgs, func(p string) bool {
			return strings.HasSuffix(wd, string(filepath.Separator)+filepath.FromSlash(strings.TrimPrefix(p, "./")))
		}) {
			t.Fatalf("%s skips -race but its package (%s) is not in NORACE_PKGS in the Makefile: add it there", name, wd)
		}
	}
	t.Skip("runs without -race: make test's second step (Makefile, NORACE_RUN)")
}
