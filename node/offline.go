package node

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/verifier"
)

// OfflineBundle reads the offline bundle in file and checks it at at for
// "laminate verify --offline": signed by a key of the keyring in dir
// (keys.Open reads only keyring.json) or, when keysFile is set, of that
// JWKS saved earlier; fresh; and for event eventID when it is set. Its
// errors say what to do.
func OfflineBundle(dir, file, keysFile, eventID string, at time.Time) (*verifier.Bundle, error) {
	trusted, err := trustedKeys(dir, keysFile)
	if err != nil {
		return nil, err
	}
	raw, err := verifier.ReadFile(file, verifier.MaxBundleSize+2)
	if err != nil {
		return nil, fmt.Errorf("offline bundle: %w", err)
	}
	b, err := verifier.ParseBundle(strings.TrimSpace(string(raw)), trusted, at)
	switch {
	case errors.Is(err, verifier.ErrBundleExpired):
		return nil, withHint(fmt.Errorf("offline bundle %s is out of date, refusing to decide: %w", file, err),
			"export a new one while online: \"laminate bundle export --event ID --out %s\" or GET /v1/events/ID/bundle", file)
	case errors.Is(err, verifier.ErrBundleUntrusted):
		return nil, withHint(fmt.Errorf("offline bundle %s: %w", file, err),
			"check it against the keyring of the deployment that made it (--data DIR), or --keys FILE with its /.well-known/jwks.json")
	case err != nil:
		return nil, fmt.Errorf("offline bundle %s refused: %w", file, err)
	}
	if eventID != "" && eventID != b.Event.ID {
		return nil, fmt.Errorf("offline bundle %s is for event %s, not %s", file, b.Event.ID, eventID)
	}
	return b, nil
}

// trustedKeys are the keys a bundle must be signed with: those of the JWKS
// file keysFile, or the keyring in dir.
func trustedKeys(dir, keysFile string) (verifier.KeySource, error) {
	if keysFile != "" {
		raw, err := verifier.ReadFile(keysFile, 64<<10)
		if err != nil {
			return nil, fmt.Errorf("--keys: %w", err)
		}
		ks, err := verifier.ParseJWKS(raw)
		if err != nil {
			return nil, fmt.Errorf("--keys %s: %w", keysFile, err)
		}
		return ks, nil
	}
	ring, err := keys.Open(dir)
	if errors.Is(err, keys.ErrNotFound) {
		return nil, withHint(fmt.Errorf("no keyring in %s to check the offline bundle with", dir),
			"give the keys you trust with --keys FILE (saved from /.well-known/jwks.json or \"laminate keys jwks\"), or --data DIR")
	}
	if err != nil {
		return nil, err
	}
	return ring, nil
}
