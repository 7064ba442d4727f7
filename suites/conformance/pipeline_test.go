package conformance_test

import (
	"fmt"
	"math"
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
		ppAwaitFlowing(ctx, push, pulls...) // every PULL is in the rotation
		for round := 0; round < 2; round++ {
			for i := 0; i < n; i++ {
				push.Send(ctx, fmt.Sprintf("%c%d", 'A'+round, i))
			}
		}
		got := make([][]string, n)
		for i, msgs := range ppDrainAll(ctx, pulls...) {
			for _, m := range msgs {
				got[i] = append(got[i], string(m[0]))
			}
		}
		dev := 0.0
		for i := range pulls {
			dev = math.Max(dev, math.Abs(float64(len(got[i])-2)))
		}
		cell.Metric("rr_max_deviation", dev)
		for i, p := range pulls {
			Expect(got[i]).To(HaveLen(2), "%s got %d of %d messages %v, expected 2 (all: %v)", p.Name, len(got[i]), 2*n, got[i], got)
			Expect(got[i][0][0]).To(Equal(byte('A')), "%s: first message %q is not from the first round (all: %v)", p.Name, got[i][0], got)
			Expect(got[i][1][0]).To(Equal(byte('B')), "%s: second message %q is not from the second round (all: %v)", p.Name, got[i][1], got)
			Expect(got[i][1][1:]).To(Equal(got[i][0][1:]), "%s got %v: the rotation is not the same in both rounds (all: %v)", p.Name, got[i], got)
		}
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
		f := ppNewFence(ctx, cell)
		ppAwaitFanIn(ctx, pull, pushes...)
		for i, p := range pushes {
			p.Send(ctx, fmt.Sprintf("A%d", i))
			p.Send(ctx, fmt.Sprintf("B%d", i))
		}
		f.Pass(ctx) // the data has had the time to reach the PULL's queues
		var got []string
		for i := 0; i < 2*n; i++ {
			got = append(got, pull.RecvStrings(ctx)[0])
		}
		firstSenders := map[byte]bool{}
		for _, m := range got[:n] {
			firstSenders[m[1]] = true
		}
		cell.Metric("fq_distinct_senders_first_n", float64(len(firstSenders)))
		for _, m := range got[:n] {
			Expect(m[0]).To(Equal(byte('A')), "received %v: a second message came before every PUSH's first one", got)
		}
		for _, m := range got[n:] {
			Expect(m[0]).To(Equal(byte('B')), "received %v", got)
		}
	})

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
		push := ppBindQueued(ctx, cell, h.PUSH, 100)
		stalled := ppConnectQueued(ctx, cell, h.PULL, push, 100)
		reader := ppConnectQueued(ctx, cell, h.PULL, push, 100)
		ppAwaitFlowing(ctx, push, stalled, reader)
		// Several times what the stalled PULL's queues and socket buffers hold (about 700
		// messages of 4 KiB over tcp here), so that it fills early.
		plan := peer.Plan{Count: 3000, Size: 4096}
		send := push.SendPlan(ctx, plan, 2*time.Second)
		g := ppReceiveWhile(ctx, send, plan.Count, 250*time.Millisecond, reader)
		Expect(g.SendErr).NotTo(HaveOccurred(), "PUSH stopped after %d of %d messages although %s was reading (it got %d): it did not skip the stalled PULL",
			g.Sent, plan.Count, reader.Name, len(g.Got[0]))
		socks := []*h.Sock{reader, stalled}
		g.receiveRest(ctx, plan.Count, 250*time.Millisecond, socks...)
		cell.Metric("stalled_share", float64(len(g.Got[1]))/float64(plan.Count))
		Expect(ppExactlyOnce(plan, ppSockNames(socks), g.Got)).To(Succeed(), "split: %s", ppCounts(ppSockNames(socks), g.Got))
		Expect(len(g.Got[0])).To(BeNumerically(">", len(g.Got[1])),
			"the stalled PULL's queue never filled (split %s): the case proves nothing; send more", ppCounts(ppSockNames(socks), g.Got))
	}, c.Within(60*time.Second))

// PP.7 (RFC 30 with RFC 23 §Socket Semantics "at most once, in order"): a PULL slower than its
// PUSH makes the PUSH wait (back-pressure), it never drops: 100,000 messages taken by a
// receiver that pauses after every batch all arrive, once each, in order.
var _ = c.Case("PP.7", Must, "pipeline", "A slower PULL applies back-pressure: 100,000 messages arrive without loss, duplicates or reordering",
	func(ctx SpecContext, cell *h.Cell) {
		push := cell.Bind(ctx, h.PUSH)
		pull := cell.Connect(ctx, h.PULL, push)
		h.AwaitFlowing(ctx, push, pull)
		plan := peer.Plan{Count: 100_000, Size: peer.HeaderLen}
		send := push.SendPlan(ctx, plan, ppSendEach)
		var got [][][]byte
		for len(got) < plan.Count {
			// The harness checks each batch before asking for the next: meanwhile the PULL
			// does not read, its queues fill and the PUSH must wait.
			batch, err := ppRecvAll(ctx, pull, min(10_000, plan.Count-len(got)), 10_000)
			part := plan
			part.Start, part.Count = len(got), len(batch)
			Expect(h.VerifyPlan(part, batch)).To(Succeed())
			got = append(got, batch...)
			Expect(err).NotTo(HaveOccurred())
		}
		rep, err := send.Wait(ctx, ppJobWait)
		Expect(err).NotTo(HaveOccurred(), "PUSH accepted %d of %d", rep.Sent, plan.Count)
		Expect(h.VerifyPlan(plan, got)).To(Succeed())
	}, c.Within(60*time.Second))

// PP.8 (libzmq test_conflate; zmq_setsockopt(3) ZMQ_CONFLATE: "keep only last message"): a PULL
// with CONFLATE set that is sent 20 messages before it reads hands over only the last one.
var _ = c.Case("PP.8", Option, "pipeline", "CONFLATE on a PULL keeps only the last message",
	func(ctx SpecContext, cell *h.Cell) {
		pull := cell.Bind(ctx, h.PULL, h.BoolOpt("conflate", true))
		push := cell.Connect(ctx, h.PUSH, pull)
		h.AwaitFlowing(ctx, push, pull) // the conflated probes are drained
		f := ppNewFence(ctx, cell)
		for i := 0; i < 20; i++ {
			push.Send(ctx, fmt.Sprint(i))
		}
		f.Pass(ctx)
		Expect(pull.RecvStrings(ctx)).To(Equal([]string{"19"}), "a conflating PULL must hand over the last message")
		_, err := pull.TryRecv(ctx, 200*time.Millisecond)
		Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "a conflating PULL handed over a second message")
	})
