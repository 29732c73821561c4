package record

import (
	"fmt"
	"io"
	"time"
)

// WriteText writes the pass as "laminate passes show" prints it: what it
// says, when and with which key it was issued, its revocation (rev, nil
// when it is not revoked) and its token.
func (p *Issued) WriteText(w io.Writer, rev *Revocation) {
	fmt.Fprintf(w, "serial      %s\nevent       %s\ntype        %s\n", p.Serial, p.Event, p.Type)
	if p.Role != "" {
		fmt.Fprintf(w, "role        %s\n", p.Role)
	}
	fmt.Fprintf(w, "name        %s\n", p.Name)
	if p.Org != "" {
		fmt.Fprintf(w, "org         %s\n", p.Org)
	}
	if !p.ValidFrom.IsZero() {
		fmt.Fprintf(w, "valid from  %s\n", p.ValidFrom.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "valid until %s\nissued      %s\nkey         %s\n", p.ValidUntil.Format(time.RFC3339), p.IssuedAt.Format(time.RFC3339), p.KID)
	if rev != nil {
		fmt.Fprintf(w, "REVOKED     %s by %s: %s\n", rev.At.Format(time.RFC3339), rev.By, rev.Text())
	}
	fmt.Fprintf(w, "token       %s\n", p.Token)
}
