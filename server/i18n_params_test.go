package server

import (
	"maps"
	"slices"
	"testing"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/verifier"
)

// TestCataloguesCoverTextKeys (issue 14): every text key the Go code gives
// (verifier.TextKeys: the verdicts' messages, the door's reasons and next
// steps) has a text in en.json whose placeholders are exactly the key's
// parameters, so a page in another language words the whole detail and
// needs no English line below (TestCataloguesMatchEnglish holds the other
// languages to en.json's placeholders). The parameters a page words by
// the catalogue (phase, category) have their texts too.
func TestCataloguesCoverTextKeys(t *testing.T) {
	en := catalogue(t, "en")
	messages, reasons, nexts := verifier.TextKeys()
	for _, set := range []struct {
		prefix string
		keys   map[string][]string
	}{{"verdict.", messages}, {"reason.", reasons}, {"next.", nexts}} {
		if len(set.keys) < 8 {
			t.Fatalf("%s: only %d keys: TextKeys is read wrong", set.prefix, len(set.keys))
		}
		for _, k := range slices.Sorted(maps.Keys(set.keys)) {
			text, ok := en[set.prefix+k]
			want := slices.Sorted(slices.Values(set.keys[k]))
			switch {
			case !ok:
				t.Errorf("en.json: no %s%s (placeholders %v)", set.prefix, k, want)
			case !slices.Equal(placeholders(text), want) && !(len(want) == 0 && len(placeholders(text)) == 0):
				t.Errorf("en.json: %s%s has placeholders %v, the Go code gives %v", set.prefix, k, placeholders(text), want)
			}
		}
	}
	for _, ph := range []pass.Phase{pass.Before, pass.During, pass.After} {
		if _, ok := en["phase."+string(ph)]; !ok {
			t.Errorf("en.json: no phase.%s", ph)
		}
	}
	for _, c := range append(slices.Clone(pass.RevokeCategories), pass.RevokeSuperseded) {
		if _, ok := en["revoke."+string(c)]; !ok {
			t.Errorf("en.json: no revoke.%s", c)
		}
	}
	for _, k := range goStrings(t, "../record/record.go", "Alert") {
		if _, ok := en["scan.alert_"+k]; !ok {
			t.Errorf("en.json: no scan.alert_%s (alert kind %s on /scan)", k, k)
		}
	}
}
