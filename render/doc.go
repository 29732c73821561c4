// Package render will draw passes: vector QR codes (go-qrcode), the unique
// serial artwork and PDF sheets (gofpdf). Not built yet: it is issue 3.
package render
