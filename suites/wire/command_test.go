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

// Commands after the handshake (docs/cases.md W.CMD; RFC 37 §Commands, §The Publish-Subscribe
// Pattern; RFC 23 subscriptions as messages).

// W.CMD.1 (RFC 37 §Connection Heartbeating: "the peer MAY, at any point after the security
// handshake is complete, send a PING command"): a PING before our READY closes the
// connection.
var _ = wire.Case("W.CMD.1", Must, wire.Reject, "A PING before the handshake is complete closes the connection",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		pingRow := func(what string, ttl time.Duration, pingContext string) wire.Row {
			return wire.Row{What: what, Steps: []zmtp.Step{
				zmtp.SendGreeting(zmtp.V3_1, "NULL", false),
				zmtp.ExpectGreeting(zmtp.OrClose()),
				zmtp.SendPing(ttl, []byte(pingContext)),
			}}
		}
		l.Rejects(ctx, pingRow("PING instead of READY", 0, "early"), pingRow("PING with a TTL instead of READY", time.Second, ""))
	})

// W.CMD.2 (RFC 37 §Commands: commands "are used by the ZMTP implementation and not generally
// visible to the application"; the RFC does not say what to do with an unsolicited or
// unknown one): an unsolicited PONG, an unknown command and a second READY after the
// handshake are ignored or close the connection — which is the cell's Observed — and never
// reach the application.
var _ = wire.Case("W.CMD.2", Should, wire.Observe, "Unsolicited, unknown or repeated commands are ignored or refused, never delivered",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		l.Survives(ctx,
			after(l, "unsolicited PONG", zmtp.SendCommand(zmtp.CmdPong, []byte("ctx")), l.ReceivesNothing(wire.SettleWithin)),
			after(l, "unknown command FOO", zmtp.SendCommand("FOO", []byte("data")), l.ReceivesNothing(wire.SettleWithin)),
			after(l, "READY again", zmtp.SendReady(zmtp.Props(zmtp.PropSocketType, l.Ours)), l.ReceivesNothing(wire.SettleWithin)))
	})

// pubsub is a row against the implementation's PUB: our SUB greets at v and plays steps.
func pubsub(l *wire.Link, what string, v zmtp.Version, steps ...zmtp.Step) wire.Row {
	cfg := zmtp.Config{SocketType: h.SUB, Version: v}
	return wire.Row{What: what, Config: &cfg, Steps: append(l.Greets(v), steps...)}
}

// subscribe sends a subscription (or a cancel) in the form the two greetings call for: RFC
// 37's SUBSCRIBE/CANCEL command when both peers speak 3.1, RFC 23's message (%x01 or %x00 and
// the topic) otherwise. It notes which form it used.
func subscribe(w *wire.Wire, add bool, topic string) zmtp.Step {
	verb := map[bool]string{true: "subscribe", false: "cancel"}[add]
	return zmtp.Do(fmt.Sprintf("%s %s", verb, preview(topic)), func(ctx context.Context, s *zmtp.Session) error {
		if s.PeerGreeting().Version.AtLeast(zmtp.V3_1) && s.Config().Version.AtLeast(zmtp.V3_1) {
			w.Note("3.1 forms (commands)")
		} else {
			w.Note("3.0 forms (messages)")
		}
		return s.Conn.Subscribe(ctx, add, []byte(topic))
	})
}

func preview(s string) string {
	if len(s) > 12 {
		return fmt.Sprintf("%q… (%d octets)", s[:8], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// published has the implementation's PUB publish on topic and on other, round after round,
// until a message on topic arrives; one on other (never subscribed) means the PUB did not
// filter. then more rounds follow, in which topic must keep (want) or stop (!want) arriving.
func published(l *wire.Link, topic, other string) zmtp.Step {
	return zmtp.Do(fmt.Sprintf("the %s PUB publishes %s and %s until %s arrives", l.Sock.Impl(), preview(topic), preview(other), preview(topic)),
		func(ctx context.Context, s *zmtp.Session) error {
			for round := range 40 {
				for _, t := range []string{other, topic} {
					if err := l.Sock.TrySend(ctx, h.SendTimeout, h.Msg(fmt.Sprintf("%s-%d", t, round))); err != nil {
						return fmt.Errorf("the PUB's send answered %v", err)
					}
				}
				got, err := drain(ctx, s, 50*time.Millisecond)
				if err != nil {
					return err
				}
				for _, m := range got {
					switch {
					case strings.HasPrefix(m, other+"-"):
						return fmt.Errorf("the PUB sent %s, which we never subscribed to", preview(m))
					case strings.HasPrefix(m, topic+"-"):
						return nil
					}
				}
			}
			return fmt.Errorf("no message on %s within 40 rounds (2 s): the subscription was not understood", preview(topic))
		})
}

// drain reads the messages that arrive within d (PINGs are answered by nobody: none expected).
func drain(ctx context.Context, s *zmtp.Session, d time.Duration) ([]string, error) {
	var out []string
	dl := time.Now().Add(d)
	for {
		in, err := s.Next(ctx, dl)
		if wire.IsTimeout(err) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("reading what the PUB sent: %w", err)
		}
		if in.Command == nil && len(in.Message) == 1 {
			out = append(out, string(in.Message[0]))
		}
	}
}

// rounds has the PUB publish on topic and marker for n rounds, reading what arrives: topic
// must arrive in them (want) or never (!want).
func rounds(l *wire.Link, topic, marker string, n int, want bool) zmtp.Step {
	what := map[bool]string{true: "still arrives", false: "no longer arrives"}[want]
	return zmtp.Do(fmt.Sprintf("%s %s over %d rounds", preview(topic), what, n), func(ctx context.Context, s *zmtp.Session) error {
		seen := false
		for round := range n {
			for _, t := range []string{topic, marker} {
				if err := l.Sock.TrySend(ctx, h.SendTimeout, h.Msg(fmt.Sprintf("%s-x%d", t, round))); err != nil {
					return fmt.Errorf("the PUB's send answered %v", err)
				}
			}
			got, err := drain(ctx, s, 50*time.Millisecond)
			if err != nil {
				return err
			}
			for _, m := range got {
				if strings.HasPrefix(m, topic+"-x") {
					seen = true
				}
			}
		}
		switch {
		case want && !seen:
			return fmt.Errorf("no message on %s arrived any more", preview(topic))
		case !want && seen:
			return fmt.Errorf("messages on %s still arrived after it was cancelled", preview(topic))
		}
		return nil
	})
}

// W.CMD.3 (RFC 37 §The Publish-Subscribe Pattern: "To create a subscription, the SUB or XSUB
// peer SHALL send a SUBSCRIBE command"; RFC 23: a subscription message; "message filtering
// SHALL happen at the publisher side"): a PUB understands the subscription of a 3.1 peer (a
// SUBSCRIBE command) and of a 3.0 peer (a message), and filters by it.
var _ = wire.Case("W.CMD.3", Must, wire.Accept, "A PUB understands SUBSCRIBE commands (3.1) and subscription messages (3.0)",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PUB, h.SUB)
		l.Accepts(ctx,
			pubsub(l, "ZMTP 3.1 peer", zmtp.V3_1, subscribe(w, true, "t"), published(l, "t", "u")),
			pubsub(l, "ZMTP 3.0 peer", zmtp.V3_0, subscribe(w, true, "t"), published(l, "t", "u")))
	})

// W.CMD.4 (RFC 37: "subscription = *OCTET"; "If the body is 256 or more octets, the command
// SHOULD use a long size field"): a subscription longer than 255 octets — a long SUBSCRIBE
// command, or a long subscription message — is understood.
var _ = wire.Case("W.CMD.4", Must, wire.Accept, "A subscription longer than 255 octets is understood",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PUB, h.SUB)
		long := strings.Repeat("T", 300)
		l.Accepts(ctx,
			pubsub(l, "ZMTP 3.1 peer", zmtp.V3_1, subscribe(w, true, long), published(l, long, "u")),
			pubsub(l, "ZMTP 3.0 peer", zmtp.V3_0, subscribe(w, true, long), published(l, long, "u")))
	})

// W.CMD.5 (RFC 37: the SUB "SHALL send a SUBSCRIBE command"; "A peer SHALL always use its own
// protocol (including framing) when talking to an equal or higher protocol peer" and MAY
// downgrade to a lower one, which for a 3.0 peer means RFC 23's subscription message): a SUB
// sends its subscription as a SUBSCRIBE command to a 3.1 peer and as a message to a 3.0 peer.
var _ = wire.Case("W.CMD.5", Must, wire.Emits, "A SUB sends a SUBSCRIBE command to a 3.1 peer and a subscription message to a 3.0 peer",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.SUB, h.PUB, h.Subscribe("t"))
		row := func(v zmtp.Version) wire.Row {
			cfg := zmtp.Config{SocketType: h.PUB, Version: v}
			return wire.Row{What: "to a " + v.String() + " peer", Config: &cfg, Steps: append(l.Greets(v),
				zmtp.Do("the subscription to \"t\", in the form the versions call for", func(ctx context.Context, s *zmtp.Session) error {
					// libzmq 4.3.4's bound SUB sends nothing to a new connection until the
					// application calls into it (libzmq #2267; docs/design.md "Facts that
					// bite"): poke it while waiting.
					var in zmtp.Incoming
					var err error
					for range 20 {
						_, _ = l.Sock.TryRecv(ctx, 0) // only the call matters (a dead peer is still a crash)
						if in, err = s.Next(ctx, time.Now().Add(100*time.Millisecond)); !wire.IsTimeout(err) {
							break
						}
					}
					if err != nil {
						return fmt.Errorf("no subscription within 2 s: %w", err)
					}
					theirs := s.PeerGreeting().Version
					command := theirs.AtLeast(zmtp.V3_1) && v.AtLeast(zmtp.V3_1)
					add, topic, isMsg := false, []byte(nil), false
					if in.Command == nil && len(in.Message) == 1 {
						add, topic, isMsg = zmtp.ParseSubscriptionBody(in.Message[0])
					}
					switch {
					case in.Command != nil && in.Command.Name == zmtp.CmdSubscribe && string(in.Command.Data) == "t":
						w.Note("to %s (it greets %s): SUBSCRIBE command", v, theirs)
						if !command {
							return fmt.Errorf("it sent a SUBSCRIBE command to a %s peer, which knows only subscription messages", v)
						}
					case isMsg && add && string(topic) == "t":
						w.Note("to %s (it greets %s): subscription message", v, theirs)
						if command {
							return fmt.Errorf("it sent a ZMTP 3.0 subscription message to a 3.1 peer while greeting %s itself (RFC 37: a SUBSCRIBE command)", theirs)
						}
					default:
						return fmt.Errorf("expected the subscription to \"t\", got %s", in)
					}
					return nil
				}))}
		}
		l.Accepts(ctx, row(zmtp.V3_0), row(zmtp.V3_1))
	})

// W.CMD.6 (RFC 37: "To cancel a subscription, the SUB or XSUB peer SHALL send a CANCEL
// command"; RFC 23: a message starting %x00): a cancelled subscription stops the messages on
// its topic, in both forms.
var _ = wire.Case("W.CMD.6", Must, wire.Accept, "A CANCEL (3.1) or cancel message (3.0) stops a subscription",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PUB, h.SUB)
		var rows []wire.Row
		for _, v := range []zmtp.Version{zmtp.V3_1, zmtp.V3_0} {
			rows = append(rows, pubsub(l, "ZMTP "+v.String()+" peer", v,
				subscribe(w, true, "t"), published(l, "t", "u"),
				subscribe(w, false, "t"), subscribe(w, true, "v"), published(l, "v", "u"),
				rounds(l, "t", "v", 4, false)))
		}
		l.Accepts(ctx, rows...)
	})

// W.CMD.7 (RFC 37: "Subscriptions SHALL be additive and SHALL NOT be idempotent ...
// Subscribing to "A" and "A" counts as two subscriptions, and would require two CANCEL
// commands to undo"): after two subscriptions to a topic and one cancel, its messages still
// arrive.
var _ = wire.Case("W.CMD.7", Must, wire.Accept, "Two subscriptions to a topic need two cancels",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PUB, h.SUB)
		var rows []wire.Row
		for _, v := range []zmtp.Version{zmtp.V3_1, zmtp.V3_0} {
			rows = append(rows, pubsub(l, "ZMTP "+v.String()+" peer", v,
				subscribe(w, true, "t"), subscribe(w, true, "t"), published(l, "t", "u"),
				subscribe(w, false, "t"), subscribe(w, true, "v"), published(l, "v", "u"),
				rounds(l, "t", "v", 4, true)))
		}
		l.Accepts(ctx, rows...)
	})
