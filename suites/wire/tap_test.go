package wire_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	"github.com/zmqsuite/zmqsuite/suites/wire"
)

// What each implementation emits (docs/cases.md W.TAP.1, split by RFC sentence). The bytes
// are read off our peer's own connection, decoded by harness/zmtp's transcript; docs/cases.md
// puts a tap between two real peers, which sees the same octets the implementation sends.

// W.TAP.1 (RFC 23/37 grammar: "signature = %xFF padding %x7F", "version = version-major
// version-minor" with major 3, "mechanism = 20mechanism-char", null-padded, "filler =
// 31%x00"; NULL: "the as-server field MUST be zero"): the implementation's greeting conforms.
// Its version and padding (which "SHALL NOT" be significant) are the cell's Observed.
var _ = wire.Case("W.TAP.1", Must, wire.Emits, "The implementation's greeting conforms to the grammar",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		wire.Must(l.Play(ctx, append(l.Greets(zmtp.V3_1), zmtp.Check("its greeting", func(s *zmtp.Session) error {
			g := s.PeerGreeting()
			w.Note("greets %s", g.Version)
			if g.Padding != [8]byte{} {
				w.Note("padding % x", g.Padding[:])
			}
			var bad []string
			if g.SigEnd != 0x7F {
				bad = append(bad, fmt.Sprintf("signature octet 9 is %#02x, not %%x7F", g.SigEnd))
			}
			if g.Version.Major != 3 {
				bad = append(bad, fmt.Sprintf("version %s: a ZMTP 3.x implementation says 3", g.Version))
			}
			if want := mech20("NULL"); g.Mechanism != want {
				bad = append(bad, fmt.Sprintf("mechanism % x, not \"NULL\" null-padded", g.Mechanism[:]))
			}
			if g.AsServer != 0 {
				bad = append(bad, fmt.Sprintf("as-server %d with NULL (MUST be zero)", g.AsServer))
			}
			if g.Filler != [31]byte{} {
				bad = append(bad, "filler not 31 zero octets")
			}
			bad = append(bad, g.CheckGrammar()...)
			if len(bad) > 0 {
				return fmt.Errorf("%s", strings.Join(dedupe(bad), "; "))
			}
			return nil
		}))...), "the implementation's greeting")
	})

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// W.TAP.2 (RFC 23/37 §Connection Metadata: "The sender SHOULD specify the Socket-Type"; the
// Socket-Type "announces the ZeroMQ socket type of the sending peer"; §The Identity Property:
// a REQ, DEALER or ROUTER "MAY announce its identity" — the application's, when it set one):
// every socket type's READY names its own type, and carries no Identity the application did
// not set (a DEALER with routing id "ID1" announces "ID1").
var _ = wire.Case("W.TAP.2", Should, wire.Emits, "READY names the socket's own type and no Identity the application did not set",
	func(ctx SpecContext, w *wire.Wire) {
		types := w.Hello(ctx, w.Side).Caps.SocketTypes
		type want struct {
			typ, identity string
		}
		var plays []wire.Play
		var wants []want
		for _, t := range zmtp.SocketTypes23 {
			if peer.Has(types, t) {
				wants = append(wants, want{t, ""})
			}
		}
		wants = append(wants, want{h.DEALER, "ID1"})
		metas := make([]zmtp.Metadata, len(wants))
		for i, x := range wants {
			var opts []h.Opt
			if x.identity != "" {
				opts = append(opts, h.RoutingID(x.identity))
			}
			l := w.Open(ctx, x.typ, zmtp.CompatiblePeers(x.typ)[0], opts...)
			plays = append(plays, wire.Play{Link: l, Config: l.Config(), Steps: append(l.Greets(zmtp.V3_1),
				zmtp.Check("its READY", func(s *zmtp.Session) error {
					md, err := zmtp.ParseMetadata(s.Last.Command.Data)
					metas[i] = md
					return err
				}))})
		}
		var bad []string
		for i, res := range w.PlayAll(ctx, plays) {
			x := wants[i]
			name := x.typ
			if x.identity != "" {
				name += " with routing id " + x.identity
			}
			if !res.OK() {
				bad = append(bad, name+": "+res.Summary())
				continue
			}
			md := metas[i]
			if st, ok := md.Get(zmtp.PropSocketType); !ok || string(st) != x.typ {
				bad = append(bad, fmt.Sprintf("%s announces Socket-Type %q", name, st))
			}
			id, has := md.Get(zmtp.PropIdentity)
			switch {
			case x.identity != "" && string(id) != x.identity:
				bad = append(bad, fmt.Sprintf("%s announces Identity %q", name, id))
			case x.identity == "" && len(id) > 0:
				bad = append(bad, fmt.Sprintf("%s announces an Identity of %d octets nobody set", name, len(id)))
			}
			if has {
				w.Note("%s: Identity property", name)
			}
		}
		w.Quiet()
		sort.Strings(bad)
		wire.MustAll(bad, "READY metadata")
	})

// W.TAP.3 (RFC 23/37 §Framing: reserved bits "MUST be zero", MORE "SHALL be zero on command
// frames", a message's frames carry MORE but the last; "If the body is 0-255 octets, the
// command SHOULD use a short size field"): the frames a PUSH sends — empty, 255, 256 and 70000
// octets, and a three-frame message — and its READY conform; a long size for a short message
// body (valid) is noted.
var _ = wire.Case("W.TAP.3", Must, wire.Emits, "The implementation's frames and commands conform",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PUSH, h.PULL)
		msgs := [][]string{{""}, {strings.Repeat("a", 255)}, {strings.Repeat("b", 256)}, {"x", "y", "z"}, {strings.Repeat("c", 70000)}}
		steps := l.Greets(zmtp.V3_1)
		for _, m := range msgs {
			steps = append(steps, l.Sends(m...), zmtp.ExpectMessage(zmtp.Frames(m...), zmtp.Within(wire.RecvWithin)))
		}
		res := l.Play(ctx, steps...)
		wire.Must(res, "five messages from the PUSH")
		in := res.Transcript.Dir(zmtp.In)
		for _, ev := range append(append([]zmtp.Event(nil), in.First...), in.Last...) {
			for _, f := range ev.Frames {
				if f.Flags&zmtp.FlagLong != 0 && f.Size <= 255 {
					w.Note("long size for a %d-octet frame", f.Size)
				}
			}
		}
		wire.MustAll(in.Problems, "what the implementation sent")
	})

// W.TAP.4 (RFC 37: "the peer MAY, at any point after the security handshake is complete, send
// a PING command"; ping-ttl "in tenths of seconds"; libzmq's HEARTBEAT_IVL and HEARTBEAT_TTL):
// a socket with HEARTBEAT_IVL 200 ms and HEARTBEAT_TTL 3 s pings at about that interval, each
// PING carrying a TTL of 30 deciseconds, and keeps a peer that answers every PING.
var _ = wire.Case("W.TAP.4", Should, wire.Emits, "PINGs come every HEARTBEAT_IVL and carry HEARTBEAT_TTL in deciseconds",
	func(ctx SpecContext, w *wire.Wire) {
		w.Require(ctx, nil, "heartbeat_ivl", "heartbeat_ttl")
		l := w.Open(ctx, h.PULL, h.PUSH, h.IntOpt("heartbeat_ivl", 200), h.IntOpt("heartbeat_ttl", 3000))
		var at []time.Time
		var ttls []uint16
		res := l.Play(ctx, append(l.Greets(zmtp.V3_1),
			zmtp.Do("answer every PING for 1.3 s", func(ctx context.Context, s *zmtp.Session) error {
				end := time.Now().Add(1300 * time.Millisecond)
				for time.Now().Before(end) {
					in, err := s.Next(ctx, end)
					if wire.IsTimeout(err) {
						break
					}
					if err != nil {
						return fmt.Errorf("after %d PINGs: %w", len(at), err)
					}
					if in.Command == nil || in.Command.Name != zmtp.CmdPing {
						return fmt.Errorf("expected only PINGs, got %s", in)
					}
					p, err := zmtp.ParsePing(in.Command.Data)
					if err != nil {
						return err
					}
					at, ttls = append(at, time.Now()), append(ttls, p.TTL)
					if err := s.SendCommand(ctx, zmtp.CmdPong, p.Context); err != nil {
						return err
					}
				}
				return nil
			}))...)
		wire.Must(res, "a heartbeating socket")
		var bad []string
		if len(at) < 3 {
			bad = append(bad, fmt.Sprintf("%d PINGs in 1.3 s with HEARTBEAT_IVL 200 ms", len(at)))
		}
		var gaps []time.Duration
		for i := 1; i < len(at); i++ {
			gaps = append(gaps, at[i].Sub(at[i-1]))
		}
		sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
		if len(gaps) > 0 {
			med := gaps[len(gaps)/2]
			w.Metric("ping_interval_ms_median", float64(med.Milliseconds()))
			if med < 100*time.Millisecond || med > 400*time.Millisecond {
				bad = append(bad, fmt.Sprintf("median PING interval %s for HEARTBEAT_IVL 200 ms", med.Round(time.Millisecond)))
			}
		}
		for _, t := range ttls {
			if t != 30 {
				bad = append(bad, fmt.Sprintf("a PING with TTL %d deciseconds for HEARTBEAT_TTL 3 s (30)", t))
				break
			}
		}
		if len(bad) == 0 {
			w.Note("PINGs at HEARTBEAT_IVL with TTL 3.0 s")
		}
		wire.MustAll(bad, "heartbeats")
	})

// W.TAP.5 (RFC 24: the server "SHALL ... validate the user name and password ... otherwise, it
// closes the connection"; RFC 23 §Error Handling: an ERROR command is "command-size %d5
// "ERROR" error-reason"; RFC 24/25: as-server identifies the server): a PLAIN server's
// greeting says as-server=1, and its answer to wrong credentials is a well-formed ERROR, or
// none, and a close at once.
var _ = wire.Case("W.TAP.5", Must, wire.Emits, "A PLAIN server says as-server=1 and refuses with a well-formed ERROR and a close",
	func(ctx SpecContext, w *wire.Wire) {
		l, _ := w.OpenPlainServer(ctx, h.PULL, h.PUSH)
		res := l.Play(ctx,
			zmtp.SendGreeting(zmtp.V3_1, "PLAIN", false),
			zmtp.ExpectGreeting(),
			zmtp.Check("as-server=1", func(s *zmtp.Session) error {
				if g := s.PeerGreeting(); g.AsServer != 1 {
					return fmt.Errorf("the PLAIN server's greeting says as-server=%d", g.AsServer)
				}
				return nil
			}),
			zmtp.SendCommand(zmtp.CmdHello, zmtp.PlainHelloData(wire.PlainUser, "wrong")),
			zmtp.ExpectClose(zmtp.Within(wire.RejectWithin)))
		wire.Must(res, "wrong PLAIN credentials")
		wire.MustAll(res.Transcript.Dir(zmtp.In).Problems, "what the PLAIN server sent")
	})

// W.TAP.6 (RFC 25/26: MESSAGE is a command, "message = %d7 "MESSAGE" ..."; RFC 37 §Wire
// Analysis: on an encrypted connection "message data SHALL be encoded as commands"): a CURVE
// server's messages travel as MESSAGE commands, in command frames, never in clear or in data
// frames.
var _ = wire.Case("W.TAP.6", Must, wire.Emits, "Under CURVE the implementation's messages are MESSAGE commands in command frames",
	func(ctx SpecContext, w *wire.Wire) {
		l, _ := w.OpenCurveServer(ctx, h.PUSH, h.PULL)
		res := l.Play(ctx, zmtp.Handshake(), l.Sends("boxed", "two"), zmtp.ExpectMessage(zmtp.Frames("boxed", "two"), zmtp.Within(wire.RecvWithin)))
		wire.Must(res, "messages from a CURVE server")
		in := res.Transcript.Dir(zmtp.In)
		var bad []string
		if in.BoxesInDataFrames > 0 {
			bad = append(bad, fmt.Sprintf("%d of %d MESSAGE boxes came in data frames (COMMAND flag clear)", in.BoxesInDataFrames, in.EncryptedMessages))
		}
		if in.ClearTextAfterHandshake > 0 {
			bad = append(bad, fmt.Sprintf("%d clear-text data frames after the handshake", in.ClearTextAfterHandshake))
		}
		wire.MustAll(bad, "CURVE framing")
	})

// W.MEC.7 (RFC 25/26, RFC 37 §Wire Analysis, as W.TAP.6): a CURVE server delivers a message our
// peer sends as RFC 25/26 frame it — a MESSAGE command in a command frame.
var _ = wire.Case("W.MEC.7", Must, wire.Accept, "Under CURVE a MESSAGE command frame is delivered",
	func(ctx SpecContext, w *wire.Wire) {
		l, cc := w.OpenCurveServer(ctx, h.PULL, h.PUSH)
		wire.Must(l.PlayWith(ctx, cc.Config(h.PUSH), zmtp.Handshake(), zmtp.SendMessage("command frame"), l.Receives("command frame")),
			"a MESSAGE command frame to a CURVE server")
	})
