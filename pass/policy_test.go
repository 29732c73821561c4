package pass

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePolicyFile(t *testing.T) {
	f, err := os.Open("../testdata/policies/festival.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ParsePolicy(f)
	if err != nil {
		t.Fatalf("ParsePolicy(festival.json) = %v", err)
	}
	e := testEvent(t)
	e.Policy = p
	tests := []struct {
		name string
		pass Pass
		zone Zone
		when string
		code Code
	}{
		{"ok/runner-village-before", Pass{Type: Staff, Role: "runner"}, "artist-village", "before", CodeOK},
		{"deny/runner-village-after", Pass{Type: Staff, Role: "runner"}, "artist-village", "after", CodeNotNow},
		{"deny/default-zone-gone", Pass{Type: AAA}, "dressing-rooms", "during", CodeUnknownZone},
		{"deny/meet-greet-has-no-rule", Pass{Type: MeetGreet}, "hospitality", "meet-greet", CodeNoRule},
		{"deny/catering-role-not-defined", Pass{Type: Staff, Role: "catering"}, "backstage", "during", CodeNoRule},
		{"deny/working-except", Pass{Type: Working}, "artist-village", "during", CodeZoneNotAllowed},
		{"ok/photo-pit-photo", Pass{Type: Photo}, "photo-pit", "photo", CodeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.pass.Event = e.ID
			if d := e.Decide(&tt.pass, tt.zone, moments[tt.when]); d.Code != tt.code {
				t.Fatalf("Decide() = %+v, want code %s", d, tt.code)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"fail/not-json", `zones: [stage]`, "line 1"},
		{"fail/syntax-line", "{\n\"zones\": [\"stage\"],\n\"rules\": {,}}", "line 3"},
		{"fail/unknown-field", `{"zones":["stage"],"rules":{"AAA":[{"zones":["*"],"when":["any"]}]},"zone":[]}`, `unknown field "zone"`},
		{"fail/no-zones", `{"zones":[],"rules":{}}`, "zones: at least one"},
		{"fail/bad-zone-name", `{"zones":["Stage Left"],"rules":{}}`, "zones[0]"},
		{"fail/duplicate-zone", `{"zones":["stage","stage"],"rules":{}}`, "listed twice"},
		{"fail/no-rules", `{"zones":["stage"],"rules":{}}`, "no pass type"},
		{"fail/unknown-type", `{"zones":["stage"],"rules":{"BACKSTAGE":[{"zones":["stage"],"when":["any"]}]}}`, `unknown pass type "BACKSTAGE"`},
		{"fail/staff-in-rules", `{"zones":["stage"],"rules":{"STAFF":[{"zones":["stage"],"when":["any"]}]}}`, `"roles"`},
		{"fail/unknown-zone-in-rule", `{"zones":["stage"],"rules":{"AAA":[{"zones":["roof"],"when":["any"]}]}}`, `rules.AAA[0].zones[0]: unknown zone "roof"`},
		{"fail/unknown-window", `{"zones":["stage"],"rules":{"AAA":[{"zones":["stage"],"when":["encore"]}]}}`, `rules.AAA[0].when[0]: unknown window "encore"`},
		{"fail/empty-when", `{"zones":["stage"],"rules":{"AAA":[{"zones":["stage"],"when":[]}]}}`, `rules.AAA[0].when: empty`},
		{"fail/bad-role", `{"zones":["stage"],"rules":{"AAA":[{"zones":["stage"],"when":["any"]}]},"roles":{"Cook":[{"zones":["stage"],"when":["any"]}]}}`, `bad role name "Cook"`},
		{"fail/except-unknown", `{"zones":["stage"],"rules":{"AAA":[{"zones":["*"],"except":["x"],"when":["any"]}]}}`, `except[0]`},
		{"fail/trailing-data", `{"zones":["stage"],"rules":{"AAA":[{"zones":["stage"],"when":["any"]}]}} {}`, "data after"},
		{"fail/too-large", `{"comment":"` + strings.Repeat("x", MaxPolicySize) + `"}`, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy(strings.NewReader(tt.in))
			if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParsePolicy() error = %v, want ErrPolicy containing %q", err, tt.want)
			}
		})
	}
}

func TestDefaultPolicyIsACopy(t *testing.T) {
	p := DefaultPolicy()
	p.Zones = nil
	if len(DefaultPolicy().Zones) != len(DefaultZones) {
		t.Fatal("changing DefaultPolicy() changed the default")
	}
}

func FuzzParsePolicy(f *testing.F) {
	files, _ := filepath.Glob("../testdata/policies/*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	f.Add(string(defaultPolicyJSON))
	f.Add(`{"zones":["stage"],"gates":["north","stage-door"],"rules":{"AAA":[{"zones":["*"],"when":["any"]}]}}`)
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParsePolicy(strings.NewReader(in))
		if err != nil {
			return
		}
		// Every declared gate is a valid, distinct gate name.
		seen := map[string]bool{}
		for _, g := range p.Gates {
			if _, err := ParseGate(g); err != nil || seen[g] {
				t.Fatalf("ParsePolicy accepted gates %q", p.Gates)
			}
			seen[g] = true
		}
		// A policy that parses must be usable: Decide never panics.
		e := Event{ID: "fz", Policy: p, Schedule: Schedule{ShowStart: at("20:00"), ShowEnd: at("22:00")}}
		if e.Validate() != nil {
			t.Skip()
		}
		for _, ty := range Types {
			for _, z := range p.Zones {
				e.Decide(&Pass{Event: "fz", Type: ty, Role: "security"}, z, at("21:00"))
			}
		}
	})
}

func TestReadPolicyFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadPolicyFile(filepath.Join(dir, "p.yaml")); !errors.Is(err, ErrPolicyYAML) {
		t.Errorf("YAML: error = %v, want ErrPolicyYAML", err)
	}
	if _, err := ReadPolicyFile(filepath.Join(dir, "none.json")); err == nil || !strings.HasPrefix(err.Error(), "policy: ") {
		t.Errorf("missing file: error = %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPolicyFile(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": ") {
		t.Errorf("bad file: error = %v", err)
	}
	p, err := ReadPolicyFile("default_policy.json")
	if err != nil || p == nil {
		t.Errorf("default policy: %v, %v", p, err)
	}
}
