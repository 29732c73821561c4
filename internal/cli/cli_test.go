package cli

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

func newTest(out *bytes.Buffer) *FlagSet {
	syn := func(name string) (string, string) { return "KID", "retire a key" }
	redact := func(fs *flag.FlagSet) {
		if f := fs.Lookup("store"); f != nil {
			f.DefValue = "REDACTED"
		}
	}
	fs := NewFlagSet("keys retire", out, syn, redact)
	fs.String("store", "postgres://u:secret@h/db", "database")
	fs.Bool("force", false, "force")
	return fs
}

// TestParseArgs: flags and positional arguments in any order, "--" ends
// the flags, and the counts are checked with usage errors.
func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    string
		wantErr string
	}{
		{[]string{"K1", "--force"}, "K1", ""},
		{[]string{"--force", "K1"}, "K1", ""},
		{[]string{"--", "-JOgIa"}, "-JOgIa", ""},
		{nil, "", "keys retire: missing KID"},
		{[]string{"a", "b"}, "", `keys retire: unexpected argument "b"`},
		{[]string{"-JOgIa"}, "", "keys retire: flag provided but not defined: -JOgIa"},
	} {
		var out bytes.Buffer
		pos, err := ParseArgs(newTest(&out), tc.args, 1, 1, "KID")
		if tc.wantErr != "" {
			var ue *UsageError
			if err == nil || err.Error() != tc.wantErr || !errors.As(err, &ue) {
				t.Errorf("%q: err %v, want usage error %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(pos) != 1 || pos[0] != tc.want {
			t.Errorf("%q: %q, %v; want [%s]", tc.args, pos, err, tc.want)
		}
	}
	var he *HintError
	_, err := ParseArgs(newTest(&bytes.Buffer{}), []string{"-JOgIa"}, 1, 1, "KID")
	if !errors.As(err, &he) || !strings.Contains(he.Hint, "laminate keys retire -- KID") {
		t.Errorf("a leading dash: %v, want a hint to use --", err)
	}
}

// TestHelpRedacts: --help prints the usage line, summary and flags, with
// the redacted default, and only then.
func TestHelpRedacts(t *testing.T) {
	var out bytes.Buffer
	fs := newTest(&out)
	if _, err := ParseArgs(fs, []string{"--help"}, 1, 1, "KID"); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v, want flag.ErrHelp", err)
	}
	got := out.String()
	if !strings.HasPrefix(got, "Usage: laminate keys retire [flags] KID\n\nRetire a key.\n\nFlags:\n") ||
		strings.Contains(got, "secret") || !strings.Contains(got, "REDACTED") {
		t.Errorf("help:\n%s", got)
	}
	out.Reset()
	if _, err := ParseArgs(newTest(&out), []string{"--nope"}, 1, 1, "KID"); err == nil || out.Len() > 0 {
		t.Errorf("bad flag: err %v, printed %q", err, out.String())
	}
}

func TestRequired(t *testing.T) {
	fs := newTest(&bytes.Buffer{})
	if _, err := ParseArgs(fs, []string{"K"}, 1, 1, "KID"); err != nil {
		t.Fatal(err)
	}
	if err := Required(fs, "force", "store"); err == nil || err.Error() != "keys retire: missing --force, --store" {
		t.Errorf("Required: %v", err)
	}
	if got := SetFlags(fs); len(got) != 0 {
		t.Errorf("SetFlags: %v", got)
	}
}
