package zmtp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// The RFC 37 §Worked Example READY from a DEALER: 43 octets with flags and size.
var workedExampleReady = []byte{
	0x04, 41,
	5, 'R', 'E', 'A', 'D', 'Y',
	11, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e',
	0, 0, 0, 6, 'D', 'E', 'A', 'L', 'E', 'R',
	8, 'I', 'd', 'e', 'n', 't', 'i', 't', 'y',
	0, 0, 0, 0,
}

func TestWorkedExampleReady(t *testing.T) {
	got := AppendFrame(nil, FlagCommand, CommandBody(CmdReady, Props("Socket-Type", "DEALER", "Identity", "").Bytes()))
	if !bytes.Equal(got, workedExampleReady) {
		t.Fatalf("READY encodes as % x, RFC 37 worked example is % x", got, workedExampleReady)
	}
	f, n, err := ParseFrame(workedExampleReady, 255)
	if err != nil || n != len(workedExampleReady) || !f.Command() {
		t.Fatalf("ParseFrame: %v n=%d flags=%#x", err, n, f.Flags)
	}
	cmd, err := ParseCommand(f.Body)
	if err != nil || cmd.Name != CmdReady {
		t.Fatalf("ParseCommand: %v %q", err, cmd.Name)
	}
	md, err := ParseMetadata(cmd.Data)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := md.Get("socket-TYPE"); !ok || string(v) != "DEALER" {
		t.Fatalf("case-insensitive Get: %q %v", v, ok)
	}
	if v, ok := md.Get("identity"); !ok || len(v) != 0 {
		t.Fatalf("empty Identity: %q %v", v, ok)
	}
	if s := cmd.String(); s != "READY Socket-Type=DEALER Identity=\"\"" {
		t.Fatalf("rendering: %s", s)
	}
}

func TestGreetingRoundTripAndDetection(t *testing.T) {
	g := NewGreeting(V3_1, "NULL", false)
	b := g.Bytes()
	want := append([]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 1, 'N', 'U', 'L', 'L'}, make([]byte, 48)...)
	if !bytes.Equal(b, want) {
		t.Fatalf("greeting % x", b)
	}
	g.Padding = [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	g.Version = Version{255, 255}
	p, err := ParseGreeting(g.Bytes())
	if err != nil {
		t.Fatalf("padding and 255.255 must be accepted: %v", err)
	}
	if p != g {
		t.Fatalf("round trip: %+v != %+v", p, g)
	}
	if probs := p.CheckGrammar(); len(probs) != 0 {
		t.Fatalf("padding must not be validated, got %v", probs)
	}
	for _, c := range []struct {
		in   []byte
		rev  Revision
		fail bool
	}{
		{[]byte{0x05}, Rev10, false},
		{[]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7E}, Rev10, false},
		{[]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1}, Rev20, false},
		{[]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 2}, Rev20, false},
		{[]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3}, Rev3, false},
		{[]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0}, 0, true},
	} {
		rev, err := DetectRevision(c.in)
		if (err != nil) != c.fail || rev != c.rev {
			t.Errorf("DetectRevision(% x) = %v, %v", c.in, rev, err)
		}
	}
	if _, err := DetectRevision([]byte{0xFF, 0}); err != ErrShort {
		t.Errorf("short detection: %v", err)
	}
	v2 := V2Greeting("PUSH", nil)
	if !bytes.Equal(v2, []byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 1, 8, 0, 0}) {
		t.Errorf("ZMTP 2.0 greeting % x", v2)
	}
	if _, err := ParseGreeting(append(v2, make([]byte, 64)...)); err == nil || !strings.Contains(err.Error(), "ZMTP 2.0") {
		t.Errorf("a 2.0 greeting parsed as 3.x: %v", err)
	}
}

func TestGreetingGrammar(t *testing.T) {
	g := NewGreeting(V3_0, "NULL", true)
	g.Filler[3] = 9
	probs := strings.Join(g.CheckGrammar(), "\n")
	for _, w := range []string{"offset 32: as-server is 1 with NULL", "offset 36: filler"} {
		if !strings.Contains(probs, w) {
			t.Errorf("missing %q in %s", w, probs)
		}
	}
	for _, m := range []string{"null", "FOO BAR", "", "N\x00L"} {
		var f [20]byte
		copy(f[:], m)
		if ValidMechanism(f[:]) == nil {
			t.Errorf("mechanism %q accepted", m)
		}
	}
	for _, m := range []string{"NULL", "PLAIN", "CURVE", "X-1_2.3+"} {
		var f [20]byte
		copy(f[:], m)
		if err := ValidMechanism(f[:]); err != nil {
			t.Errorf("mechanism %q refused: %v", m, err)
		}
	}
}

func TestFrameSizesNeverTrusted(t *testing.T) {
	huge := AppendFrameRaw(nil, FlagLong, 1<<40, nil)
	_, _, err := ParseFrame(huge, DefaultMaxFrame)
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "frame announces 2^40 bytes, limit 67108864") || de.Offset != 0 {
		t.Fatalf("2^40: %v", err)
	}
	_, _, err = ParseFrame(AppendFrameRaw(nil, FlagLong, 1<<63, nil), DefaultMaxFrame)
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "top bit") || de.Offset != 1 {
		t.Fatalf("2^63: %v", err)
	}
	// A lying size within the limit is only ErrShort until the octets come.
	if _, _, err := ParseFrame(AppendFrameRaw(nil, FlagLong, 1000, []byte("abc")), DefaultMaxFrame); err != ErrShort {
		t.Fatalf("short body: %v", err)
	}
	// Long form for 5 octets is valid (W.FR.3), not canonical.
	f, n, err := ParseFrame(AppendFrameRaw(nil, FlagLong, 5, []byte("hello")), 255)
	if err != nil || n != 14 || string(f.Body) != "hello" {
		t.Fatalf("long form: %v %d %q", err, n, f.Body)
	}
	h, _ := ParseFrameHeader(AppendFrameRaw(nil, FlagLong, 5, nil))
	if h.Canonical() {
		t.Fatal("long size for 5 octets reported canonical")
	}
	if _, _, err := ParseFrame([]byte{0x08, 0}, 255); err == nil {
		t.Fatal("reserved bit accepted")
	}
	if _, _, err := ParseFrame([]byte{0x05, 0}, 255); err == nil {
		t.Fatal("command with MORE accepted")
	}
	if b := AppendFrame(nil, 0, make([]byte, 256)); b[0] != FlagLong || len(b) != 9+256 {
		t.Fatalf("256 octets must use the long form: %x", b[:9])
	}
}

func TestCommandGrammar(t *testing.T) {
	for _, c := range []struct {
		body []byte
		want string
	}{
		{nil, "empty command"},
		{[]byte{0}, "length is 0"},
		{[]byte{9, 'R', 'E'}, "runs past the body end"},
		{[]byte{2, 'R', '1'}, "not ALPHA"},
	} {
		if _, err := ParseCommand(c.body); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseCommand(% x) = %v, want %q", c.body, err, c.want)
		}
	}
}

func TestMetadataGrammar(t *testing.T) {
	ok := Props("Socket-Type", "PUSH", "X-Custom", "v").Bytes()
	if md, err := ParseMetadata(ok); err != nil || len(md) != 2 {
		t.Fatal(err)
	}
	for _, c := range []struct {
		b    []byte
		want string
		off  int64
	}{
		{[]byte{0}, "length is 0", 0},
		{[]byte{5, 'a'}, "runs past the end", 0},
		{[]byte{1, 'a', 0, 0}, "needs 4 octets", 2},
		{[]byte{1, 'a', 0, 0, 0, 9, 'x'}, "runs past the end", 2},
		{[]byte{1, 'a', 0x80, 0, 0, 0}, "beyond 2^31-1", 2},
		{[]byte{1, ' ', 0, 0, 0, 0}, "not allowed", 1},
		{append(append([]byte(nil), ok...), 3, 'a', 'b'), "runs past the end", int64(len(ok))},
	} {
		_, err := ParseMetadata(c.b)
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(de.Reason, c.want) || de.Offset != c.off {
			t.Errorf("ParseMetadata(% x) = %v, want %q at %d", c.b, err, c.want, c.off)
		}
	}
}

func TestPingPong(t *testing.T) {
	p := Ping{TTL: TTL(2500 * time.Millisecond), Context: []byte("LOL")}
	if !bytes.Equal(p.Data(), []byte{0, 25, 'L', 'O', 'L'}) {
		t.Fatalf("PING data % x", p.Data())
	}
	q, err := ParsePing(p.Data())
	if err != nil || q.TTL != 25 || string(q.Context) != "LOL" || q.TTLDuration() != 2500*time.Millisecond {
		t.Fatalf("%+v %v", q, err)
	}
	if _, err := ParsePing([]byte{1}); err == nil {
		t.Fatal("1-octet PING accepted")
	}
	long, err := ParsePing(append([]byte{0, 0}, make([]byte, 17)...))
	if err == nil || len(long.Context) != 17 {
		t.Fatalf("17-octet context: %v", err)
	}
	if TTL(7000*time.Second) != 0xFFFF {
		t.Fatal("TTL must saturate at 6553.5 s")
	}
}

func TestSubscriptionForms(t *testing.T) {
	if b := SubscriptionBody(true, []byte("A")); !bytes.Equal(b, []byte{1, 'A'}) {
		t.Fatal(b)
	}
	if b := SubscriptionCommand(false, []byte("A")); !bytes.Equal(b, append([]byte{6}, "CANCELA"...)) {
		t.Fatal(b)
	}
	if s, topic, ok := ParseSubscriptionBody([]byte{0, 'x'}); !ok || s || string(topic) != "x" {
		t.Fatal(s, topic, ok)
	}
	if _, _, ok := ParseSubscriptionBody([]byte{2}); ok {
		t.Fatal("0x02 is not a subscription")
	}
}

func TestSocketTypeTable(t *testing.T) {
	n := 0
	for _, a := range SocketTypes23 {
		for _, b := range SocketTypes23 {
			if Compatible(a, b) {
				n++
				if !Compatible(b, a) {
					t.Errorf("%s-%s not symmetric", a, b)
				}
			}
		}
	}
	if n != 21 { // the RFC 23 table has 21 stars
		t.Fatalf("%d compatible pairs, RFC 23 table has 21", n)
	}
}

func TestPlainHello(t *testing.T) {
	u, p, err := ParsePlainHello(PlainHelloData("admin", "secret"))
	if err != nil || u != "admin" || p != "secret" {
		t.Fatal(u, p, err)
	}
	for _, b := range [][]byte{{}, {3, 'a'}, {1, 'a'}, {1, 'a', 1, 'b', 'c'}, {1, ' ', 0}} {
		if _, _, err := ParsePlainHello(b); err == nil {
			t.Errorf("% x accepted", b)
		}
	}
}
