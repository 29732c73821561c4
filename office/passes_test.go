package office

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
	"github.com/laminate/laminate/store/storetest"
)

// withPasses gives the office a signer and stores events ber and par with
// passes: ber has Jo Park (WRK, lighting, Lights Co) and Ana Lopez (AAA),
// par has Max Moe. It returns the passes of ber.
func (e *env) withPasses() []store.Issued {
	e.t.Helper()
	ctx := context.Background()
	ring, err := keys.Init(e.t.TempDir(), keys.EdDSA, nil, t0)
	if err != nil {
		e.t.Fatal(err)
	}
	js, key, err := ring.Signer(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	sg := signer.New(js, key.KID, "lam")
	sg.Now = e.clk.Now
	e.o.host = host{st: e.st, sg: sg, revs: &e.revs, tc: noSnowmen{}}
	start := e.clk.Now().Add(72 * time.Hour).Truncate(time.Hour).In(time.FixedZone("", 3600))
	storetest.MustCreate(e.t, e.st, storetest.NewEvent(e.t, "ber", start), storetest.NewEvent(e.t, "par", start))
	ber, _ := e.st.Event(ctx, "ber")
	par, _ := e.st.Event(ctx, "par")
	out, err := issue.Batch(ctx, sg, e.st, ber, []signer.Request{
		{Type: pass.Working, Role: "lighting", Name: "Jo Park", Org: "Lights Co"},
		{Type: pass.AAA, Name: "Ana Lopez", Org: "Band"},
	}, "office", issue.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := issue.Batch(ctx, sg, e.st, par, []signer.Request{{Type: pass.AAA, Name: "Max Moe"}}, "office", issue.Options{}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// noSnowmen is a font that cannot print a snowman.
type noSnowmen struct{}

func (noSnowmen) CheckPrintable(field, s string) error {
	if strings.ContainsRune(s, '☃') {
		return fmt.Errorf("%s: the font of this event cannot print ☃; use other characters", field)
	}
	return nil
}

func TestPassesSearch(t *testing.T) {
	e := newEnv(t, Config{}, false)
	ps := e.withPasses()
	jo, ana := ps[0], ps[1]
	e.user("alice", staff.RoleIssuer)
	e.user("pat", staff.RolePrinter)
	e.user("sam", staff.RoleScanner)
	e.user("lim", staff.RoleIssuer, "par")
	b := e.browser()
	b.mustSignIn("alice")

	wantStatus(t, "no event chosen", b.get("/office/passes"), http.StatusOK, "Choose an event to see its passes", `href="/office/passes"`)
	all := b.get("/office/passes?event=ber")
	wantStatus(t, "all of ber", all, http.StatusOK, "Jo Park", "Ana Lopez", jo.Serial.String(), `href="/office/passes/`+jo.Serial.String()+`"`)
	if strings.Contains(all.body, "Max Moe") {
		t.Error("the search of ber lists a pass of par")
	}
	for _, q := range []string{"jo", "lights", "lighting", jo.Serial.String(), jo.Serial.String()} {
		a := b.get("/office/passes?event=ber&q=" + url.QueryEscape(q))
		wantStatus(t, "q="+q, a, http.StatusOK, "Jo Park")
		if strings.Contains(a.body, "Ana Lopez") {
			t.Errorf("q=%s also finds Ana Lopez", q)
		}
	}
	wantStatus(t, "type", b.get("/office/passes?event=ber&type=AAA"), http.StatusOK, "Ana Lopez")
	wantStatus(t, "no match", b.get("/office/passes?event=ber&q=nobody"), http.StatusOK, "No pass matches")
	wantStatus(t, "bad type", b.get("/office/passes?event=ber&type=XYZ"), http.StatusUnprocessableEntity, "Type: ")
	wantStatus(t, "bad status", b.get("/office/passes?event=ber&status=lost"), http.StatusUnprocessableEntity, "choose valid, revoked or superseded")
	wantStatus(t, "long q", b.get("/office/passes?event=ber&q="+strings.Repeat("a", 101)), http.StatusUnprocessableEntity, "At most 100 characters")
	wantStatus(t, "no such event", b.get("/office/passes?event=xyz"), http.StatusNotFound, "There is no event xyz")

	if err := e.st.Revoke(context.Background(), &store.Revocation{Serial: ana.Serial, Category: pass.RevokeLost, By: "test"}); err != nil {
		t.Fatal(err)
	}
	rev := b.get("/office/passes?event=ber&status=revoked")
	wantStatus(t, "status=revoked", rev, http.StatusOK, "Ana Lopez", ">revoked<")
	if strings.Contains(rev.body, "Jo Park") {
		t.Error("status=revoked lists a valid pass")
	}
	if a := b.get("/office/passes?event=ber&status=valid"); strings.Contains(a.body, "Ana Lopez") {
		t.Error("status=valid lists a revoked pass")
	}

	// Roles: a printer reads, a scanner does not; the nav follows.
	p := e.browser()
	p.mustSignIn("pat")
	wantStatus(t, "printer search", p.get("/office/passes?event=ber&q=jo"), http.StatusOK, "Jo Park", `<a href="/office/passes"`)
	page := p.get("/office/passes/" + jo.Serial.String())
	wantStatus(t, "printer pass page", page, http.StatusOK, "Jo Park", "Never scanned")
	if strings.Contains(page.body, "Revoke pass") || strings.Contains(page.body, ">Reissue<") {
		t.Error("a printer is shown the revoke or reissue form")
	}
	wantStatus(t, "printer PDF", p.get("/office/passes/"+jo.Serial.String()+"/pdf"), http.StatusOK, "%PDF- "+jo.Serial.String())
	if !strings.Contains(page.body, `href="/office/passes/`+jo.Serial.String()+`/pdf"`) {
		t.Error("the pass page has no PDF link")
	}
	s := e.browser()
	s.mustSignIn("sam")
	wantStatus(t, "scanner PDF", s.get("/office/passes/"+jo.Serial.String()+"/pdf"), http.StatusForbidden)
	wantStatus(t, "scanner", s.get("/office/passes?event=ber"), http.StatusForbidden, "issuer")
	if strings.Contains(s.get("/office/").body, `href="/office/passes"`) {
		t.Error("the nav offers Passes to a scanner")
	}

	// Event limits: search and pass page of another event are 403.
	l := e.browser()
	l.mustSignIn("lim")
	wantStatus(t, "limited: own event by default", l.get("/office/passes"), http.StatusOK, "Max Moe")
	wantStatus(t, "limited: other event", l.get("/office/passes?event=ber"), http.StatusForbidden, "limited to event par: it cannot see or act for event ber")
	wantStatus(t, "limited: other event's PDF", l.get("/office/passes/"+jo.Serial.String()+"/pdf"), http.StatusForbidden, "limited to event par")
	wantStatus(t, "limited: other event's pass", l.get("/office/passes/"+jo.Serial.String()), http.StatusForbidden, "limited to event par")
	wantStatus(t, "limited: other event's revoke", l.post("/office/passes/"+jo.Serial.String()+"/revoke", url.Values{"reason": {"lost"}}, l.csrf), http.StatusForbidden, "limited to event par")
	if _, err := e.st.Revocation(context.Background(), jo.Serial); err == nil {
		t.Fatal("an account limited to another event revoked a pass")
	}
	wantStatus(t, "unknown serial", b.get("/office/passes/zzzz-zzzz"), http.StatusNotFound, "There is no pass")
}

func TestPassRevoke(t *testing.T) {
	e := newEnv(t, Config{}, false)
	jo := e.withPasses()[0]
	ctx := context.Background()
	e.user("alice", staff.RoleIssuer)
	e.user("pat", staff.RolePrinter)
	b := e.browser()
	b.mustSignIn("alice")
	path := "/office/passes/" + jo.Serial.String()
	wantStatus(t, "page", b.get(path), http.StatusOK, "Revoke pass", `action="`+path+`/revoke"`)

	wantStatus(t, "no CSRF", b.post(path+"/revoke", url.Values{"reason": {"stolen"}}, ""), http.StatusForbidden, "security token is missing or wrong")
	wantStatus(t, "no reason", b.post(path+"/revoke", url.Values{"revoke_note": {"x"}}, "auto"), http.StatusUnprocessableEntity, `id="e-revoke-reason"`, "Choose a reason.", `value="x"`)
	wantStatus(t, "superseded is not a choice", b.post(path+"/revoke", url.Values{"reason": {"superseded"}}, "auto"), http.StatusUnprocessableEntity, "Choose a reason.")
	wantStatus(t, "long note", b.post(path+"/revoke", url.Values{"reason": {"stolen"}, "revoke_note": {strings.Repeat("n", 201)}}, "auto"), http.StatusUnprocessableEntity, `id="e-revoke_note"`)
	p := e.browser()
	p.mustSignIn("pat")
	p.get(path)
	wantStatus(t, "printer", p.post(path+"/revoke", url.Values{"reason": {"stolen"}}, "auto"), http.StatusForbidden, "issuer")
	if _, err := e.st.Revocation(ctx, jo.Serial); err == nil {
		t.Fatal("a refused revoke revoked the pass")
	}

	a := b.post(path+"/revoke", url.Values{"reason": {"stolen"}, "revoke_note": {"bag taken at load-in"}}, "auto")
	wantStatus(t, "revoke", a, http.StatusSeeOther)
	if a.location != path+"?m=revoked" {
		t.Fatalf("revoke redirects to %q", a.location)
	}
	r, err := e.st.Revocation(ctx, jo.Serial)
	if err != nil || r.Category != pass.RevokeStolen || r.Note != "bag taken at load-in" || r.By != "user:alice (Alice Example)" {
		t.Fatalf("Revocation() = %+v, %v", r, err)
	}
	if len(e.revs) != 1 || e.revs[0].Serial != jo.Serial {
		t.Errorf("the node's revocation list was given %+v, want the revocation of %s", e.revs, jo.Serial)
	}
	page := b.get(a.location)
	wantStatus(t, "revoked page", page, http.StatusOK, "Pass revoked", "Revoked (stolen)", "bag taken at load-in", "pass.revoke", "user:alice (Alice Example)")
	if strings.Contains(page.body, "Revoke pass") {
		t.Error("a revoked pass still offers the revoke form")
	}
	wantStatus(t, "again", b.post(path+"/revoke", url.Values{"reason": {"lost"}}, "auto"), http.StatusConflict, "already revoked or replaced")
}

func TestPassReissue(t *testing.T) {
	e := newEnv(t, Config{}, false)
	ps := e.withPasses()
	jo := ps[0]
	ctx := context.Background()
	e.user("alice", staff.RoleIssuer)
	b := e.browser()
	b.mustSignIn("alice")
	path := "/office/passes/" + jo.Serial.String()
	wantStatus(t, "page", b.get(path), http.StatusOK, `action="`+path+`/reissue"`)

	wantStatus(t, "no CSRF", b.post(path+"/reissue", url.Values{"reason": {"lost"}}, ""), http.StatusForbidden)
	wantStatus(t, "no reason", b.post(path+"/reissue", url.Values{"note": {"kept"}}, "auto"), http.StatusUnprocessableEntity, `id="e-reissue-reason"`, "Choose a reason.", `value="kept"`)
	wantStatus(t, "bad reason", b.post(path+"/reissue", url.Values{"reason": {"stolen"}}, "auto"), http.StatusUnprocessableEntity, "Choose a reason.")
	wantStatus(t, "name change without name", b.post(path+"/reissue", url.Values{"reason": {"name_change"}}, "auto"), http.StatusUnprocessableEntity, `id="e-name"`, "Enter the new name.")
	wantStatus(t, "new photo", b.post(path+"/reissue", url.Values{"reason": {"new_photo"}}, "auto"), http.StatusUnprocessableEntity, `id="e-photo"`, "Choose the new photo")
	wantStatus(t, "bad name", b.post(path+"/reissue", url.Values{"reason": {"name_change"}, "name": {"Jo\x00"}}, "auto"), http.StatusUnprocessableEntity, `id="e-name"`)
	wantStatus(t, "unprintable name", b.post(path+"/reissue", url.Values{"reason": {"name_change"}, "name": {"Jo ☃"}}, "auto"), http.StatusUnprocessableEntity, `id="e-name"`, "cannot print ☃")
	if r, err := e.st.Revocation(ctx, jo.Serial); err == nil {
		t.Fatalf("a refused reissue superseded the pass: %+v", r)
	}

	a := b.post(path+"/reissue", url.Values{"reason": {"name_change"}, "name": {"Jo Parker"}, "note": {"married"}}, "auto")
	wantStatus(t, "reissue", a, http.StatusSeeOther)
	r, err := e.st.Revocation(ctx, jo.Serial)
	if err != nil || !r.Superseded() || r.By != "user:alice (Alice Example)" {
		t.Fatalf("Revocation(old) = %+v, %v", r, err)
	}
	if len(e.revs) != 1 || e.revs[0].Serial != jo.Serial || !e.revs[0].Superseded() {
		t.Errorf("the node's revocation list was given %+v, want the supersession of %s", e.revs, jo.Serial)
	}
	if a.location != "/office/passes/"+r.SupersededBy.String()+"?m=reissued" {
		t.Fatalf("reissue redirects to %q, want the new pass %s", a.location, r.SupersededBy)
	}
	wantStatus(t, "new pass", b.get(a.location), http.StatusOK, "Jo Parker", "New pass issued", "Lights Co", "lighting", ">valid<")
	old := b.get(path)
	wantStatus(t, "old pass", old, http.StatusOK, "Replaced by a newer pass", `href="/office/passes/`+r.SupersededBy.String()+`"`, ">superseded<")
	if strings.Contains(old.body, ">Reissue<") {
		t.Error("a superseded pass still offers the reissue form")
	}
	wantStatus(t, "again", b.post(path+"/reissue", url.Values{"reason": {"lost"}}, "auto"), http.StatusConflict, "instead")
	wantStatus(t, "search shows both", b.get("/office/passes?event=ber&q=jo"), http.StatusOK, "Jo Parker", ">superseded<", "Jo Park<")
}

func TestPassNoSigner(t *testing.T) {
	e := newEnv(t, Config{}, false)
	jo := e.withPasses()[0]
	e.o.host = host{st: e.st}
	e.user("alice", staff.RoleIssuer)
	b := e.browser()
	b.mustSignIn("alice")
	path := "/office/passes/" + jo.Serial.String()
	b.get(path)
	wantStatus(t, "no signer", b.post(path+"/reissue", url.Values{"reason": {"lost"}}, "auto"), http.StatusServiceUnavailable, "cannot sign passes")
}
