package wire_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	"github.com/zmqsuite/zmqsuite/suites/wire"
)

// Robustness (docs/cases.md W.ROB; libzmq's test_bind_*_fuzzer and test_connect_*_fuzzer
// oracle: garbage from one peer, then a good peer is still served).

// garbage is n octets of seeded noise (the same in every run).
func garbage(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// W.ROB.1 (RFC 23 §Security: implementations must survive hostile peers; the libzmq fuzzer
// oracle): after 48 malformed connections — noise, greetings that stop, half a READY, a wrong
// mechanism, reserved flags, a cut message, a bad signature, a broken command — the process
// answers, the same socket serves a well-behaved peer, and its descriptors, memory and threads
// come back within a tight bound (8 descriptors, 32 MiB, 8 threads): a per-connection leak
// shows. (Lying sizes are W.FR.4's and W.HS.3's: they would end the process here.)
var _ = wire.Case("W.ROB.1", Must, wire.Robust, "After 48 malformed connections the socket serves a good peer and nothing leaked",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		greeting := zmtp.NewGreeting(zmtp.V3_1, "NULL", false).Bytes()
		ready := zmtp.AppendFrame(nil, zmtp.FlagCommand, zmtp.CommandBody(zmtp.CmdReady, zmtp.Props(zmtp.PropSocketType, h.PUSH).Bytes()))
		handshake := append(append([]byte(nil), greeting...), ready...)
		kinds := []struct {
			what string
			b    []byte
		}{
			{"64 octets of noise", garbage(1, 64)},
			{"a greeting, then nothing", greeting},
			{"a greeting and half a READY", append(append([]byte(nil), greeting...), ready[:len(ready)/2]...)},
			{"a PLAIN greeting", zmtp.NewGreeting(zmtp.V3_1, "PLAIN", false).Bytes()},
			{"a frame with reserved bits", zmtp.AppendFrame(append([]byte(nil), handshake...), 0x08, []byte("r"))},
			{"a cut message", zmtp.AppendFrameRaw(append([]byte(nil), handshake...), 0, 100, []byte("cut"))},
			{"a bad signature", append([]byte{0x00}, greeting[1:]...)},
			{"a broken command", zmtp.AppendFrame(append([]byte(nil), handshake...), zmtp.FlagCommand, []byte{9, 'P'})},
		}
		const rounds = 6
		for range rounds {
			for _, k := range kinds {
				wire.Must(l.Play(ctx, zmtp.SendRaw(k.b)), k.what)
			}
		}
		w.Alive(ctx)
		w.Note("%d malformed connections", rounds*len(kinds))
		l.Serves(ctx)
		w.Bounded(ctx, 32<<10, 8, 8)
	})

// W.ROB.2 (RFC 23/37 §Error Handling: "The peer SHALL treat an unexpected connection close as
// a temporary error, and SHOULD reconnect"; "peers should reconnect after a short and possibly
// randomized interval"; libzmq's test_connect_*_fuzzer): a socket connected to a server that
// answers noise and closes reconnects — twice, after a delay — and then works with a
// well-behaved server on the same endpoint.
var _ = wire.Case("W.ROB.2", Should, wire.Robust, "A socket whose server answers noise reconnects, with a delay, and then works",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		wire.Must(l.Play(ctx, zmtp.SendRaw(garbage(2, 64))), "a server that answers noise")
		var gaps []time.Duration
		for i := range 2 {
			var steps []zmtp.Step
			if i == 0 {
				steps = []zmtp.Step{zmtp.SendRaw(garbage(3, 64))}
			} else {
				steps = append(l.Greets(zmtp.V3_1), l.Crosses("reconnected")...)
			}
			res, gap := l.PlaySame(ctx, 3*time.Second, steps...)
			wire.Must(res, fmt.Sprintf("reconnection %d", i+1))
			gaps = append(gaps, gap)
			w.Metric(fmt.Sprintf("reconnect_%d_ms", i+1), float64(gap.Milliseconds()))
		}
		w.Note("reconnects")
		w.Alive(ctx)
		var storm []string
		for i, g := range gaps {
			if g < 5*time.Millisecond {
				storm = append(storm, fmt.Sprintf("reconnection %d came %s after the close: no delay (a connection storm)", i+1, g))
			}
		}
		wire.MustAll(storm, "reconnect interval")
	}, wire.Only(wire.ImplConnects))

// W.ROB.3 (RFC 23/37 §Messages, atomic delivery; robustness against a peer that vanishes
// anywhere): a valid stream — greeting, READY, a one-frame and a two-frame message — cut at
// every octet, one connection per cut: the process answers, the socket serves a good peer,
// and no message is delivered that the cut stream did not carry whole.
var _ = wire.Case("W.ROB.3", Must, wire.Robust, "A valid stream cut at every octet delivers only the messages it carried whole",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		stream := func(k int) (b []byte, end1, end2 int) {
			b = zmtp.NewGreeting(zmtp.V3_1, "NULL", false).Bytes()
			b = zmtp.AppendFrame(b, zmtp.FlagCommand, zmtp.CommandBody(zmtp.CmdReady, zmtp.Props(zmtp.PropSocketType, h.PUSH).Bytes()))
			b = zmtp.AppendMessage(b, []byte(fmt.Sprintf("c%03d-one", k)))
			end1 = len(b)
			b = zmtp.AppendMessage(b, []byte(fmt.Sprintf("c%03d-two", k)), []byte("second"))
			return b, end1, len(b)
		}
		full, _, _ := stream(0)
		allowed := map[string]bool{}
		for k := range len(full) {
			b, end1, end2 := stream(k)
			if k >= end1 {
				allowed[fmt.Sprintf("c%03d-one", k)] = true
			}
			if k >= end2 {
				allowed[fmt.Sprintf("c%03d-two|second", k)] = true
			}
			wire.Must(l.Play(ctx, zmtp.SendRaw(b[:k])), fmt.Sprintf("the stream cut after %d octets", k))
		}
		w.Alive(ctx)
		var bad []string
		delivered := 0
		for {
			m, err := l.Sock.TryRecv(ctx, wire.SettleWithin)
			if peer.Category(err) == peer.ErrAgain {
				break
			}
			if err != nil {
				bad = append(bad, fmt.Sprintf("receive answered %v", err))
				break
			}
			delivered++
			if key := strings.Join(h.Strings(m), "|"); !allowed[key] {
				bad = append(bad, fmt.Sprintf("delivered %s, which its cut stream did not carry whole", h.Describe(m)))
			}
		}
		w.Metric("cuts", float64(len(full)))
		w.Metric("delivered", float64(delivered))
		w.Note("%d cuts", len(full))
		wire.MustAll(bad, "cut streams")
		l.Serves(ctx)
	})

// W.ROB.4 (ZMTP is point-to-point per connection; a bound socket serves many): a burst of 32
// well-behaved peers connecting at once each delivers its message, and the socket serves a
// good peer afterwards.
var _ = wire.Case("W.ROB.4", Must, wire.Robust, "32 peers connecting at once are all served",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		const n = 32
		plays := make([]wire.Play, n)
		for i := range plays {
			plays[i] = wire.Play{Link: l, Config: l.Config(), Steps: append(l.Greets(zmtp.V3_1),
				zmtp.SendMessage(fmt.Sprintf("burst-%02d", i)), zmtp.ExpectNothing(zmtp.Within(200*time.Millisecond)))}
		}
		var bad []string
		for i, res := range w.PlayAll(ctx, plays) {
			if !res.OK() {
				bad = append(bad, fmt.Sprintf("peer %d: %s", i, res.Summary()))
			}
		}
		got := map[string]bool{}
		for range n {
			m, err := l.Sock.TryRecv(ctx, wire.RecvWithin)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%d of %d messages arrived; then the receive answered %v", len(got), n, err))
				break
			}
			got[strings.Join(h.Strings(m), "|")] = true
		}
		for i := range n {
			if k := fmt.Sprintf("burst-%02d", i); !got[k] && len(got) == n {
				bad = append(bad, k+" did not arrive")
			}
		}
		w.Note("%d peers at once", n)
		wire.MustAll(bad, "a burst of peers")
		l.Serves(ctx)
	}, wire.Only(wire.ImplBinds))

// W.ROB.5 (RFC 23/37 §Error Handling: "The peer SHALL treat an unexpected connection close as
// a temporary error"; RFC 30: a PULL receives "from its peers" — one peer leaving is not the
// socket's failure): a peer that closes or resets its connection, cleanly or in the middle of
// a message, never makes the socket's receive fail; it just has nothing to deliver.
var _ = wire.Case("W.ROB.5", Should, wire.Robust, "A peer's closed or reset connection never fails the socket's receive",
	func(ctx SpecContext, w *wire.Wire) {
		l := w.Open(ctx, h.PULL, h.PUSH)
		cut := zmtp.AppendFrameRaw(zmtp.AppendFrame(nil, zmtp.FlagMore, []byte("part1")), 0, 10, []byte("cut"))
		rows := []wire.Row{
			after(l, "close after the handshake"),
			after(l, "close inside a message", zmtp.SendRaw(cut)),
		}
		if w.Transport == h.TCP {
			rows = append(rows, after(l, "reset after the handshake", resetOnClose()),
				after(l, "reset inside a message", zmtp.SendRaw(cut), resetOnClose()))
		}
		var v wire.Verdict
		for _, r := range rows {
			v.Result(r.What, l.Play(ctx, r.Steps...))
			m, err := l.Sock.TryRecv(ctx, wire.SettleWithin)
			switch {
			case peer.Category(err) == peer.ErrAgain:
			case err != nil:
				v.Fail("%s: the socket's receive answered %q (%s)", r.What, err.Error(), peer.Category(err))
			default:
				v.Fail("%s: the socket delivered %s", r.What, h.Describe(m))
			}
			w.Alive(ctx)
		}
		v.Serves(ctx, l)
		v.Check()
	})
