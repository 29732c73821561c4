package guestlist

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// bombXLSX is a real workbook (header "name", "type"; row "Ann", "AAA",
// every cell a shared string) whose xl/sharedStrings.xml is padded to
// about size bytes of <si><t>a</t></si>: small packed, large unzipped.
func bombXLSX(t *testing.T, size int) []byte {
	t.Helper()
	src := xlsxBytes(t, [][]any{{"name", "type"}, {"Ann", "AAA"}})
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	found := false
	for _, f := range zr.File {
		if f.Name != "xl/sharedStrings.xml" {
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		found = true
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		head := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>name</t></si><si><t>type</t></si><si><t>Ann</t></si><si><t>AAA</t></si>`
		io.WriteString(w, head)
		chunk := []byte(strings.Repeat("<si><t>a</t></si>", 4096))
		for n := len(head); n < size; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		io.WriteString(w, `</sst>`)
	}
	if !found {
		t.Fatal("the workbook has no sharedStrings.xml")
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawZip is a zip whose parts declare the sizes given, over bytes that
// are not theirs (packed is the stored part's length).
func rawZip(t *testing.T, parts int, declared uint64, packed int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	junk := bytes.Repeat([]byte{0x5a}, packed)
	for i := range parts {
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: "xl/part" + string(rune('a'+i)) + ".xml", Method: zip.Deflate,
			CompressedSize64: uint64(packed), UncompressedSize64: declared,
		})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(junk)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sheetZip is a zip of one worksheet declaring declared bytes over packed
// bytes that are not its.
func sheetZip(t *testing.T, declared uint64, packed int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CompressedSize64: uint64(packed), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte{0x5a}, packed))
	zw.Close()
	return buf.Bytes()
}

// TestCheckZipLongList: a worksheet of 100,000 rows (about 30 MiB of XML,
// over the 16 MiB of other parts) passes the zip check: the list limits
// stay MaxRows and MaxColumns.
func TestCheckZipLongList(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for i := 1; i <= MaxRows; i++ {
		fmt.Fprintf(bw, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>Guest Number %d</t></is></c><c r="B%d" t="inlineStr"><is><t>VIP</t></is></c><c r="C%d" t="inlineStr"><is><t>Some Org Ltd</t></is></c><c r="D%d" t="inlineStr"><is><t>T-%d</t></is></c></row>`, i, i, i, i, i, i, i)
	}
	bw.WriteString(`</sheetData></worksheet>`)
	bw.Flush()
	zw.Close()
	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if size := zr.File[0].UncompressedSize64; size <= maxXLSXPart {
		t.Fatalf("the sheet is %d MiB, not over the part limit", size>>20)
	}
	if err := checkZip(buf.Bytes()); err != nil {
		t.Errorf("checkZip(a %d KB workbook of %d rows) = %v", buf.Len()>>10, MaxRows, err)
	}
}

// lyingZip declares a part of 1,000 bytes over a deflate stream of 24 MiB.
func lyingZip(t *testing.T) []byte {
	t.Helper()
	var packed bytes.Buffer
	fw, _ := flate.NewWriter(&packed, flate.BestCompression)
	chunk := []byte(strings.Repeat("<si><t>a</t></si>", 4096))
	for n := 0; n < 24<<20; n += len(chunk) {
		fw.Write(chunk)
	}
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "xl/sharedStrings.xml", Method: zip.Deflate,
		CompressedSize64: uint64(packed.Len()), UncompressedSize64: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(packed.Bytes())
	zw.Close()
	return buf.Bytes()
}

// TestParseXLSXBomb: a small workbook that unzips to a lot is refused,
// naming the limit, before excelize reads it, in bounded memory.
func TestParseXLSXBomb(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		is   error
		want string
	}{
		{"part over 16 MiB", bombXLSX(t, 24<<20), ErrTooLarge, "over the limit of 16 MiB a part"},
		{"ratio over 100:1", bombXLSX(t, 8<<20), ErrTooLarge, "more than 100 times its packed size"},
		{"total over 128 MiB", rawZip(t, 9, 15<<20, 200<<10), ErrTooLarge, "more than 128 MiB in all"},
		{"worksheet over 64 MiB", sheetZip(t, 70<<20, 1<<20), ErrTooLarge, "over the limit of 64 MiB a worksheet"},
		{"declared size lies", lyingZip(t), ErrUnreadable, "cannot be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.b) > 2<<20 {
				t.Fatalf("the upload is %d bytes: not small", len(tc.b))
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Parse(tc.b, testEvent, nil)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse of a %d KB upload: %v, want %v naming %q", len(tc.b)>>10, err, tc.is, tc.want)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("a %d KB upload: %d KiB allocated", len(tc.b)>>10, alloc>>10)
			if alloc > 32<<20 {
				t.Errorf("Parse of a %d KB upload allocated %d MiB, want at most 32", len(tc.b)>>10, alloc>>20)
			}
		})
	}
}
