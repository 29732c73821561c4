package node

import (
	"context"
	"fmt"
	"time"

	"github.com/laminate/laminate/keys"
	"github.com/laminate/laminate/store"
)

// RotateKey makes a new active key of alg (older keys keep verifying),
// shares it with the other nodes of a shared store ([Node.KeysChanged])
// and writes it to the audit log as the node's actor. The node is open.
func (n *Node) RotateKey(ctx context.Context, alg keys.Alg, passphrase []byte, now time.Time) (keys.Key, error) {
	k, err := n.ring.Rotate(alg, passphrase, now)
	if err != nil {
		return k, err
	}
	if err := n.KeysChanged(ctx); err != nil {
		return k, err
	}
	return k, n.st.Record(ctx, store.AuditEntry{Actor: n.o.Actor, Action: store.ActionKeyRotate, Subject: k.KID, Detail: fmt.Sprintf(`{"alg":%q}`, k.Alg)})
}

// RetireKey stops the key kid verifying, shares that and writes it to the
// audit log, like RotateKey.
func (n *Node) RetireKey(ctx context.Context, kid string, now time.Time) error {
	if err := n.ring.Retire(kid, now); err != nil {
		return err
	}
	if err := n.KeysChanged(ctx); err != nil {
		return err
	}
	return n.st.Record(ctx, store.AuditEntry{Actor: n.o.Actor, Action: store.ActionKeyRetire, Subject: kid, Detail: "{}"})
}
