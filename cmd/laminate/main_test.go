package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/laminate/laminate/internal/racetest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"laminate": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scripts in testdata/*.txtar.
func TestScripts(t *testing.T) {
	// Each command is a process of its own that runs one goroutine, but
	// for render.WritePDF, which is under -race in package render; race
	// builds made the 421 commands the longest pole of make test.
	racetest.Skip(t)
	testscript.Run(t, testscript.Params{
		Dir:       "testdata",
		Condition: pgCondition,
		Setup: func(env *testscript.Env) error {
			// $WORK is made with the umask's mode; a data folder must have no
			// folder above it that others can write.
			if err := os.Chmod(env.WorkDir, 0o700); err != nil {
				return err
			}
			env.Setenv("LAMINATE_DATA", env.WorkDir+"/data")
			env.Setenv("LAMINATE_KEY_PASSPHRASE", "")
			// Under -race a process that exits with goroutines still running
			// sleeps a second first (GORACE atexit_sleep_ms, default 1000):
			// a second for most of the scripts' 421 commands.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"pgschema": pgschemaCmd,
			// jsonget FILE FIELD VAR [LINE]: set $VAR to a string field of the
			// JSON object on line LINE (default 1) of FILE.
			"jsonget": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 3 || len(args) > 4 {
					ts.Fatalf("usage: jsonget FILE FIELD VAR [LINE]")
				}
				line := 1
				if len(args) == 4 {
					fmt.Sscan(args[3], &line)
				}
				lines := strings.Split(strings.TrimSpace(ts.ReadFile(args[0])), "\n")
				if line > len(lines) {
					ts.Fatalf("%s has %d lines", args[0], len(lines))
				}
				var m map[string]any
				ts.Check(json.Unmarshal([]byte(lines[line-1]), &m))
				v, ok := m[args[1]]
				if !ok {
					ts.Fatalf("no field %q in %s", args[1], lines[line-1])
				}
				ts.Setenv(args[2], fmt.Sprint(v))
			},
			// writefile FILE 'TEXT': write a Go-escaped string (so \r\n can be
			// written) to FILE.
			"writefile": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: writefile FILE 'TEXT'")
				}
				text, err := strconv.Unquote(`"` + args[1] + `"`)
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(text), 0o600))
			},
			// setenv VAR 'TEXT': set VAR to a Go-escaped string, so that a
			// script can pass invisible characters (\u202e) as arguments
			// without holding them literally.
			"setenv": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: setenv VAR 'TEXT'")
				}
				text, err := strconv.Unquote(`"` + args[1] + `"`)
				ts.Check(err)
				ts.Setenv(args[0], text)
			},
			// filemode PATH MODE: the file's permission bits are MODE (octal).
			"filemode": func(ts *testscript.TestScript, neg bool, args []string) {
				fi, err := os.Stat(ts.MkAbs(args[0]))
				ts.Check(err)
				if got := fmt.Sprintf("%o", fi.Mode().Perm()); (got == args[1]) == neg {
					ts.Fatalf("%s has mode %s, want %s", args[0], got, args[1])
				}
			},
			// flipbyte FILE OFFSET: invert the byte at OFFSET of FILE (from the
			// end when negative), to damage an archive.
			"flipbyte": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: flipbyte FILE OFFSET")
				}
				off, err := strconv.Atoi(args[1])
				ts.Check(err)
				b, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				if off < 0 {
					off += len(b)
				}
				if off < 0 || off >= len(b) {
					ts.Fatalf("%s has %d bytes, no offset %s", args[0], len(b), args[1])
				}
				b[off] ^= 0xff
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o600))
			},
			// mkphoto FILE W H: write a W x H JPEG (a made-up photo) to FILE.
			"mkphoto": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: mkphoto FILE W H")
				}
				w, err1 := strconv.Atoi(args[1])
				h, err2 := strconv.Atoi(args[2])
				ts.Check(errors.Join(err1, err2))
				img := image.NewRGBA(image.Rect(0, 0, w, h))
				for y := range h {
					for x := range w {
						img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(len(args[0])), 255})
					}
				}
				var b bytes.Buffer
				ts.Check(jpeg.Encode(&b, img, nil))
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), b.Bytes(), 0o600))
			},
			// mkzip ZIP NAME=FILE...: write a ZIP holding FILE under the entry
			// name NAME (which may be hostile, such as ../x.jpg).
			"mkzip": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: mkzip ZIP NAME=FILE...")
				}
				var b bytes.Buffer
				zw := zip.NewWriter(&b)
				for _, a := range args[1:] {
					name, file, ok := strings.Cut(a, "=")
					if !ok {
						ts.Fatalf("mkzip: %q is not NAME=FILE", a)
					}
					w, err := zw.Create(name)
					ts.Check(err)
					_, err = w.Write([]byte(ts.ReadFile(file)))
					ts.Check(err)
				}
				ts.Check(zw.Close())
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), b.Bytes(), 0o600))
			},
			// mkimage FILE KIND: write a test image: png (300 x 120, half
			// transparent, with a GPS text chunk), jpeg (with an EXIF GPS
			// segment), bomb (a small PNG declaring 60000 x 60000 pixels) or
			// big (a PNG padded past the 1 MiB cap).
			"mkimage": mkimageCmd,
			// countlines FILE N: FILE has N non-empty lines.
			"countlines": func(ts *testscript.TestScript, neg bool, args []string) {
				n := 0
				for _, l := range strings.Split(ts.ReadFile(args[0]), "\n") {
					if strings.TrimSpace(l) != "" {
						n++
					}
				}
				if got := fmt.Sprint(n); (got == args[1]) == neg {
					ts.Fatalf("%s has %s lines, want %s", args[0], got, args[1])
				}
			},
		},
	})
}
