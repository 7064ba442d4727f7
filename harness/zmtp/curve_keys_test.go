package zmtp

import "testing"

// A generated key survives its Z85 form, and its public half follows from its secret.
func TestKeyRoundTrip(t *testing.T) {
	kp, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKey(kp.Public.Z85())
	if err != nil || k != kp.Public || len(kp.Public.Z85()) != 40 {
		t.Fatalf("key round trip: %v", err)
	}
	derived, err := KeyPairFromSecret(kp.Secret)
	if err != nil || derived.Public != kp.Public {
		t.Fatalf("public from secret: %v", err)
	}
}
