package conformance_test

import (
	"fmt"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// PP.1 (RFC 30 PUSH: "SHALL route outgoing messages to available peers using a round-robin
// strategy"; libzmq test_spec_pushpull push_round_robin_out: 2N messages to N PULLs, every
// PULL gets one of the first N, then one of the second N).
var _ = c.Case("PP.1", Must, "pipeline", "PUSH round-robins messages over its connected PULLs",
	func(ctx SpecContext, cell *h.Cell) {
		const n = 5
		push := cell.Bind(ctx, h.PUSH)
		pulls := cell.ConnectN(ctx, h.PULL, n, push)
		h.AwaitFlowing(ctx, push, pulls...) // every PULL is in the rotation
		for i := 0; i < 2*n; i++ {
			push.Send(ctx, h.Numbered(i))
		}
		got := h.ReceiveAll(ctx, pulls, 2*n)
		cell.Metric("rr_max_deviation", got.MaxDeviation(2))
		Expect(got).To(h.BeRoundRobin(2))
	})

// PP.2 (RFC 30 PULL: "SHALL receive incoming messages from its peers using a fair-queuing
// strategy"; libzmq test_spec_pushpull pull_fair_queue_in: N PUSHes each send 2 messages; the
// first N received hold one from each PUSH, the next N the second of each). libzmq sleeps for
// the data to arrive; here a message crossing a second connection after the data stands for it.
var _ = c.Case("PP.2", Must, "pipeline", "PULL fair-queues messages from its connected PUSHes",
	func(ctx SpecContext, cell *h.Cell) {
		const n = 5
		pull := cell.Bind(ctx, h.PULL)
		pushes := cell.ConnectN(ctx, h.PUSH, n, pull)
		fence := h.NewFence(ctx, cell)
		h.AwaitFanIn(ctx, pull, pushes...)
		for i, p := range pushes {
			p.Send(ctx, h.Numbered(i))
			p.Send(ctx, h.Numbered(i))
		}
		fence.Pass(ctx) // the data has had the time to reach the PULL's queues
		var from h.Origins
		for i := 0; i < 2*n; i++ {
			from = append(from, ppSender(pull.Recv(ctx)))
		}
		cell.Metric("fq_distinct_senders_first_n", float64(from[:n].Senders()))
		Expect(from).To(h.BeFairQueued(n), "all %d messages were queued when the PULL started to hand them over", 2*n)
	}, c.NeedsFence("the fair-queue bound holds only once every PUSH's messages are queued at the PULL, and across such a path the fence overtakes a PUSH whose segment waits for a retransmission (one PUSH's two messages came 9th and 10th)"))

// ppSender is the index of the PUSH a numbered message came from (-1: not a number).
func ppSender(m [][]byte) int {
	i, err := strconv.Atoi(string(m[len(m)-1]))
	if err != nil {
		return -1
	}
	return i
}

// PP.3 (RFC 30 PUSH: "If there are no peers … any send operation on the socket SHALL block
// until … at least one peer becomes available for sending; messages are not discarded"; libzmq
// test_spec_pushpull push_block_on_send_no_peers: with no peer, DONTWAIT and SNDTIMEO sends
// fail with EAGAIN). A bound PUSH with no peer must either block (the send completes once a
// PULL connects) or refuse with would-block; it must never report success for a message it
// then drops.
var _ = c.Case("PP.3", Must, "pipeline", "PUSH with no peer blocks or says would-block; it never accepts and drops",
	func(ctx SpecContext, cell *h.Cell) {
		push := cell.Bind(ctx, h.PUSH)
		errNow := push.TrySend(ctx, 0, h.Msg("dontwait"))
		errTmo := push.TrySend(ctx, 250*time.Millisecond, h.Msg("timeout"))
		pull := cell.Connect(ctx, h.PULL, push)
		push.Send(ctx, "after")
		var got []string
		for {
			m := pull.RecvStrings(ctx)
			got = append(got, m[0])
			if m[0] == "after" {
				break
			}
		}
		for _, r := range []struct {
			msg string
			err error
		}{{"dontwait", errNow}, {"timeout", errTmo}} {
			if r.err == nil {
				Expect(got).To(ContainElement(r.msg), "send of %q with no peer reported success, and the message never arrived (accepted and dropped); received %v", r.msg, got)
			}
			Expect(r.err).To(HaveOccurred(), "send of %q with no peer reported success at once instead of blocking or saying would-block (it was queued: received %v)", r.msg, got)
			Expect(peer.Category(r.err)).To(Equal(peer.ErrAgain), "send of %q with no peer: %v, expected would-block", r.msg, r.err)
		}
		switch len(got) {
		case 1:
			cell.Observe("again")
		default:
			// A send reported would-block stayed pending and completed once a peer came: the
			// binding cannot cancel a blocked send (it blocked, as the RFC allows).
			cell.Observe("blocked")
		}
	})

// PP.6 (RFC 30 PUSH: "SHALL consider a peer as available only when it has an outgoing queue
// that is not full"): with one PULL that never reads, the PUSH keeps sending to the other PULL
// once the stalled one's queue is full, and loses nothing.
var _ = c.Case("PP.6", Must, "pipeline", "PUSH skips a PULL whose queue is full and keeps serving the others",
	func(ctx SpecContext, cell *h.Cell) {
		// Small queues where the binding has HWM options make the stalled PULL fill sooner;
		// a binding without them has bounded queues of its own.
		push := cell.BindHWM(ctx, h.PUSH, 100)
		stalled := cell.ConnectHWM(ctx, h.PULL, push, 100)
		reader := cell.ConnectHWM(ctx, h.PULL, push, 100)
		h.AwaitFlowing(ctx, push, stalled, reader)
		// Several times what the stalled PULL's queues and socket buffers hold, so that it fills
		// early. Linux grows a tcp connection's buffers with autotuning (tcp_rmem/tcp_wmem: up
		// to 6 MB and 4 MB here), so what they hold depends on timing: 3000 messages of 4 KiB
		// (12 MB) split evenly once on a loaded machine, the stalled PULL taking 1500. At
		// 16 KiB the buffers hold about 640 and the queues 200: under half of 3000.
		plan := peer.Plan{Count: 3000, Size: 16 << 10}
		d := h.NewDelivery(plan, reader, stalled)
		// 5 s a message (SendTimeout, longer across a path): a PUSH that skips the stalled PULL
		// never waits that long for room, unless the reader is slow too (at a load average of
		// 40, 2 s was not enough once).
		d.ReceiveWhile(ctx, push.SendPlan(ctx, plan, h.SendTimeout), reader)
		Expect(d.SendErr).NotTo(HaveOccurred(), "PUSH stopped after %d of %d messages although %s was reading (it got %d): it did not skip the stalled PULL",
			d.Sent, plan.Count, reader.Name, d.Count(0))
		d.ReceiveRest(ctx)
		cell.Metric("stalled_share", float64(d.Count(1))/float64(plan.Count))
		Expect(d.ExactlyOnce()).To(Succeed(), "split: %s", d.Split())
		Expect(d.Count(0)).To(BeNumerically(">", d.Count(1)),
			"the stalled PULL's queue never filled (split %s): the case proves nothing; send more", d.Split())
	}, c.Within(60*time.Second), c.Moves(3000*16<<10), c.NoTap())

// PP.7 (RFC 30 with RFC 23 §Socket Semantics "at most once, in order"): a PULL slower than its
// PUSH makes the PUSH wait (back-pressure), it never drops: 100,000 messages taken by a
// receiver that pauses after every batch all arrive, once each, in order.
var _ = c.Case("PP.7", Must, "pipeline", "A slower PULL applies back-pressure: 100,000 messages arrive without loss, duplicates or reordering",
	func(ctx SpecContext, cell *h.Cell) {
		push := cell.Bind(ctx, h.PUSH)
		pull := cell.Connect(ctx, h.PULL, push)
		h.AwaitFlowing(ctx, push, pull)
		// The harness checks each batch of 10,000 before asking for the next: meanwhile the
		// PULL does not read, its queues fill and the PUSH must wait.
		Expect(h.TransferPaced(ctx, push, pull, peer.Plan{Count: 100_000, Size: peer.HeaderLen}, 10_000)).To(Succeed())
	}, c.Within(60*time.Second))

// PP.8 (libzmq test_conflate; zmq_setsockopt(3) ZMQ_CONFLATE: "keep only last message"): a PULL
// with CONFLATE set that is sent 20 messages before it reads hands over only the last one.
//
// Where a fence proves that all 20 have arrived before the PULL is read (one machine), the PULL
// must hand over exactly the last. Across a path with delay or loss no fence can: the 20 wait
// for their own connection's congestion window or a retransmission while the fence's
// connection overtakes them (over 20 ms the first read found "14" and "7"), so the 20 are sent
// back to back and the PULL is read until the last one comes, and what it handed over must
// show that it dropped what a later message replaced: in the order sent, ending with the last,
// and fewer than were sent. A PULL that does not conflate hands over all 20 and fails both
// ways; one that keeps more than the latest fails only on one machine (docs/hosts.md).
var _ = c.Case("PP.8", Option, "pipeline", "CONFLATE on a PULL keeps only the last message",
	func(ctx SpecContext, cell *h.Cell) {
		const n = 20
		pull := cell.Bind(ctx, h.PULL, h.BoolOpt("conflate", true))
		push := cell.Connect(ctx, h.PUSH, pull)
		h.AwaitFlowing(ctx, push, pull) // the conflated probes are drained
		var fence *h.Fence
		if h.FenceOrdersArrival() {
			fence = h.NewFence(ctx, cell)
		}
		last := fmt.Sprint(n - 1)
		if fence != nil {
			for i := 0; i < n; i++ {
				push.Send(ctx, fmt.Sprint(i))
			}
			fence.Pass(ctx) // all 20 have reached the PULL
			Expect(pull.RecvStrings(ctx)).To(Equal([]string{last}), "a conflating PULL must hand over the last message")
			h.NothingArrives(ctx, h.QuietAfterFence, "a conflating PULL hands over one message", pull)
			return
		}
		// The 20 go out back to back from inside the sending peer (one send_batch), so that
		// they cross in as few segments as the connection allows, not one per harness request.
		msgs := make([][][]byte, n)
		for i := range msgs {
			msgs[i] = h.Msg(fmt.Sprint(i))
		}
		Expect(push.SendMsgs(ctx, msgs, h.SendTimeout).WaitSent(ctx, n)).To(Succeed())
		var got []int
		for len(got) < n {
			m := pull.RecvStrings(ctx)
			i, err := strconv.Atoi(m[0])
			Expect(err).NotTo(HaveOccurred(), "a conflating PULL handed over %q, which was never sent (handed over before: %v)", m, got)
			Expect(got).To(Or(BeEmpty(), HaveEach(BeNumerically("<", i))), "a conflating PULL handed over %d after %v: out of the order sent", i, got)
			got = append(got, i)
			if i == n-1 {
				break
			}
		}
		cell.Metric("handed_over", float64(len(got)))
		Expect(len(got)).To(BeNumerically("<", n), "a conflating PULL handed over all %d messages sent (%v): it kept every one", n, got)
		h.NothingArrives(ctx, h.QuietAfterFence, "a conflating PULL hands over nothing after the last message", pull)
	})
