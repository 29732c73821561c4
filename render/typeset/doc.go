// Package typeset finds fonts for every script, shapes text with
// go-text/typesetting (a Go port of HarfBuzz) and lays it out in boxes:
// what a printed pass needs to show a name in any script, and what issuing
// needs to refuse a name that no font here can print. It knows nothing of
// PDF: [Block] holds positioned glyphs that package render draws as
// outlines, and the logical text that it keeps findable.
//
// # Fonts
//
// The Go fonts (Latin, Greek, Cyrillic) are embedded, so those scripts
// print on any machine. Every other script comes from Noto font files found
// in the folders given to [New] and then the system font folders
// ([SystemDirs]): NotoSans<Script>-Bold.ttf or -Regular.ttf, and
// NotoSansCJK-*.ttc for Chinese, Japanese and Korean. [Package] names the
// Debian package that ships a script's font.
//
// # Runs
//
// Text is split into runs of one direction, script and font (Unicode
// bidi, UAX #24 scripts, then the first font that has the character), each
// shaped on its own with the text around it as context. Text made only of
// Latin, Greek or Cyrillic letters, digits and punctuation that the Go
// fonts hold, with no combining marks, is not shaped: it is laid out with
// the fonts' advances, exactly as gofpdf prints it (a [Run] with
// [Face.Embedded] set), which keeps the common case as fast as before.
//
// # Refusal
//
// A character that no font prints is a [*MissingError] naming it and the
// package to install; a glyph 0 (.notdef, the empty box) never reaches a
// [Block]. Text that does not fit a box at its smallest allowed size is a
// [*TooLongError] giving the longest length that fits.
package typeset
