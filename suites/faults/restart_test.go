package faults_test

// Process faults: a binder killed and restarted on the same endpoint while the other side
// keeps its sockets. The connecting side must redial by itself, resubscribe, deliver whole
// messages only, in order, never twice, and lose nothing sent once the flow is back.

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	f "github.com/zmqsuite/zmqsuite/suites/faults"
)

// CON.3 (RFC 23 §Connection: a peer "SHOULD reconnect after a suitable delay" when a
// connection it made is lost; libzmq test_reconnect_ivl): a connecting PUSH whose bound PULL
// was killed redials the PULL restarted on the same endpoint and delivers again, losing
// nothing it accepted after the first message came through.
var _ = f.Case("CON.3", Should, "lifecycle", "A connecting socket reconnects to its binder restarted on the same endpoint",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		ep := stableEndpoint(cell)
		pull := bindAt(ctx, cell, h.PULL, ep)
		push := cell.Socket(ctx, h.ConnectSide, h.PUSH, reconnecting(ctx, cell, h.ConnectSide)...)
		push.ConnectEndpoint(ctx, ep)
		st := newStream(peer.Plan{Size: 64}, 0)
		Expect(st.send(ctx, push, 100, perMsg)).To(Succeed())
		Expect(st.receive(ctx, pull, 100, perMsg)).To(Equal(100), "before the restart")

		pull, back := restartBinder(ctx, cell, h.PULL, ep)
		recoveredOrFail(st.recover(ctx, push, pull, back, nil), st, "the binder's restart")
		from := st.next
		st.receiveWhile(ctx, st.start(ctx, push, 1000, perMsg), pull)
		st.judge(cell)
		noLossFrom(st, from, "the reconnect")
	}, f.On(h.TCP, h.IPC), f.Within(60*time.Second))

// PP.4 (RFC 23 §Socket Semantics "deliver … all the frames of a message, or none"; libzmq
// test_spec_pushpull push_multipart_atomic_drop_{block,non_block}): a PUSH streams 3-frame
// messages with a 16 KiB middle frame to a PULL that is killed mid-stream and restarted on the
// same endpoint. Every message that arrives, before or after, arrives whole; none twice or out
// of order; and the messages sent after the reconnect all arrive — with blocking sends and
// with DONTWAIT sends retried by the application.
var _ = f.Case("PP.4", Must, "pipeline", "Multipart messages arrive whole or not at all across the receiver's death and the reconnect",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		ep := stableEndpoint(cell)
		pull := bindAt(ctx, cell, h.PULL, ep)
		push := cell.Socket(ctx, h.ConnectSide, h.PUSH, reconnecting(ctx, cell, h.ConnectSide)...)
		push.ConnectEndpoint(ctx, ep)
		st := newStream(peer.Plan{Sizes: []int{16, 16 << 10, 16}}, 0)
		sendA := st.start(ctx, push, 200, perMsg)
		Expect(st.receive(ctx, pull, 50, perMsg)).To(Equal(50), "before the kill")

		pull, back := restartBinder(ctx, cell, h.PULL, ep) // messages are in flight now
		recoveredOrFail(st.recover(ctx, push, pull, back, sendA), st, "the receiver's restart")
		st.receiveWhile(ctx, sendA, pull)
		Expect(sendA.err).NotTo(HaveOccurred(), "the blocking sender gave up after the reconnect (%s)", st.l.summary())

		// DONTWAIT: the application retries each refused send until it is taken.
		from := st.next
		for i := 0; i < 200; i++ {
			Eventually(ctx, func() error { return st.trySend(ctx, push, 0) }).
				WithTimeout(perMsg).WithPolling(2 * time.Millisecond).Should(Succeed())
			if i%50 == 49 {
				st.receive(ctx, pull, 50, perMsg)
			}
		}
		st.drain(ctx, pull, quiet)
		st.judge(cell)
		noLossFrom(st, from, "the reconnect (DONTWAIT sends)")
	}, f.On(h.TCP), f.Within(90*time.Second))

// PUB.14 (RFC 23 reconnect; RFC 29 SUB "SHALL … send subscribe … to each new peer"; zmq.rs
// PR #229 reconnection_compliant): a SUB subscribed to "A" whose publisher was killed (just
// after publishing 5,000 messages, some still in flight) and restarted on the same endpoint
// reconnects and sends its subscription again: messages on "A" arrive again, messages on "Z"
// never. The loss across the restart is measured, not judged.
var _ = f.Case("PUB.14", Should, "pubsub", "A SUB reconnects to a restarted publisher and restores its subscription",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		ep := stableEndpoint(cell)
		pub := bindAt(ctx, cell, h.PUB, ep)
		sub := cell.Socket(ctx, h.ConnectSide, h.SUB, append(reconnecting(ctx, cell, h.ConnectSide), h.Subscribe("A"))...)
		sub.ConnectEndpoint(ctx, ep)
		h.AwaitSubscribed(ctx, pub, "A", sub)
		st := newStream(peer.Plan{Size: 64, Prefix: [][]byte{[]byte("A")}}, 0)
		st.lossy = true // loss across the restart is measured, not judged
		recv := sub.RecvN(ctx, 5000, time.Second)
		Expect(st.send(ctx, pub, 5000, perMsg)).To(Succeed(), "PUB never blocks")
		pub, back := restartBinder(ctx, cell, h.PUB, ep) // right after the last send
		rep, _ := recv.Wait(ctx, jobWait)
		st.l.receive(rep.Messages...)
		cell.Metric("lost_at_restart", float64(st.l.lost()))

		// Publish on "Z" and "A" in turn until an "A" arrives: the subscription is back.
		z := newStream(peer.Plan{Size: 64, Prefix: [][]byte{[]byte("Z")}}, streamSpan)
		deadline := back.Add(recoveryBound)
		var through bool
		for !through && time.Now().Before(deadline) {
			_ = z.trySend(ctx, pub, 0)
			_ = st.trySend(ctx, pub, 0)
			m, err := sub.TryRecv(ctx, 30*time.Millisecond)
			if err == nil {
				Expect(string(m[0])).To(Equal("A"), "the SUB delivered a message on %q, which it never subscribed to", m[0])
				st.l.recovered(time.Since(back))
				st.l.receive(m)
				through = true
			}
		}
		recoveredOrFail(through, st, "the publisher's restart")
		st.receiveWhile(ctx, st.start(ctx, pub, 2000, perMsg), sub)
		for _, m := range h.Drain(ctx, sub) {
			Expect(string(m[0])).To(Equal("A"), "a message on %q after the restart", m[0])
		}
		st.judge(cell)
	}, f.On(h.TCP), f.Within(60*time.Second))
