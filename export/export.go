// Package export writes Laminate's records for people and spreadsheets
// (issue 14, item 4): the scans of an event (the door's decision beside
// the server's verdict), its passes, alerts, audit log and who is inside
// now, as CSV or JSON lines.
//
// Rows are written as the store reads them ([store.Exporter]): memory does
// not grow with the export, and an HTTP response starts at once. CSV is
// UTF-8 with a header row, and safe to open in a spreadsheet: a cell that
// starts with = + - @, a tab or a carriage return is prefixed with ' so
// that it is never read as a formula. The package knows nothing of HTTP
// or SQL.
package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/laminate/laminate/internal/atomicfile"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/store"
)

// Kinds of export.
const (
	Scans  = "scans"
	Passes = "passes"
	Alerts = "alerts"
	Audit  = "audit"
	Inside = "inside"
)

// Kinds lists the kinds of export.
var Kinds = []string{Scans, Passes, Alerts, Audit, Inside}

// Formats.
const (
	CSV   = "csv"
	JSONL = "jsonl"
)

// Source is what an export reads: the streaming reads of the store, and
// for "inside" the occupancy and the passes.
type Source interface {
	store.Exporter
	Inside(ctx context.Context, event string) (map[string][]pass.Serial, error)
	Pass(ctx context.Context, serial pass.Serial) (*store.Issued, error)
}

// Options are what to export and how.
type Options struct {
	Kind   string // one of Kinds
	Format string // CSV or JSONL; "": CSV
	Filter store.ExportFilter
	// Progress, if set, is called with the rows written so far every
	// ProgressEvery rows, and once at the end.
	Progress func(rows int)
	// Flush, if set, is called after every FlushEvery rows, once the rows
	// are handed to the writer (an HTTP response flushes there).
	Flush func()
}

// How often Progress and Flush are called.
const (
	ProgressEvery = 10000
	FlushEvery    = 500
)

// The filters each kind applies; the others are refused, so that a filter
// is never silently ignored.
var applies = map[string]string{
	Scans:  "since, until, status, zone, gate",
	Passes: "since, until, type, status",
	Alerts: "since, until, type, status, gate",
	Audit:  "since, until, type",
	Inside: "zone, type",
}

// Check checks o before anything is written: a known kind and format,
// an event, and only the filters that apply to the kind.
func (o *Options) Check() error {
	if _, ok := applies[o.Kind]; !ok {
		return fmt.Errorf("unknown export %q: use %s", o.Kind, strings.Join(Kinds, ", "))
	}
	if o.Format == "" {
		o.Format = CSV
	}
	if o.Format != CSV && o.Format != JSONL {
		return fmt.Errorf("unknown format %q: use csv or jsonl", o.Format)
	}
	f := o.Filter
	if f.Event == "" {
		return errors.New("an export needs an event")
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return errors.New("until must be after since")
	}
	for name, set := range map[string]bool{
		"since": !f.Since.IsZero(), "until": !f.Until.IsZero(), "type": f.Type != "", "status": f.Status != "",
		"zone": f.Zone != "", "gate": f.Gate != "",
	} {
		if set && !slices.Contains(strings.Split(applies[o.Kind], ", "), name) {
			return fmt.Errorf("the %s export has no %s filter (it has %s)", o.Kind, name, applies[o.Kind])
		}
	}
	for _, v := range []string{f.Type, f.Status, f.Zone, f.Gate} {
		if len(v) > 100 {
			return errors.New("a filter value is longer than 100 bytes")
		}
	}
	if o.Kind == Passes && f.Status != "" && f.Status != string(store.PassValid) && f.Status != string(store.PassRevoked) {
		return fmt.Errorf("a pass's status is %s or %s, not %q", string(store.PassValid), string(store.PassRevoked), f.Status)
	}
	return nil
}

// ParseTime reads a --since or --until value: RFC 3339.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-20T19:00:00Z", s)
	}
	return t, nil
}

// Write writes the export o of src to w and returns the rows written.
// On an error part of the export may have been written: a caller that
// writes a file writes it to a temporary file first (internal/atomicfile).
func Write(ctx context.Context, src Source, w io.Writer, o Options) (int, error) {
	if err := o.Check(); err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	var rw rowWriter
	if o.Format == JSONL {
		rw = &jsonWriter{w: bw}
	} else {
		rw = &csvWriter{w: csv.NewWriter(bw)}
	}
	n := 0
	emit := func(cols []string, vals []any) error {
		if n == 0 {
			if err := rw.header(cols); err != nil {
				return err
			}
		}
		if err := rw.row(cols, vals); err != nil {
			return err
		}
		n++
		if n%FlushEvery == 0 {
			if err := rw.flush(); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			if o.Flush != nil {
				o.Flush()
			}
		}
		if o.Progress != nil && n%ProgressEvery == 0 {
			o.Progress(n)
		}
		return ctx.Err()
	}
	cols := columns[o.Kind]
	var err error
	switch o.Kind {
	case Scans:
		err = src.EachScan(ctx, o.Filter, func(s *store.Scan) error { return emit(cols, scanRow(s)) })
	case Passes:
		err = src.EachPass(ctx, o.Filter, func(p *store.ExportedPass) error { return emit(cols, passRow(p)) })
	case Alerts:
		err = src.EachAlert(ctx, o.Filter, func(a *store.Alert) error { return emit(cols, alertRow(a)) })
	case Audit:
		err = src.EachAudit(ctx, o.Filter, func(e *store.AuditEntry) error { return emit(cols, auditRow(e)) })
	case Inside:
		err = eachInside(ctx, src, o.Filter, func(zone string, p *store.Issued) error { return emit(cols, insideRow(zone, p)) })
	}
	if err != nil {
		return n, err
	}
	if n == 0 { // a header row even for no rows
		if err := rw.header(cols); err != nil {
			return 0, err
		}
	}
	if err := rw.flush(); err != nil {
		return n, err
	}
	if err := bw.Flush(); err != nil {
		return n, err
	}
	if o.Flush != nil {
		o.Flush()
	}
	if o.Progress != nil {
		o.Progress(n)
	}
	return n, nil
}

// eachInside calls fn with every pass inside a zone now, by zone then
// serial. The occupancy is held in memory: it is as large as the crowd
// inside, not as the history.
func eachInside(ctx context.Context, src Source, f store.ExportFilter, fn func(zone string, p *store.Issued) error) error {
	in, err := src.Inside(ctx, f.Event)
	if err != nil {
		return err
	}
	for _, zone := range slices.Sorted(maps.Keys(in)) {
		if f.Zone != "" && zone != f.Zone {
			continue
		}
		serials := slices.Clone(in[zone])
		slices.Sort(serials)
		for _, serial := range serials {
			p, err := src.Pass(ctx, serial)
			if errors.Is(err, store.ErrNotFound) {
				p = &store.Issued{Pass: pass.Pass{Serial: serial, Event: f.Event}}
			} else if err != nil {
				return err
			}
			if f.Type != "" && string(p.Type) != f.Type {
				continue
			}
			if err := fn(zone, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// columns are the header of each kind; the row functions give the values
// in this order.
var columns = map[string][]string{
	Scans: {"scan_id", "at", "event", "gate", "zone", "direction", "serial", "decision", "code", "verdict",
		"source", "credential", "device_at", "resolution", "resolved_by", "resolved_at"},
	Passes: {"serial", "event", "type", "role", "name", "org", "valid_from", "valid_until", "issuer", "kid",
		"issued_at", "photo", "status", "revoked_at", "revoke_category"},
	Alerts: {"id", "event", "serial", "kind", "status", "at", "detected_at", "gate_a", "gate_b", "scan_a", "scan_b", "reason"},
	Audit:  {"id", "at", "actor", "action", "subject", "detail"},
	Inside: {"zone", "serial", "type", "name", "org", "role"},
}

func scanRow(s *store.Scan) []any {
	return []any{s.ID, s.At, s.Event, s.Gate, s.Zone, s.Direction, string(s.Serial), string(s.Decision), s.Code, s.Verdict,
		string(s.Source), s.Credential, s.DeviceAt, string(s.Resolution), s.ResolvedBy, s.ResolvedAt}
}

func passRow(p *store.ExportedPass) []any {
	status, revokedAt, cat := string(store.PassValid), time.Time{}, ""
	if p.Revoked != nil {
		status, revokedAt, cat = string(store.PassRevoked), p.Revoked.At, string(p.Revoked.Category)
	}
	return []any{string(p.Serial), p.Event, string(p.Type), p.Role, p.Name, p.Org, p.ValidFrom, p.ValidUntil, p.Issuer, p.KID,
		p.IssuedAt, p.Photo != "", status, revokedAt, cat}
}

func alertRow(a *store.Alert) []any {
	return []any{a.ID, a.Event, string(a.Serial), string(a.Kind), a.Status, a.At, a.Detected, a.Gates[0], a.Gates[1], a.Scans[0], a.Scans[1], a.Reason}
}

func auditRow(e *store.AuditEntry) []any {
	return []any{e.ID, e.At, e.Actor, e.Action, e.Subject, e.Detail}
}

func insideRow(zone string, p *store.Issued) []any {
	return []any{zone, string(p.Serial), string(p.Type), p.Name, p.Org, p.Role}
}

// rowWriter writes rows in one format.
type rowWriter interface {
	header(cols []string) error
	row(cols []string, vals []any) error
	flush() error
}

type csvWriter struct {
	w    *csv.Writer
	cell []string
}

func (c *csvWriter) header(cols []string) error { return c.w.Write(cols) }

func (c *csvWriter) row(_ []string, vals []any) error {
	c.cell = c.cell[:0]
	for _, v := range vals {
		c.cell = append(c.cell, SafeCell(text(v)))
	}
	return c.w.Write(c.cell)
}

func (c *csvWriter) flush() error { c.w.Flush(); return c.w.Error() }

// SafeCell is s as a CSV cell a spreadsheet never reads as a formula: a
// cell that starts with = + - @, a tab or a carriage return gets a
// leading ', and text that is not valid UTF-8 has the bad bytes replaced.
func SafeCell(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// text is a value as a CSV cell: times in RFC 3339 (UTC), zero times empty.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.UTC().Format(time.RFC3339Nano)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(v)
}

type jsonWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (j *jsonWriter) header([]string) error { return nil }

// row writes one JSON object, its keys in column order; a zero time is
// null.
func (j *jsonWriter) row(cols []string, vals []any) error {
	b := append(j.buf[:0], '{')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(cols[i])
		b = append(b, k...)
		b = append(b, ':')
		switch v := v.(type) {
		case time.Time:
			if v.IsZero() {
				b = append(b, "null"...)
				continue
			}
			b = strconv.AppendQuote(b, v.UTC().Format(time.RFC3339Nano))
		case string:
			s, err := json.Marshal(strings.ToValidUTF8(v, "\uFFFD"))
			if err != nil {
				return err
			}
			b = append(b, s...)
		default:
			s, err := json.Marshal(v)
			if err != nil {
				return err
			}
			b = append(b, s...)
		}
	}
	b = append(b, '}', '\n')
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

func (j *jsonWriter) flush() error { return nil }

// WriteFile writes the export to path (mode 0600: names, organisations
// and movements are personal data), which is replaced only once the whole
// export is written: on an error of the export the file is left as it
// was, and the error says so.
func WriteFile(ctx context.Context, src Source, path string, o Options) (int, error) {
	f, err := atomicfile.Create(path, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Abort()
	n, err := Write(ctx, src, f, o)
	if err != nil {
		return n, fmt.Errorf("export %s: %w (nothing written to %s)", o.Kind, err, path)
	}
	return n, f.Commit()
}
