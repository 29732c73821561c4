// Package render draws passes for print: vector QR codes (skip2/go-qrcode),
// the unique serial artwork ([NewArtwork]) and PDF sheets (gofpdf) laid out
// by a [templates.Template].
//
// # QR codes
//
// A pass's QR code holds its token in the numeric transport form (two
// digits per character, see [pass.EncodeNumeric]): QR numeric mode packs it
// smaller than byte mode, and keyboard-wedge scanners type digits the same
// on every keyboard layout. Error correction is level M: field reports say
// larger modules at M survive a crumpled lanyard better than smaller modules
// at Q or H, and with a fixed printed size a lower level means larger
// modules. Each code is one PDF path (one rectangle per horizontal run of
// dark modules, one fill), dark on white, with its 4-module quiet zone kept
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
