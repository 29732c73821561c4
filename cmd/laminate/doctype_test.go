package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/keys"
)

// Issue 11, security 5: a shared keyring sealed before sealed keyrings were
// typed is refused to a node joining on first use, taken by a node that
// trusts its key, and sealed again with its type.
func TestLegacySharedKeyringResealed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	storeURL := "sqlite:" + filepath.Join(dir, "shared.db")
	node1 := filepath.Join(dir, "node1")
	cli := func(data string, args ...string) (string, int) {
		var out, errb bytes.Buffer
		code := run(append([]string{"--data", data, "--store", storeURL}, args...), strings.NewReader(""), &out, &errb)
		return out.String() + errb.String(), code
	}
	if out, code := cli(node1, "init"); code != 0 {
		t.Fatalf("init: %s", out)
	}
	st, err := openStore(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	typeOf := func() any {
		t.Helper()
		raw, _, err := st.Shared(ctx, sharedKeys)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := jose.ParseSignedCompact(string(raw), []jose.SignatureAlgorithm{jose.EdDSA})
		if err != nil {
			t.Fatal(err)
		}
		return obj.Signatures[0].Header.ExtraHeaders[jose.HeaderType]
	}
	if typ := typeOf(); typ != keys.ShareHeaderType {
		t.Fatalf("shared keyring typ = %v, want %s", typ, keys.ShareHeaderType)
	}

	// Seal it the old way: no typ.
	raw, ver, err := st.Shared(ctx, sharedKeys)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keys.Open(node1)
	if err != nil {
		t.Fatal(err)
	}
	sh, _, err := keys.OpenShare(raw, ring)
	if err != nil {
		t.Fatal(err)
	}
	js, _, err := ring.SignerFor(ring.Active().KID, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := sh.Encode()
	obj, err := js.Sign(enc)
	if err != nil {
		t.Fatal(err)
	}
	legacy, _ := obj.CompactSerialize()
	if _, err := st.PutShared(ctx, sharedKeys, []byte(legacy), ver, "test"); err != nil {
		t.Fatal(err)
	}
	if typ := typeOf(); typ != nil {
		t.Fatalf("legacy keyring typ = %v", typ)
	}

	if out, code := cli(filepath.Join(dir, "node2"), "keys", "list"); code == 0 || !strings.Contains(out, "sealed without a type") {
		t.Fatalf("a node joining on a keyring sealed untyped: exit %d\n%s", code, out)
	}
	if out, code := cli(node1, "keys", "list"); code != 0 {
		t.Fatalf("keys list on the node that trusts the key: %s", out)
	}
	if typ := typeOf(); typ != keys.ShareHeaderType {
		t.Fatalf("after a trusting node opened the store: typ = %v, want %s", typ, keys.ShareHeaderType)
	}
	if out, code := cli(filepath.Join(dir, "node3"), "keys", "list"); code != 0 {
		t.Fatalf("a node joining after the reseal: %s", out)
	}
}
