package verifier

import (
	"github.com/laminate/laminate/pass"

	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes the verdict as "laminate verify" prints it: the status
// and message, the pass when it is authentic, and the zone decision when
// Access made one. Times are shown in loc, the event's time zone (nil:
// UTC), with the offset.
func (vd *Verdict) WriteText(w io.Writer, loc *time.Location) {
	fmt.Fprintf(w, "%s: %s\n", strings.ToUpper(string(vd.Status)), vd.Message)
	if vd.Authentic {
		fmt.Fprintf(w, "serial     %s\ntype       %s\n", vd.Serial, vd.Type)
		if vd.Role != "" {
			fmt.Fprintf(w, "role       %s\n", vd.Role)
		}
		fmt.Fprintf(w, "name       %s\n", vd.Name)
		if vd.Org != "" {
			fmt.Fprintf(w, "org        %s\n", vd.Org)
		}
		fmt.Fprintf(w, "event      %s\nexpires    %s\n", vd.Event, pass.FormatTime(vd.ExpiresAt, loc))
	}
	if vd.Allowed != nil {
		word := "DENY"
		if *vd.Allowed {
			word = "ADMIT"
		}
		fmt.Fprintf(w, "%s %s: %s (%s)\n", word, vd.Zone, vd.Reason, vd.Code)
	}
}

// BundleInfo is what "laminate verify --offline" says of the bundle it
// decided from (its JSON is the "bundle" field of --json).
type BundleInfo struct {
	Event      string    `json:"event"`
	Seq        int64     `json:"revocation_seq"`
	IssuedAt   time.Time `json:"issued_at"`
	FreshUntil time.Time `json:"fresh_until"`
	AgeSeconds int64     `json:"age_seconds"`
	KID        string    `json:"kid"`
	age        time.Duration
	loc        *time.Location
}

// Info describes the bundle as of at.
func (b *Bundle) Info(at time.Time) BundleInfo {
	return BundleInfo{Event: b.Event.ID, Seq: b.Revocations.Seq, IssuedAt: b.Issued(), FreshUntil: b.Expires(),
		AgeSeconds: int64(b.Age(at) / time.Second), KID: b.KID(), age: b.Age(at), loc: b.Event.Location()}
}

// Line is the bundle as one line of text, for people.
func (i BundleInfo) Line() string {
	return fmt.Sprintf("bundle     %s, revocation list %d, made %s (%s old), fresh until %s\n", i.Event, i.Seq,
		pass.FormatTime(i.IssuedAt, i.loc), humanAge(i.age), pass.FormatTime(i.FreshUntil, i.loc))
}

// humanAge prints how old a bundle is as a door supervisor reads it: 45s,
// 3h12m, 2d4h.
func humanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	d = d.Round(time.Hour)
	return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}
