package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"

	"github.com/rogpeppe/go-internal/testscript"
)

func pngChunk(b *bytes.Buffer, typ string, body []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(body)))
	b.WriteString(typ)
	b.Write(body)
	binary.Write(b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), body...)))
}

func mkimageCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mkimage FILE png|jpeg|bomb|big")
	}
	img := image.NewNRGBA(image.Rect(0, 0, 300, 120))
	for y := range 120 {
		for x := range 300 {
			a := uint8(255)
			if x < 150 {
				a = 0
			}
			img.SetNRGBA(x, y, color.NRGBA{200, 16, 46, a})
		}
	}
	var enc bytes.Buffer
	ts.Check(png.Encode(&enc, img))
	withText := func(p []byte) []byte { // a tEXt chunk after IHDR
		var b bytes.Buffer
		b.Write(p[:33])
		pngChunk(&b, "tEXt", []byte("GPS\x0051.5072,-0.1276"))
		b.Write(p[33:])
		return b.Bytes()
	}
	var out []byte
	switch args[1] {
	case "png":
		out = withText(enc.Bytes())
	case "jpeg":
		var j bytes.Buffer
		ts.Check(jpeg.Encode(&j, img, nil))
		exif := []byte("Exif\x00\x00GPSLatitude 51.5072")
		seg := []byte{0xff, 0xe1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}
		out = append(append(append([]byte{0xff, 0xd8}, seg...), exif...), j.Bytes()[2:]...)
	case "bomb":
		var b bytes.Buffer
		b.WriteString("\x89PNG\r\n\x1a\n")
		ihdr := make([]byte, 13)
		binary.BigEndian.PutUint32(ihdr, 60000)
		binary.BigEndian.PutUint32(ihdr[4:], 60000)
		ihdr[8], ihdr[9] = 8, 6
		pngChunk(&b, "IHDR", ihdr)
		pngChunk(&b, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
		pngChunk(&b, "IEND", nil)
		out = b.Bytes()
	case "big":
		p := enc.Bytes()
		var b bytes.Buffer
		b.Write(p[:33])
		pngChunk(&b, "zTXt", make([]byte, 1<<20))
		b.Write(p[33:])
		out = b.Bytes()
	default:
		ts.Fatalf("mkimage: unknown kind %q", args[1])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o600))
}
