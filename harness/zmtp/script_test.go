package zmtp

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"
)

// The script layer checked against our own server: every kind of Expect step must be able
// to fail, and say why in the words a wire case report needs.

// rawServer accepts one connection and runs fn on it (our side plays the implementation).
func rawServer(t *testing.T, ctx context.Context, fn func(c *Conn)) string {
	t.Helper()
	l, err := Listen("tcp://127.0.0.1:0", Config{SocketType: "PULL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.AcceptRaw(ctx)
		if err != nil {
			return
		}
		defer c.Close()
		fn(c)
	}()
	return l.Endpoint()
}

func TestScriptFailuresSayWhy(t *testing.T) {
	greetAndReady := func(c *Conn) {
		ctx := context.Background()
		_ = c.SendGreeting(ctx, NewGreeting(V3_1, "NULL", false))
		_, _ = c.ReadGreeting(ctx, time.Now().Add(2*time.Second))
		_ = c.SendCommand(ctx, CmdReady, Props("Socket-Type", "PULL").Bytes())
		time.Sleep(1500 * time.Millisecond)
	}
	cases := []struct {
		name   string
		server func(c *Conn)
		script Script
		want   string
	}{
		{"close expected, READY came", greetAndReady, Script{
			SendGreeting(V3_1, "NULL", false), ExpectGreeting(), ExpectClose(Within(time.Second)),
		}, "step 3 (expect close [Within]): expected close within 1s, got READY Socket-Type=PULL command"},
		{"command expected, nothing came", func(c *Conn) { time.Sleep(time.Second) }, Script{
			ExpectCommand(CmdReady, Within(200*time.Millisecond)),
		}, "step 1 (expect READY [Within]): expected READY command within 200ms, got nothing"},
		{"nothing expected, READY came", greetAndReady, Script{
			SendGreeting(V3_1, "NULL", false), ExpectGreeting(), ExpectNothing(Within(time.Second)),
		}, "expected nothing within 1s, got READY Socket-Type=PULL command"},
		{"wrong property", greetAndReady, Script{
			SendGreeting(V3_1, "NULL", false), ExpectGreeting(), ExpectCommand(CmdReady, WithProps(Props("socket-type", "PUSH"))),
		}, "READY socket-type=PULL, expected PUSH"},
		{"greeting expected, closed", func(c *Conn) {}, Script{
			ExpectGreeting(),
		}, "expected greeting within 2s, got close"},
		{"misplaced option", greetAndReady, Script{
			SendGreeting(V3_1, "NULL", false, Within(time.Second)),
		}, "option Within does not apply to send greeting"},
		{"ZMTP 2.0 answer", func(c *Conn) {
			_ = c.WriteRaw(context.Background(), V2Greeting("PULL", nil), 0)
			time.Sleep(300 * time.Millisecond)
		}, Script{
			ExpectGreeting(),
		}, "expected a ZMTP 3.x greeting, got a ZMTP 2.0 greeting"},
		{"lying size", func(c *Conn) {
			greetAndReady(c)
		}, Script{
			SendGreeting(V3_1, "NULL", false), ExpectGreeting(), ExpectMessage(),
		}, "expected message within 2s, got READY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 10*time.Second)
			ep := rawServer(t, ctx, tc.server)
			res := tc.script.Dial(ctx, ep, Config{})
			if res.OK() {
				t.Fatalf("script passed:\n%s", res)
			}
			if !strings.Contains(res.Summary(), tc.want) {
				t.Fatalf("summary %q lacks %q\n%s", res.Summary(), tc.want, res)
			}
			if _, err := json.Marshal(res); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A frame announcing 2^40 octets is refused from its header, with the offset, by our reader.
func TestScriptHugeFrameFromPeer(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	ep := rawServer(t, ctx, func(c *Conn) {
		_ = c.WriteRaw(ctx, NewGreeting(V3_1, "NULL", false).Bytes(), 0)
		_ = c.WriteRaw(ctx, AppendFrameRaw(nil, FlagLong, 1<<40, nil), 0)
		time.Sleep(time.Second)
	})
	res := Script{SendGreeting(V3_1, "NULL", false), ExpectGreeting(), ExpectCommand(CmdReady)}.Dial(ctx, ep, Config{})
	if res.OK() || !strings.Contains(res.Summary(), "at offset 64: frame announces 2^40 bytes, limit 67108864") {
		t.Fatalf("%s", res)
	}
	// The transcript streams without buffering: it saw the header and waited for the body.
	if s := res.Transcript.String(); !strings.Contains(s, "← stream ended inside a frame of 1099511627776 octets, 1099511627776 missing") {
		t.Fatalf("transcript:\n%s", s)
	}
}

// OrClose ends a script successfully when the peer closes (W.GR.6 "downgrade or close").
func TestScriptOrClose(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	ep := rawServer(t, ctx, func(c *Conn) {})
	res := Script{SendLegacyGreeting("PUSH", nil), ExpectGreeting(AllowLegacy(), OrClose()), Check("unreachable", func(*Session) error { t.Error("ran"); return nil })}.Dial(ctx, ep, Config{})
	if !res.OK() || res.EndedEarly == "" {
		t.Fatalf("%s", res)
	}
}

// Dribbled writes go out one octet per write (W.GR.4, W.FR.5). Over net.Pipe every Write
// is one Read on the other end, so the reader sees the writes exactly.
func TestScriptDribble(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	a, b := net.Pipe()
	got := make(chan []int, 1)
	go func() {
		var sizes []int
		buf := make([]byte, 64)
		for total := 0; total < 64; {
			k, err := b.Read(buf)
			if err != nil {
				break
			}
			sizes = append(sizes, k)
			total += k
		}
		got <- sizes
		b.Close()
	}()
	t0 := time.Now()
	res := Script{SendGreeting(V3_1, "NULL", false, Dribble(time.Millisecond))}.Run(ctx, NewConn(a, Config{}))
	if !res.OK() {
		t.Fatal(res)
	}
	sizes := <-got
	if len(sizes) != 64 {
		t.Fatalf("%d reads for 64 octets: %v", len(sizes), sizes)
	}
	if d := time.Since(t0); d < 63*time.Millisecond {
		t.Fatalf("64 octets with 1 ms pauses took %s", d)
	}
}
