package zmtp

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// The tap between two libzmq sockets (pyzmq PUSH → tap → pyzmq PULL).
func TestTapBetweenLibzmqPeers(t *testing.T) {
	ctx := testCtx(t, 15*time.Second)
	pull := startPy(t, ctx, "--type", "PULL", "--bind", "tcp://127.0.0.1:0")
	tap, err := NewTap(TapConfig{Target: pull.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	push := startPy(t, ctx, "--type", "PUSH", "--connect", tap.Endpoint())
	push.send("one")
	push.send("", "hello")
	push.send(strings.Repeat("x", 300))
	pull.wait(ctx, isRecv(strings.Repeat("x", 300)))
	push.stop()
	if err := tap.WaitConns(ctx, 1); err != nil {
		t.Fatal(err)
	}
	tr := tap.Transcripts()[0]
	text := tr.String()
	for _, want := range []string{
		"→ greeting 3.1 NULL as-server=0 padding=0000000000000001",
		"← greeting 3.1 NULL as-server=0 padding=0000000000000001",
		"→ READY Socket-Type=PUSH",
		"← READY Socket-Type=PULL",
		`→ MESSAGE [3 B "one"]`,
		`→ MESSAGE [0 B] [5 B "hello"]`,
		`→ MESSAGE [300 B "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"…]`,
		"→ close after",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("transcript lacks %q:\n%s", want, text)
		}
	}
	if p := tr.Problems(); len(p) != 0 {
		t.Errorf("libzmq NULL traffic has problems: %v", p)
	}
	out := tr.Dir(Out)
	if out.Messages != 3 || out.Frames != 5 || out.Greeting == nil || !out.Greeting.FillerZero || !out.HandshakeDone {
		t.Errorf("out: %+v", out)
	}
	// A 300-octet frame is sent with a long size, as RFC 37 says it SHOULD.
	if f := out.First[len(out.First)-1].Frames[0]; f.Flags != FlagLong || f.Size != 300 {
		t.Errorf("300-octet frame: %+v", f)
	}
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil || back["text"] != text {
		t.Fatalf("JSON: %v", err)
	}
}

// Under CURVE the tap cannot decrypt, but tells boxes from clear-text frames (CRV.7).
func TestTapCurveLibzmq(t *testing.T) {
	ctx := testCtx(t, 15*time.Second)
	server, _ := GenerateKeyPair()
	client, _ := GenerateKeyPair()
	pull := startPy(t, ctx, "--type", "PULL", "--bind", "tcp://127.0.0.1:0", "--mech", "curve", "--server",
		"--secret="+server.Secret.Z85(), "--public="+server.Public.Z85())
	tap, err := NewTap(TapConfig{Target: pull.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	push := startPy(t, ctx, "--type", "PUSH", "--connect", tap.Endpoint(), "--mech", "curve",
		"--secret="+client.Secret.Z85(), "--public="+client.Public.Z85(), "--server-key="+server.Public.Z85())
	for i := 0; i < 3; i++ {
		push.send(fmt.Sprintf("secret %d", i), "part")
	}
	pull.wait(ctx, isRecv("secret 2", "part"))
	push.stop()
	if err := tap.WaitConns(ctx, 1); err != nil {
		t.Fatal(err)
	}
	tr := tap.Transcripts()[0]
	out, in := tr.Dir(Out), tr.Dir(In)
	if out.EncryptedMessages != 6 || out.ClearTextAfterHandshake != 0 || in.ClearTextAfterHandshake != 0 {
		t.Fatalf("boxes %d, clear frames %d/%d\n%s", out.EncryptedMessages, out.ClearTextAfterHandshake, in.ClearTextAfterHandshake, tr)
	}
	if strings.Contains(tr.String(), "secret") {
		t.Fatalf("clear text visible through the tap:\n%s", tr)
	}
	for _, want := range []string{"→ HELLO (CURVE, 200 B)", "← WELCOME (CURVE, 168 B)", "→ INITIATE (CURVE box", "← READY (CURVE box", "→ MESSAGE (CURVE box in a data frame"} {
		if !strings.Contains(tr.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
	onlyProblems(t, tr, "CURVE MESSAGE in a data frame", "WELCOME (the server's command) but its greeting said as-server=0")
	if out.BoxesInDataFrames != 6 {
		t.Fatalf("libzmq now frames %d of 6 MESSAGE boxes as commands: revisit", 6-out.BoxesInDataFrames)
	}
}

// The tap bounds its transcript, closes both sides when one closes, passes a reset on as a
// reset, and leaves no goroutine behind.
func TestTapBoundsAndShutdown(t *testing.T) {
	noLeak(t)
	ctx := testCtx(t, 15*time.Second)
	l, err := Listen("tcp://127.0.0.1:0", Config{SocketType: "PULL"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tap, err := NewTap(TapConfig{Target: l.Endpoint(), Transcript: TranscriptOptions{FirstN: 4, LastM: 3}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tap.Close() })
	served := make(chan error, 1)
	all := make(chan struct{})
	go func() {
		c, err := l.Accept(ctx)
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		for i := 0; i < 100; i++ {
			m, err := c.Recv(ctx)
			if err != nil || string(m[0]) != fmt.Sprint(i) {
				served <- fmt.Errorf("message %d: %q %v", i, m, err)
				return
			}
		}
		close(all)
		_, err = c.Recv(ctx) // the tap must close us when the dialer goes
		served <- err
	}()
	c, err := Dial(ctx, tap.Endpoint(), Config{SocketType: "PUSH"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if err := c.Send(ctx, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	// A reset from the dialer reaches the target as a reset.
	select {
	case <-all:
	case err := <-served:
		t.Fatal(err)
	}
	_ = c.NetConn().(*net.TCPConn).SetLinger(0)
	c.Close()
	if err := <-served; err == nil || !isReset(err) {
		t.Fatalf("target side after the dialer's reset: %v", err)
	}
	if err := tap.WaitConns(ctx, 1); err != nil {
		t.Fatal(err)
	}
	tr := tap.Transcripts()[0]
	out := tr.Dir(Out)
	if len(out.First) != 4 || len(out.Last) != 3 || out.Elided != 93 || out.Messages != 100 {
		t.Fatalf("first %d last %d elided %d messages %d", len(out.First), len(out.Last), out.Elided, out.Messages)
	}
	if out.Last[2].Text != `MESSAGE [2 B "99"]` || out.First[0].Text != `MESSAGE [1 B "0"]` {
		t.Fatalf("kept %q … %q", out.First[0].Text, out.Last[2].Text)
	}
	if out.End == nil || out.End.Kind != EvReset {
		t.Fatalf("dialer end: %+v", out.End)
	}
	if !strings.Contains(tr.String(), "→ … 93 events not kept") {
		t.Fatalf("no elision line:\n%s", tr)
	}
	if err := tap.Close(); err != nil {
		t.Fatal(err)
	}
}

// Close with connections still open ends them and every goroutine.
func TestTapCloseWhileRelaying(t *testing.T) {
	noLeak(t)
	ctx := testCtx(t, 10*time.Second)
	l, _ := Listen("tcp://127.0.0.1:0", Config{SocketType: "PULL"})
	defer l.Close()
	tap, err := NewTap(TapConfig{Target: l.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tap.Close() })
	accepted := make(chan *Conn, 1)
	go func() { c, _ := l.Accept(ctx); accepted <- c }()
	c, err := Dial(ctx, tap.Endpoint(), Config{SocketType: "PUSH"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv := <-accepted
	defer srv.Close()
	if err := tap.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Recv(ctx); !IsClosed(err) {
		t.Fatalf("dialer after tap.Close: %v", err)
	}
	if _, err := srv.Recv(ctx); !IsClosed(err) {
		t.Fatalf("target after tap.Close: %v", err)
	}
	// A target that is not there: the dialer is closed, the transcript says why.
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := dead.Addr().String()
	dead.Close()
	tap2, err := NewTap(TapConfig{Target: "tcp://" + addr, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer tap2.Close()
	c2, err := DialRaw(ctx, tap2.Endpoint(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.ReadGreeting(ctx, time.Now().Add(3*time.Second)); !IsClosed(err) {
		t.Fatalf("dialer of a tap without target: %v", err)
	}
	if err := tap2.WaitConns(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if s := tap2.Transcripts()[0].String(); !strings.Contains(s, "tap could not reach the target") {
		t.Fatalf("transcript: %s", s)
	}
}
