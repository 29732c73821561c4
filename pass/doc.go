// Package pass is Laminate's domain: pass types, zones, show phases, the event
// schedule, the access policy and serial numbers.
//
// It does no I/O and imports nothing of Laminate's; every other package speaks
// its types. A door decision is split in two: the [verifier] answers whether a
// token is a genuine, live pass; [Decide] answers whether that pass may enter a
// zone at a moment of the show.
//
// # Phases
//
// An event's schedule cuts its access window into three phases: [Before]
// (access opens to show start, doors included), [During] (show start to show
// end) and [After] (show end to access close). Two sub-windows sit inside:
// the meet & greet window (pre-show, set per event) and the photo window (from
// show start, by default the first three songs). Live cues ([Cues]) move these
// boundaries on the night, because shows start late and the photo window closes
// when the third song ends, not at a clock time.
//
// # Policy
//
// A [Policy] maps each pass type (and each STAFF role) to grants: a set of
// zones and the windows in which they are open. [DefaultPolicy] is the
// table of docs/design.md ("Default policy"), shipped as data
// (default_policy.json); an event may replace it with its own file, parsed
// by [ParsePolicy].
//
// # Serials
//
// A [Serial] is eight characters from a 31-symbol alphabet with no ambiguous
// characters (no 0, O, 1, I or L), the last being a check character that
// catches every single-character typo and every transposition of two
// characters. See [ParseSerial].
package pass
