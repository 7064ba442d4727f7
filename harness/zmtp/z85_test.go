package zmtp

import (
	"bytes"
	"testing"
)

// RFC 32 §Test Case: 86 4F D2 6F B5 59 F7 5B encodes as "HelloWorld".
func TestZ85RFCVector(t *testing.T) {
	in := []byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B}
	s, err := Z85Encode(in)
	if err != nil || s != "HelloWorld" {
		t.Fatalf("Z85Encode = %q, %v", s, err)
	}
	b, err := Z85Decode("HelloWorld")
	if err != nil || !bytes.Equal(b, in) {
		t.Fatalf("Z85Decode = % x, %v", b, err)
	}
}

func TestZ85Refusals(t *testing.T) {
	if _, err := Z85Encode([]byte{1, 2, 3}); err == nil {
		t.Error("3 octets encoded")
	}
	for _, s := range []string{"Hell", "Hello Worl", "#####", "He\"lo"} {
		if _, err := Z85Decode(s); err == nil {
			t.Errorf("%q decoded", s)
		}
	}
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
