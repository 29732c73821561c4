package signer_test

import (
	"encoding/base64"
	"os"
)

var b64 = base64.RawURLEncoding

// tempDir is for Examples, which have no testing.T.
func tempDir() (string, error) { return os.MkdirTemp("", "laminate-example-") }
