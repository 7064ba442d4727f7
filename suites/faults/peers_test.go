package faults_test

// Process faults on the connecting side: a peer that dies takes its queues with it. The
// binder must drop what it had queued for the dead peer (RFC 28/30/31 "destroy its double
// queue … discard any messages it contains"), never hand it to the next peer, keep serving
// the others, and serve the next peer that connects.

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

// staleSeq is where the messages queued for a peer before it died are numbered from, so that
// the next peer's deliveries tell stale from fresh by content alone.
const freshBase = streamSpan

// queueDropped is PP.5 and DLR.5 (libzmq test_spec_pushpull / test_spec_dealer
// destroy_queue_on_disconnect, disabled in libzmq, with the peer's death standing for its
// disconnect): a bound sender with SNDHWM 1 fills its queue for a connected receiver with
// RCVHWM 1 that does not read; the receiver's peer is killed; a new receiver connects from a
// fresh peer. None of the old messages may reach it; fresh ones must.
func queueDropped(ctx context.Context, cell *h.Cell, sender, receiver string) {
	cell.Warm(ctx)
	snd := cell.Socket(ctx, h.BindSide, sender, queueOpts(ctx, cell, h.BindSide, 1, "sndhwm")...)
	snd.BindNew(ctx)
	rcv := cell.Connect(ctx, receiver, snd, queueOpts(ctx, cell, h.ConnectSide, 1, "rcvhwm")...)
	h.AwaitFlowing(ctx, snd, rcv)
	st := newStream(peer.Plan{Size: 1024}, 0)
	j := st.start(ctx, snd, 200, 0) // DONTWAIT until the queues are full
	j.wait(ctx, jobWait)
	old := st.l.sent()
	cell.Metric("blocked_after", float64(old))
	if j.err == nil {
		note(cell, "the sender took all 200 messages for a receiver that does not read (no queue limit reached)")
	}
	cell.Kill(ctx, h.ConnectSide)
	cell.Restart(ctx, h.ConnectSide)
	next := cell.Connect(ctx, receiver, snd)
	st.next = freshBase
	back := time.Now()
	recoveredOrFail(st.recover(ctx, snd, next, back, nil), st, "the next receiver connected")
	st.receiveWhile(ctx, st.start(ctx, snd, 100, perMsg), next)
	for _, m := range st.l.got {
		Expect(st.l.seqOf(m)).To(BeNumerically(">=", freshBase),
			"the new %s received message %d of the %d queued for the dead one: the queue was not destroyed", receiver, st.l.seqOf(m), old)
	}
	st.judge(cell)
	noLossFrom(st, st.through, "the next receiver connected")
}

// PP.5 (RFC 30 PUSH: "If this peer disconnects, the PUSH socket SHALL destroy its double queue
// and SHALL discard any messages it contains").
var _ = f.Case("PP.5", Must, "pipeline", "PUSH destroys the queue of a PULL that died: the next PULL gets none of it",
	func(ctx SpecContext, cell *h.Cell) { queueDropped(ctx, cell, h.PUSH, h.PULL) },
	f.On(h.TCP), f.Within(60*time.Second))

// DLR.5 (RFC 28 DEALER: "SHALL destroy the double queue when its peer disconnects").
var _ = f.Case("DLR.5", Must, "reqrep", "DEALER destroys the queue of a peer that died: the next peer gets none of it",
	func(ctx SpecContext, cell *h.Cell) { queueDropped(ctx, cell, h.DEALER, h.DEALER) },
	f.On(h.TCP), f.Within(60*time.Second))

// RTR.9 (RFC 28 ROUTER: "SHALL destroy the double queue when its peer disconnects"; libzmq
// test_spec_router destroy_queue_on_disconnect, disabled in libzmq): a ROUTER (ROUTER_MANDATORY
// where the binding has it) queues messages for DEALER "B", whose peer is then killed: sending
// to "B" fails with EHOSTUNREACH once the ROUTER has seen the death, and a new DEALER that
// connects as "B" gets none of the old messages, only the fresh ones.
var _ = f.Case("RTR.9", Must, "reqrep", "ROUTER destroys the queue of a peer that died: unreachable under MANDATORY, nothing stale for its successor",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		mandatory := has(ctx, cell, h.BindSide, "router_mandatory")
		var opts []h.Opt
		if mandatory {
			opts = append(opts, h.BoolOpt("router_mandatory", true))
		} else {
			note(cell, "bind side %s: no router_mandatory option (the unreachable half is not judged)", cell.BindImpl.Name)
		}
		router := cell.Bind(ctx, h.ROUTER, opts...)
		dealer := cell.Connect(ctx, h.DEALER, router, h.RoutingID("B"))
		Eventually(ctx, func() error {
			if err := dealer.TrySend(ctx, 100*time.Millisecond, h.Msg("hello")); err != nil {
				return err
			}
			_, err := router.TryRecv(ctx, 100*time.Millisecond)
			return err
		}).WithTimeout(h.SettleLimit).Should(Succeed(), "the ROUTER never heard from DEALER B")
		h.Drain(ctx, router)
		// out generates the ROUTER's messages (routing frame "B" first) and counts what it took;
		// in accounts for what DEALERs receive (the data frame only), against the same counts.
		out := newStream(peer.Plan{Size: 1024, Prefix: [][]byte{[]byte("B")}}, 0)
		// A few messages queued for B, which does not read them. (With a queue full at the
		// death, libzmq keeps the dead peer's pipe until its messages are flushed, which they
		// never are: that is LINGER's business, and timing-dependent here, so not this case's.)
		out.send(ctx, router, 5, perMsg)
		old := out.l.sent()
		in := &stream{l: newLedger(peer.Plan{Size: 1024})}
		in.l.accepted, in.l.refused = out.l.accepted, out.l.refused
		cell.Kill(ctx, h.ConnectSide)
		if mandatory {
			Eventually(ctx, func() string {
				return peer.Category(router.TrySend(ctx, 0, h.Msg("B", "to the dead")))
			}).WithTimeout(5*time.Second).WithPolling(20*time.Millisecond).Should(Equal(peer.ErrHostUnreach),
				"ROUTER_MANDATORY still does not say unreachable for the dead peer B 5 s after its death")
		}
		serving(ctx, router)
		cell.Restart(ctx, h.ConnectSide)
		next := cell.Connect(ctx, h.DEALER, router, append(reconnecting(ctx, cell, h.ConnectSide), h.RoutingID("B"))...)
		Eventually(ctx, func() error {
			if err := next.TrySend(ctx, 100*time.Millisecond, h.Msg("hello again")); err != nil {
				return err
			}
			m, err := router.TryRecv(ctx, 100*time.Millisecond)
			if err == nil && string(m[0]) != "B" {
				return fmt.Errorf("the new DEALER's message came with routing id %q, not B", m[0])
			}
			return err
		}).WithTimeout(h.SettleLimit).Should(Succeed(), "the ROUTER never heard from the new DEALER B")
		out.next = freshBase
		out.start(ctx, router, 100, perMsg).wait(ctx, jobWait)
		in.drain(ctx, next, quiet)
		in.l.counted = false
		in.judge(cell)
		for _, m := range in.l.got {
			Expect(in.l.seqOf(m)).To(BeNumerically(">=", freshBase),
				"the new DEALER B received message %d of the %d queued for the dead one", in.l.seqOf(m), old)
		}
		noLossFrom(in, freshBase, "the new DEALER B connected")
	}, f.On(h.TCP), f.Within(60*time.Second))

// RTR.14 (libzmq #1575, a ROUTER black-holing replies to a peer that came back): a DEALER
// without a routing id talks to a ROUTER, dies, and a new one from a fresh peer connects: the
// ROUTER gives it a new identity and routes replies to it; a reply to the old identity reaches
// nobody. Twice.
var _ = f.Case("RTR.14", Libzmq, "reqrep", "ROUTER routes to a peer that restarted with a new identity",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		router := cell.Bind(ctx, h.ROUTER)
		var ids []string
		for round := 0; round < 3; round++ {
			if round > 0 {
				cell.Kill(ctx, h.ConnectSide)
				cell.Restart(ctx, h.ConnectSide)
			}
			dealer := cell.Connect(ctx, h.DEALER, router)
			var id []byte
			Eventually(ctx, func() error {
				if err := dealer.TrySend(ctx, 100*time.Millisecond, h.Msg(fmt.Sprint("hello ", round))); err != nil {
					return err
				}
				m, err := router.TryRecv(ctx, 100*time.Millisecond)
				if err == nil {
					id = m[0]
				}
				return err
			}).WithTimeout(h.SettleLimit).Should(Succeed(), "round %d: the ROUTER never heard from the new DEALER", round)
			h.Drain(ctx, router)
			for _, old := range ids {
				Expect(string(id)).NotTo(Equal(old), "round %d: the new DEALER got a dead peer's identity %q", round, id)
				_ = router.TrySend(ctx, time.Second, [][]byte{[]byte(old), []byte("to the dead")})
			}
			ids = append(ids, string(id))
			router.SendMsg(ctx, [][]byte{id, []byte(fmt.Sprint("reply ", round))})
			Expect(dealer.RecvStrings(ctx)).To(Equal([]string{fmt.Sprint("reply ", round)}), "round %d: the reply to the new identity", round)
			m, err := dealer.TryRecv(ctx, 200*time.Millisecond)
			Expect(err).To(HaveOccurred(), "round %d: the new DEALER also got %s, sent to a dead peer's identity", round, h.Describe(m))
		}
	}, f.On(h.TCP), f.Within(60*time.Second))

// PAIR.4 (RFC 31: PAIR "SHALL … accept connections from at most one peer at a time" and
// destroys a disconnected peer's queue): the connected PAIR dies with messages queued for it;
// a new PAIR from a fresh peer pairs with the binder, gets none of the old messages, and
// both directions work.
var _ = f.Case("PAIR.4", Must, "pair", "After its peer dies a PAIR pairs with a new one, without the old queue",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		bound := cell.Bind(ctx, h.PAIR, queueOpts(ctx, cell, h.BindSide, 10, "sndhwm")...)
		first := cell.Connect(ctx, h.PAIR, bound)
		h.AwaitFlowing(ctx, first, bound)
		st := newStream(peer.Plan{Size: 256}, 0)
		st.start(ctx, bound, 20, 0).wait(ctx, jobWait) // queued for the first, who does not read
		old := st.l.sent()
		cell.Kill(ctx, h.ConnectSide)
		serving(ctx, bound)
		cell.Restart(ctx, h.ConnectSide)
		second := cell.Connect(ctx, h.PAIR, bound, reconnecting(ctx, cell, h.ConnectSide)...)
		back := time.Now()
		var got []string
		Eventually(ctx, func() error {
			_ = second.TrySend(ctx, 50*time.Millisecond, h.Msg("hello"))
			m, err := bound.TryRecv(ctx, 50*time.Millisecond)
			if err == nil {
				got = h.Strings(m)
			}
			return err
		}).WithTimeout(recoveryBound).Should(Succeed(), "the bound PAIR never heard from the second peer")
		st.l.recovered(time.Since(back))
		Expect(got).To(Equal([]string{"hello"}))
		h.Drain(ctx, bound)
		st.next = freshBase
		st.receiveWhile(ctx, st.start(ctx, bound, 50, perMsg), second)
		for _, m := range st.l.got {
			Expect(st.l.seqOf(m)).To(BeNumerically(">=", freshBase),
				"the second PAIR received message %d of the %d queued for the dead first one", st.l.seqOf(m), old)
		}
		st.judge(cell)
		noLossFrom(st, freshBase, "the second PAIR connected")
	}, f.On(h.TCP), f.Within(60*time.Second))

// CON.11 (RFC 23 "All sockets SHALL accept connections from peers"; RFC 30 PULL fair-queues
// its peers): a PULL with two connected PUSHes, one in its own process and one in the
// connecting side's, keeps receiving every message of the first when the second's process is
// killed mid-stream — no gap, no error, nothing surfaced as data — and serves the PUSH that
// connects next.
var _ = f.Case("CON.11", Must, "lifecycle", "A binder keeps serving its other peers when one dies, and serves the next one",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		pull := cell.Bind(ctx, h.PULL)
		survivor := cell.Socket(ctx, h.BindSide, h.PUSH)
		survivor.ConnectTo(ctx, pull)
		victim := cell.Connect(ctx, h.PUSH, pull)
		st := newStream(peer.Plan{Size: 256}, 0)
		awaitFanIn(ctx, pull, survivor, victim)
		vj := st.startAt(ctx, victim, freshBase, 5000, perMsg)
		sj := st.startAt(ctx, survivor, 0, 20_000, perMsg)
		for got := 0; got < 2000; {
			got += st.receive(ctx, pull, 2000-got, perMsg)
		}
		cell.Kill(ctx, h.ConnectSide)
		vj.done = true // its count died with it: what the PULL got from it is all that is known
		st.receiveWhile(ctx, sj, pull)
		Expect(sj.err).NotTo(HaveOccurred(), "the surviving PUSH stopped (%s)", st.l.summary())
		cell.Restart(ctx, h.ConnectSide)
		next := cell.Connect(ctx, h.PUSH, pull)
		nj := st.startAt(ctx, next, 2*freshBase, 1000, perMsg)
		st.receiveWhile(ctx, nj, pull)
		// The victim's messages count as sent when they arrived: its own count died with it.
		for _, m := range st.l.got {
			if s := st.l.seqOf(m); s >= freshBase && s < 2*freshBase {
				st.l.sentRange(s, 1)
			}
		}
		st.judge(cell)
		noLossFrom(st, 0, "a fellow peer died (the survivor's messages)")
	}, f.On(h.TCP), f.Within(90*time.Second))

// serving is a binder's application at work after a peer died: it calls into the socket
// (receives, which it would be doing anyway) for a moment before the next peer connects.
// libzmq processes a socket's commands — among them the end of the dead peer's pipe — only
// when the application calls into it; a PAIR or a ROUTER that has not yet let go of the dead
// peer's pipe black-holes a new peer (PAIR) or one with the same identity (ROUTER). An
// application that never calls its socket is not what these cases are about.
func serving(ctx context.Context, s *h.Sock) {
	for i := 0; i < 3; i++ {
		if m, err := s.TryRecv(ctx, 50*time.Millisecond); err == nil {
			panic(&h.StepError{Step: "serve " + s.Name, Err: fmt.Errorf("received %s after its peer died (a disconnect surfaced as data?)", h.Describe(m))})
		}
	}
}

// startAt starts a send job of n messages numbered from base (one stream per sender).
func (st *stream) startAt(ctx context.Context, s *h.Sock, base, n int, each time.Duration) *sendJob {
	keep := st.next
	st.next = base
	j := st.start(ctx, s, n, each)
	st.next = keep
	return j
}

// awaitFanIn makes every sender's connection to one receiver observable: each sends probes
// until the receiver has had one from each (probes carry the sender's index), then the
// receiver is drained.
func awaitFanIn(ctx context.Context, receiver *h.Sock, senders ...*h.Sock) {
	pending := map[int]bool{}
	for i := range senders {
		pending[i] = true
	}
	deadline := time.Now().Add(h.SettleLimit)
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			panic(&h.StepError{Step: "await connections", Err: fmt.Errorf("no probe from %d of %d senders within %v", len(pending), len(senders), h.SettleLimit)})
		}
		for i := range pending {
			_ = senders[i].TrySend(ctx, 100*time.Millisecond, h.Msg(fmt.Sprint(i)+h.ProbeMarker))
		}
		for {
			m, err := receiver.TryRecv(ctx, 20*time.Millisecond)
			if err != nil {
				break
			}
			var i int
			if _, err := fmt.Sscanf(string(m[len(m)-1]), "%d", &i); err == nil {
				delete(pending, i)
			}
		}
	}
	h.Drain(ctx, receiver)
}

// NOP.1, the fault half (omq.rs doc/libzmq/semantics.md no-peer table, "had a peer then lost
// it": bound → mute, connected → queue): a bound PUSH whose only PULL died says would-block to
// DONTWAIT; a connected PUSH whose bound PULL died takes DONTWAIT sends for the redial, and the
// restarted PULL receives them.
var _ = f.Case("NOP.1", Libzmq, "flow", "After losing its only peer a bound PUSH is mute; a connected one queues for the redial",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		var failures []string
		// Bound: mute once the death is seen. The first half second is the binder's to notice
		// (libzmq does within microseconds); from then on, for 2 s, no DONTWAIT send may be
		// taken: a taken send has no peer to go to, so it is dropped.
		push := cell.Bind(ctx, h.PUSH)
		pull := cell.Connect(ctx, h.PULL, push)
		h.AwaitFlowing(ctx, push, pull)
		killed := cell.Kill(ctx, h.ConnectSide)
		taken := 0
		for time.Since(killed.At) < 2500*time.Millisecond {
			err := push.TrySend(ctx, 0, h.Msg("after the death"))
			if time.Since(killed.At) > 500*time.Millisecond && err == nil {
				taken++
			}
			time.Sleep(20 * time.Millisecond) // pacing the probe sends, not synchronising
		}
		cell.Metric("taken_after_death", float64(taken))
		if taken > 0 {
			failures = append(failures, fmt.Sprintf("bound PUSH: %d DONTWAIT sends taken (and dropped) 0.5-2.5 s after its only PULL died, expected would-block", taken))
		}
		cell.Restart(ctx, h.ConnectSide)

		// Connected: queue for the redial. The PUSH dials through a Link so that the moment it
		// has seen the loss is observable: it redials (the link accepts a second connection).
		// A port below the ephemeral range (stableEndpoint), as for every binder restarted on
		// its endpoint: while the binder is down the link keeps dialling it, and a port of the
		// ephemeral range can meanwhile be a dial's own source port (a TCP self-connect, which
		// swallows what the PUSH redials with) or another connection's (EADDRINUSE at the
		// restart). JeroMQ's peer binds "*" from 49152 up, inside Linux's range (32768-60999):
		// the JeroMQ binder lost the queued messages about one run in two before this.
		pull2 := bindAt(ctx, cell, h.PULL, stableEndpoint(cell))
		link, err := h.NewLink(pull2.Endpoint)
		Expect(err).NotTo(HaveOccurred())
		defer link.Close()
		push2 := cell.Socket(ctx, h.ConnectSide, h.PUSH, reconnecting(ctx, cell, h.ConnectSide)...)
		push2.ConnectEndpoint(ctx, link.Endpoint)
		h.AwaitFlowing(ctx, push2, pull2)
		ep := pull2.Endpoint
		cell.Kill(ctx, h.BindSide)
		st := newStream(peer.Plan{Size: 64}, 0)
		if !link.AwaitAccepted(ctx, 2, recoveryBound) {
			failures = append(failures, fmt.Sprintf("connected PUSH: never redialled within %v after its PULL died", recoveryBound))
		} else {
			for i := 0; i < 5; i++ {
				if err := st.trySend(ctx, push2, 0); err != nil {
					failures = append(failures, fmt.Sprintf("connected PUSH: DONTWAIT send %d after its PULL died: %v, expected it queued for the redial", i, err))
					break
				}
			}
		}
		cell.Restart(ctx, h.BindSide)
		pull3 := bindAt(ctx, cell, h.PULL, ep)
		if n := st.l.sent(); n > 0 {
			st.receive(ctx, pull3, n, recoveryBound)
			if st.l.tally(); st.l.delivered < n {
				failures = append(failures, fmt.Sprintf("connected PUSH: %d of the %d messages queued for the redial arrived at the restarted PULL", st.l.delivered, n))
			}
		}
		st.sendErrs = 0 // refusals are judged above, as failures of this row
		st.judge(cell)
		Expect(failures).To(BeEmpty())
	}, f.On(h.TCP), f.Within(60*time.Second))

// CON.4 (libzmq test_reconnect_options; zmq_setsockopt(3) ZMQ_RECONNECT_STOP: stop
// reconnecting after ECONNREFUSED, a failed handshake, or a disconnect): a DRAFT option in
// libzmq 4.3.4, which no peer exposes; the case says so per implementation.
var _ = f.Case("CON.4", Option, "lifecycle", "Reconnect-stop options end reconnection after a refusal, a failed handshake or a disconnect",
	func(ctx SpecContext, cell *h.Cell) {
		if !has(ctx, cell, h.ConnectSide, "reconnect_stop") {
			panic(&h.Unsupported{Impl: cell.ConnectImpl.Name, What: "ZMQ_RECONNECT_STOP (a DRAFT option in libzmq 4.3; the peer protocol has no reconnect_stop)"})
		}
		Fail("reconnect_stop is listed but the case is not written: write it before a peer lists the option")
	}, f.PerImplementation(), f.On(h.TCP))
