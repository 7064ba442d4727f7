package wire_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	"github.com/zmqsuite/zmqsuite/suites/wire"
)

// Heartbeats seen by a raw peer (docs/cases.md part M; RFC 37 §Connection Heartbeating).

// heartbeating are the options of an implementation socket that pings every 100 ms and gives
// up on a peer that sends nothing for 300 ms after a PING.
var heartbeating = []h.Opt{h.IntOpt("heartbeat_ivl", 100), h.IntOpt("heartbeat_timeout", 300)}

// HB.1 (RFC 37: "When a peer receives a PING command it SHALL respond with a PONG command that
// echoes the ping-context, which may be empty and MUST not exceed 16 octets"): PINGs with an
// empty, a 3-octet and a 16-octet context are answered with PONGs echoing them exactly.
var _ = wire.Case("HB.1", Must, wire.Accept, "A PING is answered by a PONG echoing its context",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		steps := l.Greets(zmtp.V3_1)
		for _, c := range []string{"", "LOL", "0123456789abcdef"} {
			steps = append(steps, zmtp.SendPing(time.Second, []byte(c)), zmtp.ExpectPong([]byte(c), zmtp.Within(wire.RejectWithin)))
		}
		wire.Must(l.Play(ctx, steps...), "PINGs with contexts of 0, 3 and 16 octets")
	})

// HB.2 (RFC 37: "ping-context = 0*16OCTET"; libzmq's mock_ping: a 65-octet PING is answered
// with a 21-octet PONG, the context cut to 16): a PING whose context is longer than the grammar
// allows is answered with at most 16 octets of it, or closes the connection; which one is the
// cell's Observed. A PONG carrying more than 16 octets breaks the grammar itself.
var _ = wire.Case("HB.2", Libzmq, wire.Observe, "A PING with a 20-octet context is answered with at most 16, or refused",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		long := []byte("0123456789abcdefXYZW")
		res := l.Play(ctx, append(l.Greets(zmtp.V3_1), zmtp.SendPing(time.Second, long),
			zmtp.Do("a PONG with at most 16 octets of the context, or a close", func(ctx context.Context, s *zmtp.Session) error {
				in, err := s.Next(ctx, time.Now().Add(wire.RejectWithin))
				switch {
				case zmtp.IsClosed(err):
					w.Note("closes")
					return nil
				case err != nil:
					return fmt.Errorf("neither a PONG nor a close within %s: %w", wire.RejectWithin, err)
				case in.Command == nil || in.Command.Name != zmtp.CmdPong:
					return fmt.Errorf("expected a PONG or a close, got %s", in)
				case string(in.Command.Data) == string(long[:16]):
					w.Note("PONG with the first 16 octets")
				case len(in.Command.Data) > zmtp.MaxPingContext:
					return fmt.Errorf("its PONG carries %d octets of context (MUST not exceed 16)", len(in.Command.Data))
				default:
					w.Note("PONG with %d octets", len(in.Command.Data))
				}
				return nil
			}))...)
		wire.Must(res, "a PING with a 20-octet context")
		l.Serves(ctx)
	})

// HB.3 (RFC 37: "A peer SHOULD consider the connection dead ... If it sends a PING command and
// does not receive any traffic within some timeout"; libzmq's HEARTBEAT_IVL and
// HEARTBEAT_TIMEOUT): a socket that pings every 100 ms closes the connection of a peer that
// never answers, after its 300 ms timeout.
var _ = wire.Case("HB.3", Should, wire.Reject, "A peer that never answers PINGs is disconnected",
	func(ctx SpecContext, w *wire.Wire) {
		w.Require(ctx, nil, "heartbeat_ivl", "heartbeat_timeout")
		l := w.Open(ctx, h.PULL, h.PUSH, heartbeating...)
		var start time.Time
		res := l.Play(ctx, append(l.Greets(zmtp.V3_1),
			zmtp.Do("start the clock", func(context.Context, *zmtp.Session) error { start = time.Now(); return nil }),
			zmtp.ExpectClose(zmtp.Within(3*time.Second), zmtp.Allow(zmtp.CmdPing)))...)
		wire.Must(res, "a peer that never answers PINGs")
		w.Metric("closed_after_ms", float64(time.Since(start).Milliseconds()))
		pings := res.Transcript.Dir(zmtp.In).Commands[zmtp.CmdPing]
		if pings == 0 {
			wire.MustAll([]string{"it closed without having sent a PING"}, "heartbeat timeout")
		}
		w.Note("PINGs, then closed")
		l.Serves(ctx)
	})

// HB.4 (RFC 37: "A peer SHOULD consider the connection dead ... If it receives a PING command
// with a non-zero TTL and then does not receive any further traffic within that TTL"; libzmq's
// heartbeat_ttl_* tests, for DEALER/ROUTER, REQ/REP, PUSH/PULL, SUB/PUB, PAIR/PAIR): after our
// PING with a 0.5 s TTL and silence, the connection is closed — not before the TTL, and within
// 3 s — whatever the socket type.
var _ = wire.Case("HB.4", Should, wire.Reject, "A PING's TTL ends a connection that stays silent for that long",
	func(ctx SpecContext, w *wire.Wire) {
		pairs := [][2]string{{h.ROUTER, h.DEALER}, {h.REP, h.REQ}, {h.PULL, h.PUSH}, {h.PUB, h.SUB}, {h.PAIR, h.PAIR}}
		var plays []wire.Play
		var probe *wire.Link
		starts := make([]time.Time, len(pairs))
		ends := make([]time.Duration, len(pairs))
		for i, p := range pairs {
			l := w.Open(ctx, p[0], p[1])
			if p[0] == h.PULL {
				probe = l
			}
			plays = append(plays, wire.Play{Link: l, Config: l.Config(), Steps: append(l.Greets(zmtp.V3_1),
				zmtp.SendPing(500*time.Millisecond, []byte("ttl")),
				zmtp.Do("start the clock", func(context.Context, *zmtp.Session) error { starts[i] = time.Now(); return nil }),
				zmtp.ExpectClose(zmtp.Within(3*time.Second), zmtp.Allow(zmtp.CmdPong)),
				zmtp.Do("stop the clock", func(context.Context, *zmtp.Session) error { ends[i] = time.Since(starts[i]); return nil }))})
		}
		w.Baseline(ctx)
		results := w.PlayAll(ctx, plays)
		var v wire.Verdict
		for i, res := range results {
			name := pairs[i][0] + " (our " + pairs[i][1] + ")"
			switch {
			case !res.OK():
				v.Result(name, res)
			case ends[i] < 400*time.Millisecond:
				v.Fail("%s: closed %s after a PING with a 0.5 s TTL, before the TTL", name, ends[i].Round(time.Millisecond))
			default:
				w.Metric("closed_after_ms_"+strings.ToLower(pairs[i][0]), float64(ends[i].Milliseconds()))
			}
		}
		w.Quiet()
		v.Serves(ctx, probe)
		v.Check()
		w.Note("closed after the TTL")
	})

// HB.6 (RFC 23/37 §Commands: commands "are used by the ZMTP implementation and not generally
// visible to the application"): a PING and a PONG followed by a message: the application
// receives the message, and only it.
var _ = wire.Case("HB.6", Must, wire.Accept, "PING and PONG never reach the application",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		wire.Must(l.Play(ctx, append(l.Greets(zmtp.V3_1),
			zmtp.SendPing(0, []byte("hb")), zmtp.SendCommand(zmtp.CmdPong, []byte("hb")), zmtp.SendMessage("real"),
			l.Receives("real"))...), "a PING, a PONG, then a message")
	})

// HB.7 (RFC 37: "a peer SHOULD treat any incoming traffic (not just a PONG reply) as a sign of
// life"): a socket that pings every 100 ms with a 300 ms timeout keeps a connection whose peer
// never answers its PINGs but sends a message every 50 ms.
var _ = wire.Case("HB.7", Should, wire.Accept, "Incoming messages count as a sign of life",
	func(ctx SpecContext, w *wire.Wire) {
		w.Require(ctx, nil, "heartbeat_ivl", "heartbeat_timeout")
		l := w.Open(ctx, h.PULL, h.PUSH, heartbeating...)
		const n = 24 // 1.2 s
		res := l.Play(ctx, append(l.Greets(zmtp.V3_1),
			zmtp.Do(fmt.Sprintf("a message every 50 ms for %d rounds, no PONG", n), func(ctx context.Context, s *zmtp.Session) error {
				for i := range n {
					if err := s.Send(ctx, []byte(fmt.Sprintf("busy-%02d", i))); err != nil {
						return fmt.Errorf("round %d: %w", i, err)
					}
					if _, err := s.Next(ctx, time.Now().Add(50*time.Millisecond)); err != nil && !wire.IsTimeout(err) {
						return fmt.Errorf("round %d: the busy connection was cut (%v)", i, err)
					}
				}
				if s.Transcript().Dir(zmtp.In).Commands[zmtp.CmdPing] == 0 {
					return fmt.Errorf("it sent no PING in 1.2 s with HEARTBEAT_IVL 100 ms: nothing was tested")
				}
				return nil
			}),
			l.ReceivesInOrder("busy-%02d", n))...)
		wire.Must(res, "a busy peer that never answers PINGs")
		w.Note("kept the busy connection")
	})

// HB.9 (RFC 37: "When a peer receives a PING command it SHALL respond with a PONG command"):
// fifty PINGs in one write are answered by fifty PONGs, in order.
var _ = wire.Case("HB.9", Must, wire.Accept, "Every PING is answered, in order",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		const n = 50
		var burst []byte
		for i := range n {
			burst = zmtp.AppendFrame(burst, zmtp.FlagCommand, zmtp.CommandBody(zmtp.CmdPing, zmtp.Ping{Context: []byte(fmt.Sprintf("p%02d", i))}.Data()))
		}
		wire.Must(l.Play(ctx, append(l.Greets(zmtp.V3_1), zmtp.SendRaw(burst),
			zmtp.Do(fmt.Sprintf("%d PONGs in order", n), func(ctx context.Context, s *zmtp.Session) error {
				for i := range n {
					in, err := s.Next(ctx, time.Now().Add(wire.RejectWithin))
					if err != nil {
						return fmt.Errorf("PONG %d of %d: %w", i+1, n, err)
					}
					if want := fmt.Sprintf("p%02d", i); in.Command == nil || in.Command.Name != zmtp.CmdPong || string(in.Command.Data) != want {
						return fmt.Errorf("answer %d of %d is %s, expected PONG %q", i+1, n, in, want)
					}
				}
				return nil
			}))...), "fifty PINGs")
	})

// HB.10 (RFC 37: "The ping-ttl is a 16-bit unsigned integer in network order that MAY be zero
// or MAY contain a time-to-live"): a PING with TTL 0 sets no deadline: the connection stays
// open through a second of silence.
var _ = wire.Case("HB.10", Must, wire.Accept, "A PING with TTL 0 sets no deadline",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		wire.Must(l.Play(ctx, append(l.Greets(zmtp.V3_1), zmtp.SendPing(0, []byte("zero")),
			zmtp.ExpectNothing(zmtp.Within(time.Second), zmtp.Ignore(zmtp.CmdPong)))...), "a PING with TTL 0, then a second of silence")
	})
