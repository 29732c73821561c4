package verifier

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/laminate/laminate/record"
)

// FindDuplicates looks through the scans of one pass for uses that cannot
// be one person, as happens when doors that were offline upload scans
// they admitted on their own:
//
//   - [record.AlertDoubleEntry]: admitted "in" twice with no admitted "out"
//     between;
//   - [record.AlertTwoGates]: two admitted scans at different gates closer
//     together than window.
//
// Only admitted scans count (a denied person went nowhere, and an
// "attention" only when a person let the holder in), in the order the
// doors scanned them. The result is deterministic, so finding the same
// alerts again after a second upload adds nothing (the store keeps each
// alert once).
func FindDuplicates(scans []record.Scan, window time.Duration) []record.Alert {
	var admitted []record.Scan
	for _, sc := range scans {
		if sc.Admitted() && sc.Serial != "" {
			admitted = append(admitted, sc)
		}
	}
	// By time, then in the order the store recorded them: online scans of
	// one pass are timed in the order they were decided (TimeScan), so
	// two of them at the same instant were decided in stored order.
	slices.SortStableFunc(admitted, func(a, b record.Scan) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	var alerts []record.Alert
	alert := func(kind record.AlertKind, a, b record.Scan, reason string) {
		alerts = append(alerts, record.Alert{Event: b.Event, Serial: b.Serial, Kind: kind,
			Scans: [2]string{a.ID, b.ID}, Gates: [2]string{a.Gate, b.Gate}, At: b.At, Reason: reason})
	}
	var lastIn *record.Scan
	for i := range admitted {
		sc := admitted[i]
		if i > 0 {
			prev := admitted[i-1]
			if gap := sc.At.Sub(prev.At); prev.Gate != sc.Gate && gap < window {
				alert(record.AlertTwoGates, prev, sc, fmt.Sprintf("Admitted at %s and at %s %s apart: one person cannot be at both; the pass may be copied",
					prev.Gate, sc.Gate, gap.Round(time.Second)))
			}
		}
		switch sc.Direction {
		case record.In:
			if lastIn != nil {
				alert(record.AlertDoubleEntry, *lastIn, sc, fmt.Sprintf("Admitted in at %s (%s) and again at %s (%s) with no exit between: two people may hold this pass",
					lastIn.Gate, lastIn.At.UTC().Format("15:04:05"), sc.Gate, sc.At.UTC().Format("15:04:05")))
			}
			lastIn = &admitted[i]
		case record.Out:
			lastIn = nil
		}
	}
	return alerts
}
