package wire_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	"github.com/zmqsuite/zmqsuite/suites/wire"
)

// Security mechanisms in the greeting (docs/cases.md W.MEC; RFC 23/37 §Authentication and
// Confidentiality, §The NULL Security Mechanism; RFC 24 PLAIN).

// greetingRow is a row whose hostility is in our greeting: it sends g, reads the
// implementation's greeting (or its close), and leaves the rest to the verdict.
func greetingRow(what string, v zmtp.Version, mech string, asServer bool, opts ...zmtp.Opt) wire.Row {
	return wire.Row{What: what, Steps: []zmtp.Step{
		zmtp.SendGreeting(v, mech, asServer, opts...),
		zmtp.ExpectGreeting(zmtp.OrClose()),
	}}
}

// mech20 is a raw 20-octet mechanism field.
func mech20(s string) [20]byte {
	var m [20]byte
	copy(m[:], s)
	return m
}

// W.MEC.1 (RFC 23/37: "If the mechanism that the peer received does not exactly match the
// mechanism it sent, it MUST close the connection"): a NULL socket closes a connection whose
// greeting asks for PLAIN (as client or as server) or CURVE.
var _ = wire.Case("W.MEC.1", Must, wire.Reject, "A mechanism that does not match the socket's closes the connection",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		l.Rejects(ctx,
			greetingRow("PLAIN client", zmtp.V3_1, "PLAIN", false),
			greetingRow("PLAIN server", zmtp.V3_1, "PLAIN", true),
			greetingRow("CURVE client", zmtp.V3_1, "CURVE", false))
	})

// W.MEC.2 (RFC 37: "Mechanism names SHALL consist only of uppercase letters A to Z, digits,
// and embedded hyphens or underscores", null-padded to 20 octets, and "does not exactly match
// ... MUST close"): an unknown mechanism, a lowercase "null", and names with characters
// outside the grammar close the connection.
var _ = wire.Case("W.MEC.2", Must, wire.Reject, "An unknown, lowercase or malformed mechanism name closes the connection",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		var rows []wire.Row
		for _, m := range []string{"FOO", "null", "NU LL", "NULL\x00X", "NULL!"} {
			rows = append(rows, greetingRow(fmt.Sprintf("mechanism %q", m), zmtp.V3_1, "NULL", false, zmtp.MechanismField(mech20(m))))
		}
		l.Rejects(ctx, rows...)
	})

// W.MEC.3 (RFC 23/37: "When a peer uses the NULL security mechanism, the as-server field MUST
// be zero" — an obligation of the sender; what the receiver does is not said): a NULL greeting
// with as-server=1 is accepted or refused; which one is the cell's Observed.
var _ = wire.Case("W.MEC.3", Libzmq, wire.Observe, "A NULL greeting with as-server=1 is accepted or refused; which is reported",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.ROUTER, h.DEALER)
		res := l.Play(ctx, append([]zmtp.Step{
			zmtp.SendGreeting(zmtp.V3_1, "NULL", true),
			zmtp.ExpectGreeting(zmtp.OrClose()),
			zmtp.SendReady(zmtp.Props(zmtp.PropSocketType, l.Ours)),
			zmtp.ExpectCommand(zmtp.CmdReady, zmtp.OrClose(), zmtp.Within(wire.RejectWithin)),
		}, l.Crosses("as-server")...)...)
		wire.Must(res, "NULL with as-server=1")
		if res.EndedEarly != "" {
			w.Note("as-server=1: refuses")
		} else {
			w.Note("as-server=1: accepts")
		}
		l.Serves(ctx)
	})

// W.MEC.5 (RFC 24: the server "SHALL ... validate the user name and password. If the
// credentials are valid it SHALL send a WELCOME; otherwise, it closes the connection"): a
// PLAIN server closes a connection whose HELLO carries a wrong password or an unknown user,
// and delivers nothing from it.
var _ = wire.Case("W.MEC.5", Must, wire.Reject, "A PLAIN server closes a connection with wrong credentials",
	func(ctx SpecContext, w *wire.Wire) {
		l, zap := w.OpenPlainServer(ctx, h.PULL, h.PUSH)
		var rows []wire.Row
		for _, c := range [][2]string{{wire.PlainUser, "wrong"}, {"intruder", wire.PlainPassword}} {
			rows = append(rows, wire.Row{What: fmt.Sprintf("user %q password %q", c[0], c[1]), Steps: []zmtp.Step{
				zmtp.SendGreeting(zmtp.V3_1, "PLAIN", false),
				zmtp.ExpectGreeting(),
				zmtp.SendCommand(zmtp.CmdHello, zmtp.PlainHelloData(c[0], c[1])),
			}})
		}
		l.Rejects(ctx, rows...)
		// The refusal is the handler's answer, not a default: it allowed none of these.
		if err := zap.AllowedNone(ctx); err != nil {
			wire.MustAll([]string{err.Error()}, "the ZAP handler's answers")
		}
	})

// W.MEC.6 (RFC 26 §HELLO: "the server SHALL validate all fields and SHALL reject and
// disconnect clients who send malformed HELLO commands"): a CURVE server closes a connection
// whose HELLO has the wrong length or version.
var _ = wire.Case("W.MEC.6", Must, wire.Reject, "A CURVE server closes a connection with a malformed HELLO",
	func(ctx SpecContext, w *wire.Wire) {
		l, _ := w.OpenCurveServer(ctx, h.PULL, h.PUSH)
		short := append([]byte{1, 0}, make([]byte, 100)...)   // version 1.0, 102 octets instead of 194
		version := append([]byte{2, 0}, make([]byte, 192)...) // version 2.0, right length
		var rows []wire.Row
		for _, r := range []struct {
			what string
			data []byte
		}{{"HELLO of 107 octets", short}, {"HELLO version 2.0", version}} {
			rows = append(rows, wire.Row{What: r.what, Steps: []zmtp.Step{
				zmtp.SendGreeting(zmtp.V3_1, "CURVE", false),
				zmtp.ExpectGreeting(),
				zmtp.SendCommand(zmtp.CmdHello, r.data),
			}})
		}
		l.Rejects(ctx, rows...)
	})
