package office

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/staff"
	"github.com/laminate/laminate/store"
)

// form is a submitted form's values and its errors by field, shown next
// to the field.
type form struct {
	Values map[string]string
	Errors map[string]string
}

func newForm() *form { return &form{Values: map[string]string{}, Errors: map[string]string{}} }

func (f *form) fail(field, msg string) { f.Errors[field] = msg }
func (f *form) ok() bool               { return len(f.Errors) == 0 }

// read takes the named fields from the request, trimmed, at most max
// bytes each (longer: an error on the field).
func (f *form) read(c echo.Context, max int, names ...string) {
	for _, n := range names {
		v := c.FormValue(n)
		if len(v) > max {
			f.fail(n, fmt.Sprintf("At most %d characters.", max))
			v = v[:0]
		}
		f.Values[n] = strings.TrimSpace(v)
	}
}

// message is an error's text for a person: the staff package's errors
// without their package prefix, first letter capitalised.
func message(err error) string {
	s := err.Error()
	for _, p := range []string{"staff: invalid: ", "staff: password refused: ", "staff: "} {
		if after, ok := strings.CutPrefix(s, p); ok {
			s = after
			break
		}
	}
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// splitEvents reads an event list typed as "a, b c".
func splitEvents(s string) []string {
	return staff.NormalizeEvents(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }))
}

// checkEvents puts an error on the field for every event that does not exist.
func (o *Office) checkEvents(ctx context.Context, f *form, field string, evs []string) error {
	var missing []string
	for _, id := range evs {
		_, err := o.st.Event(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			missing = append(missing, id)
		} else if err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		f.fail(field, "No such event: "+strings.Join(missing, ", ")+". Leave empty for every event.")
	}
	return nil
}

// adminEvents refuses event limits on the admin role (review finding 7).
func adminEvents(f *form, role string, evs []string) {
	if role == staff.RoleAdmin && len(evs) > 0 {
		f.fail("events", "An admin manages every event: remove the event limits or choose another role.")
	}
}

// newPassword checks a new password and its confirmation into f.
func newPassword(f *form, username, pw, confirm string) {
	if err := staff.CheckPolicy(username, pw); err != nil {
		f.fail("password", message(err))
	} else if pw != confirm {
		f.fail("confirm", "The two passwords differ. Type the same password twice.")
	}
}

type usersView struct {
	Users []staff.Account
	Roles []string
	Form  *form
}

func (o *Office) usersPage(c echo.Context) error { return o.renderUsers(c, http.StatusOK, newForm()) }

func (o *Office) renderUsers(c echo.Context, status int, f *form) error {
	us, err := o.st.Users(c.Request().Context())
	if err != nil {
		return err
	}
	return o.page(c, status, "users.html", "Users", usersView{Users: us, Roles: roleList, Form: f})
}

// createUser is POST /office/users.
func (o *Office) createUser(c echo.Context) error {
	u, ctx := UserOf(c), c.Request().Context()
	f := newForm()
	f.read(c, 200, "username", "display_name", "role", "events")
	f.read(c, staff.MaxPasswordBytes+1, "password", "confirm")
	a := staff.Account{Username: strings.ToLower(f.Values["username"]), DisplayName: f.Values["display_name"], Role: f.Values["role"], Events: splitEvents(f.Values["events"])}
	if err := staff.ValidUsername(a.Username); err != nil {
		f.fail("username", message(err))
	}
	if a.DisplayName == "" {
		f.fail("display_name", "Enter the person's name as colleagues know it.")
	}
	if err := staff.ValidRole(a.Role); err != nil {
		f.fail("role", "Choose a role.")
	}
	if err := o.checkEvents(ctx, f, "events", a.Events); err != nil {
		return err
	}
	adminEvents(f, a.Role, a.Events)
	newPassword(f, a.Username, c.FormValue("password"), c.FormValue("confirm"))
	if f.ok() {
		if err := a.Validate(); err != nil {
			f.fail("display_name", message(err))
		}
	}
	if !f.ok() {
		return o.renderUsers(c, http.StatusUnprocessableEntity, f)
	}
	err := o.accounts.Create(ctx, &a, c.FormValue("password"), u.Actor())
	if errors.Is(err, store.ErrExists) {
		f.fail("username", "There is already an account "+a.Username+". Choose another username.")
		return o.renderUsers(c, http.StatusConflict, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/users/"+a.Username+"?m=created")
}

type userView struct {
	Account *staff.Account
	Self    bool
	Roles   []string
	Edit    *form
	Reset   *form
}

// account finds the account of the :username in the path.
func (o *Office) account(c echo.Context) (*staff.Account, error) {
	name := c.Param("username")
	a, err := o.st.User(c.Request().Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, httpkit.NewError(http.StatusNotFound, "not_found", "There is no account "+name+".")
	}
	return a, err
}

func (o *Office) userPage(c echo.Context) error {
	a, err := o.account(c)
	if err != nil {
		return err
	}
	return o.renderUser(c, http.StatusOK, a, nil, nil)
}

func (o *Office) renderUser(c echo.Context, status int, a *staff.Account, edit, reset *form) error {
	if edit == nil {
		edit = newForm()
		edit.Values["display_name"], edit.Values["role"], edit.Values["events"] = a.DisplayName, a.Role, strings.Join(a.Events, ", ")
	}
	if reset == nil {
		reset = newForm()
	}
	return o.page(c, status, "user.html", a.DisplayName, userView{Account: a, Self: a.Username == UserOf(c).Username, Roles: roleList, Edit: edit, Reset: reset})
}

// updateUser is POST /office/users/:username: name, role, event limits.
func (o *Office) updateUser(c echo.Context) error {
	u, ctx := UserOf(c), c.Request().Context()
	a, err := o.account(c)
	if err != nil {
		return err
	}
	f := newForm()
	f.read(c, 2000, "display_name", "role", "events")
	evs := splitEvents(f.Values["events"])
	if f.Values["display_name"] == "" {
		f.fail("display_name", "Enter the person's name as colleagues know it.")
	}
	if err := staff.ValidRole(f.Values["role"]); err != nil {
		f.fail("role", "Choose a role.")
	}
	if a.Username == u.Username && f.Values["role"] != staff.RoleAdmin {
		f.fail("role", "You cannot take the admin role from yourself: another admin can.")
	}
	if err := o.checkEvents(ctx, f, "events", evs); err != nil {
		return err
	}
	adminEvents(f, f.Values["role"], evs)
	if !f.ok() {
		return o.renderUser(c, http.StatusUnprocessableEntity, a, f, nil)
	}
	_, err = o.st.UpdateUser(ctx, a.Username, store.ActionUserUpdate, u.Actor(), func(x *staff.Account) (map[string]any, error) {
		x.DisplayName, x.Role, x.Events = f.Values["display_name"], f.Values["role"], evs
		return store.UserDetail(x), x.Validate()
	})
	if errors.Is(err, staff.ErrInvalid) {
		f.fail("display_name", message(err))
		return o.renderUser(c, http.StatusUnprocessableEntity, a, f, nil)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/users/"+a.Username+"?m=saved")
}

// disableUser is POST /office/users/:username/disable: the account can no
// longer sign in, and its sessions end now (in the store's transaction).
func (o *Office) disableUser(c echo.Context) error {
	u := UserOf(c)
	a, err := o.account(c)
	if err != nil {
		return err
	}
	if a.Username == u.Username {
		return forbidden("You cannot disable your own account: another admin can.")
	}
	if err := o.accounts.SetDisabled(c.Request().Context(), a.Username, true, u.Actor()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/users/"+a.Username+"?m=disabled-user")
}

// enableUser is POST /office/users/:username/enable; it also lifts the
// account's lockouts on this node.
func (o *Office) enableUser(c echo.Context) error {
	u := UserOf(c)
	a, err := o.account(c)
	if err != nil {
		return err
	}
	if err := o.accounts.SetDisabled(c.Request().Context(), a.Username, false, u.Actor()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/users/"+a.Username+"?m=enabled")
}

// resetPassword is POST /office/users/:username/reset-password: a new
// password set by an admin; the account's sessions end.
func (o *Office) resetPassword(c echo.Context) error {
	u, ctx := UserOf(c), c.Request().Context()
	a, err := o.account(c)
	if err != nil {
		return err
	}
	f := newForm()
	newPassword(f, a.Username, c.FormValue("password"), c.FormValue("confirm"))
	if !f.ok() {
		return o.renderUser(c, http.StatusUnprocessableEntity, a, nil, f)
	}
	if err := o.accounts.SetPassword(ctx, a.Username, c.FormValue("password"), "reset by an admin", u.Actor(), nil); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/users/"+a.Username+"?m=reset")
}

type accountView struct {
	Form *form
}

func (o *Office) accountPage(c echo.Context) error {
	return o.page(c, http.StatusOK, "account.html", "Your account", accountView{Form: newForm()})
}

// changePassword is POST /office/account/password: the person's own
// password, given the current one; their other sessions end.
func (o *Office) changePassword(c echo.Context) error {
	u, ctx := UserOf(c), c.Request().Context()
	f := newForm()
	cur := c.FormValue("current")
	// Guessing the current password from a session left open is limited
	// like signing in.
	if !o.byAccount.allow(u.Username, o.cfg.Now()) {
		f.fail("current", "Too many attempts for this account. Wait a minute, then try again.")
		return o.page(c, http.StatusTooManyRequests, "account.html", "Your account", accountView{Form: f})
	}
	ok, err := o.accounts.CheckPassword(ctx, u.PasswordHash, cur)
	if err != nil {
		return err
	}
	if !ok {
		f.fail("current", "This is not your current password.")
	}
	newPassword(f, u.Username, c.FormValue("password"), c.FormValue("confirm"))
	if f.ok() && c.FormValue("password") == cur {
		f.fail("password", "The new password is the current one. Choose another.")
	}
	if !f.ok() {
		return o.page(c, http.StatusUnprocessableEntity, "account.html", "Your account", accountView{Form: f})
	}
	if err := o.accounts.SetPassword(ctx, u.Username, c.FormValue("password"), "changed by its owner", u.Actor(), u.hash); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, Prefix+"/account?m=password")
}
