//go:build unix

package keys

import (
	"io/fs"
	"syscall"
)

func ownerOf(_ string, fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
