// Package signer turns passes into signed tokens: compact JWS (RFC 7515)
// with the short claims of [pass.Claims], signed with the keyring's active
// key (EdDSA by default, ES256 on request).
//
// # Security model
//
// The signer holds a decrypted private key only for as long as the process
// runs; it never writes one. A pass's protected header carries exactly
// "alg" and "kid": nothing a verifier could be tempted to trust. Documents
// of other kinds ([Signer.SignDocument]) add a "typ" naming their kind. A
// token's serial is drawn from crypto/rand and is unique in the store;
// revocation is by serial, never by token bytes (ECDSA signatures are
// malleable).
//
// # Guest lists
//
// [ParseGuestList] reads a CSV guest list into requests, naming the line
// and column of a bad cell. Signing a batch and storing it whole, with
// fresh serials on a collision, is package issue's: the signer signs and
// never stores.
package signer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
)

// Signer signs passes with one key.
type Signer struct {
	js     jose.Signer
	kid    string
	issuer string

	// Rand is the source of serial numbers (crypto/rand when nil).
	Rand io.Reader
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// New returns a signer over js, which must put the key ID kid in the
// protected header (keys.Keyring.Signer does). issuer goes in the "iss"
// claim; keep it short, every byte is printed in the QR code.
func New(js jose.Signer, kid, issuer string) *Signer {
	return &Signer{js: js, kid: kid, issuer: issuer}
}

// KID is the key ID of the signing key.
func (s *Signer) KID() string { return s.kid }

func (s *Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Issuer is the issuer code this signer puts in "iss".
func (s *Signer) Issuer() string { return s.issuer }

// Sign returns the compact JWS of p, after checking every field of p. Its
// header is {"alg","kid"}: a pass has no "typ" (passes printed before
// documents were typed have none either).
func (s *Signer) Sign(p *pass.Pass) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	return sign(s.js, p.Claims())
}

// SignDocument signs a JSON document that is not a pass (an offline
// bundle, a revocation list) with the pass key, with typ in its protected
// header: one key signs every kind of document, and the header's type is
// what keeps a parser from taking one kind for another (RFC 8725 §3.11).
// The signer must come from keys.Keyring.Signer.
func (s *Signer) SignDocument(typ string, v any) (string, error) {
	ts, ok := s.js.(interface {
		WithType(typ string) (jose.Signer, error)
	})
	if !ok {
		return "", errors.New("signer: this key cannot sign typed documents (want a signer from keys.Keyring.Signer)")
	}
	js, err := ts.WithType(typ)
	if err != nil {
		return "", fmt.Errorf("signer: %w", err)
	}
	return sign(js, v)
}

func sign(js jose.Signer, v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "&" stays one byte, not six: the QR is the budget
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	jws, err := js.Sign(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	if err != nil {
		return "", fmt.Errorf("signer: %w", err)
	}
	return jws.CompactSerialize()
}

// Request asks for one pass. Zero ValidUntil means until the event's access
// closes; zero ValidFrom means from issuance.
type Request struct {
	Type       pass.Type
	Role       string
	Name       string
	Org        string
	ValidFrom  time.Time
	ValidUntil time.Time
	// Photo is the holder's photo as photo.Process made it (a JPEG), or
	// nil: the pass signs its hash and the store keeps it.
	Photo []byte
	// PhotoFile is the guest list's photo cell: the name of a file that
	// [LoadPhotos] turns into Photo.
	PhotoFile string
	// PhotoCol is the guest list's photo column (1-based), for errors.
	PhotoCol int
	// Ref is the guest list's external reference (its ref column): stored
	// with the pass, never signed, so a list uploaded again is matched.
	Ref string

	// Line is the guest-list line the request came from (0: none), so that
	// an error found while signing still names it.
	Line int
}

// RequestError is a request the signer refuses: a field the pass cannot
// have, or a pass that would already be expired. Its text is for the
// person who made the request. Any other error of [Signer.Issue] (and of
// issuing a batch) is the machine's or the store's, and its text is not
// theirs to see.
type RequestError struct{ Err error }

func (e *RequestError) Error() string { return e.Err.Error() }
func (e *RequestError) Unwrap() error { return e.Err }

// Issue signs one pass for ev with a fresh serial. It does not store it.
// A request it refuses gives a [*RequestError].
func (s *Signer) Issue(ev *pass.Event, r Request) (record.Issued, error) {
	serial, err := pass.NewSerial(s.Rand)
	if err != nil {
		return record.Issued{}, err
	}
	until := r.ValidUntil
	if until.IsZero() {
		until = ev.Schedule.AccessUntil
	}
	now := s.now().UTC().Truncate(time.Second)
	p := pass.Pass{
		Serial: serial, Event: ev.ID, Type: r.Type, Role: r.Role, Name: r.Name, Org: r.Org,
		ValidFrom: r.ValidFrom.UTC().Truncate(time.Second), ValidUntil: until.UTC().Truncate(time.Second),
		Issuer: s.issuer,
	}
	if r.Photo != nil {
		p.Photo = pass.PhotoHash(r.Photo)
	}
	if r.ValidFrom.IsZero() {
		p.ValidFrom = time.Time{}
	}
	if !p.ValidUntil.After(now) {
		return record.Issued{}, &RequestError{fmt.Errorf("pass would already be expired (valid until %s)", p.ValidUntil.Format(time.RFC3339))}
	}
	if err := p.Validate(); err != nil {
		return record.Issued{}, &RequestError{err}
	}
	tok, err := s.Sign(&p)
	if err != nil {
		return record.Issued{}, err
	}
	return record.Issued{Pass: p, Token: tok, KID: s.kid, IssuedAt: now, PhotoJPEG: r.Photo, Ref: r.Ref}, nil
}

// TextChecker says whether text can be printed on a pass: that some font
// prints every character, and that a name fits a template readably.
// Package render's Printable is one; signer knows no fonts.
type TextChecker interface {
	// CheckPrintable checks text s of field "name" or "org"; its error
	// starts with the field's name.
	CheckPrintable(field, s string) error
}

// printError is a field a [TextChecker] refused.
type printError struct {
	field string
	err   error
}

func (e *printError) Error() string { return e.err.Error() }
func (e *printError) Unwrap() error { return e.err }

// checkPrintable asks chk about the name and the org of r.
func checkPrintable(chk TextChecker, r *Request) *printError {
	if chk == nil {
		return nil
	}
	for _, f := range [...]struct{ field, s string }{{"name", r.Name}, {"org", r.Org}} {
		if f.s == "" {
			continue
		}
		if err := chk.CheckPrintable(f.field, f.s); err != nil {
			return &printError{f.field, err}
		}
	}
	return nil
}

// CheckPrintable asks chk (nil: no check) whether the name and org of r
// can be printed; the error starts with the field's name.
func CheckPrintable(chk TextChecker, r *Request) error {
	if err := checkPrintable(chk, r); err != nil {
		return err
	}
	return nil
}
