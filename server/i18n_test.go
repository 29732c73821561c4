package server

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The door pages' languages (issue 14): one catalogue per language,
// static/i18n/LANG.json, each with exactly the keys of en.json and the same
// {placeholders} in each text.
var pageLangs = []string{"en", "de", "fr", "es", "nl"}

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

func catalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := static.ReadFile("static/i18n/" + lang + ".json")
	if err != nil {
		t.Fatalf("catalogue %s: %v", lang, err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("catalogue %s: %v (flat key -> text)", lang, err)
	}
	return m
}

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestCataloguesMatchEnglish(t *testing.T) {
	ents, err := static.ReadDir("static/i18n")
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, e := range ents {
		have = append(have, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(have)
	want := slices.Sorted(slices.Values(pageLangs))
	if !slices.Equal(have, want) {
		t.Errorf("catalogues %v, want %v (and the LANGS list of static/i18n.js)", have, want)
	}
	en := catalogue(t, "en")
	for _, lang := range pageLangs {
		c := catalogue(t, lang)
		for _, k := range slices.Sorted(maps.Keys(en)) {
			v, ok := c[k]
			switch {
			case !ok:
				t.Errorf("%s.json: key %q missing", lang, k)
			case strings.TrimSpace(v) == "":
				t.Errorf("%s.json: key %q is empty", lang, k)
			case !slices.Equal(placeholders(v), placeholders(en[k])):
				t.Errorf("%s.json: %q has placeholders %v, en.json %v", lang, k, placeholders(v), placeholders(en[k]))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(c)) {
			if _, ok := en[k]; !ok {
				t.Errorf("%s.json: key %q is not in en.json", lang, k)
			}
		}
	}
}

// goStrings are the string constants of a Go file whose names start with
// one of the prefixes.
func goStrings(t *testing.T, file string, prefixes ...string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i >= len(vs.Values) || !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(n.Name, p) }) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					out = append(out, v)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no constants %v: the test reads the wrong file", file, prefixes)
	}
	return out
}

// Every door code the Go code and the door page's scripts can give has a
// translated reason, and a next step unless it admits; every verifier
// status has its word and verdict on /verify.
func TestCataloguesCoverDoorCodes(t *testing.T) {
	en := catalogue(t, "en")
	statuses := goStrings(t, "../verifier/verifier.go", "Status")
	codes := append(goStrings(t, "../pass/decide.go", "Code"), goStrings(t, "../record/record.go", "Code")...)
	codes = append(codes, statuses...)
	jsCode := regexp.MustCompile(`code(?::| =) "([a-z_]+)"`)
	for _, js := range []string{"static/offline.js", "static/scan.js"} {
		b, err := static.ReadFile(js)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range jsCode.FindAllStringSubmatch(string(b), -1) {
			codes = append(codes, m[1])
		}
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	for _, c := range []string{"zone_full", "superseded", "bundle_expired", "no_offline_data"} {
		if !slices.Contains(codes, c) {
			t.Fatalf("code %s not found: the list is built wrong (%v)", c, codes)
		}
	}
	for _, c := range codes {
		if _, ok := en["reason."+c]; !ok {
			t.Errorf("door code %q: no reason.%s in en.json", c, c)
		}
		if _, ok := en["next."+c]; !ok && c != "ok" && c != "valid" {
			t.Errorf("door code %q: no next.%s in en.json", c, c)
		}
	}
	for _, s := range append(statuses, "error") {
		if _, ok := en["status."+s]; !ok {
			t.Errorf("status %q: no status.%s in en.json", s, s)
		}
		if _, ok := en["verdict."+s]; !ok && s != "error" {
			t.Errorf("status %q: no verdict.%s in en.json", s, s)
		}
	}
}

// Every key the pages name (t("…"), data-i18n…="…") is in en.json.
func TestCataloguesCoverPages(t *testing.T) {
	en := catalogue(t, "en")
	used := regexp.MustCompile(`\bt\("([a-z_.]+)"|data-i18n(?:-[a-z-]+)?="([a-z_.]+)"|"((?:scan|word|offline|signin|status|door|page|verify)\.[a-z_]+)"`)
	n := 0
	for _, f := range []string{"static/scan.html", "static/verify.html", "static/scan.js", "static/verify.js", "static/i18n.js"} {
		b, err := static.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			k := m[1] + m[2] + m[3]
			if strings.HasSuffix(k, ".") || strings.HasSuffix(k, "_") {
				continue // a prefix: t("status." + v.status), "scan.alert_" + kind, checked elsewhere
			}
			n++
			if _, ok := en[k]; !ok {
				t.Errorf("%s uses %q, not in en.json", f, k)
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d keys found in the pages: the pattern is wrong", n)
	}
}
