package faults_test

// Back-pressure from a receiver whose process is stopped (SIGSTOP): it neither reads nor
// closes, the kernel's buffers fill, and the sender reaches its high-water mark. What each
// socket type must do then is the mute-state table of zmq_socket(3): PUSH and DEALER block
// (would-block to DONTWAIT), PUB drops for that subscriber only, ROUTER with ROUTER_MANDATORY
// says would-block. Where the sender blocks or drops against the HWM it was set to is
// measured (blocked_after, dropped) and reported, never judged: libzmq's HWM is approximate
// and the kernel's buffers come on top.

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	f "github.com/zmqsuite/zmqsuite/suites/faults"
)

// Back-pressure plan: 16 KiB messages, 1,500 of them (24 MiB): more than twice what a stopped
// receiver's socket buffers take on Linux loopback at most (tcp_rmem max 6 MiB + tcp_wmem max
// 4 MiB), and a HWM of 10 where the binding has one.
const (
	bpCount = 1500
	bpSize  = 16 << 10
	bpHWM   = 10
)

// hwmMetric records the HWM a case set, or -1 where the binding has no such option.
func hwmMetric(ctx context.Context, cell *h.Cell, side, option string) {
	if has(ctx, cell, side, option) {
		cell.Metric("hwm", bpHWM)
	} else {
		cell.Metric("hwm", -1)
	}
}

// blocksForStalled is HWM.6 and HWM.7: a bound sender, a connected receiver whose peer is
// stopped; DONTWAIT sends must end with would-block, and once the receiver resumes it gets
// every message the sender took, in order.
func blocksForStalled(ctx context.Context, cell *h.Cell, sender, receiver string) {
	cell.Warm(ctx)
	snd := cell.Socket(ctx, h.BindSide, sender, queueOpts(ctx, cell, h.BindSide, bpHWM, "sndhwm")...)
	snd.BindNew(ctx)
	rcv := cell.Connect(ctx, receiver, snd, queueOpts(ctx, cell, h.ConnectSide, bpHWM, "rcvhwm")...)
	hwmMetric(ctx, cell, h.BindSide, "sndhwm")
	h.AwaitFlowing(ctx, snd, rcv)
	st := newStream(peer.Plan{Size: bpSize}, 0)
	resume := cell.Stall(ctx, h.ConnectSide)
	defer resume()
	j := st.start(ctx, snd, bpCount, 0) // DONTWAIT: stops at the first would-block
	j.wait(ctx, jobWait)
	taken := st.l.sent()
	cell.Metric("blocked_after", float64(taken))
	resume()
	Expect(j.err).To(HaveOccurred(), "%s took all %d messages (%d MiB) for a receiver that is stopped: it neither blocked nor said would-block",
		sender, bpCount, bpCount*bpSize>>20)
	Expect(peer.Category(j.err)).To(Equal(peer.ErrAgain), "%s refused with %v, expected would-block", sender, j.err)
	st.drain(ctx, rcv, time.Second)
	st.judge(cell)
	if st.l.late > 0 {
		note(cell, "a send reported would-block completed when the receiver resumed (the binding cannot cancel it)")
	}
	Expect(st.l.lost()).To(BeZero(), "%s blocked after %d messages; the receiver got fewer once resumed (%s)", sender, taken, st.l.summary())
}

// HWM.6 (RFC 30 PUSH "SHALL block"; zmq_socket(3) PUSH mute state: block).
var _ = f.Case("HWM.6", Must, "flow", "PUSH blocks (would-block to DONTWAIT) for a stopped PULL, and loses nothing when it resumes",
	func(ctx SpecContext, cell *h.Cell) { blocksForStalled(ctx, cell, h.PUSH, h.PULL) },
	f.On(h.TCP), f.Within(60*time.Second))

// HWM.7 (RFC 28 DEALER "SHALL block"; zmq_socket(3) DEALER mute state: block).
var _ = f.Case("HWM.7", Must, "flow", "DEALER blocks (would-block to DONTWAIT) for a stopped peer, and loses nothing when it resumes",
	func(ctx SpecContext, cell *h.Cell) { blocksForStalled(ctx, cell, h.DEALER, h.DEALER) },
	f.On(h.TCP), f.Within(60*time.Second))

// HWM.8 (RFC 29 PUB "SHALL silently drop … SHALL NOT block"; zmq_socket(3) PUB mute state:
// drop): with one subscriber's process stopped and another reading, the publisher takes every
// message at once; the reading subscriber keeps receiving; the stopped one, once resumed, has
// an in-order subset and the rest was dropped for it alone (counted up to a fence published
// after the resume: receiveToFence).
var _ = f.Case("HWM.8", Must, "flow", "PUB never blocks for a stopped subscriber: it drops for that one and keeps serving the other",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		pub := cell.Socket(ctx, h.BindSide, h.PUB, queueOpts(ctx, cell, h.BindSide, bpHWM, "sndhwm")...)
		pub.BindNew(ctx)
		hwmMetric(ctx, cell, h.BindSide, "sndhwm")
		stalled := cell.Connect(ctx, h.SUB, pub, append(queueOpts(ctx, cell, h.ConnectSide, bpHWM, "rcvhwm"), h.Subscribe(""))...)
		live := cell.Socket(ctx, h.BindSide, h.SUB, h.Subscribe("")) // in the publisher's process
		live.ConnectTo(ctx, pub)
		h.AwaitSubscribed(ctx, pub, "", stalled, live)
		st := newStream(peer.Plan{Size: bpSize}, 0)
		st.lossy = true
		other := &stream{l: newLedger(st.l.plan), lossy: true}
		other.l.accepted, other.l.refused = st.l.accepted, st.l.refused
		resume := cell.Stall(ctx, h.ConnectSide)
		defer resume()
		start := time.Now()
		j := st.start(ctx, pub, bpCount, time.Second)
		other.receiveWhile(ctx, j, live)
		cell.Metric("publish_ms", float64(time.Since(start).Milliseconds()))
		resume()
		Expect(j.err).NotTo(HaveOccurred(), "PUB refused a send with a subscriber stopped: it must drop, never block")
		Expect(receiveToFence(ctx, st, pub, stalled)).To(BeTrue(),
			"no fence published after the resume reached the stopped subscriber within %v (%s)", recoveryBound, st.l.summary())
		st.l.tally()
		other.l.tally()
		cell.Metric("dropped", float64(st.l.sent()-st.l.delivered))
		cell.Metric("delivered_live", float64(other.l.delivered))
		Expect(other.l.violations()).To(Succeed(), "the reading subscriber: %s", other.l.summary())
		Expect(other.l.delivered).To(BeNumerically(">", 0), "the reading subscriber got nothing while the other was stopped")
		st.l.record(cell)
		Expect(st.l.violations()).To(Succeed(), "the stopped subscriber: %s", st.l.summary())
		Expect(st.l.delivered).To(BeNumerically("<", bpCount), "the stopped subscriber got all %d messages: the mute state was never reached (the case proves nothing)", bpCount)
	}, f.On(h.TCP), f.Within(60*time.Second))

// receiveToFence ends a resumed subscriber's drain on an observable fence, not on a quiet
// window: pub publishes a probe every round until one reaches sub. Whatever of the stream
// pub kept for sub was queued before the first fence that arrives, so by then it has all
// arrived (a PUB that drops for a full queue may drop fences too: hence the rounds). A
// quiet window made HWM.8 depend on the machine's load: go-zeromq's unbounded queue
// delivered all its messages when the window sufficed and not when it did not.
func receiveToFence(ctx context.Context, st *stream, pub, sub *h.Sock) bool {
	fence := h.Msg("fence" + h.ProbeMarker)
	for deadline := time.Now().Add(recoveryBound); time.Now().Before(deadline); {
		if err := pub.TrySend(ctx, 0, fence); err != nil && peer.Category(err) != peer.ErrAgain {
			Fail(fmt.Sprintf("publishing the fence: %v", err))
		}
		// One batch per round (what arrived until 50 ms of quiet): a queue of a thousand
		// messages is taken in a few control round trips, not one each.
		rep, _ := sub.RecvN(ctx, 10_000, 50*time.Millisecond).Wait(ctx, h.JobLimit)
		fenced := false
		for _, m := range rep.Messages {
			fenced = fenced || h.IsProbe(m)
		}
		st.l.receive(rep.Messages...) // probes left out; a stream message after a fence is counted, and reordered
		if fenced {
			return true
		}
	}
	return false
}

// HWM.9 (zmq_socket(3) ROUTER_MANDATORY: "EAGAIN … if the peer's queue is full" instead of
// dropping; libzmq test_router_mandatory_hwm): a ROUTER with ROUTER_MANDATORY sending to a
// DEALER whose process is stopped ends with would-block — not an unreachable peer, not a
// silent drop — and the DEALER, resumed, gets every message the ROUTER took.
var _ = f.Case("HWM.9", Option, "flow", "ROUTER_MANDATORY says would-block for a stopped peer, and loses nothing when it resumes",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		cell.Require(ctx, h.BindSide, nil, "router_mandatory")
		router := cell.Socket(ctx, h.BindSide, h.ROUTER, append(queueOpts(ctx, cell, h.BindSide, bpHWM, "sndhwm"), h.BoolOpt("router_mandatory", true))...)
		router.BindNew(ctx)
		hwmMetric(ctx, cell, h.BindSide, "sndhwm")
		dealer := cell.Connect(ctx, h.DEALER, router, append(queueOpts(ctx, cell, h.ConnectSide, bpHWM, "rcvhwm"), h.RoutingID("S"))...)
		Eventually(ctx, func() error {
			if err := dealer.TrySend(ctx, 100*time.Millisecond, h.Msg("hello")); err != nil {
				return err
			}
			_, err := router.TryRecv(ctx, 100*time.Millisecond)
			return err
		}).WithTimeout(h.SettleLimit).Should(Succeed(), "the ROUTER never heard from DEALER S")
		h.Drain(ctx, router)
		out := newStream(peer.Plan{Size: bpSize, Prefix: [][]byte{[]byte("S")}}, 0)
		in := &stream{l: newLedger(peer.Plan{Size: bpSize})}
		in.l.accepted, in.l.refused = out.l.accepted, out.l.refused
		resume := cell.Stall(ctx, h.ConnectSide)
		defer resume()
		j := out.start(ctx, router, bpCount, 0)
		j.wait(ctx, jobWait)
		cell.Metric("blocked_after", float64(out.l.sent()))
		resume()
		Expect(j.err).To(HaveOccurred(), "ROUTER_MANDATORY took all %d messages for a stopped peer", bpCount)
		Expect(peer.Category(j.err)).To(Equal(peer.ErrAgain), fmt.Sprintf("ROUTER_MANDATORY refused with %v, expected would-block (EAGAIN)", j.err))
		in.drain(ctx, dealer, time.Second)
		in.l.counted = false
		in.judge(cell)
		Expect(in.l.lost()).To(BeZero(), "%s", in.l.summary())
	}, f.On(h.TCP), f.Within(60*time.Second))
