package keys

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"
)

// artworkFile holds the secret that keys the serial artwork printed on
// every pass: without it nobody can draw the right artwork for a serial.
const artworkFile = "artwork.secret"

// ArtworkSecretLen is the length of the artwork secret in bytes.
const ArtworkSecretLen = 32

// ArtworkSecret returns the data folder's artwork secret, creating it (32
// random bytes, hex, mode 0600, never overwritten) the first time. It is a
// secret like a private key: a file readable by others is refused.
func ArtworkSecret(dir string, now time.Time) ([]byte, error) {
	path := filepath.Join(dir, keysDirName, artworkFile)
	data, err := readSmallFile(path, 4<<10, 0o077)
	if errors.Is(err, fs.ErrNotExist) {
		secret := make([]byte, ArtworkSecretLen)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		body := fmt.Sprintf("# laminate artwork secret\n# created: %s\n%s\n", now.UTC().Format(time.RFC3339), hex.EncodeToString(secret))
		if err := writeNewFile(path, []byte(body)); err != nil {
			if errors.Is(err, fs.ErrExist) { // another process made it first
				return ArtworkSecret(dir, now)
			}
			return nil, err
		}
		return secret, nil
	}
	if err != nil {
		return nil, err
	}
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		secret, err := hex.DecodeString(string(line))
		if err != nil || len(secret) != ArtworkSecretLen {
			return nil, badFile(path, i+1, "want %d bytes in hex", ArtworkSecretLen)
		}
		return secret, nil
	}
	return nil, badFile(path, 1, "no secret in the file")
}
