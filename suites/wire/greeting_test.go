package wire_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	"github.com/zmqsuite/zmqsuite/suites/wire"
)

// Greeting and version negotiation (docs/cases.md W.GR; RFC 23/37 §Version Negotiation and
// §Backwards Interoperability). Version negotiation per implementation is four cells' Observed:
// W.GR.1 (3.1), W.GR.8 (3.0), W.GR.6 (2.0) and W.GR.9 (1.0) say "accepts", "downgrades" or
// "refuses", in both directions.

// W.GR.1 (RFC 23/37 §Formal Grammar: "greeting = signature version mechanism as-server
// filler", then "null = ready *message"): a valid 64-octet 3.1 greeting, NULL and a READY with
// a matching Socket-Type interoperate: a message crosses both ways.
var _ = wire.Case("W.GR.1", Must, wire.Accept, "A valid 3.1 greeting, NULL and a matching READY interoperate",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PAIR, h.PAIR)
		l.Accepts(ctx, wire.Row{What: "ZMTP 3.1", Steps: append(l.Greets(zmtp.V3_1), l.Crosses("3.1")...)})
		w.Note("3.1: accepts")
	})

// W.GR.2 (RFC 23/37: "A peer SHALL NOT assign any significance to the padding field and MUST
// NOT validate this nor interpret it in any way whatsoever"): non-zero padding octets 1-8
// are accepted.
var _ = wire.Case("W.GR.2", Must, wire.Accept, "Greeting padding octets 1-8 are not validated",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		var rows []wire.Row
		for _, pad := range [][8]byte{{1, 2, 3, 4, 5, 6, 7, 8}, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}} {
			rows = append(rows, wire.Row{What: fmt.Sprintf("padding % x", pad[:]), Steps: append([]zmtp.Step{
				zmtp.SendGreeting(zmtp.V3_1, "NULL", false, zmtp.Padding(pad)),
				zmtp.ExpectGreeting(),
				zmtp.SendReady(zmtp.Props(zmtp.PropSocketType, l.Ours)),
				zmtp.ExpectCommand(zmtp.CmdReady),
			}, l.Crosses("padded")...)})
		}
		l.Accepts(ctx, rows...)
	})

// W.GR.3 (RFC 37: "A peer MUST accept higher protocol versions as valid"; "A peer SHALL
// always use its own protocol (including framing) when talking to an equal or higher
// protocol peer"): greetings announcing 3.2, 4.0 and 255.255 are accepted, and the
// implementation answers with its own 3.x version.
var _ = wire.Case("W.GR.3", Must, wire.Accept, "Higher protocol versions are accepted; the implementation keeps its own 3.x",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		var rows []wire.Row
		for _, v := range []zmtp.Version{{Major: 3, Minor: 2}, {Major: 4, Minor: 0}, {Major: 255, Minor: 255}} {
			rows = append(rows, wire.Row{What: "ZMTP " + v.String(), Steps: append(append(l.Greets(v),
				zmtp.Check("the implementation greets with its own 3.x", func(s *zmtp.Session) error {
					g := s.PeerGreeting()
					if g.Version.Major != 3 {
						return fmt.Errorf("it answered a %s greeting with version %s", v, g.Version)
					}
					w.Note("answers %s", g.Version)
					return nil
				})), l.Crosses("future")...)})
		}
		l.Accepts(ctx, rows...)
	})

// W.GR.4 (RFC 37 §Version Negotiation: the peer "SHALL send ... the first 11 octets of the
// greeting" and read the other's before the rest; "A peer that reads a full greeting,
// including mechanism, MUST also send a full greeting"): a greeting dribbled one octet per
// write, the first 11 octets held until the implementation has sent its own, is accepted and
// nobody deadlocks.
var _ = wire.Case("W.GR.4", Must, wire.Accept, "A greeting dribbled octet by octet, 11 octets first, is accepted without deadlock",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PAIR, h.PAIR)
		l.Accepts(ctx, wire.Row{What: "dribbled", Steps: append([]zmtp.Step{
			zmtp.SendGreeting(zmtp.V3_1, "NULL", false, zmtp.FirstOctets(11), zmtp.Dribble(2*time.Millisecond)),
			zmtp.ExpectGreetingPrefix(11),
			zmtp.SendGreetingRest(zmtp.Dribble(2 * time.Millisecond)),
			zmtp.ExpectGreeting(),
			zmtp.SendReady(zmtp.Props(zmtp.PropSocketType, l.Ours), zmtp.Dribble(time.Millisecond)),
			zmtp.ExpectCommand(zmtp.CmdReady),
		}, l.Crosses("slow")...)})
	})

// W.GR.5 (RFC 37 §Backwards Interoperability: "If this first octet is not %FF, then the other
// peer is using ZMTP 1.0"; "If the least significant bit is 0, then the other peer is using
// ZMTP 1.0"): a greeting with a bad signature is treated as ZMTP 1.0 or refused — never as
// ZMTP 3.x — and nothing breaks.
var _ = wire.Case("W.GR.5", Must, wire.Robust, "A bad signature is treated as ZMTP 1.0 or refused, never as 3.x",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		good := zmtp.NewGreeting(zmtp.V3_1, "NULL", false).Bytes()
		first := append([]byte{0x00}, good[1:]...)
		bit0 := append([]byte(nil), good...)
		bit0[9] = 0x7E
		l.Survives(ctx,
			wire.Row{What: "octet 0 is 0x00", Steps: []zmtp.Step{zmtp.SendRaw(first)}, Watch: notThreeX},
			wire.Row{What: "octet 9 without bit 0", Steps: []zmtp.Step{zmtp.SendRaw(bit0)}, Watch: notThreeX})
	})

// notThreeX watches the implementation's answer to a greeting that is not ZMTP 3.x: it may
// close, or go on as with a ZMTP 1.0 peer (its 10-octet pseudo-signature, or its greeting, and
// then waiting), but a READY command after its greeting says it took our octets for a 3.x
// greeting.
func notThreeX(how *string) zmtp.Step {
	return zmtp.Do("the implementation closes, or waits as with a ZMTP 1.0 peer (no READY)", func(ctx context.Context, s *zmtp.Session) error {
		p, err := s.ReadGreetingPrefix(ctx, zmtp.GreetingSize+7, time.Now().Add(wire.SettleWithin))
		switch {
		case err == nil && p[zmtp.GreetingSize]&zmtp.FlagCommand != 0 && string(p[zmtp.GreetingSize+2:zmtp.GreetingSize+7]) == "READY":
			return fmt.Errorf("it answered with a 3.x greeting and READY: it took the octets for a ZMTP 3.x greeting")
		case err == nil:
			*how = "went on without READY"
		case zmtp.IsClosed(err):
			*how = "closed"
		case wire.IsTimeout(err):
			*how = fmt.Sprintf("waits (sent %d octets)", len(p))
		default:
			return err
		}
		return nil
	})
}

// W.GR.6 (RFC 37: "A peer MAY downgrade its protocol to talk to a lower protocol peer"; "If
// the peer version number is 1 or 2, the peer is using ZMTP 2.0, so send the ZMTP 2.0 socket
// type and identity and continue with ZMTP 2.0"; "If a peer cannot downgrade its protocol to
// match its peer, it MUST close the connection"): a ZMTP 2.0 peer (RFC 15 greeting, NULL
// implied) is downgraded to — a message in 2.0 framing is delivered — or refused; which one is
// the cell's Observed.
var _ = wire.Case("W.GR.6", Should, wire.Observe, "A ZMTP 2.0 peer is downgraded to or refused (MAY); which is reported",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		refused := false
		res := l.Play(ctx,
			zmtp.SendLegacyGreeting(h.PUSH, nil),
			zmtp.Do("the implementation's signature, version and ZMTP 2.0 socket type and identity, or a close",
				func(ctx context.Context, s *zmtp.Session) error {
					p, err := s.ReadGreetingPrefix(ctx, 12, time.Now().Add(wire.RejectWithin))
					if zmtp.IsClosed(err) {
						refused = true
						return nil
					}
					if err != nil {
						return fmt.Errorf("neither a greeting nor a close within %s: %w", wire.RejectWithin, err)
					}
					// A downgrading peer stops after signature, version, socket type and its
					// identity frame (RFC 15: flags, size, body); a 3.x-only peer sends its whole
					// 64-octet greeting, mechanism included.
					p, err = s.ReadGreetingPrefix(ctx, zmtp.GreetingSize, time.Now().Add(300*time.Millisecond))
					if err == nil && string(p[12:16]) == "NULL" {
						if _, err := s.ReadGreetingPrefix(ctx, 1<<20, time.Now().Add(wire.RejectWithin)); zmtp.IsClosed(err) {
							refused = true
							return nil
						}
						return fmt.Errorf("it sent a whole ZMTP 3.x greeting to a ZMTP 2.0 peer and kept the connection (MUST close if it cannot downgrade)")
					}
					if zmtp.IsClosed(err) {
						refused = true
						return nil
					}
					if len(p) < 14 || p[12]&^zmtp.FlagMore != 0 || len(p) < 14+int(p[13]) {
						return fmt.Errorf("after the signature, % x is not a ZMTP 2.0 socket type and identity frame", p)
					}
					w.Note("2.0 socket type %s", zmtp.V2SocketTypeName(p[11]))
					return nil
				}),
			zmtp.Do("send a ZMTP 2.0 message frame unless it closed", func(ctx context.Context, s *zmtp.Session) error {
				if refused {
					return nil
				}
				// RFC 15 framing: flags (0 = last), one-octet size, body.
				return s.WriteRaw(ctx, zmtp.AppendFrame(nil, 0, []byte("old")), 0)
			}),
			delivered(l, &refused, "2.0"))
		negotiated(w, "2.0", res, refused)
		l.Serves(ctx)
	})

// W.GR.8 (RFC 37 §Version Negotiation; RFC 23 is ZMTP 3.0): a ZMTP 3.0 peer is talked to in
// ZMTP 3.0 — the framing is the same — and a message crosses both ways.
var _ = wire.Case("W.GR.8", Must, wire.Accept, "A ZMTP 3.0 peer interoperates",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PAIR, h.PAIR)
		l.Accepts(ctx, wire.Row{What: "ZMTP 3.0", Steps: append(l.Greets(zmtp.V3_0), l.Crosses("3.0")...)})
		w.Note("3.0: accepts")
	})

// W.GR.9 (RFC 37 §Detecting ZMTP 1.0 and 2.0 Peers: "When we have detected a ZMTP 1.0 peer,
// we have already sent 10 octets, which the other peer interprets as the start of an identity
// frame. We continue by sending the body of the identity frame"; "If a peer cannot downgrade
// ... it MUST close the connection"): a ZMTP 1.0 peer (an anonymous identity frame, no
// signature) is downgraded to — a 1.0 message frame is delivered — or refused; which one is the
// cell's Observed.
var _ = wire.Case("W.GR.9", Should, wire.Observe, "A ZMTP 1.0 peer is downgraded to or refused (MAY); which is reported",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		refused := false
		res := l.Play(ctx,
			zmtp.SendRaw(zmtp.V1Greeting(nil)),
			zmtp.Do("the implementation's 10-octet pseudo-signature and identity, or a close", func(ctx context.Context, s *zmtp.Session) error {
				p, err := s.ReadGreetingPrefix(ctx, 10, time.Now().Add(wire.RejectWithin))
				if zmtp.IsClosed(err) {
					refused = true
					return nil
				}
				if err != nil {
					return fmt.Errorf("neither a pseudo-signature nor a close within %s (MUST close if it cannot downgrade): %w", wire.RejectWithin, err)
				}
				if p[0] != 0xFF || p[9]&1 == 0 {
					return fmt.Errorf("its first 10 octets % x are not a signature", p[:10])
				}
				// "%xFF size %x7F": size is the identity length plus 1 (RFC 37).
				size := binary.BigEndian.Uint64(p[1:9])
				if size == 0 || size > 256 {
					return fmt.Errorf("its first 10 octets % x are a 3.x signature (padding %d), not a ZMTP 1.0 pseudo-signature", p[:10], size)
				}
				if _, err := s.ReadGreetingPrefix(ctx, 10+int(size-1), time.Now().Add(wire.RejectWithin)); err != nil {
					return fmt.Errorf("its identity body of %d octets: %w", size-1, err)
				}
				return nil
			}),
			zmtp.Do("send a ZMTP 1.0 message frame unless it closed", func(ctx context.Context, s *zmtp.Session) error {
				if refused {
					return nil
				}
				return s.WriteRaw(ctx, zmtp.AppendV1Frame(nil, false, []byte("old")), 0)
			}),
			delivered(l, &refused, "1.0"))
		negotiated(w, "1.0", res, refused)
		l.Serves(ctx)
	})

// delivered is the last step of a downgrade: the old-framed message "old" reaches the
// application, or the implementation has closed after all; otherwise it neither downgraded
// nor closed.
func delivered(l *wire.Link, refused *bool, version string) zmtp.Step {
	return zmtp.Do("the implementation delivers the ZMTP "+version+" message, or closed", func(ctx context.Context, s *zmtp.Session) error {
		if *refused {
			return nil
		}
		m, err := l.Sock.TryRecv(ctx, wire.RejectWithin)
		if err == nil && len(m) == 1 && string(m[0]) == "old" {
			return nil
		}
		if _, rerr := s.ReadGreetingPrefix(ctx, 1<<20, time.Now().Add(100*time.Millisecond)); zmtp.IsClosed(rerr) {
			*refused = true
			return nil
		}
		return fmt.Errorf("it neither delivered the ZMTP %s message (receive: %s %v) nor closed: a peer that cannot downgrade MUST close", version, h.Describe(m), err)
	})
}

// negotiated notes the outcome of a legacy greeting: "downgrades" (the old-framed message was
// delivered), "refuses" (closed), or fails the cell.
func negotiated(w *wire.Wire, version string, res zmtp.Result, refused bool) {
	switch {
	case res.OK() && refused:
		w.Note("%s: refuses", version)
	case res.OK():
		w.Note("%s: downgrades", version)
	default:
		w.Note("%s: neither downgrades nor closes", version)
		wire.Must(res, "a ZMTP "+version+" peer")
	}
}

// W.GR.7 (RFC 37: "If the implementation's security mechanism is anything other than NULL,
// and it detects a ZMTP 1.0 or 2.0 peer, it MUST immediately close the connection"; RFC 23
// §Security: guard against downgrade attacks): a PLAIN server facing a ZMTP 2.0 or 1.0 peer
// closes at once.
var _ = wire.Case("W.GR.7", Must, wire.Reject, "A PLAIN socket closes at once on a ZMTP 1.0 or 2.0 peer",
	func(ctx SpecContext, w *wire.Wire) {
		l, _ := w.OpenPlainServer(ctx, h.PULL, h.PUSH)
		l.Rejects(ctx,
			wire.Row{What: "ZMTP 2.0 greeting", Steps: []zmtp.Step{zmtp.SendLegacyGreeting(h.PUSH, nil)}, Watch: wire.ClosesRaw},
			wire.Row{What: "ZMTP 1.0 greeting", Steps: []zmtp.Step{zmtp.SendRaw(zmtp.V1Greeting(nil))}, Watch: wire.ClosesRaw})
	})
