package peer_test

import (
	"encoding/hex"
	"testing"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

func filled(n, seq, frame int) []byte {
	b := make([]byte, n)
	peer.Fill(b, seq, frame)
	return b
}

// The same hex strings are asserted by pyclients/test_peer.py (test_digest_golden), computed
// there by a slow reference written independently of both peers: a Go and a Python peer that
// pass both tests produce the same 16 bytes for the same message.
var digestGolden = []struct {
	name string
	msg  [][]byte
	hex  string
}{
	{"short prefix, then seq 41207 frame 3 of 20 bytes", [][]byte{[]byte("topic"), filled(20, 41207, 3)}, "000000000000a0f727c3313c00000002"},
	{"no frame long enough for a sequence header", [][]byte{{}, []byte("ab")}, "ffffffffffffffff3f54e68a00000002"},
	{"no frames at all", nil, "ffffffffffffffff0000000000000000"},
	{"frame boundaries count: ab|c", [][]byte{[]byte("ab"), []byte("c")}, "ffffffffffffffff8cff5e3200000002"},
	{"frame boundaries count: a|bc", [][]byte{[]byte("a"), []byte("bc")}, "ffffffffffffffff0a181b8a00000002"},
}

func TestDigestGolden(t *testing.T) {
	for _, g := range digestGolden {
		got := hex.EncodeToString(peer.AppendDigest(nil, g.msg))
		if got != g.hex {
			t.Errorf("%s: digest %s, want %s", g.name, got, g.hex)
		}
	}
}

func TestDecodeDigests(t *testing.T) {
	var b []byte
	for _, g := range digestGolden {
		b = peer.AppendDigest(b, g.msg)
	}
	ds, err := peer.DecodeDigests(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(digestGolden) {
		t.Fatalf("%d digests, want %d", len(ds), len(digestGolden))
	}
	for i, g := range digestGolden {
		if ds[i] != peer.DigestOf(g.msg) {
			t.Errorf("%s: decoded %v, want %v", g.name, ds[i], peer.DigestOf(g.msg))
		}
	}
	if ds[0].Seq != 41207 || ds[0].Frames != 2 || ds[1].Seq != peer.NoSeq {
		t.Errorf("fields: %v %v", ds[0], ds[1])
	}
	if _, err := peer.DecodeDigests(b[:len(b)-1]); err == nil {
		t.Error("a digest of 79 bytes was accepted")
	}
}
