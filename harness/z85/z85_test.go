package z85

import (
	"bytes"
	"testing"
)

// RFC 32 §Test Case: 86 4F D2 6F B5 59 F7 5B encodes as "HelloWorld".
func TestZ85RFCVector(t *testing.T) {
	in := []byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B}
	s, err := Encode(in)
	if err != nil || s != "HelloWorld" {
		t.Fatalf("Encode = %q, %v", s, err)
	}
	b, err := Decode("HelloWorld")
	if err != nil || !bytes.Equal(b, in) {
		t.Fatalf("Decode = % x, %v", b, err)
	}
}

func TestZ85Refusals(t *testing.T) {
	if _, err := Encode([]byte{1, 2, 3}); err == nil {
		t.Error("3 octets encoded")
	}
	for _, s := range []string{"Hell", "Hello Worl", "#####", "He\"lo"} {
		if _, err := Decode(s); err == nil {
			t.Errorf("%q decoded", s)
		}
	}
}
