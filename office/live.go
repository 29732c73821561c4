package office

import (
	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
)

// The office signs people in for the other surfaces too: server asks it
// who a request's session cookie names (httpkit.SessionResolver), so the
// live dashboard admits a person without importing the office.
var _ httpkit.SessionResolver = (*Office)(nil)

// ResolveSession is the person signed in on c's session cookie, as
// [User.Caller] names them (their event limits included); ok false when
// nobody is. Roles and CSRF are the asking route's to check: it is meant
// for read-only GETs (httpkit.SessionHost.RequireReader).
func (o *Office) ResolveSession(c echo.Context) (httpkit.Caller, bool, error) {
	if o.st == nil { // not mounted
		return httpkit.Caller{}, false, nil
	}
	u, _, err := o.session(c)
	if err != nil || u == nil {
		return httpkit.Caller{}, false, err
	}
	return u.Caller(), true, nil
}

// MayWatch says whether the person may watch events on the live
// dashboard (httpkit.WatchRoles, or admin): the office links to it.
func (u *User) MayWatch() bool { return httpkit.HasRole(u.Role, httpkit.WatchRoles...) }
