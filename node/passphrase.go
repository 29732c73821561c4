package node

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/user"
)

// ReadPassphraseFile reads a keyring passphrase from the file name: its
// first line, at most 1 KiB. As ssh and age do for keys, a regular file
// that group or others can read (or write) is refused: it is no secret. A
// pipe (--passphrase-file <(…)) is the caller's own.
func ReadPassphraseFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("passphrase file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		return nil, withHint(fmt.Errorf("passphrase file %s has mode %04o: group or others can read or write it", name, fi.Mode().Perm()),
			"chmod 600 %s", name)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1025))
	if err != nil {
		return nil, fmt.Errorf("passphrase file: %w", err)
	}
	if len(b) > 1024 {
		return nil, fmt.Errorf("passphrase file %s is larger than 1 KiB", name)
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i] // the first line is the passphrase
	}
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) == 0 {
		return nil, fmt.Errorf("passphrase file %s is empty", name)
	}
	return b, nil
}

// Passphrase is the keyring passphrase of the command line: read from
// file (--passphrase-file) when it is set, else LAMINATE_KEY_PASSPHRASE;
// nil when neither is. Never from a flag: it would show in ps and shell
// history.
func Passphrase(file string) ([]byte, error) {
	if file != "" {
		return ReadPassphraseFile(file)
	}
	if p := os.Getenv("LAMINATE_KEY_PASSPHRASE"); p != "" {
		return []byte(p), nil
	}
	return nil, nil
}

// LocalActor names the person at this machine's command line for the
// audit log: "cli:" and their user name (or uid).
func LocalActor() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = fmt.Sprintf("uid-%d", os.Getuid())
	}
	return "cli:" + name
}
