package verifier_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/record"
	"github.com/laminate/laminate/verifier"
)

// TestTextKeysParams (issue 14): every verdict and door answer the
// vectors hold, and the door answers the vectors cannot reach (zone full,
// offline conflict, unknown event, an online revocation), carries a text
// key of verifier.TextKeys with exactly the parameters the key names, none
// empty; every key this program gives is reached.
func TestTextKeysParams(t *testing.T) {
	messages, reasons, nexts := verifier.TextKeys()
	seen := map[string]bool{}
	check := func(what, kind string, set map[string][]string, key string, params pass.Params) {
		t.Helper()
		if key == "" {
			return
		}
		want, ok := set[key]
		if !ok {
			t.Errorf("%s: %s key %q not in TextKeys", what, kind, key)
			return
		}
		seen[kind+":"+key] = true
		if got := slices.Sorted(maps.Keys(params)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Errorf("%s: %s %s params %v, want the names %v", what, kind, key, params, want)
		}
		for k, v := range params {
			if v == "" {
				t.Errorf("%s: %s %s param %s empty", what, kind, key, k)
			}
			if k == "at" {
				if _, err := time.Parse(time.RFC3339, v); err != nil {
					t.Errorf("%s: %s %s param at: %v", what, kind, key, err)
				}
			}
		}
	}
	type answer struct {
		Decision, Code, Reason string
		NextStep               string      `json:"next_step"`
		ReasonKey              string      `json:"reason_key"`
		ReasonParams           pass.Params `json:"reason_params"`
		NextKey                string      `json:"next_key"`
		NextParams             pass.Params `json:"next_params"`
	}
	checkAnswer := func(what string, a answer) {
		t.Helper()
		if a.ReasonKey == "" && a.Decision != string(verifier.Admit) {
			t.Errorf("%s: %s without a reason key", what, a.Code)
		}
		if a.Code != "ok" && a.Decision != string(verifier.Admit) && a.NextKey == "" {
			t.Errorf("%s: %s without a next key", what, a.Code)
		}
		if a.Code != "ok" && !strings.HasPrefix(a.ReasonKey, a.Code) && a.ReasonKey != "malformed.content" && a.ReasonKey != "revoked.offline" {
			t.Errorf("%s: code %s, reason key %s", what, a.Code, a.ReasonKey)
		}
		check(what, "reason", reasons, a.ReasonKey, a.ReasonParams)
		check(what, "next", nexts, a.NextKey, a.NextParams)
	}

	var v struct {
		Tokens []struct {
			Name    string
			Verdict struct {
				MessageKey    string      `json:"message_key"`
				MessageParams pass.Params `json:"message_params"`
			}
			Door answer
		}
		Doors []struct {
			Name  string
			Steps []struct{ Want answer }
		}
		Policy struct{ Answers []string }
	}
	if err := json.Unmarshal(makeVectors(t), &v); err != nil {
		t.Fatal(err)
	}
	for _, tk := range v.Tokens {
		check(tk.Name, "message", messages, tk.Verdict.MessageKey, tk.Verdict.MessageParams)
		checkAnswer(tk.Name, tk.Door)
	}
	for _, d := range v.Doors {
		for i, s := range d.Steps {
			checkAnswer(d.Name+"/"+string(rune('0'+i)), s.Want)
		}
	}
	for _, a := range v.Policy.Answers {
		f := strings.Split(a, "|")
		var rp, np pass.Params
		if err := json.Unmarshal([]byte(f[6]), &rp); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(f[8]), &np); err != nil {
			t.Fatal(err)
		}
		check(a, "reason", reasons, f[5], rp)
		check(a, "next", nexts, f[7], np)
	}

	// What the vectors cannot reach: answers with a store behind them.
	loc := time.FixedZone("CET", 3600)
	at := time.Date(2026, 12, 2, 21, 4, 0, 0, loc)
	last := &record.Scan{Gate: "north", Zone: "stage", Direction: record.In, At: at.Add(-5 * time.Minute), Source: record.Offline}
	door := func(d verifier.DoorAnswer) answer {
		return answer{Decision: string(d.Decision), Code: string(d.Code), ReasonKey: d.ReasonKey, ReasonParams: d.ReasonParams, NextKey: d.NextKey, NextParams: d.NextParams}
	}
	conflict := verifier.DecideScanAnswer(verifier.DoorScan{Gate: "south", Zone: "stage", Direction: record.In, At: at}, last, time.Second, loc)
	if conflict.Code != verifier.CodeOfflineConflict || conflict.ReasonParams["at"] != "2026-12-02T20:59:00+01:00" {
		t.Errorf("offline conflict: %+v", conflict)
	}
	checkAnswer("offline conflict", door(conflict))
	for _, when := range []string{pass.FullDeny, pass.FullAttention} {
		a := verifier.DecideCapacityAnswer(pass.ZoneCapacity{Max: 3, WhenFull: when}, "pit", 3, verifier.DoorAnswer{Decision: verifier.Admit, Code: "ok"})
		checkAnswer("zone full "+when, door(a))
		if a.ReasonParams["inside"] != "3" || a.ReasonParams["capacity"] != "3" {
			t.Errorf("zone full: %+v", a)
		}
	}
	vd := verifier.Verdict{Status: verifier.StatusValid, Authentic: true, Pass: &pass.Pass{Event: "x", Type: pass.AAA}}
	(&verifier.Verifier{}).Access(&vd, nil, "stage", at)
	checkAnswer("unknown event", answer{Decision: "deny", Code: string(vd.Code), ReasonKey: vd.ReasonKey, ReasonParams: vd.ReasonParams, NextKey: vd.NextKey, NextParams: vd.NextParams})
	vd = verifier.Verdict{Status: verifier.StatusNotYetValid, Authentic: true, Pass: &pass.Pass{Event: "x", Type: pass.AAA},
		MessageKey: string(verifier.StatusNotYetValid), MessageParams: pass.Params{"at": "2026-12-03T10:00:00+01:00"}}
	(&verifier.Verifier{}).Access(&vd, nil, "stage", at) // no event: no time to come back
	checkAnswer("not yet valid, no event", answer{Decision: "deny", Code: string(vd.Code), ReasonKey: vd.ReasonKey, ReasonParams: vd.ReasonParams, NextKey: vd.NextKey, NextParams: vd.NextParams})
	vd = revokedOnline(t)
	check("revoked online", "message", messages, vd.MessageKey, vd.MessageParams)
	(&verifier.Verifier{}).Access(&vd, nil, "stage", at)
	checkAnswer("revoked online", answer{Decision: "deny", Code: string(vd.Code), ReasonKey: vd.ReasonKey, ReasonParams: vd.ReasonParams, NextKey: vd.NextKey, NextParams: vd.NextParams})

	for _, set := range []struct {
		kind string
		m    map[string][]string
	}{{"message", messages}, {"reason", reasons}, {"next", nexts}} {
		for k := range set.m {
			page := k == string(record.CodeBundleExpired) || k == string(record.CodeClockWrong) || k == string(record.CodeNoOfflineData)
			if !seen[set.kind+":"+k] && !page {
				t.Errorf("%s key %s never given: a case is missing here, or the key is dead", set.kind, k)
			}
		}
	}
}

// revokedOnline is the verdict of a pass revoked online (the vectors'
// are offline: a list has no revocation time).
func revokedOnline(t *testing.T) verifier.Verdict {
	f := newFixture(t, "EdDSA")
	f.revs.Add(record.Revocation{Seq: 1, Serial: f.pass.Serial, Category: pass.RevokeStolen, At: t0})
	vd := f.v.Verify(f.token, t0)
	if vd.Status != verifier.StatusRevoked || vd.MessageParams["category"] != string(pass.RevokeStolen) {
		t.Fatalf("revoked: %+v", vd)
	}
	return vd
}
