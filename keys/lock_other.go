//go:build !unix

package keys

import (
	"fmt"
	"runtime"
)

const oNoFollow = 0

// lockFile is not implemented off unix: changing a keyring without a lock
// could lose a key, so changes are refused rather than risked.
func lockFile(path string) (unlock func(), err error) {
	return nil, fmt.Errorf("keys: cannot lock %s: file locking is not supported on %s", path, runtime.GOOS)
}
