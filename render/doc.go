// Package render draws passes for print: vector QR codes (skip2/go-qrcode),
// the unique serial artwork ([NewArtwork]) and PDF sheets (gofpdf) laid out
// by a [templates.Template].
//
// # QR codes
//
// A pass's QR code holds its token in the compact transport form (see
// [pass.EncodeCompact]: the header implied by the key ID, the claims in
// binary, the signature; about 270 digits, version 7 or 8 at level M for a
// typical pass), or in the numeric form (two digits per character, see
// [pass.EncodeNumeric]) for a token the compact form cannot rebuild. Both
// are digits: QR numeric mode packs them smallest, and keyboard-wedge
// scanners type digits the same on every keyboard layout. The code is
// drawn as large as the template's box allows, so fewer modules mean
// larger ones. The error-correction level is the template's qr_level, chosen
// per template from the wear suite (wear_test.go): with a fixed printed
// size a higher level means smaller modules, which strong blur punishes,
// while creases and stains need the redundancy. Each code is one PDF path
// (one rectangle per horizontal run of dark modules, one fill), dark on
// white, with its 4-module quiet zone kept
// white. A template states the smallest module it prints crisply; a pass
// whose code would be smaller is refused with an error naming it.
//
// # Artwork
//
// Every pass carries artwork derived from an HMAC of its serial under the
// data folder's secret: nobody without the secret can draw the right
// pattern for a made-up serial, and the door scanner shows the same artwork
// on screen to compare with the printed pass.
package render
