package pass

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDecideTextParams: every answer of Decide carries a text key of
// DecideTexts with exactly the parameters the key names, none empty; its
// times are the clock the English reason shows; every key is reached.
func TestDecideTextParams(t *testing.T) {
	e := testEvent(t)
	reasons, nexts := DecideTexts()
	seenR, seenN := map[string]bool{}, map[string]bool{}
	check := func(what string, d Decision) {
		t.Helper()
		want, ok := reasons[d.ReasonKey]
		if !ok {
			t.Fatalf("%s: reason key %q not in DecideTexts (%+v)", what, d.ReasonKey, d)
		}
		seenR[d.ReasonKey] = true
		checkParams(t, what+" reason", d.ReasonParams, want, d.Reason)
		if d.Allowed {
			if d.NextKey != "" || d.NextParams != nil {
				t.Errorf("%s: allowed with next key %q", what, d.NextKey)
			}
			return
		}
		want, ok = nexts[d.NextKey]
		if !ok {
			t.Fatalf("%s: next key %q not in DecideTexts (%+v)", what, d.NextKey, d)
		}
		seenN[d.NextKey] = true
		checkParams(t, what+" next", d.NextParams, want, d.NextStep)
	}
	var passes []Pass
	for _, ty := range Types {
		passes = append(passes, Pass{Event: e.ID, Type: ty, Role: map[bool]string{true: "catering"}[ty == Staff]})
	}
	passes = append(passes, Pass{Event: e.ID, Type: Staff, Role: "juggler"}, Pass{Event: "other", Type: AAA})
	zones := append(slices.Clone(DefaultZones), "roof")
	times := slices.Collect(maps.Values(moments))
	times = append(times, at("08:00").Add(-24*time.Hour), at("20:15"))
	for _, p := range passes {
		for _, z := range zones {
			for _, when := range times {
				check(string(p.Type)+"/"+p.Role+" "+string(z)+" "+when.Format(time.Kitchen), e.Decide(&p, z, when))
			}
		}
	}
	for k := range reasons {
		if !seenR[k] {
			t.Errorf("reason key %s never given: the test misses a case, or the key is dead", k)
		}
	}
	for k := range nexts {
		if !seenN[k] {
			t.Errorf("next key %s never given", k)
		}
	}
}

// checkParams: exactly the names of want, none empty; a time is RFC 3339
// and its clock (15:04) is in the English text; a zone or a gate is in it
// as it stands.
func checkParams(t *testing.T, what string, got Params, want []string, english string) {
	t.Helper()
	if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, slices.Sorted(slices.Values(want))) {
		t.Errorf("%s: params %v, want the names %v", what, got, want)
	}
	for k, v := range got {
		switch {
		case v == "":
			t.Errorf("%s: param %s empty", what, k)
		case k == "at":
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				t.Errorf("%s: param at %q: %v", what, v, err)
			} else if !strings.Contains(english, tm.Format("15:04")) {
				t.Errorf("%s: param at %q: its clock is not in %q", what, v, english)
			}
		case k == "zone" || k == "event":
			if !strings.Contains(english, v) {
				t.Errorf("%s: param %s %q not in %q", what, k, v, english)
			}
		}
	}
}
