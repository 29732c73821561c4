package layering

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/laminate/laminate"

// A rule says that no package matching from (and not except) may depend,
// directly or through other packages, on a package matching any of not.
type rule struct {
	name   string
	from   []string
	except []string
	not    []string
	why    string
}

// An edge is a package and a forbidden dependency of it.
type edge struct{ from, to string }

// Patterns follow "go list": "p/..." matches p and every package under it.
var (
	persistence = []string{mod + "/store/..."}
	sqlDrivers  = []string{"database/sql/...", "modernc.org/sqlite/...", "github.com/jackc/pgx/..."}
	upper       = []string{mod + "/server/...", mod + "/cmd/..."}
	echo        = []string{"github.com/labstack/echo/..."}
	gofpdf      = []string{"github.com/jung-kurt/gofpdf/..."}
)

func concat(lists ...[]string) []string { return slices.Concat(lists...) }

// rules is the layering of docs/design.md ("Layers and packages").
var rules = []rule{
	{
		name: "domain-and-crypto",
		from: []string{mod + "/pass", mod + "/record", mod + "/keys", mod + "/signer", mod + "/verifier", mod + "/templates"},
		not:  concat(persistence, upper, echo, gofpdf, sqlDrivers),
		why:  "domain and crypto packages do no persistence, HTTP, PDF or SQL",
	},
	{
		name: "pass-imports-nothing-of-ours",
		from: []string{mod + "/pass"},
		not:  []string{mod + "/..."},
		why:  "pass is the bottom layer: every other package speaks its types",
	},
	{
		name: "record-speaks-pass-only",
		from: []string{mod + "/record"},
		not:  []string{mod + "/keys", mod + "/signer", mod + "/verifier", mod + "/templates", mod + "/render", mod + "/node", mod + "/backup", mod + "/internal/..."},
		why:  "record holds the domain's records beside pass: it reads pass and nothing else of ours",
	},
	{
		name: "cli-imports-nothing-of-ours",
		from: []string{mod + "/internal/cli"},
		not:  []string{mod + "/..."},
		why:  "internal/cli is the command line's plumbing (help, usage errors, flag sets): plain data and the standard library",
	},
	{
		name: "wire-below-cmd",
		from: []string{mod + "/wire"},
		not:  []string{mod + "/cmd/..."},
		why:  "wire builds the service from packages (server, the surfaces, node) for the command line; it knows no flag and no command",
	},
	{
		name: "issue",
		from: []string{mod + "/issue"},
		not:  concat(upper, echo, gofpdf, sqlDrivers, []string{mod + "/store/sqlite", mod + "/store/postgres"}),
		why:  "issue signs and stores batches through the store interface; it knows nothing of HTTP, printing, a backend or the CLI",
	},
	{
		name: "guestlist",
		from: []string{mod + "/guestlist"},
		not:  concat(upper, echo, gofpdf, sqlDrivers, []string{mod + "/store/sqlite", mod + "/store/postgres", mod + "/render/..."}),
		why:  "guestlist reads and checks guest lists; it stores nothing itself, knows no backend, HTTP, PDF or font, and is given a TextChecker",
	},
	{
		name: "render",
		from: []string{mod + "/render/..."},
		not:  concat(persistence, upper, echo, sqlDrivers),
		why:  "render draws what it is given; it reads no store and serves no HTTP",
	},
	{
		name: "typeset",
		from: []string{mod + "/render/typeset"},
		not:  concat([]string{mod + "/..."}, gofpdf),
		why:  "render/typeset finds fonts and lays out text; it knows no PDF and none of our packages, so issuing can use it",
	},
	{
		name: "zpl",
		from: []string{mod + "/render/zpl"},
		not:  concat([]string{mod + "/render"}, gofpdf),
		why:  "render/zpl draws thermal labels from pass, templates and render/typeset alone; it needs no PDF, so a label printer's path carries no gofpdf",
	},
	{
		name: "printing",
		from: []string{mod + "/printing"},
		not:  concat(upper, echo, sqlDrivers, []string{mod + "/store/sqlite", mod + "/store/postgres"}),
		why:  "printing chooses, draws and logs prints through the store interface; the server and the CLI call it, it knows neither, nor a backend",
	},
	{
		name:   "nothing-imports-cmd",
		from:   []string{mod + "/..."},
		except: []string{mod + "/cmd/..."},
		not:    []string{mod + "/cmd/..."},
		why:    "cmd wires the packages (server among them), never the other way round",
	},
	{
		name: "backup",
		from: []string{mod + "/backup"},
		not:  concat(upper, echo, gofpdf),
		why:  "backup archives a data folder and its store; it knows nothing of HTTP, printing or the CLI",
	},
	{
		name: "devices",
		from: []string{mod + "/devices"},
		not:  concat(upper, echo, gofpdf, sqlDrivers, []string{mod + "/store/sqlite", mod + "/store/postgres"}),
		why:  "devices makes and checks enrolment codes through the store interface; it knows nothing of HTTP, printing, a backend or the CLI",
	},
	{
		name: "node",
		from: []string{mod + "/node"},
		not:  concat(upper, echo, gofpdf),
		why:  "node runs one node (data folder, store, keyring, sharing); server takes it through an interface, and it knows nothing of HTTP, printing or the CLI",
	},
	{
		name: "surfaces-below-server",
		from: []string{mod + "/internal/httpkit", mod + "/office", mod + "/webhooks", mod + "/exportapi", mod + "/dashboard"},
		not:  concat(upper, gofpdf, sqlDrivers, []string{mod + "/store/sqlite", mod + "/store/postgres"}),
		why:  "httpkit and the surface packages beside server (office, dashboard, webhooks) are mounted by server; they never import it, the CLI, a backend or a SQL driver",
	},
	{
		name: "staff",
		from: []string{mod + "/staff"},
		not:  concat(persistence, upper, echo, gofpdf, sqlDrivers, []string{mod + "/internal/httpkit", mod + "/office", mod + "/render/..."}),
		why:  "staff (accounts, passwords, sessions, CSRF) is domain code: the store persists it and the office serves it, it knows neither",
	},
	{
		name: "export",
		from: []string{mod + "/export"},
		not:  concat(upper, echo, gofpdf, sqlDrivers, []string{mod + "/store/sqlite", mod + "/store/postgres", mod + "/internal/httpkit"}),
		why:  "export writes records as CSV and JSON lines through the store interface; the HTTP surface is exportapi, the file the CLI's",
	},
	{
		name: "accounts",
		from: []string{mod + "/accounts"},
		not:  concat(upper, echo, gofpdf, sqlDrivers, []string{mod + "/store/sqlite", mod + "/store/postgres", mod + "/internal/httpkit", mod + "/office"}),
		why:  "accounts changes staff accounts through the store interface for the office and the CLI; it knows nothing of HTTP, a backend or the CLI",
	},
	{
		name: "store-below-server",
		from: []string{mod + "/store/..."},
		not:  upper,
		why:  "stores persist domain records; they know nothing of HTTP or the CLI",
	},
}

// knownExceptions are the violations of today, each to be removed by the
// change that fixes it. TestLayering fails on a violation not listed here
// and on an entry here that is no longer a violation, so the list can only
// shrink.
var knownExceptions = []edge{} // none since issue 10 item 4

// A pkg is what "go list -json" says of one package.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Error      *struct{ Err string }
}

func match(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, path) })
}

// A violation is a forbidden dependency, with the rule it breaks and the
// import chain that reaches it.
type violation struct {
	edge
	rule  string
	chain []string
}

// check applies rules to the graph. It returns the violations not in
// allowed, the entries of allowed that are no longer violations, and the
// rules whose from patterns match no package (a renamed package would
// otherwise pass unchecked).
func check(graph map[string]*pkg, rules []rule, allowed []edge) (bad []violation, stale []edge, unmatched []string) {
	used := make(map[edge]bool)
	paths := make([]string, 0, len(graph))
	for p := range graph {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, r := range rules {
		matched := false
		for _, from := range paths {
			if !matchAny(r.from, from) || matchAny(r.except, from) {
				continue
			}
			matched = true
			for _, dep := range graph[from].Deps {
				if !matchAny(r.not, dep) {
					continue
				}
				e := edge{from, dep}
				if slices.Contains(allowed, e) {
					used[e] = true
					continue
				}
				bad = append(bad, violation{e, r.name, chain(graph, from, dep)})
			}
		}
		if !matched {
			unmatched = append(unmatched, r.name)
		}
	}
	for _, e := range allowed {
		if !used[e] {
			stale = append(stale, e)
		}
	}
	return bad, stale, unmatched
}

// chain is a shortest import path from -> ... -> to (breadth first).
func chain(graph map[string]*pkg, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var c []string
			for ; p != ""; p = prev[p] {
				c = append(c, p)
			}
			slices.Reverse(c)
			return c
		}
		if graph[p] == nil {
			continue
		}
		for _, q := range graph[p].Imports {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return []string{from, "…", to}
}

// goList loads the build graph of the module (tests excluded).
func goList(t *testing.T) map[string]*pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,Deps,Error", mod+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	graph := make(map[string]*pkg)
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(pkg)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		graph[p.ImportPath] = p
	}
	return graph
}

// TestLayering checks the module's real import graph.
func TestLayering(t *testing.T) {
	graph := goList(t)
	if graph[mod+"/pass"] == nil {
		t.Fatalf("go list found no %s/pass: wrong module?", mod)
	}
	bad, stale, unmatched := check(graph, rules, knownExceptions)
	for _, v := range bad {
		r := ruleNamed(v.rule)
		t.Errorf("%s must not depend on %s (rule %s: %s; see docs/design.md, \"Layers and packages\")\n\timport chain: %s",
			v.from, v.to, r.name, r.why, strings.Join(v.chain, " -> "))
	}
	for _, e := range stale {
		t.Errorf("%s no longer depends on %s: remove the entry from knownExceptions", e.from, e.to)
	}
	for _, name := range unmatched {
		t.Errorf("rule %s matches no package: a package was renamed or removed; update the rule", name)
	}
}

func ruleNamed(name string) rule {
	for _, r := range rules {
		if r.name == name {
			return r
		}
	}
	return rule{name: name}
}

// TestCheck runs check on small made-up graphs, so that each way of
// failing is seen to fail.
func TestCheck(t *testing.T) {
	g := func(edges ...string) map[string]*pkg {
		// edges are "a>b": a imports b. Deps are the transitive closure.
		graph := make(map[string]*pkg)
		get := func(p string) *pkg {
			if graph[p] == nil {
				graph[p] = &pkg{ImportPath: p}
			}
			return graph[p]
		}
		for _, e := range edges {
			a, b, _ := strings.Cut(e, ">")
			get(a).Imports = append(get(a).Imports, b)
			get(b)
		}
		for p := range graph {
			seen := map[string]bool{}
			var walk func(string)
			walk = func(q string) {
				for _, d := range graph[q].Imports {
					if !seen[d] {
						seen[d] = true
						walk(d)
					}
				}
			}
			walk(p)
			for d := range seen {
				graph[p].Deps = append(graph[p].Deps, d)
			}
			slices.Sort(graph[p].Deps)
		}
		return graph
	}
	rs := []rule{
		{name: "domain", from: []string{"m/signer", "m/keys"}, not: []string{"m/store/...", "echo/..."}},
		{name: "server", from: []string{"m/server/..."}, except: []string{"m/server/cmdline"}, not: []string{"m/cmd/..."}},
	}
	tests := []struct {
		name      string
		graph     map[string]*pkg
		allowed   []edge
		bad       []string // "from>to via a>b>c"
		stale     []edge
		unmatched []string
	}{
		{
			name:  "ok/clean",
			graph: g("m/signer>m/pass", "m/keys>m/pass", "m/server>m/signer", "m/server>echo/v4"),
		},
		{
			name:  "ok/prefix-is-not-a-subpackage",
			graph: g("m/signer>m/storefront", "m/keys>echoes", "m/server>m/cmdline"),
		},
		{
			name:  "fail/direct",
			graph: g("m/signer>m/pass", "m/keys>echo/v4", "m/server>m/keys"),
			bad:   []string{"m/keys>echo/v4 via m/keys>echo/v4"},
		},
		{
			name:  "fail/transitive",
			graph: g("m/signer>m/render", "m/render>m/store/sqlite", "m/keys>m/pass", "m/server>m/signer"),
			bad:   []string{"m/signer>m/store/sqlite via m/signer>m/render>m/store/sqlite"},
		},
		{
			name:  "fail/server-imports-cmd-subpackage",
			graph: g("m/signer>m/pass", "m/keys>m/pass", "m/server/office>m/cmd/laminate/x"),
			bad:   []string{"m/server/office>m/cmd/laminate/x via m/server/office>m/cmd/laminate/x"},
		},
		{
			name:  "ok/excepted-package",
			graph: g("m/signer>m/pass", "m/keys>m/pass", "m/server>m/pass", "m/server/cmdline>m/cmd/laminate"),
		},
		{
			name:    "ok/known-exception",
			graph:   g("m/signer>m/store", "m/keys>m/pass", "m/server>m/signer"),
			allowed: []edge{{"m/signer", "m/store"}},
		},
		{
			name:    "fail/exception-covers-only-its-edge",
			graph:   g("m/signer>m/store", "m/signer>m/store/sqlite", "m/keys>m/pass", "m/server>m/pass"),
			allowed: []edge{{"m/signer", "m/store"}},
			bad:     []string{"m/signer>m/store/sqlite via m/signer>m/store/sqlite"},
		},
		{
			name:    "fail/stale-exception",
			graph:   g("m/signer>m/pass", "m/keys>m/pass", "m/server>m/pass"),
			allowed: []edge{{"m/signer", "m/store"}},
			stale:   []edge{{"m/signer", "m/store"}},
		},
		{
			name:      "fail/rule-matches-nothing",
			graph:     g("m/signer>m/pass", "m/keys>m/pass"),
			unmatched: []string{"server"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad, stale, unmatched := check(tt.graph, rs, tt.allowed)
			var got []string
			for _, v := range bad {
				got = append(got, v.from+">"+v.to+" via "+strings.Join(v.chain, ">"))
			}
			if !slices.Equal(got, tt.bad) {
				t.Errorf("check() violations = %q, want %q", got, tt.bad)
			}
			if !slices.Equal(stale, tt.stale) {
				t.Errorf("check() stale = %v, want %v", stale, tt.stale)
			}
			if !slices.Equal(unmatched, tt.unmatched) {
				t.Errorf("check() unmatched = %v, want %v", unmatched, tt.unmatched)
			}
		})
	}
}
