package server

import "testing"

func TestRoleNeeded(t *testing.T) {
	for _, tt := range []struct {
		roles []string
		have  string
		want  string
	}{
		{nil, RoleIssuer, "this needs an admin token; yours is an issuer token"},
		{[]string{RoleIssuer}, RoleScanner, "this needs an admin or issuer token; yours is a scanner token"},
		{[]string{RoleScanner, RoleStage, RoleIssuer}, "printer", "this needs an admin, scanner, stage or issuer token; yours is a printer token"},
		{[]string{RoleAdmin, RoleStage}, RoleScanner, "this needs an admin or stage token; yours is a scanner token"},
	} {
		if got := roleNeeded(tt.roles, tt.have); got != tt.want {
			t.Errorf("roleNeeded(%v, %s) = %q, want %q", tt.roles, tt.have, got, tt.want)
		}
	}
}
