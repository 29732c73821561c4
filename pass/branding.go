package pass

import (
	"fmt"
	"regexp"
	"strings"
)

// Branding is how an event's passes look in print: a tour or artist line,
// a short name for stickers, an accent colour, the production office's
// contact (printed on the back) and a logo. It is printed, never signed,
// and never sent to doors: an offline bundle carries [Event] without it
// (the field is not in Event's JSON), so a logo never swells a bundle.
type Branding struct {
	Tour    string `json:"tour,omitempty"`    // tour or artist line, e.g. "Aurora — World Tour 2026"
	Short   string `json:"short,omitempty"`   // the event's short name on stickers, e.g. "LDN 12 JUN"
	Accent  string `json:"accent,omitempty"`  // "#rrggbb", lower case
	Contact string `json:"contact,omitempty"` // how to reach the production office
	// Logo is a sanitised logo as render/logo.Sanitize returns it: a PNG
	// or JPEG re-encoded from decoded pixels, or Laminate's own SVG subset
	// written from parsed shapes. Never the bytes a user gave.
	Logo []byte `json:"logo,omitempty"`
}

// Limits on branding, so that it prints and the store stays small.
const (
	MaxTourLen    = 80
	MaxShortLen   = 24
	MaxContactLen = 120
	// MaxLogoBytes caps a sanitised logo as stored (every node prints
	// from the store's copy).
	MaxLogoBytes = 256 << 10
)

var accentRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// ParseAccent checks an accent colour and returns it in lower case ("" is
// no accent).
func ParseAccent(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if !accentRE.MatchString(s) {
		return "", fmt.Errorf("accent colour %q: want a hex colour #rrggbb, such as #c8102e", s)
	}
	return strings.ToLower(s), nil
}

// Validate checks the branding's text with the rules of every printed text
// ([CheckText]), the accent colour and the logo's size.
func (b *Branding) Validate() error {
	for _, f := range []struct {
		what string
		s    string
		max  int
	}{{"tour line", b.Tour, MaxTourLen}, {"short name", b.Short, MaxShortLen}, {"contact line", b.Contact, MaxContactLen}} {
		if err := CheckText(f.what, f.s, f.max, false); err != nil {
			return err
		}
	}
	acc, err := ParseAccent(b.Accent)
	if err != nil {
		return err
	}
	b.Accent = acc
	if len(b.Logo) > MaxLogoBytes {
		return fmt.Errorf("logo: %d bytes stored, more than %d KiB: set it again with a smaller logo", len(b.Logo), MaxLogoBytes>>10)
	}
	return nil
}

// IsZero reports whether b sets nothing.
func (b *Branding) IsZero() bool {
	return b == nil || b.Tour == "" && b.Short == "" && b.Accent == "" && b.Contact == "" && len(b.Logo) == 0
}

// BrandingChange is a change to an event's branding, as "event update"
// and PUT /v1/events/{id}/branding give it: each field that is set
// replaces the old value.
type BrandingChange struct {
	Tour, Short, Accent, Contact *string
	// Logo, when set, is a sanitised logo (render/logo.Sanitize) to print.
	Logo []byte
	// NoLogo removes the logo.
	NoLogo bool
}

// Merge returns old (nil: no branding) changed by c, not yet validated.
func (c BrandingChange) Merge(old *Branding) Branding {
	var b Branding
	if old != nil {
		b = *old
	}
	for _, f := range []struct{ src, dst *string }{{c.Tour, &b.Tour}, {c.Short, &b.Short}, {c.Accent, &b.Accent}, {c.Contact, &b.Contact}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if c.NoLogo {
		b.Logo = nil
	}
	if c.Logo != nil {
		b.Logo = c.Logo
	}
	return b
}
