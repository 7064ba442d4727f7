package wire_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	"github.com/zmqsuite/zmqsuite/suites/wire"
)

// Unit tests of the suite's own pieces (make unit runs ^TestUnit in ./suites/...).

// The mutation run is reproducible from (seed, index), whatever ran before.
func TestUnitMutatorIsDeterministic(t *testing.T) {
	seeds := wire.SeedStreams("k=000001")
	m := wire.Mutator{Seed: 7}
	for i := uint64(0); i < 200; i++ {
		a, b := m.Next(i, seeds[i%5]), m.Next(i, seeds[i%5])
		if !bytes.Equal(a.Bytes, b.Bytes) || strings.Join(a.Steps, "|") != strings.Join(b.Steps, "|") {
			t.Fatalf("mutation %d differs between two draws", i)
		}
	}
	if bytes.Equal(m.Next(1, seeds[0]).Bytes, wire.Mutator{Seed: 8}.Next(1, seeds[0]).Bytes) {
		t.Fatal("two seeds gave the same mutation")
	}
}

// Every seed stream is valid: a strict reader takes all its messages, as our own Conn does.
func TestUnitSeedStreamsAreValid(t *testing.T) {
	for _, s := range wire.SeedStreams("k=000002") {
		c := wire.CarriedBy(s.Bytes)
		if len(c.Strict) == 0 || len(c.Strict) != len(c.Lenient) {
			t.Fatalf("%s: strict %d, lenient %d messages", s.Name, len(c.Strict), len(c.Lenient))
		}
		for _, m := range c.Strict {
			if c.Judge(s.Bytes, m) != "" {
				t.Fatalf("%s: its own message %q judged %q", s.Name, m, c.Judge(s.Bytes, m))
			}
		}
		if c.Judge(s.Bytes, [][]byte{[]byte("made up")}) != "bad" {
			t.Fatalf("%s: a made-up message is not a bad delivery", s.Name)
		}
	}
}

// The oracle: a reserved flag bit stops a strict reader, not a lenient one; a cut message is
// carried by neither; a wrong mechanism carries nothing.
func TestUnitCarried(t *testing.T) {
	g := zmtp.NewGreeting(zmtp.V3_1, "NULL", false).Bytes()
	ready := zmtp.AppendFrame(nil, zmtp.FlagCommand, zmtp.CommandBody(zmtp.CmdReady, zmtp.Props("Socket-Type", "PUSH").Bytes()))
	hs := append(append([]byte(nil), g...), ready...)
	reserved := zmtp.AppendFrame(append([]byte(nil), hs...), 0x08, []byte("r"))
	if c := wire.CarriedBy(reserved); len(c.Strict) != 0 || len(c.Lenient) != 1 || c.Judge(reserved, [][]byte{[]byte("r")}) != "lenient" {
		t.Fatalf("reserved bit: %+v", c)
	}
	cut := zmtp.AppendFrameRaw(append([]byte(nil), hs...), 0, 10, []byte("cut"))
	if c := wire.CarriedBy(cut); len(c.Strict)+len(c.Lenient) != 0 {
		t.Fatalf("cut message: %+v", c)
	}
	plain := append(zmtp.NewGreeting(zmtp.V3_1, "PLAIN", false).Bytes(), zmtp.AppendMessage(ready, []byte("x"))...)
	if c := wire.CarriedBy(plain); len(c.Strict)+len(c.Lenient) != 0 {
		t.Fatalf("PLAIN greeting to a NULL socket: %+v", c)
	}
	if c := wire.CarriedBy(zmtp.V2Greeting("PUSH", nil)); !c.Legacy {
		t.Fatalf("a ZMTP 2.0 greeting is not legacy: %+v", c)
	}
	v0 := append([]byte(nil), g...)
	v0[10] = 0
	if c := wire.CarriedBy(v0); !c.Legacy || c.Judge(v0, [][]byte{[]byte("NULL")}) != "" || c.Judge(v0, [][]byte{[]byte("made up")}) != "bad" {
		t.Fatalf("version octet 0 (libzmq's ZMTP 1.0): %+v", c)
	}
}

// A signature elides what varies between two crashes of one bug.
func TestUnitSignature(t *testing.T) {
	for in, want := range map[string]string{
		"goroutine 1\npanic: runtime error: slice bounds out of range [:8] with capacity 6\n\ngoroutine 15": "panic: runtime error: slice bounds out of range [:N] with capacity N",
		"x\npanic: unknown socket-type: \"FOO\"\n":                                                          `panic: unknown socket-type: "…"`,
		"panic: unknown socket-type: \"PU\nSH\"\n":                                                          `panic: unknown socket-type: "…"`,
		"fatal error: runtime: out of memory\n\nruntime stack:":                                             "fatal error: runtime: out of memory",
		"Traceback\nValueError: 12 is bad":                                                                  "ValueError: N is bad",
	} {
		if got := wire.Signature(in); got != want {
			t.Errorf("Signature(%q) = %q, want %q", in, got, want)
		}
	}
}

// Reproducers round-trip and are not saved twice.
func TestUnitReproducers(t *testing.T) {
	dir := t.TempDir()
	r := wire.Reproducer{FoundIn: "gozmq", Outcome: "crash", Signature: "panic: x", Seed: 1, Index: 3, Octets: []byte{1, 2, 3}}
	p, err := wire.SaveReproducer(dir, r)
	if err != nil || filepath.Base(p) != "repro-1.json" {
		t.Fatalf("save: %q %v", p, err)
	}
	if p, err := wire.SaveReproducer(dir, r); err != nil || p != "" {
		t.Fatalf("saved twice: %q %v", p, err)
	}
	got, err := wire.LoadReproducers(dir)
	if err != nil || len(got) != 1 || got[0].ID != 1 || !bytes.Equal(got[0].Octets, r.Octets) {
		t.Fatalf("load: %+v %v", got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "repro-9.json"), []byte(`{"id": 8}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := wire.LoadReproducers(dir); err == nil {
		t.Fatal("a file whose id does not match its name was accepted")
	}
}

// The committed reproducers load.
func TestUnitCommittedReproducers(t *testing.T) {
	if _, err := wire.LoadReproducers(wire.ReproDir); err != nil {
		t.Fatal(err)
	}
}

// Every case has a kind, and the pairing rule puts our peer on one side of every cell.
func TestUnitCatalogue(t *testing.T) {
	if n := len(wire.IDs()); n < 60 {
		t.Fatalf("%d wire cases, the issue asks for at least 60", n)
	}
	for _, id := range wire.IDs() {
		if _, err := wire.KindOf(id); err != nil {
			t.Fatal(err)
		}
	}
}
