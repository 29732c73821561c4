package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/laminate/laminate/guestlist"
	"github.com/laminate/laminate/internal/atomicfile"
	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/photo"
	"github.com/laminate/laminate/printing"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/server"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/verifier"
)

func cmdIssue(ctx context.Context, a *app, args []string) error {
	fs := a.flags("issue")
	eventID := fs.String("event", "", "event id")
	typ := fs.String("type", "", "pass type: AAA, VIP, AFTER_SHOW, WORKING, LOCAL_CREW, PHOTO, MEET_GREET, STAFF")
	name := fs.String("name", "", "holder's name as printed")
	org := fs.String("org", "", "organisation (optional)")
	role := fs.String("role", "", "role (required for STAFF: catering, security, publicist, merchandising, …)")
	var from, until pass.TimeFlag
	fs.Var(&from, "valid-from", "valid from (RFC 3339, or a local time such as 2027-03-05 18:00 in the event's time zone; default: from issuance)")
	fs.Var(&until, "valid-until", "valid until (RFC 3339, or a local time in the event's time zone; default: when the event's access closes)")
	csvFile := fs.String("csv", "", "guest list, CSV or XLSX (header: name,type[,org,role,valid_from,valid_until,photo,ref]); - for standard input")
	allowDups := fs.Bool("allow-duplicates", false, "with --csv: also issue the rows that repeat a pass already issued for the event (same type and name, or same ref) or an earlier row")
	photoFile := fs.String("photo", "", "holder's photo, JPEG or PNG (cropped to 3:4, metadata stripped, its hash signed into the pass)")
	photos := fs.String("photos", "", "folder or .zip of the photos a guest list's photo column names")
	asJSON := fs.Bool("json", false, "print one JSON object per pass")
	pdfOut := fs.String("pdf", "", "also print the new passes to this PDF (with --template)")
	pf := addPrintFlags(fs)
	if err := parseFlags(fs, args, "event"); err != nil {
		return err
	}
	if (*pdfOut == "") != (*pf.template == "") {
		return usagef("issue: --pdf and --template go together")
	}
	job := printing.Job{Format: record.FormatPDF, Duplex: *pf.duplex, CropMarks: *pf.cropMarks}
	if *pdfOut != "" {
		var err error
		if job.Template, err = loadTemplate(*pf.template); err != nil {
			return err
		}
	}
	single := *typ != "" || *name != ""
	if single == (*csvFile != "") {
		return usagef("issue: give either --type and --name (one pass) or --csv FILE (a guest list)")
	}
	if !single && (*org != "" || *role != "" || !from.IsZero() || !until.IsZero() || *photoFile != "") {
		return usagef("issue: --org, --role, --valid-from, --valid-until and --photo are for one pass; a guest list has columns for them")
	}
	if single && *photos != "" {
		return usagef("issue: --photos goes with --csv; one pass takes --photo FILE")
	}
	lib, err := fontLibrary(*pf.fonts)
	if err != nil {
		return err
	}
	printable := render.Printable{Fonts: lib}
	if err := a.open(ctx); err != nil {
		return err
	}
	ev, err := a.event(ctx, *eventID)
	if err != nil {
		return err
	}
	var reqs []signer.Request
	if single {
		if err := required(fs, "type", "name"); err != nil {
			return err
		}
		req, err := issue.Single(ev, *typ, *role, *name, *org, &from, &until)
		if err != nil {
			return err
		}
		reqs = []signer.Request{req}
		if *photoFile != "" {
			if reqs[0].Photo, err = readPhoto(*photoFile); err != nil {
				return err
			}
		}
	} else {
		if reqs, err = a.readGuestList(ctx, *csvFile, ev, printable, *allowDups); err != nil {
			return err
		}
		if len(reqs) == 0 {
			return nil
		}
		if err := loadGuestPhotos(reqs, *csvFile, *photos); err != nil {
			return err
		}
	}
	sg, err := a.signer()
	if err != nil {
		return err
	}
	var progress func(int, int)
	if len(reqs) > 1 {
		progress = a.progress("signing")
	}
	// With --pdf the sheet is drawn before anything is stored: a pass that
	// cannot be printed stores nothing.
	var pdf []byte
	var check func([]store.Issued) error
	if job.Template != nil {
		job.Fonts = lib
		check = func(issued []store.Issued) (err error) {
			pdf, err = a.renderPDF(ctx, ev, job, issued)
			return err
		}
	}
	opt := issue.Options{Progress: progress, Check: check}
	if single { // a guest list's names were checked for print when it was read
		opt.Printable = printable
	}
	issued, err := issue.Batch(ctx, sg, a.st, ev, reqs, a.actor(), opt)
	if err != nil {
		return fmt.Errorf("nothing issued: %w", err)
	}
	for i := range issued {
		p := &issued[i]
		if *asJSON {
			if err := a.jsonLine(server.Issued(p)); err != nil {
				return err
			}
			continue
		}
		if single {
			a.printf("serial  %s\ntype    %s\nname    %s\ntoken   %s\n", p.Serial, p.Type, p.Name, p.Token)
			continue
		}
		a.printf("%s\t%s\t%s\t%s\n", p.Serial, p.Type, p.Name, p.Token)
	}
	if !single {
		a.infof("issued %s for %s", printing.Count(len(issued), "pass", "passes"), ev.ID)
	}
	if pdf != nil {
		if err := atomicfile.WriteFile(*pdfOut, pdf, 0o644); err != nil {
			return withHint(fmt.Errorf("passes issued and stored, but the PDF could not be written: %w", err),
				"print them with \"laminate render --event %s --all --template %s --out FILE.pdf\"", ev.ID, *pf.template)
		}
		if err := printing.Log(ctx, a.st, issued, job, a.actor(), time.Now()); err != nil {
			return fmt.Errorf("passes issued and printed, but the print log could not be written: %w", err)
		}
		a.infof("wrote %s: %s (%s)", *pdfOut, job.Summary(len(issued), len(pdf)), job.Template.Name)
	}
	return nil
}

// readGuestList reads a guest list (CSV or XLSX, "-" for standard input)
// and checks it against the passes already issued for ev: every error is
// reported and nothing issued; the rows that repeat a pass or an earlier
// row are issued only with allowDups. It says what it found ("9 already
// issued, 0 new") and returns the requests to issue.
func (a *app) readGuestList(ctx context.Context, path string, ev *pass.Event, chk signer.TextChecker, allowDups bool) ([]signer.Request, error) {
	r, path, err := guestlist.Open(path, a.stdin)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	reqs, lines, err := guestlist.Load(ctx, r, path, ev, chk, a.st, allowDups)
	for _, l := range lines {
		a.infof("%s", l)
	}
	if err != nil {
		return nil, fmt.Errorf("nothing issued: %w", err)
	}
	return reqs, nil
}

// readPhoto reads and prepares the photo of one pass (--photo FILE).
func readPhoto(path string) ([]byte, error) {
	b, err := photo.ReadFile(path)
	var fe *photo.FileError
	if errors.As(err, &fe) {
		return nil, withHint(fmt.Errorf("nothing issued: %w", err), "a photo is a JPEG or PNG of at most %d MiB", photo.MaxBytes>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("nothing issued: %w", err)
	}
	return b, nil
}

// loadGuestPhotos reads the photos a guest list's photo column names from
// the folder or ZIP dir (--photos).
func loadGuestPhotos(reqs []signer.Request, csvPath, dir string) error {
	var load func(string) ([]byte, error)
	if dir != "" {
		src, err := photo.Open(dir)
		if err != nil {
			return fmt.Errorf("nothing issued: %w", err)
		}
		defer src.Close()
		load = photo.Loader(src)
	}
	if err := signer.LoadPhotos(reqs, load); err != nil {
		if csvPath == "-" {
			csvPath = "standard input"
		}
		err = fmt.Errorf("nothing issued: %s: %w", csvPath, err)
		if dir == "" {
			return withHint(err, "give the folder or .zip that holds them with --photos")
		}
		return err
	}
	return nil
}

func cmdRevoke(ctx context.Context, a *app, args []string) error {
	fs := a.flags("revoke")
	reason := fs.String("reason", "", "lost, stolen, replaced, misuse or other (shown at the door and on /verify)")
	note := fs.String("note", "", "free text for staff: the audit log, passes show, the admin API (never shown at a door)")
	pos, err := parseArgs(fs, args, 1, 1, "SERIAL")
	if err != nil {
		return err
	}
	if strings.TrimSpace(*reason) == "" {
		return usagef("revoke: --reason is required: lost, stolen, replaced, misuse or other (e.g. --reason lost --note 'at load-in')")
	}
	cat, text, legacy, err := pass.ParseRevokeReason(*reason, *note)
	if err != nil {
		return withHint(fmt.Errorf("revoke: %w", err), "--reason is one of lost, stolen, replaced, misuse, other; free text goes in --note")
	}
	serial, err := pass.ParseSerial(pos[0])
	if err != nil {
		return withHint(fmt.Errorf("%q: %w", pos[0], err), "serials are printed under the QR code as XXXX-XXXX")
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	r := &store.Revocation{Serial: serial, Category: cat, Note: text, By: a.actor(), At: time.Now().UTC()}
	err = a.st.Revoke(ctx, r)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no pass %s", serial)
	case errors.Is(err, store.ErrAlreadyRevoked):
		return store.AlreadyRevokedError(ctx, a.st, serial, err)
	case err != nil:
		return err
	}
	if legacy { // the free-text --reason of before categories
		a.infof("note: %q is not a reason category: revoked as other, with it as the staff note (doors and /verify show \"other\"; use --reason lost|stolen|replaced|misuse|other --note TEXT)", text)
	}
	a.printf("revoked %s (%s)\n", serial, r.Text())
	return nil
}

func cmdVerify(ctx context.Context, a *app, args []string) error {
	fs := a.flags("verify")
	zone := fs.String("zone", "", "also decide access to this zone")
	var atFlag pass.TimeFlag
	fs.Var(&atFlag, "at", "decide at this time (RFC 3339; default now)")
	eventID := fs.String("event", "", "this door's event: a pass for another event is wrong_event")
	asJSON := fs.Bool("json", false, "print the verdict as JSON")
	offline := fs.String("offline", "", "decide from this offline bundle alone, with no database (laminate bundle export)")
	keysFile := fs.String("keys", "", "with --offline: check the bundle with the keys of this JWKS file instead of the data folder's keyring")
	pos, err := parseArgs(fs, args, 1, 1, "TOKEN (or - for standard input)")
	if err != nil {
		return err
	}
	tok := pos[0]
	if tok == "-" {
		if tok, err = verifier.ReadToken(a.stdin); err != nil {
			return err
		}
	}
	at, err := absTime(&atFlag, "at")
	if err != nil {
		return err
	}
	if at.IsZero() {
		at = time.Now()
	}
	var zp *pass.Zone
	if *zone != "" {
		z, err := pass.ParseZone(*zone)
		if err != nil {
			return usagef("verify: %v", err)
		}
		zp = &z
	}
	if *offline != "" {
		return a.verifyOffline(*offline, *keysFile, *eventID, tok, zp, at, *asJSON)
	}
	if *keysFile != "" {
		return usagef("verify: --keys goes with --offline FILE")
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	vd, loc, err := a.n.Verify(ctx, tok, *eventID, zp, at)
	if err != nil {
		return err
	}
	a.loc = loc
	var out any
	if *asJSON {
		out = vd
	}
	return a.reportVerdict(&vd, out, "")
}

// reportVerdict prints a verdict: the JSON of out when it is set, else as
// text followed by extra. A pass that is not valid (or not allowed) exits 1.
func (a *app) reportVerdict(vd *verifier.Verdict, out any, extra string) error {
	if out != nil {
		if err := a.jsonLine(out); err != nil {
			return err
		}
	} else {
		vd.WriteText(a.stdout, a.loc)
		a.printf("%s", extra)
	}
	ok := vd.Valid() && (vd.Allowed == nil || *vd.Allowed)
	if vd.Err != nil {
		// The operator's own machine: the technical detail helps, and it is
		// never shown to the public.
		a.infof("detail: %s", oneLine(vd.Err.Error()))
	}
	if !ok {
		return &exitError{code: exitFail}
	}
	return nil
}

func cmdPasses(ctx context.Context, a *app, args []string) error {
	sub, fs, args := a.sub("passes", args)
	switch sub {
	case "list":
		eventID := fs.String("event", "", "only this event's passes")
		asJSON := fs.Bool("json", false, "one JSON object per pass")
		if err := a.openFlags(ctx, fs, args); err != nil {
			return err
		}
		if *eventID != "" {
			if _, err := a.event(ctx, *eventID); err != nil {
				return err
			}
		}
		ps, err := a.st.Passes(ctx, store.PassFilter{Event: *eventID})
		if err != nil {
			return err
		}
		rows, err := store.PassRows(ctx, a.st, ps)
		if err != nil {
			return err
		} else if !*asJSON {
			a.table(store.PassHeader, rows)
			return nil
		}
		for _, p := range ps {
			if err := a.jsonLine(server.Issued(p)); err != nil {
				return err
			}
		}
		return nil
	case "show":
		pos, err := parseArgs(fs, args, 1, 1, "SERIAL")
		if err != nil {
			return err
		}
		serial, err := pass.ParseSerial(pos[0])
		if err != nil {
			return fmt.Errorf("%q: %w", pos[0], err)
		}
		if err := a.open(ctx); err != nil {
			return err
		}
		if err := store.ShowPass(ctx, a.st, serial, a.stdout); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return fmt.Errorf("no pass %s", serial)
	}
	return subcommandError("passes", sub)
}
