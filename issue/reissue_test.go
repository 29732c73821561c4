package issue_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/laminate/laminate/issue"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// TestReissue: the new pass keeps the holder's type, role, org, validity
// and event, with the changes asked; the old one is superseded and links
// to it; a second reissue of the old pass, or one of a revoked pass, is
// refused saying what to do.
func TestReissue(t *testing.T) {
	ctx := context.Background()
	sg, st := newSigner(t), newStore(t)
	out, err := issue.Batch(ctx, sg, st, event, []signer.Request{
		{Type: pass.Working, Role: "lighting", Name: "Jo Park", Org: "Lights Co"},
		{Type: pass.AAA, Name: "Ana Lopez"},
	}, "office", issue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	old := out[0]
	got, err := issue.Reissue(ctx, sg, st, issue.ReissueRequest{Serial: old.Serial, Name: "Jo Parker", Note: "married", By: "desk"}, issue.Options{})
	if err != nil {
		t.Fatalf("Reissue() error = %v", err)
	}
	n := got.New
	if n.Serial == old.Serial || n.Name != "Jo Parker" || n.Type != old.Type || n.Role != old.Role || n.Org != old.Org ||
		n.Event != old.Event || !n.ValidUntil.Equal(old.ValidUntil) || !n.ValidFrom.Equal(old.ValidFrom) {
		t.Errorf("Reissue() new pass = %+v, want %+v with the name Jo Parker and a new serial", n.Pass, old.Pass)
	}
	if got.Reason != pass.ReissueNameChange {
		t.Errorf("Reissue() reason = %q, want name_change (inferred from the new name)", got.Reason)
	}
	rev, err := st.Revocation(ctx, old.Serial)
	if err != nil || !rev.Superseded() || rev.SupersededBy != n.Serial || rev.By != "desk" {
		t.Errorf("Revocation(old) = %+v, %v; want superseded by %s", rev, err, n.Serial)
	}
	if _, err := st.Pass(ctx, n.Serial); err != nil {
		t.Errorf("Pass(new) error = %v", err)
	}

	tests := []struct {
		name     string
		req      issue.ReissueRequest
		code     string
		contains string
	}{
		{"fail/already-superseded", issue.ReissueRequest{Serial: old.Serial, Reason: pass.ReissueLost}, issue.ReissueSuperseded, "reissue " + n.Serial.String() + " instead"},
		{"fail/unknown", issue.ReissueRequest{Serial: "ZZZZZZZZ", Reason: pass.ReissueLost}, issue.ReissueNotFound, "no pass"},
		{"fail/no-reason", issue.ReissueRequest{Serial: out[1].Serial}, issue.ReissueBadRequest, "lost, damaged, name_change, new_photo"},
		{"fail/bad-reason", issue.ReissueRequest{Serial: out[1].Serial, Reason: "stolen"}, issue.ReissueBadRequest, "want one of"},
		{"fail/name-change-same-name", issue.ReissueRequest{Serial: out[1].Serial, Reason: pass.ReissueNameChange}, issue.ReissueBadRequest, "needs the new name"},
		{"fail/new-photo-without-photo", issue.ReissueRequest{Serial: out[1].Serial, Reason: pass.ReissueNewPhoto}, issue.ReissueBadRequest, "needs the photo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := issue.Reissue(ctx, sg, st, tt.req, issue.Options{})
			var re *issue.ReissueError
			if !errors.As(err, &re) || re.Code != tt.code || !strings.Contains(re.Message, tt.contains) {
				t.Fatalf("Reissue() error = %v, want code %s saying %q", err, tt.code, tt.contains)
			}
		})
	}

	if err := st.Revoke(ctx, &store.Revocation{Serial: out[1].Serial, Category: pass.RevokeStolen, By: "tm"}); err != nil {
		t.Fatal(err)
	}
	_, err = issue.Reissue(ctx, sg, st, issue.ReissueRequest{Serial: out[1].Serial, Reason: pass.ReissueLost}, issue.Options{})
	var re *issue.ReissueError
	if !errors.As(err, &re) || re.Code != issue.ReissueRevoked || !strings.Contains(re.Message, "issue a new pass") {
		t.Errorf("Reissue(revoked) error = %v, want code revoked saying to issue a new pass", err)
	}
}
