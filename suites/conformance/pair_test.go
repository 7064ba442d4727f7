package conformance_test

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// PAIR.1 (RFC 31: "MAY both send and receive messages", "SHALL not filter or modify outgoing
// or incoming messages"; libzmq test_pair_{tcp,ipc,inproc} bounce): messages of several
// frames — empty, short, and longer than 255 bytes (ZMTP's long frame header) — go back and
// forth unchanged and in order.
var _ = c.Case("PAIR.1", Must, "pair", "PAIR peers exchange messages in both directions, unchanged and in order",
	func(ctx SpecContext, cell *h.Cell) {
		a := cell.Bind(ctx, h.PAIR)
		b := cell.Connect(ctx, h.PAIR, a)
		for i, size := range []int{255, 256, 4096} {
			long := strings.Repeat(string(rune('a'+i)), size)
			req := h.Msg(fmt.Sprintf("ping-%d", i), "", "\x00\xff", long)
			b.SendMsg(ctx, req)
			Expect(h.Strings(a.Recv(ctx))).To(Equal(h.Strings(req)), "request with a %d-byte frame", size)
			rep := h.Msg(fmt.Sprintf("pong-%d", i), long, "x")
			a.SendMsg(ctx, rep)
			Expect(h.Strings(b.Recv(ctx))).To(Equal(h.Strings(rep)), "reply with a %d-byte frame", size)
		}
		for _, dir := range []struct{ from, to *h.Sock }{{a, b}, {b, a}} {
			var sent []string
			for i := 0; i < 10; i++ {
				sent = append(sent, fmt.Sprintf("%s-%d", dir.from.Side, i))
				dir.from.Send(ctx, sent[i])
			}
			var got []string
			for range sent {
				got = append(got, dir.to.RecvStrings(ctx)...)
			}
			Expect(got).To(Equal(sent), "from %s to %s", dir.from.Name, dir.to.Name)
		}
	})

// PAIR.2 (RFC 31: "MAY be connected to at most one PAIR peers"): a second PAIR connecting to a
// bound PAIR that already has its peer gets nothing, and what it sends never reaches the bound
// PAIR; the first pair keeps working.
var _ = c.Case("PAIR.2", Must, "pair", "PAIR is exclusive: a second connecting PAIR is not served and does not disturb the first",
	func(ctx SpecContext, cell *h.Cell) {
		a := cell.Bind(ctx, h.PAIR)
		b1 := cell.Connect(ctx, h.PAIR, a)
		b1.Send(ctx, "hello")
		Expect(a.RecvStrings(ctx)).To(Equal([]string{"hello"}))
		b2 := cell.Connect(ctx, h.PAIR, a)
		// The intruder's send may be queued (its queue exists from connect on) or refused;
		// either way it must never be delivered to a.
		_ = b2.TrySend(ctx, 100*time.Millisecond, h.Msg("intruder"))
		for i := 0; i < 3; i++ {
			a.Send(ctx, fmt.Sprintf("to-b1-%d", i))
			Expect(b1.RecvStrings(ctx)).To(Equal([]string{fmt.Sprintf("to-b1-%d", i)}), "the first peer")
			b1.Send(ctx, fmt.Sprintf("from-b1-%d", i))
			Expect(a.RecvStrings(ctx)).To(Equal([]string{fmt.Sprintf("from-b1-%d", i)}),
				"the bound PAIR received from the second connecting PAIR")
		}
		h.NothingArrives(ctx, h.QuietWindow, "a PAIR is exclusive: the second connecting PAIR gets nothing, and nothing of it reaches the bound PAIR", b2, a)
	})

// PAIR.3 (RFC 31: "SHALL block on sending, or return a suitable error, when it has no
// available peer … SHALL not accept further messages … SHALL NOT discard messages that it
// cannot queue"): a bound PAIR nobody connected to, and a PAIR never connected, refuse a
// non-blocking send and a send with a 250 ms timeout with would-block.
var _ = c.Case("PAIR.3", Must, "pair", "PAIR with no peer blocks or returns would-block on send",
	func(ctx SpecContext, cell *h.Cell) {
		bound := cell.Bind(ctx, h.PAIR)
		alone := cell.Socket(ctx, h.ConnectSide, h.PAIR)
		for _, p := range []*h.Sock{bound, alone} {
			for _, t := range []time.Duration{0, 250 * time.Millisecond} {
				err := p.TrySend(ctx, t, h.Msg("nobody"))
				Expect(err).To(HaveOccurred(), "%s with no peer accepted a send (timeout %v): it can only have been discarded", p.Name, t)
				Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "%s (timeout %v)", p.Name, t)
			}
		}
		cell.Observe("again")
	})

// PAIR.5 (added here; RFC 23/37 §Socket Semantics: "All messages between two immediate peers
// SHALL be delivered in order", at most once; RFC 31 "SHALL NOT discard"): 100,000
// plan-generated messages in each direction arrive complete and in order. The directions run
// one after the other: a socket is used by one thread at a time in the libzmq-based peers.
var _ = c.Case("PAIR.5", Must, "pair", "100,000 messages each way between PAIR peers arrive complete and in order",
	func(ctx SpecContext, cell *h.Cell) {
		const count = 100000
		a := cell.Bind(ctx, h.PAIR)
		b := cell.Connect(ctx, h.PAIR, a)
		b.Send(ctx, "hello")
		Expect(a.RecvStrings(ctx)).To(Equal([]string{"hello"}))
		plan := peer.Plan{Count: count, Size: 16}
		for _, dir := range []struct{ from, to *h.Sock }{{a, b}, {b, a}} {
			Expect(h.Transfer(ctx, dir.from, dir.to, plan)).To(Succeed(), "from %s to %s", dir.from.Name, dir.to.Name)
		}
	}, c.Within(60*time.Second))
