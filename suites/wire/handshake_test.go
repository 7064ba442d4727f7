package wire_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	"github.com/zmqsuite/zmqsuite/suites/wire"
)

// The NULL handshake and its metadata (docs/cases.md W.HS; RFC 23/37 §The NULL Security
// Mechanism, §Connection Metadata, §The Socket-Type Property, §The Identity Property).

// readyRow is a row whose hostility is our READY (or what we send instead of it): a whole
// greeting, the implementation's greeting, then our data as the READY command's body.
func readyRow(what string, body []byte) wire.Row {
	return wire.Row{What: what, Steps: []zmtp.Step{
		zmtp.SendGreeting(zmtp.V3_1, "NULL", false),
		zmtp.ExpectGreeting(zmtp.OrClose()),
		zmtp.SendCommand(zmtp.CmdReady, body),
	}}
}

// W.HS.1 (RFC 23/37 §The Socket-Type Property: "The peer SHOULD enforce that the other peer
// is using a valid socket type"; "it SHOULD handle errors by returning an ERROR command, and
// then disconnecting the peer"): for every socket type of RFC 23, a READY from each socket type
// it may not talk to (the whole 11 × 11 table) is answered with ERROR and a close. With the
// implementation binding, one socket per type takes every incompatible peer at once; with it
// connecting, one socket per incompatible pair connects to a server of that type.
var _ = wire.Case("W.HS.1", Should, wire.Reject, "An incompatible Socket-Type is answered with ERROR, then a close",
	func(ctx SpecContext, w *wire.Wire) {
		types := w.Hello(ctx, w.Side).Caps.SocketTypes
		var plays []wire.Play
		var names []string
		bound := map[string]*wire.Link{}
		var probe *wire.Link
		for _, theirs := range zmtp.SocketTypes23 {
			if !peer.Has(types, theirs) {
				continue
			}
			for _, ours := range zmtp.SocketTypes23 {
				if zmtp.Compatible(theirs, ours) {
					continue
				}
				l := bound[theirs]
				if l == nil || !w.Binds {
					// The link's own Socket-Type is a compatible one: the robust oracle
					// uses it; each play announces its incompatible type itself.
					l = w.Open(ctx, theirs, zmtp.CompatiblePeers(theirs)[0])
					bound[theirs] = l
				}
				if theirs == h.PULL && probe == nil {
					probe = l
				}
				names = append(names, ours+" to "+theirs)
				plays = append(plays, wire.Play{Link: l, Config: zmtp.Config{SocketType: ours}, Steps: []zmtp.Step{
					zmtp.SendGreeting(zmtp.V3_1, "NULL", false),
					zmtp.ExpectGreeting(zmtp.OrClose()),
					zmtp.SendReady(zmtp.Props(zmtp.PropSocketType, ours)),
					zmtp.ExpectClose(zmtp.Within(wire.RejectWithin), zmtp.Allow(zmtp.CmdReady)),
				}})
			}
		}
		w.Baseline(ctx)
		results := w.PlayAll(ctx, plays)
		var errorClose, closed, kept []string
		for i, res := range results {
			switch {
			case !res.OK():
				kept = append(kept, names[i]+" ("+res.Summary()+")")
			case res.Transcript.Dir(zmtp.In).Commands[zmtp.CmdError] > 0:
				errorClose = append(errorClose, names[i])
			default:
				closed = append(closed, names[i])
			}
		}
		n := len(results)
		w.Note("ERROR, closed: %s; closed without ERROR: %s; kept: %s", share(errorClose, n), share(closed, n), share(kept, n))
		var v wire.Verdict
		if len(kept) > 0 {
			v.Fail("%d of %d incompatible Socket-Types were not refused: %s", len(kept), n, firstFew(kept))
		}
		if len(closed) > 0 {
			v.Fail("%d of %d incompatible Socket-Types were closed without an ERROR command first (SHOULD): %s", len(closed), n, firstFew(closed))
		}
		w.Quiet()
		v.Serves(ctx, probe)
		v.Check()
	})

// share says how many of n: "none", "all" or "some" (counts that depend on when a garbage
// collector closes abandoned connections would differ from run to run).
func share(s []string, n int) string {
	switch len(s) {
	case 0:
		return "none"
	case n:
		return "all"
	}
	return "some"
}

// firstFew lists up to four items and how many more.
func firstFew(s []string) string {
	sort.Strings(s)
	if len(s) <= 4 {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:4], ", ") + fmt.Sprintf(" and %d more", len(s)-4)
}

// W.HS.2 (RFC 23/37: "The sender SHOULD specify the Socket-Type"; "The peer SHOULD enforce
// that the other peer is using a valid socket type"; the grammar's socket-type values are
// uppercase strings): a READY without Socket-Type, with an unknown type, or with a lowercase
// type value, is refused.
var _ = wire.Case("W.HS.2", Should, wire.Reject, "A READY without a valid Socket-Type is refused",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		l.Rejects(ctx,
			readyRow("no Socket-Type", nil),
			readyRow("only an X- property", zmtp.Props("X-Hello", "1").Bytes()),
			readyRow("Socket-Type FOO", zmtp.Props(zmtp.PropSocketType, "FOO").Bytes()),
			readyRow("Socket-Type push (lowercase value)", zmtp.Props(zmtp.PropSocketType, "push").Bytes()),
			readyRow("empty Socket-Type", zmtp.Props(zmtp.PropSocketType, "").Bytes()))
	})

// W.HS.9 (RFC 23/37 §The NULL Security Mechanism: "The case (upper or lower) of names SHALL
// NOT be significant"; §Connection Metadata: "Metadata names SHALL be case-insensitive"): a
// READY whose property name is "socket-type" or "SOCKET-TYPE" is accepted.
var _ = wire.Case("W.HS.9", Must, wire.Accept, "Property names are case-insensitive",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		var rows []wire.Row
		for _, name := range []string{"socket-type", "SOCKET-TYPE"} {
			rows = append(rows, wire.Row{What: name, Steps: append([]zmtp.Step{
				zmtp.SendGreeting(zmtp.V3_1, "NULL", false),
				zmtp.ExpectGreeting(),
				zmtp.SendReady(zmtp.Props(name, l.Ours)),
				zmtp.ExpectCommand(zmtp.CmdReady),
			}, l.Crosses(name)...)})
		}
		l.Accepts(ctx, rows...)
	})

// W.HS.3 (RFC 23/37 grammar: "property = name value; name = short-size 1*255name-char; value
// = 4OCTET *OCTET"): a READY whose lengths run past the command's end cannot be parsed: the
// connection is closed, and nothing is read beyond the command (no over-read, no allocation
// from the length). (An empty name parses; refusing it is validation, a MAY: W.HS.10.)
var _ = wire.Case("W.HS.3", Must, wire.Reject, "Metadata lengths past the command's end close the connection",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		st := zmtp.Props(zmtp.PropSocketType, l.Ours).Bytes()
		valueLen := func(n uint32, value string) []byte {
			b := append([]byte{byte(len(zmtp.PropSocketType))}, zmtp.PropSocketType...)
			return append(binary.BigEndian.AppendUint32(b, n), value...)
		}
		l.Rejects(ctx,
			readyRow("value length 1000, 4 octets follow", valueLen(1000, l.Ours)),
			readyRow("value length 2^31 (beyond INT32_MAX)", valueLen(1<<31, l.Ours)),
			readyRow("value length 2^32-1", valueLen(0xFFFFFFFF, l.Ours)),
			readyRow("name length 200, 5 octets follow", append(append([]byte(nil), st...), 200, 'X', '-', 'a', 'b', 'c')),
			readyRow("value length cut after 2 octets", append(append([]byte(nil), st...), 3, 'X', '-', 'a', 0, 0)))
	})

// W.HS.4 (RFC 23/37 §The Identity Property: "identity = 0*255OCTET"; "The first octet of the
// Identity SHALL NOT be zero: identities starting with a zero octet are reserved for
// implementations' internal use"): a ROUTER refuses a peer announcing a 256-octet Identity,
// or one whose first octet is zero (the RFC binds the sender; a ROUTER taking such an
// identity would address a peer by a reserved name, hence SHOULD).
var _ = wire.Case("W.HS.4", Should, wire.Reject, "A ROUTER refuses an Identity of 256 octets or starting with a zero octet",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		ready := func(id string) []byte {
			return zmtp.Metadata{{Name: zmtp.PropSocketType, Value: []byte(l.Ours)}, {Name: zmtp.PropIdentity, Value: []byte(id)}}.Bytes()
		}
		l.Rejects(ctx,
			readyRow("Identity of 256 octets", ready(strings.Repeat("i", 256))),
			readyRow("Identity starting with 0x00", ready("\x00peer")))
	})

// W.HS.5 (RFC 23/37 §Connection Metadata: "The implementation MAY provide other metadata
// properties"; "Metadata names starting with "X-" SHALL be reserved for application use"; RFC
// 37's "Resource"): unknown, X- and Resource properties in a READY are accepted (ignored or
// exposed) and a message crosses both ways.
var _ = wire.Case("W.HS.5", Must, wire.Accept, "Unknown, X- and Resource properties are accepted",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		md := zmtp.Props(zmtp.PropSocketType, l.Ours, "X-Hello", "world", "Platform", "zmqsuite", "Resource", "/wire", "X-Empty", "")
		l.Accepts(ctx, wire.Row{What: "extra properties", Steps: append([]zmtp.Step{
			zmtp.SendGreeting(zmtp.V3_1, "NULL", false),
			zmtp.ExpectGreeting(),
			zmtp.SendReady(md),
			zmtp.ExpectCommand(zmtp.CmdReady),
		}, l.Crosses("extra")...)})
	})

// W.HS.12 (RFC 23/37 grammar: "metadata = *property" — a list, in any order): a READY whose
// Socket-Type comes after other properties is accepted.
var _ = wire.Case("W.HS.12", Must, wire.Accept, "Socket-Type is found wherever it is in the property list",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		md := zmtp.Props("X-First", "1", zmtp.PropIdentity, "", "X-Second", "2", zmtp.PropSocketType, l.Ours)
		l.Accepts(ctx, wire.Row{What: "Socket-Type last", Steps: append([]zmtp.Step{
			zmtp.SendGreeting(zmtp.V3_1, "NULL", false),
			zmtp.ExpectGreeting(),
			zmtp.SendReady(md),
			zmtp.ExpectCommand(zmtp.CmdReady),
		}, l.Crosses("last")...)})
	})

// W.HS.11 (RFC 37 §Authentication and Confidentiality: "If the body is 256 or more octets,
// the command SHOULD use a long size field"): a READY of more than 255 octets, in a long
// command frame, is accepted.
var _ = wire.Case("W.HS.11", Must, wire.Accept, "A READY longer than 255 octets, in a long frame, is accepted",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		md := zmtp.Props(zmtp.PropSocketType, l.Ours, "X-Padding", strings.Repeat("p", 1000))
		l.Accepts(ctx, wire.Row{What: "READY of 1041 octets", Steps: append([]zmtp.Step{
			zmtp.SendGreeting(zmtp.V3_1, "NULL", false),
			zmtp.ExpectGreeting(),
			zmtp.SendReady(md),
			zmtp.ExpectCommand(zmtp.CmdReady),
		}, l.Crosses("long READY")...)})
	})

// W.HS.10 (RFC 23/37 grammar: "name-char = ALPHA | DIGIT | "-" | "_" | "." | "+"", "Zero-
// sized names are not valid"; "Both peers SHOULD then parse, and MAY validate the READY
// command. Either or both peer MAY then choose to close the connection if validation
// failed"): a READY with a property name outside the grammar (an empty one, illegal
// characters) is accepted or refused; which one is the cell's Observed.
var _ = wire.Case("W.HS.10", Libzmq, wire.Observe, "A property name outside the grammar is accepted or refused (MAY); which is reported",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		for _, name := range []string{"", "X Bad", "X-\x01"} {
			md := zmtp.Metadata{{Name: zmtp.PropSocketType, Value: []byte(l.Ours)}, {Name: name, Value: []byte("v")}}
			res := l.Play(ctx, append([]zmtp.Step{
				zmtp.SendGreeting(zmtp.V3_1, "NULL", false),
				zmtp.ExpectGreeting(),
				zmtp.SendReady(md),
				zmtp.ExpectCommand(zmtp.CmdReady, zmtp.OrClose(), zmtp.Within(wire.RejectWithin)),
				zmtp.ExpectNothing(zmtp.Within(100 * time.Millisecond)),
			}, l.Crosses("odd name")...)...)
			switch {
			case !res.OK() && strings.Contains(res.Error, "expected nothing") && strings.Contains(res.Error, "close"):
				w.Note("%q: refuses", name)
			case !res.OK():
				wire.Must(res, fmt.Sprintf("property name %q", name))
			case res.EndedEarly != "":
				w.Note("%q: refuses", name)
			default:
				w.Note("%q: accepts", name)
			}
		}
		l.Serves(ctx)
	})

// W.HS.6 (RFC 23/37 grammar: "null = ready *message | error" — READY comes first): a
// message, or a SUBSCRIBE command, before READY closes the connection. (A second READY after
// the handshake is a command out of place, ignore or close: W.CMD.2.)
var _ = wire.Case("W.HS.6", Must, wire.Reject, "Traffic before READY closes the connection",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		greet := []zmtp.Step{zmtp.SendGreeting(zmtp.V3_1, "NULL", false), zmtp.ExpectGreeting(zmtp.OrClose())}
		l.Rejects(ctx,
			wire.Row{What: "a message before READY", Steps: append(greet[:2:2], zmtp.SendMessage("early"))},
			wire.Row{What: "SUBSCRIBE before READY", Steps: append(greet[:2:2], zmtp.SendCommand(zmtp.CmdSubscribe, []byte("t")))})
	})

// W.HS.7 (RFC 23/37 §Error Handling: "The peer SHALL treat an incoming ERROR command as fatal,
// and act by closing the connection"): an ERROR instead of our READY closes the connection.
var _ = wire.Case("W.HS.7", Must, wire.Reject, "An ERROR command during the handshake closes the connection",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		errorRow := func(what, reason string) wire.Row {
			return wire.Row{What: what, Steps: []zmtp.Step{
				zmtp.SendGreeting(zmtp.V3_1, "NULL", false),
				zmtp.ExpectGreeting(zmtp.OrClose()),
				zmtp.SendCommand(zmtp.CmdError, zmtp.ErrorData(reason)),
			}}
		}
		l.Rejects(ctx, errorRow("ERROR instead of READY", "go away"), errorRow("ERROR with an empty reason", ""))
	})

// W.HS.8 (RFC 23 §Security Considerations; libzmq's HANDSHAKE_IVL): connections that stay
// silent — nothing at all, or a greeting and nothing more — do not stop the same socket from
// serving a well-behaved peer meanwhile. Whether the silent ones are closed within the hold
// is noted (libzmq waits HANDSHAKE_IVL, 30 s by default).
var _ = wire.Case("W.HS.8", Libzmq, wire.Robust, "Silent connections do not stop the socket serving other peers",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		const hold = 2 * time.Second
		var held atomic.Bool
		held.Store(true)
		silent := []wire.Play{
			{Link: l, Config: l.Config(), Steps: []zmtp.Step{holdOpen(hold, &held)}},
			{Link: l, Config: l.Config(), Steps: []zmtp.Step{zmtp.SendGreeting(zmtp.V3_1, "NULL", false), holdOpen(hold, &held)}},
		}
		if !w.Binds {
			silent = silent[1:] // the implementation makes one connection per connect: hold one
		}
		done := w.Start(ctx, silent)
		res := l.Play(ctx, append(l.Good("meanwhile"), zmtp.Check("the silent connections are still open", func(*zmtp.Session) error {
			if !held.Load() {
				return fmt.Errorf("the well-behaved peer was served only after the silent connections were dropped (%s)", hold)
			}
			return nil
		}))...)
		held.Store(false)
		for _, r := range done() {
			if r.OK() {
				w.Note("silent connection kept open for %s", hold)
			} else {
				w.Note("silent connection: %s", r.Summary())
			}
		}
		wire.Must(res, "a well-behaved peer while silent connections are open")
		l.Serves(ctx)
	})

// holdOpen keeps a connection open and silent for d, reading what comes; it ends early when
// the implementation closes it (noted in the result) or when held turns false.
func holdOpen(d time.Duration, held *atomic.Bool) zmtp.Step {
	return zmtp.Do(fmt.Sprintf("stay silent for %s", d), func(ctx context.Context, s *zmtp.Session) error {
		end := time.Now().Add(d)
		for time.Now().Before(end) && held.Load() {
			_, err := s.ReadGreetingPrefix(ctx, 1<<20, time.Now().Add(50*time.Millisecond))
			if zmtp.IsClosed(err) {
				return fmt.Errorf("closed by the implementation")
			}
		}
		held.Store(false)
		return nil
	})
}
