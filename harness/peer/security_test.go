package peer

import (
	"bytes"
	"testing"
)

// RFC 32's test vector: the 8 bytes 86 4F D2 6F B5 59 F7 5B are "HelloWorld".
func TestZ85Encode(t *testing.T) {
	got, err := Z85Encode([]byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B})
	if err != nil || got != "HelloWorld" {
		t.Fatalf("Z85Encode = %q, %v; want HelloWorld", got, err)
	}
	if _, err := Z85Encode([]byte{1, 2, 3}); err == nil {
		t.Fatal("Z85Encode of 3 bytes: no error")
	}
}

func TestZAPDecide(t *testing.T) {
	key := bytes.Repeat([]byte{0}, 32)
	z85, _ := Z85Encode(key)
	spec := ZAPSpec{Domain: "d", Users: []ZAPUser{{Username: []byte("u"), Password: []byte("p")}}, CurveKeys: []string{z85}}
	for _, c := range []struct {
		mech, domain string
		creds        [][]byte
		want         string
	}{
		{"PLAIN", "d", [][]byte{[]byte("u"), []byte("p")}, ZAPAllow},
		{"PLAIN", "d", [][]byte{[]byte("u"), []byte("x")}, ZAPRefuse},
		{"PLAIN", "other", [][]byte{[]byte("u"), []byte("p")}, ZAPRefuse},
		{"CURVE", "d", [][]byte{key}, ZAPAllow},
		{"CURVE", "d", [][]byte{bytes.Repeat([]byte{1}, 32)}, ZAPRefuse},
		{"NULL", "d", nil, ZAPRefuse},
	} {
		if got := spec.Decide(c.mech, c.domain, c.creds); got.Status != c.want {
			t.Errorf("Decide(%s, %q, %q) = %s, want %s", c.mech, c.domain, c.creds, got.Status, c.want)
		}
	}
	rep, rec := ZAPReply(spec, [][]byte{[]byte("1.0"), []byte("7"), []byte("d"), []byte("addr"), {}, []byte("PLAIN"), []byte("u"), []byte("p")})
	if string(rep[1]) != "7" || string(rep[2]) != ZAPAllow || string(rep[4]) != "u" || rec.Status != ZAPAllow {
		t.Errorf("ZAPReply = %q (%+v)", rep, rec)
	}
	if rep, _ := ZAPReply(spec, [][]byte{[]byte("2.0"), []byte("7")}); string(rep[2]) != "500" {
		t.Errorf("ZAPReply of a version 2.0 request = %q, want status 500", rep)
	}
}
