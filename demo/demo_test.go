package demo

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/node"
)

// TestRun runs the demo on a fresh node and checks each step's line, the
// door table and that the revoked and the forged pass are refused.
func TestRun(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	n := node.New(node.Options{Dir: data, Actor: "test"})
	defer n.Close()
	now := time.Now().Truncate(time.Minute)
	if _, err := n.Init(ctx, keys.EdDSA, "lam", nil, now); err != nil {
		t.Fatal(err)
	}
	if err := n.Open(ctx); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Run(ctx, n, "test", data, now, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, re := range []string{
		`(?m)^2\. created event demo-\d{4}-\d{6}: show \d\d:\d\d to \d\d:\d\d$`,
		`(?m)^3\. issued \d+ signed passes \(key \S+\)$`,
		`(?m)^   SERIAL +TYPE +NAME +ZONE +BEFORE +FIRST SONGS +DURING +AFTER$`,
		`(?m)^5\. revoked \S+ \(.+\): verify says revoked, authentic=true$`,
		`(?m)^6\. a copy with one character changed: (forged|malformed) `,
		`(?m)^Try: laminate --data ` + regexp.QuoteMeta(data) + ` verify --zone stage \S+$`,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("no line matching %s in:\n%s", re, got)
		}
	}
	if !strings.Contains(got, "ADMIT") || !strings.Contains(got, "deny") {
		t.Errorf("the door table should both admit and deny:\n%s", got)
	}
}
