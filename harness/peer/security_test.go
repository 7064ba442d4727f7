package peer

import (
	"bytes"
	"testing"

	"github.com/zmqsuite/zmqsuite/harness/z85"
)

func TestZAPDecide(t *testing.T) {
	key := bytes.Repeat([]byte{0}, 32)
	text, _ := z85.Encode(key)
	spec := ZAPSpec{Domain: "d", Users: []ZAPUser{{Username: []byte("u"), Password: []byte("p")}}, CurveKeys: []string{text}}
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
