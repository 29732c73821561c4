//go:build unix

package keys

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// oNoFollow makes opening a symlinked key file fail instead of following it.
const oNoFollow = syscall.O_NOFOLLOW

// lockFile takes an exclusive advisory lock on path, creating it if needed.
// flock locks belong to the open file description, so two Keyring values in
// one process exclude each other just as two processes do.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keys: open lock file: %w", err)
	}
	fd := int(f.Fd())
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("keys: lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		f.Close()
	}, nil
}
