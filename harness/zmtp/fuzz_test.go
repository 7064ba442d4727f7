package zmtp

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// Fuzz targets for every decoder that reads the wire. None may panic; none may allocate
// from a length it read (the decoders alias their input, and the Conn's buffer may only
// grow by what arrived). Seeds are valid streams as our encoders and libzmq 4.3.4 write
// them. Run each with e.g. go test ./harness/zmtp/ -run '^$' -fuzz FuzzDecodeStream -fuzztime 30s.

// seedStream is a NULL connection as libzmq sends it: pseudo-signature greeting, READY,
// a two-frame message, a long frame, a PING.
func seedStream() []byte {
	g := NewGreeting(V3_1, "NULL", false)
	g.Padding = [8]byte{0, 0, 0, 0, 0, 0, 0, 1}
	b := g.Bytes()
	b = AppendFrame(b, FlagCommand, CommandBody(CmdReady, Props("Socket-Type", "PULL", "Identity", "").Bytes()))
	b = AppendMessage(b, []byte(""), []byte("hello"))
	b = AppendMessage(b, bytes.Repeat([]byte("x"), 300))
	b = AppendFrame(b, FlagCommand, CommandBody(CmdPing, Ping{TTL: 30, Context: []byte("LOL")}.Data()))
	b = AppendFrame(b, FlagCommand, CommandBody(CmdSubscribe, []byte("topic")))
	return b
}

// libzmqPlainError is the malformed ERROR libzmq 4.3.4's PLAIN server sends.
var libzmqPlainError = []byte{0x04, 0x09, 0x5E, 'R', 'R', 'O', 'R', 0x03, '4', '0', '0'}

func FuzzDecodeGreeting(f *testing.F) {
	f.Add(NewGreeting(V3_1, "NULL", false).Bytes())
	f.Add(NewGreeting(V3_0, "CURVE", true).Bytes())
	f.Add(V2Greeting("PUSH", []byte("id")))
	f.Add(V1Greeting(nil))
	f.Add(PseudoSignature(0))
	f.Fuzz(func(t *testing.T, b []byte) {
		rev, err := DetectRevision(b)
		g, gerr := ParseGreeting(b)
		if gerr == nil {
			if len(b) < GreetingSize || rev != Rev3 || err != nil {
				t.Fatalf("ParseGreeting accepted %d octets of revision %v (%v)", len(b), rev, err)
			}
			_ = g.CheckGrammar()
			_ = g.MechanismName()
			if !bytes.Equal(g.Bytes(), b[:GreetingSize]) {
				t.Fatalf("greeting does not round-trip")
			}
		}
	})
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add(seedStream()[64:], uint64(255))
	f.Add(AppendFrameRaw(nil, FlagLong, 1<<40, nil), uint64(DefaultMaxFrame))
	f.Add(AppendFrameRaw(nil, FlagLong, 1<<63, nil), uint64(DefaultMaxFrame))
	f.Add(libzmqPlainError, uint64(255))
	f.Fuzz(func(t *testing.T, b []byte, limit uint64) {
		for len(b) > 0 {
			fr, n, err := ParseFrame(b, limit)
			if err != nil {
				return
			}
			if n <= 0 || n > len(b) || uint64(len(fr.Body)) > limit || cap(fr.Body) != len(fr.Body) {
				t.Fatalf("frame of %d octets, consumed %d of %d, limit %d", len(fr.Body), n, len(b), limit)
			}
			b = b[n:]
		}
	})
}

func FuzzDecodeCommand(f *testing.F) {
	f.Add(CommandBody(CmdReady, Props("Socket-Type", "REQ").Bytes()))
	f.Add(CommandBody(CmdError, ErrorData("400")))
	f.Add(CommandBody(CmdPing, Ping{TTL: 1, Context: []byte("0123456789abcdef")}.Data()))
	f.Add(CommandBody(CmdPong, []byte("LOL")))
	f.Add(CommandBody(CmdHello, PlainHelloData("admin", "secret")))
	f.Add(libzmqPlainError[2:])
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseCommand(body)
		if err != nil {
			return
		}
		if 1+len(c.Name)+len(c.Data) != len(body) {
			t.Fatalf("command %q with %d octets of data from %d", c.Name, len(c.Data), len(body))
		}
		_ = c.String()
		_, _ = ParsePing(c.Data)
		_, _ = ParsePong(c.Data)
		_, _ = ParseError(c.Data)
		_, _, _ = ParsePlainHello(c.Data)
		_, _, _ = ParseSubscriptionBody(c.Data)
	})
}

func FuzzDecodeMetadata(f *testing.F) {
	f.Add(Props("Socket-Type", "DEALER", "Identity", "").Bytes())
	f.Add(Props("X-Big", string(bytes.Repeat([]byte("v"), 300))).Bytes())
	f.Add([]byte{1, 'a', 0x7F, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := ParseMetadata(b)
		if err != nil {
			return
		}
		// The encoding has one form: what parses must encode back to the same octets.
		if !bytes.Equal(md.Bytes(), b) {
			t.Fatalf("metadata does not round-trip: % x → %v", b, md)
		}
		_ = md.String()
		_ = md.SocketType()
	})
}

// fuzzCurve is one server and one client key pair for the CURVE target.
var fuzzServer, fuzzClient = func() (KeyPair, KeyPair) {
	s, _ := GenerateKeyPair()
	c, _ := GenerateKeyPair()
	return s, c
}()

func FuzzDecodeCurveBox(f *testing.F) {
	cl, _ := NewCurveClientHandshake(fuzzClient, fuzzServer.Public)
	hello := cl.Hello()
	f.Add(uint8(0), hello[6:])
	sv, _ := NewCurveServerHandshake(fuzzServer, nil)
	_ = sv.ReadHello(hello[6:])
	w, _ := sv.Welcome()
	f.Add(uint8(1), w[8:])
	_ = cl.ReadWelcome(w[8:])
	ini, _ := cl.Initiate(Props("Socket-Type", "PUSH"))
	f.Add(uint8(2), ini[9:])
	f.Add(uint8(3), sv.Ready(nil)[6:])
	f.Add(uint8(4), cl.Session().Seal(PayloadMore, []byte("payload"))[8:])
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		switch which % 5 {
		case 0:
			_, _ = ParseCurveHello(data)
			s, _ := NewCurveServerHandshake(fuzzServer, nil)
			_ = s.ReadHello(data)
		case 1:
			_, _ = ParseCurveWelcome(data)
			c, _ := NewCurveClientHandshake(fuzzClient, fuzzServer.Public)
			_ = c.ReadWelcome(data)
		case 2:
			_, _ = ParseCurveInitiate(data)
			s, _ := NewCurveServerHandshake(fuzzServer, nil)
			_ = s.ReadHello(hello[6:])
			_, _ = s.Welcome()
			_, _, _ = s.ReadInitiate(data)
		case 3:
			_, _ = ParseCurveReady(data)
			c, _ := NewCurveClientHandshake(fuzzClient, fuzzServer.Public)
			_, _ = c.ReadReady(data)
		case 4:
			_, _ = ParseCurveMessage(data)
			s := &CurveSession{sendPrefix: noncePrefixMessageC, recvPrefix: noncePrefixMessageS}
			_, _, _ = s.Open(data)
		}
	})
}

// FuzzDecodeStream feeds both directions of a transcript in pieces whose sizes come from
// the input: the tap's decoder must stay within its bounds whatever arrives.
func FuzzDecodeStream(f *testing.F) {
	f.Add(uint8(7), seedStream(), NewGreeting(V3_1, "NULL", false).Bytes())
	f.Add(uint8(1), append(NewGreeting(V3_1, "PLAIN", false).Bytes(), AppendFrame(nil, FlagCommand, CommandBody(CmdHello, PlainHelloData("u", "p")))...),
		append(NewGreeting(V3_1, "PLAIN", false).Bytes(), libzmqPlainError...))
	f.Add(uint8(64), V2Greeting("PUSH", nil), seedStream()[:11])
	f.Add(uint8(3), V1Greeting([]byte("id")), append(NewGreeting(V3_1, "CURVE", true).Bytes(), AppendFrame(nil, 0, append([]byte("\x07MESSAGE"), make([]byte, 40)...))...))
	f.Fuzz(func(t *testing.T, step uint8, out, in []byte) {
		tr := NewTranscript("fuzz", "out", "in", TranscriptOptions{FirstN: 4, LastM: 4})
		n := int(step%64) + 1
		for len(out) > 0 || len(in) > 0 {
			k := min(n, len(out))
			tr.Feed(Out, out[:k])
			out = out[k:]
			k = min(n, len(in))
			tr.Feed(In, in[:k])
			in = in[k:]
		}
		tr.End(Out, nil)
		tr.End(In, io.ErrUnexpectedEOF)
		for _, d := range []Direction{Out, In} {
			l := tr.Dir(d)
			if len(l.First) > 4 || len(l.Last) > 4 || len(l.Handshake) > 32 || len(l.Problems) > 32 {
				t.Fatalf("bounds exceeded: %d %d %d %d", len(l.First), len(l.Last), len(l.Handshake), len(l.Problems))
			}
			if dec := tr.dirs[d].dec; cap(dec.capture) > captureCommand {
				t.Fatalf("capture grew to %d", cap(dec.capture))
			}
		}
		_ = tr.String()
		if _, err := tr.MarshalJSON(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzDecodeConn reads a whole stream through a Conn: its buffer may grow only by what
// arrived, never by what a header announced.
func FuzzDecodeConn(f *testing.F) {
	f.Add(seedStream())
	f.Add(append(NewGreeting(V3_1, "NULL", false).Bytes(), AppendFrameRaw(nil, FlagLong, 60<<20, []byte("short"))...))
	f.Add(append(NewGreeting(V3_1, "NULL", false).Bytes(), libzmqPlainError...))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := net.Pipe()
		go func() {
			_, _ = b.Write(data)
			b.Close()
		}()
		c := NewConn(a, Config{})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.ReadGreeting(ctx, time.Time{}); err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			if _, err := c.Next(ctx, time.Time{}); err != nil {
				break
			}
		}
		if cap(c.buf) > 2*len(data)+len(c.rbytes) {
			t.Fatalf("buffer of %d for %d octets of input", cap(c.buf), len(data))
		}
	})
}
