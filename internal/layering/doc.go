// Package layering holds no code. Its test runs on every "go test ./..."
// (and so in "make lint" and "make test") and fails when the import graph
// breaks the layers of docs/design.md ("Layers and packages"): the domain
// and crypto packages (pass, record, keys, signer, verifier, templates) and render
// never reach persistence, HTTP, the CLI or a SQL driver; nothing outside
// cmd reaches cmd (server included); store never reaches server.
//
// The graph checked is the one the binary is built from: "go list -deps"
// without tests, so a test file may import what its package may not.
package layering
