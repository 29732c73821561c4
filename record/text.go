package record

import (
	"fmt"
	"io"
	"time"

	"github.com/laminate/laminate/pass"
)

// WriteText writes the pass as "laminate passes show" prints it: what it
// says, when and with which key it was issued, its revocation (rev, nil
// when it is not revoked) and its token. Times are shown in loc, the
// event's own time zone (nil: UTC), with the offset.
func (p *Issued) WriteText(w io.Writer, rev *Revocation, loc *time.Location) {
	fmt.Fprintf(w, "serial      %s\nevent       %s\ntype        %s\n", p.Serial, p.Event, p.Type)
	if p.Role != "" {
		fmt.Fprintf(w, "role        %s\n", p.Role)
	}
	fmt.Fprintf(w, "name        %s\n", p.Name)
	if p.Org != "" {
		fmt.Fprintf(w, "org         %s\n", p.Org)
	}
	if !p.ValidFrom.IsZero() {
		fmt.Fprintf(w, "valid from  %s\n", pass.FormatTime(p.ValidFrom, loc))
	}
	fmt.Fprintf(w, "valid until %s\nissued      %s\nkey         %s\n", pass.FormatTime(p.ValidUntil, loc), pass.FormatTime(p.IssuedAt, loc), p.KID)
	if p.Ref != "" {
		fmt.Fprintf(w, "ref         %s\n", p.Ref)
	}
	switch {
	case rev != nil && rev.Superseded():
		fmt.Fprintf(w, "SUPERSEDED  %s by %s: replaced by %s\n", pass.FormatTime(rev.At, loc), rev.By, rev.SupersededBy)
	case rev != nil:
		fmt.Fprintf(w, "REVOKED     %s by %s: %s\n", pass.FormatTime(rev.At, loc), rev.By, rev.Text())
	}
	fmt.Fprintf(w, "token       %s\n", p.Token)
}
