package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/laminate/laminate/internal/httpkit"
	"github.com/laminate/laminate/pass"
	"github.com/laminate/laminate/signer"
	"github.com/laminate/laminate/store"
)

// host is a test httpkit.Host: the role comes from X-Test-Role.
type host struct{ st store.Store }

func (h host) Require(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			role := c.Request().Header.Get("X-Test-Role")
			if role != httpkit.RoleAdmin && !strings.Contains(strings.Join(roles, ","), role) {
				return httpkit.NewError(http.StatusForbidden, "forbidden", "role")
			}
			httpkit.SetCaller(c, httpkit.Caller{ID: "t1", Name: "ops", Role: role})
			return next(c)
		}
	}
}
func (h host) Event(context.Context, string) (*pass.Event, error) { return nil, nil }
func (h host) Signer() *signer.Signer                             { return nil }
func (h host) Store() store.Store                                 { return h.st }

func TestAPI(t *testing.T) {
	s := openStore(t)
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		var he *httpkit.Error
		if errors.As(err, &he) {
			c.JSON(he.Status, map[string]string{"code": he.Code, "message": he.Message})
			return
		}
		e.DefaultHTTPErrorHandler(err, c)
	}
	API{}.Mount(e, host{s})
	srv := httptest.NewServer(e)
	defer srv.Close()
	do := func(method, path, role, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("X-Test-Role", role)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := do("POST", "/v1/webhooks", "admin", `{"url":"https://hooks.example.com/l","events":["pass.revoked","alert.raised"]}`)
	if code != http.StatusCreated {
		t.Fatalf("POST: %d %s", code, body)
	}
	var ep Endpoint
	if err := json.Unmarshal([]byte(body), &ep); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseSecret(ep.Secret); err != nil || !strings.HasPrefix(ep.ID, "wh_") || ep.CreatedBy != "token:t1 (ops)" {
		t.Errorf("created %+v (%v)", ep, err)
	}
	for _, tc := range []struct {
		method, path, role, body string
		code                     int
		want                     string
	}{
		{"POST", "/v1/webhooks", "issuer", `{"url":"https://hooks.example.com/l","events":["pass.revoked"]}`, 403, ""},
		{"POST", "/v1/webhooks", "admin", `{"url":"https://10.0.0.1/l","events":["pass.revoked"]}`, 400, "private"},
		{"POST", "/v1/webhooks", "admin", `{"url":"https://hooks.example.com/l","events":["pass.eaten"]}`, 400, "unknown webhook event type"},
		{"POST", "/v1/webhooks", "admin", `{"url":"https://hooks.example.com/l","events":["pass.revoked"],"secret":"mine"}`, 400, "unknown field"},
		{"POST", "/v1/webhooks", "admin", `{"url":"https://hooks.example.com/` + strings.Repeat("a", 9000) + `"}`, 400, "8 KiB"},
		{"GET", "/v1/webhooks", "admin", "", 200, `"events":["pass.revoked","alert.raised"]`},
		{"GET", "/v1/webhooks", "scanner", "", 403, ""},
		{"GET", "/v1/webhooks/" + ep.ID + "/deliveries", "admin", "", 200, `{"deliveries":[]}`},
		{"GET", "/v1/webhooks/" + ep.ID + "/deliveries?limit=0", "admin", "", 400, "limit"},
		{"GET", "/v1/webhooks/wh_nope/deliveries", "admin", "", 404, "no webhook wh_nope"},
		{"DELETE", "/v1/webhooks/wh_nope", "admin", "", 404, ""},
		{"DELETE", "/v1/webhooks/" + ep.ID, "issuer", "", 403, ""},
	} {
		code, body := do(tc.method, tc.path, tc.role, tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s as %s: %d %s, want %d and %q", tc.method, tc.path, tc.role, code, body, tc.code, tc.want)
		}
		if strings.Contains(body, "whsec_") {
			t.Errorf("%s %s shows a secret: %s", tc.method, tc.path, body)
		}
	}
	enqueue(t, s, "msg_x") // zone.full: not subscribed
	if _, err := s.EnqueueWebhook(context.Background(), store.WebhookEvent{ID: "msg_y", Type: store.WebhookAlertRaised, Data: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if code, body := do("GET", "/v1/webhooks/"+ep.ID+"/deliveries", "admin", ""); code != 200 || !strings.Contains(body, `"webhook_id":"msg_y","type":"alert.raised","state":"pending","attempts":0,"next_try":"`) || strings.Contains(body, "msg_x") {
		t.Errorf("deliveries: %d %s", code, body)
	}
	if code, _ := do("DELETE", "/v1/webhooks/"+ep.ID, "admin", ""); code != http.StatusNoContent {
		t.Errorf("DELETE: %d", code)
	}
	audit, _ := s.Audit(context.Background(), 0)
	if audit[0].Action != store.ActionWebhookDelete || audit[0].Actor != "token:t1 (ops)" {
		t.Errorf("audit %+v", audit[0])
	}
}
