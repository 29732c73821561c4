package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// BenchmarkGoJoseBaseline is the yardstick of the verify figure:
// one goroutine verifying the same token with go-jose directly
// (ParseSignedCompact + Verify with the key from the JWKS).
func BenchmarkGoJoseBaseline(b *testing.B) {
	f := newFixture(b, 0)
	key := f.s.cfg.Keys.JWKS().Keys[0]
	algs := []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256}
	for b.Loop() {
		jws, err := jose.ParseSignedCompact(f.token, algs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.Verify(key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyHandler is POST /v1/verify through the whole echo stack,
// without the network.
func BenchmarkVerifyHandler(b *testing.B) {
	f := newFixture(b, 0)
	if err := f.s.SyncOnce(b.Context()); err != nil {
		b.Fatal(err)
	}
	body := `{"token":"` + f.token + `"}`
	h := f.s.Handler()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/verify", strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
