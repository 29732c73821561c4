package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelp walks the command table, so that no command or subcommand can be
// left out: each answers --help, -h and "laminate help COMMAND
// [SUBCOMMAND]" with exit 0, the same text on standard output, its usage
// line and its flags, and nothing on standard error.
func TestHelp(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	t.Setenv("LAMINATE_DATA", data)
	t.Setenv("LAMINATE_STORE", "")
	var paths [][]string
	for _, c := range commands {
		paths = append(paths, []string{c.name})
		for _, s := range c.subs {
			paths = append(paths, []string{c.name, s.name})
		}
	}
	for _, path := range paths {
		t.Run(strings.Join(path, "/"), func(t *testing.T) {
			ways := []struct {
				name string
				args []string
			}{
				{"--help", append(append([]string{}, path...), "--help")},
				{"-h", append(append([]string{}, path...), "-h")},
				{"help", append([]string{"help"}, path...)},
			}
			usage := "Usage: laminate " + strings.Join(path, " ") + " "
			var first string
			for _, w := range ways {
				var stdout, stderr bytes.Buffer
				code := run(w.args, strings.NewReader(""), &stdout, &stderr)
				out := stdout.String()
				if code != exitOK {
					t.Errorf("laminate %s: exit %d, want 0; stderr %q", strings.Join(w.args, " "), code, stderr.String())
				}
				if stderr.Len() > 0 {
					t.Errorf("laminate %s: stderr %q, want nothing", strings.Join(w.args, " "), stderr.String())
				}
				if !strings.HasPrefix(out, usage) {
					t.Errorf("laminate %s: output starts %q, want %q", strings.Join(w.args, " "), firstLine(out), usage)
				}
				if strings.Contains(out, "unknown subcommand") {
					t.Errorf("laminate %s: %q", strings.Join(w.args, " "), out)
				}
				// Every command takes the global flags, so its flag list
				// has at least --data.
				if !strings.Contains(out, "  -data string") {
					t.Errorf("laminate %s: no flag list in\n%s", strings.Join(w.args, " "), out)
				}
				if first == "" {
					first = out
				} else if out != first {
					t.Errorf("laminate %s printed\n%s\nwant the same as %s --help:\n%s", strings.Join(w.args, " "), out, strings.Join(path, " "), first)
				}
			}
		})
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("help made the data folder %s (stat: %v)", data, err)
	}
}

// TestHelpListsEveryCommand: the main help names every command of the
// table.
func TestHelpListsEveryCommand(t *testing.T) {
	for _, c := range commands {
		if !strings.Contains(usageText, "\n  "+c.name+" ") {
			t.Errorf("laminate help does not list %q", c.name)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
