package main

import (
	"context"

	"github.com/laminate/laminate/export"
	"github.com/laminate/laminate/store"
)

// cmdExport: laminate export KIND --event ID [--format csv|jsonl] [filters] --out FILE.
func cmdExport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("export")
	event := fs.String("event", "", "the event to export")
	format := fs.String("format", export.CSV, "csv (UTF-8, header row, formula-safe) or jsonl (one JSON object a line)")
	since := fs.String("since", "", "rows at or after this time (RFC 3339, e.g. 2026-11-20T19:00:00Z)")
	until := fs.String("until", "", "rows before this time (RFC 3339)")
	typ := fs.String("type", "", "passes: pass type; alerts: kind; audit: action; inside: pass type")
	status := fs.String("status", "", "scans: decision (admit, deny, attention); passes: valid or revoked; alerts: verdict")
	zone := fs.String("zone", "", "scans and inside: this zone only")
	gate := fs.String("gate", "", "scans and alerts: this gate only")
	out := fs.String("out", "", "file to write (replaced only once the export is complete)")
	pos, err := parseArgs(fs, args, 1, 1, "scans|passes|alerts|audit|inside")
	if err != nil {
		return err
	}
	if err := required(fs, "event", "out"); err != nil {
		return err
	}
	o := export.Options{Kind: pos[0], Format: *format,
		Filter: store.ExportFilter{Event: *event, Type: *typ, Status: *status, Zone: *zone, Gate: *gate}}
	if o.Filter.Since, err = export.ParseTime(*since); err != nil {
		return usagef("--since: %v", err)
	}
	if o.Filter.Until, err = export.ParseTime(*until); err != nil {
		return usagef("--until: %v", err)
	}
	if err := o.Check(); err != nil {
		return usagef("export: %v", err)
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	if _, err := a.event(ctx, *event); err != nil {
		return err
	}
	o.Progress = func(n int) {
		if n > 0 && n%export.ProgressEvery == 0 {
			a.infof("export: %d rows…", n)
		}
	}
	n, err := export.WriteFile(ctx, a.st, *out, o)
	if err != nil {
		return err
	}
	a.infof("exported %d %s rows of event %s to %s (%s)", n, o.Kind, *event, *out, o.Format)
	return nil
}
