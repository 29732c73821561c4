package zpl

import (
	"context"
	"fmt"
	"net"
	"time"
)

// SendTimeout bounds a whole send to a printer: connecting and writing.
const SendTimeout = 10 * time.Second

// Send writes ZPL to a printer's raw port (host:port, usually 9100: the
// "raw TCP" or "JetDirect" port every network Zebra listens on). The
// printer answers nothing on that port, so success means the bytes were
// handed to its TCP stack; a printer out of labels still accepts them.
func Send(ctx context.Context, addr string, zpl []byte) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("zpl: printer address %q is not host:port (a Zebra listens on port 9100)", addr)
	}
	ctx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("zpl: printer %s: %w", addr, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if _, err := c.Write(zpl); err != nil {
		return fmt.Errorf("zpl: printer %s: %w", addr, err)
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("zpl: printer %s: %w", addr, err)
	}
	return nil
}
