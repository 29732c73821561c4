package server

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/verifier"
)

// TestScanAnswerTexts (issue 14): POST /v1/scans answers with the text
// keys and parameters of its reason and next step beside the English
// words (unchanged), each key one of verifier.TextKeys with exactly its
// parameters; the time of already_inside is the first scan's, in the
// event's zone (the fixture's event is in UTC), the minute the English
// reason shows.
func TestScanAnswerTexts(t *testing.T) {
	f := newFixture(t, 0)
	auth := scannerToken(t, f)
	_, reasons, nexts := verifier.TextKeys()
	show := f.now.Add(9 * time.Hour)
	steps := []struct {
		token, gate, zone, dir, id string
		at                         time.Time
		key, next                  string
		params                     pass.Params
	}{
		{f.token, "north", "stage", "in", "t1", show, "ok", "", pass.Params{"label": "AAA", "zone": "stage", "phase": "during"}},
		{f.token, "south", "stage", "in", "t2", show.Add(3 * time.Second), "possible_clone", "possible_clone", pass.Params{"gate": "north", "seconds": "3"}},
		{f.token, "north", "stage", "in", "t3", show.Add(time.Minute), "already_inside", "already_inside",
			pass.Params{"zone": "stage", "gate": "north", "at": pass.ParamTime(show, time.UTC)}},
		{f.token, "north", "roof", "in", "t4", show, "unknown_zone", "check_zone", pass.Params{"zone": "roof"}},
		{f.token[:len(f.token)-4] + "AAAA", "north", "stage", "in", "t5", show, "forged", "forged", nil},
	}
	for _, st := range steps {
		f.setNow(st.at)
		code, r, body := f.scan(t, auth, st.token, st.gate, st.zone, st.dir, st.id, st.at)
		if code != 200 || r.ReasonKey != st.key || r.NextKey != st.next || !maps.Equal(r.ReasonParams, st.params) {
			t.Errorf("%s: %s; want reason %s %v, next %s", st.id, body, st.key, st.params, st.next)
			continue
		}
		if want := reasons[r.ReasonKey]; !slices.Equal(slices.Sorted(maps.Keys(r.ReasonParams)), slices.Sorted(slices.Values(want))) {
			t.Errorf("%s: params %v, TextKeys says %v", st.id, r.ReasonParams, want)
		}
		if _, ok := nexts[r.NextKey]; r.NextKey != "" && !ok {
			t.Errorf("%s: next key %s not in TextKeys", st.id, r.NextKey)
		}
	}
}
