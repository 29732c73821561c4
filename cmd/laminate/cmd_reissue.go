package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/render"
	"github.com/laminate/laminate/server"
)

// cmdReissue is "laminate reissue SERIAL": a new pass in place of a lost
// or damaged one, or with a new name or photo (issue 13). package issue
// does the work, as for POST /v1/passes/{serial}/reissue.
func cmdReissue(ctx context.Context, a *app, args []string) error {
	fs := a.flags("reissue")
	reason := fs.String("reason", "", "lost, damaged, name_change or new_photo (default: name_change with --name, new_photo with --photo)")
	name := fs.String("name", "", "the holder's new name (default: unchanged)")
	photoFile := fs.String("photo", "", "a new photo of the holder, JPEG or PNG (default: the old pass's photo)")
	note := fs.String("note", "", "free text for staff: the audit log and the old pass's record")
	asJSON := fs.Bool("json", false, "print the new pass as JSON")
	fonts := fs.String("fonts", "", "folder of extra fonts (Noto) for a new name beyond Latin, Greek and Cyrillic")
	pos, err := parseArgs(fs, args, 1, 1, "SERIAL")
	if err != nil {
		return err
	}
	serial, err := pass.ParseSerial(pos[0])
	if err != nil {
		return withHint(fmt.Errorf("%q: %w", pos[0], err), "serials are printed under the QR code as XXXX-XXXX")
	}
	req := issue.ReissueRequest{Serial: serial, Name: *name, Note: *note, At: time.Now().UTC(), By: a.actor()}
	if req.Reason, err = pass.ParseReissueReason(*reason); err != nil {
		return usagef("reissue: --reason: %v", err)
	}
	if *photoFile != "" {
		if req.Photo, err = readPhoto(*photoFile); err != nil {
			return err
		}
	}
	lib, err := fontLibrary(*fonts)
	if err != nil {
		return err
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	sg, err := a.signer()
	if err != nil {
		return err
	}
	out, err := issue.Reissue(ctx, sg, a.st, req, issue.Options{Printable: render.Printable{Fonts: lib}})
	var re *issue.ReissueError
	if errors.As(err, &re) && re.Code == issue.ReissueBadRequest && req.Reason == "" && *name == "" && *photoFile == "" {
		return withHint(fmt.Errorf("nothing issued: %s", re.Message), "e.g. laminate reissue %s --reason lost --note 'left on the bus'", serial)
	}
	if err != nil {
		return fmt.Errorf("nothing issued: %w", err)
	}
	n := &out.New
	if *asJSON {
		return a.jsonLine(server.ReissueResponse{IssueResponse: server.Issued(n), Replaces: out.Old.Serial,
			Reason: out.Reason, SupersededAt: out.Revocation.At, Seq: out.Revocation.Seq})
	}
	a.printf("serial  %s\ntype    %s\nname    %s\ntoken   %s\n", n.Serial, n.Type, n.Name, n.Token)
	a.infof("reissued %s as %s (%s): %s is superseded, doors turn it away and send the holder to the desk", out.Old.Serial, n.Serial, out.Reason, out.Old.Serial)
	a.infof("print it with: laminate render --event %s --serial %s --template TEMPLATE --out FILE.pdf", n.Event, n.Serial)
	return nil
}
