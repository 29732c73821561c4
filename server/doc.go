// Package server is Laminate's HTTP side (labstack/echo): public
// verification, the JWKS, health checks and, for holders of a bearer token,
// the API of the production office and the doors. Handlers are thin: they
// decode, validate, authorise, call the verifier, signer or store, and
// render; the domain stays in the packages below.
//
// # Security model
//
// Every route but /healthz, /readyz, the JWKS and public verification needs
// a bearer token ([NewToken]) whose role allows it. Tokens are stored as a
// SHA-256 of their secret part and compared in constant time. Public
// verification is rate limited per client address (the connection's, never
// a header's). Bodies are capped, server timeouts are set, and the JSON of
// an error never carries an internal error string: it carries a code, a
// message written for people and the request ID that finds the log line.
package server
