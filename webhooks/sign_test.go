package webhooks

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// A published vector of the Standard Webhooks libraries: the secret, the
// message id, the timestamp and the body give this signature.
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignVector(t *testing.T) {
	secret, err := ParseSecret(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := Sign(secret, vecID, time.Unix(vecTS, 0), []byte(vecBody)); got != vecSig {
		t.Errorf("Sign() = %s, want %s", got, vecSig)
	}
	if got := FormatSecret(secret); got != vecSecret {
		t.Errorf("FormatSecret() = %s, want %s", got, vecSecret)
	}
}

func TestSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if len(a) != SecretBytes || bytes.Equal(a, b) {
		t.Fatalf("NewSecret() = %x, %x: want %d fresh bytes", a, b, SecretBytes)
	}
	back, err := ParseSecret(FormatSecret(a))
	if err != nil || !bytes.Equal(back, a) {
		t.Errorf("ParseSecret(FormatSecret()) = %x, %v", back, err)
	}
	for _, s := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_%%%", "whsec_c2hvcnQ="} {
		if _, err := ParseSecret(s); err == nil {
			t.Errorf("ParseSecret(%q) succeeded", s)
		}
	}
}

func vecHeaders(ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, vecID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestVerify(t *testing.T) {
	secret, _ := ParseSecret(vecSecret)
	now := time.Unix(vecTS, 0)
	body := []byte(vecBody)
	other := "v1," + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	for _, tc := range []struct {
		name string
		h    http.Header
		body []byte
		now  time.Time
		want error
	}{
		{"valid", vecHeaders(vecTS, vecSig), body, now, nil},
		{"valid among others (rotation)", vecHeaders(vecTS, other+" v1a,xyz "+vecSig), body, now, nil},
		{"4 minutes late", vecHeaders(vecTS, vecSig), body, now.Add(4 * time.Minute), nil},
		{"6 minutes late", vecHeaders(vecTS, vecSig), body, now.Add(6 * time.Minute), ErrTimestamp},
		{"6 minutes early", vecHeaders(vecTS, vecSig), body, now.Add(-6 * time.Minute), ErrTimestamp},
		{"timestamp changed", vecHeaders(vecTS+1, vecSig), body, now, ErrSignature},
		{"body changed", vecHeaders(vecTS, vecSig), []byte(`{"test": 2432232315}`), now, ErrSignature},
		{"body re-serialised", vecHeaders(vecTS, vecSig), []byte(`{"test":2432232314}`), now, ErrSignature},
		{"wrong signature", vecHeaders(vecTS, other), body, now, ErrSignature},
		{"other version only", vecHeaders(vecTS, "v2,"+vecSig[3:]), body, now, ErrSignature},
		{"not base64", vecHeaders(vecTS, "v1,???"), body, now, ErrSignature},
		{"timestamp not a number", vecHeaders(0, vecSig), body, now, ErrTimestamp},
		{"no signature", vecHeaders(vecTS, ""), body, now, ErrMissingHeaders},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "timestamp not a number" {
				tc.h.Set(HeaderTimestamp, "1614265330.5")
			}
			if err := Verify(secret, tc.h, tc.body, tc.now, 0); !errors.Is(err, tc.want) {
				t.Errorf("Verify() = %v, want %v", err, tc.want)
			}
		})
	}
	id := http.Header{}
	Headers(id, secret, "msg_1", now, body)
	if err := Verify(secret, id, body, now, time.Second); err != nil {
		t.Errorf("Verify(Headers()) = %v", err)
	}
	if err := Verify(NewSecret(), id, body, now, time.Second); !errors.Is(err, ErrSignature) {
		t.Errorf("Verify(another secret) = %v, want ErrSignature", err)
	}
	id.Set(HeaderID, "msg_2")
	if err := Verify(secret, id, body, now, time.Second); !errors.Is(err, ErrSignature) {
		t.Errorf("Verify(another id) = %v, want ErrSignature", err)
	}
}
