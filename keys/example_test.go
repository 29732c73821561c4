package keys_test

import (
	"encoding/base64"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/laminate/laminate/keys"
)

func ExampleKeyring_Signer() {
	dir, err := os.MkdirTemp("", "laminate")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ring, err := keys.Init(dir, keys.EdDSA, nil, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	signer, key, err := ring.Signer(nil)
	if err != nil {
		log.Fatal(err)
	}
	jws, err := signer.Sign([]byte(`{"sub":"7K2M-9QX4"}`))
	if err != nil {
		log.Fatal(err)
	}
	token, _ := jws.CompactSerialize()

	// A verifier takes its algorithms from configuration and its key from
	// the keyring by kid, never from the token.
	parsed, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{keys.EdDSA, keys.ES256})
	if err != nil {
		log.Fatal(err)
	}
	vk, ok := ring.VerifyKey(parsed.Signatures[0].Header.KeyID)
	if !ok {
		log.Fatal("unknown kid")
	}
	payload, err := parsed.Verify(vk.Public)
	if err != nil {
		log.Fatal(err)
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	fmt.Println(strings.Replace(string(header), key.KID, "<kid>", 1))
	fmt.Println(string(payload))
	// Output:
	// {"alg":"EdDSA","kid":"<kid>"}
	// {"sub":"7K2M-9QX4"}
}
