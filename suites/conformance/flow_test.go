package conformance_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	. "github.com/zmqsuite/zmqsuite/scenarios"
	c "github.com/zmqsuite/zmqsuite/suites/conformance"
)

// ppPushPull binds a PUSH and connects PULLs to it over inproc, each with the options given
// (HWM options a binding lacks skip the cell).
func ppPushPull(ctx context.Context, cell *h.Cell, pushOpts, pullOpts []h.Opt, pulls int) (*h.Sock, []*h.Sock) {
	push := cell.Bind(ctx, h.PUSH, pushOpts...)
	// No probe: over inproc the connection exists when connect returns, and a probe would
	// hold a credit until the reader acknowledges it (libzmq counts it against the HWM).
	return push, cell.ConnectN(ctx, h.PULL, pulls, push, pullOpts...)
}

// HWM.1 (libzmq test_hwm test_defaults; zmq_setsockopt(3) ZMQ_SNDHWM/ZMQ_RCVHWM default 1000):
// over inproc a PUSH accepts SNDHWM + RCVHWM = 2,000 messages for a PULL that does not read,
// then says would-block; the PULL then receives all of them.
var _ = c.Case("HWM.1", Libzmq, "flow", "Default HWMs: a PUSH holds 2,000 messages for an idle inproc PULL, then would-block",
	func(ctx SpecContext, cell *h.Cell) {
		pull := cell.Bind(ctx, h.PULL)
		push := cell.Connect(ctx, h.PUSH, pull) // inproc: connected when connect returns
		n, blocked := ppFill(ctx, push, peer.Plan{Count: 10_000, Size: 1})
		cell.Metric("accepted", float64(n))
		Expect(blocked).To(BeTrue(), "10,000 messages accepted without would-block: no HWM")
		_, err := h.ReceiveN(ctx, pull, n)
		Expect(err).NotTo(HaveOccurred(), "%d messages accepted", n)
		Expect(n).To(Equal(2000), "messages accepted before would-block")
	}, c.On(h.InProc), c.NoTap())

// HWM.2 (omq.rs doc/libzmq/semantics.md; zmq_setsockopt(3) "The high water mark is a hard limit
// on the maximum number of outstanding messages"): the limit counts messages, not bytes or
// frames, and applies per pipe. With SNDHWM = RCVHWM = 5 over inproc a PUSH takes 10 messages
// per PULL, whether they are 1 byte, 3 frames or 64 KiB.
var _ = c.Case("HWM.2", Libzmq, "flow", "HWM counts whole messages per pipe, not bytes or frames",
	func(ctx SpecContext, cell *h.Cell) {
		hwm := []h.Opt{h.IntOpt("sndhwm", 5), h.IntOpt("rcvhwm", 5)}
		var rows h.Rows
		for _, r := range []struct {
			what  string
			plan  peer.Plan
			pulls int
		}{
			{"1-byte messages", peer.Plan{Count: 1000, Size: 1}, 1},
			{"3-frame messages", peer.Plan{Count: 1000, Frames: 3, Size: 1}, 1},
			{"64 KiB messages", peer.Plan{Count: 1000, Size: 64 << 10}, 1},
			{"1-byte messages to 2 PULLs", peer.Plan{Count: 1000, Size: 1}, 2},
		} {
			rows.Run(r.what, func() error {
				push, _ := ppPushPull(ctx, cell, hwm, hwm, r.pulls)
				n, _ := ppFill(ctx, push, r.plan)
				Expect(n).To(Equal(10*r.pulls), "messages accepted before would-block")
				return nil
			})
		}
		Expect(rows.Err()).To(Succeed())
	}, c.On(h.InProc), c.NoTap())

// HWM.3 (libzmq test_hwm test_infinite_both_inproc; zmq_setsockopt(3) "Zero means no limit"):
// with SNDHWM = RCVHWM = 0, 10,000 messages are accepted for a PULL that does not read, and
// all of them arrive.
var _ = c.Case("HWM.3", Libzmq, "flow", "HWM 0 means no limit",
	func(ctx SpecContext, cell *h.Cell) {
		push, pulls := ppPushPull(ctx, cell, []h.Opt{h.IntOpt("sndhwm", 0)}, []h.Opt{h.IntOpt("rcvhwm", 0)}, 1)
		plan := peer.Plan{Count: 10_000, Size: peer.HeaderLen}
		n, blocked := ppFill(ctx, push, plan)
		Expect(blocked).To(BeFalse(), "would-block after %d messages with unlimited HWMs", n)
		Expect(h.ReceivePlan(ctx, pulls[0], plan)).To(Succeed())
	}, c.On(h.InProc), c.NoTap())

// HWM.4 (libzmq test_sockopt_hwm: change_before_connected, change_after_connected,
// decrease_when_full): over inproc the HWMs apply whether set before the connection exists or
// after it is up, and lowering SNDHWM on a full queue loses nothing.
var _ = c.Case("HWM.4", Libzmq, "flow", "HWM changes apply before and after connecting; lowering a full queue's HWM loses nothing",
	func(ctx SpecContext, cell *h.Cell) {
		var rows h.Rows
		pair := func(sndhwm, rcvhwm int, pullFirst bool) (*h.Sock, *h.Sock) {
			ep := ppFreeEndpoint(cell.Transport)
			push := cell.Socket(ctx, h.BindSide, h.PUSH, h.IntOpt("sndhwm", sndhwm))
			pull := cell.Socket(ctx, h.ConnectSide, h.PULL, h.IntOpt("rcvhwm", rcvhwm))
			if pullFirst {
				pull.ConnectEndpoint(ctx, ep)
			}
			Expect(push.BindTo(ctx, ep)).To(Succeed())
			if !pullFirst {
				pull.ConnectEndpoint(ctx, ep)
			}
			return push, pull
		}
		rows.Run("set before connecting (2 + 2)", func() error {
			push, _ := pair(2, 2, true)
			if n, _ := ppFill(ctx, push, peer.Plan{Count: 100, Size: 1}); n != 4 {
				return fmt.Errorf("%d messages accepted, expected 4", n)
			}
			return nil
		})
		rows.Run("SNDHWM raised to 5 after connecting (RCVHWM 1)", func() error {
			push, _ := pair(1, 1, true)
			push.SetOpt(ctx, "sndhwm", 5)
			if v := push.GetOpt(ctx, "sndhwm"); fmt.Sprint(v) != "5" {
				return fmt.Errorf("getopt sndhwm = %v after setting 5", v)
			}
			if n, _ := ppFill(ctx, push, peer.Plan{Count: 100, Size: 1}); n != 6 {
				return fmt.Errorf("%d messages accepted, expected 6", n)
			}
			return nil
		})
		rows.Run("SNDHWM lowered from 100 to 70 on a full queue", func() error {
			push, pull := pair(100, 1, false)
			plan := peer.Plan{Count: 1000, Size: peer.HeaderLen}
			n, _ := ppFill(ctx, push, plan)
			if n > 101 {
				return fmt.Errorf("%d messages accepted with SNDHWM 100 + RCVHWM 1", n)
			}
			push.SetOpt(ctx, "sndhwm", 70)
			plan.Count = n
			if err := h.ReceivePlan(ctx, pull, plan); err != nil {
				return fmt.Errorf("after lowering the HWM: %w", err)
			}
			h.NothingArrives(ctx, h.QuietWindow, fmt.Sprintf("%d messages were accepted", n), pull)
			plan.Start = n
			if n2, _ := ppFill(ctx, push, plan); n2 > 71 {
				return fmt.Errorf("%d messages accepted after lowering SNDHWM to 70", n2)
			}
			return nil
		})
		Expect(rows.Err()).To(Succeed())
	}, c.On(h.InProc), c.NoTap())

// HWM.5 (zmq_socket(3) "Action in mute state"; RFC 30/28/31 PUSH, DEALER, PAIR "SHALL block",
// RFC 29 PUB and RFC 28 ROUTER "SHALL silently drop"): towards a peer that does not read, the
// blocking types end up saying would-block to DONTWAIT and lose nothing; the dropping types
// never refuse a send and deliver an in-order subset.
var _ = c.Case("HWM.5", Must, "flow", "In the mute state PUSH, DEALER and PAIR block; PUB and ROUTER drop",
	func(ctx SpecContext, cell *h.Cell) {
		// 16 KiB messages, queues of 10 where the binding has HWM options: a peer that does
		// not read fills after a few MB of socket buffers (at most about 10 MB over loopback
		// tcp with Linux's default limits); 1,500 (24 MB) are far more.
		const count = 1500
		var rows h.Rows
		for _, r := range []struct{ sender, receiver string }{
			{h.PUSH, h.PULL}, {h.DEALER, h.DEALER}, {h.PAIR, h.PAIR}, {h.PUB, h.SUB}, {h.ROUTER, h.DEALER},
		} {
			rows.Run(r.sender+"→"+r.receiver, func() error {
				snd := cell.BindHWM(ctx, r.sender, 10)
				rcv := cell.ConnectHWM(ctx, r.receiver, snd, 10, ppSubscribeAll(r.receiver)...)
				plan := peer.Plan{Count: count, Size: 16 << 10}
				switch r.sender {
				case h.PUB:
					h.AwaitSubscribed(ctx, snd, "", rcv)
				case h.ROUTER:
					rcv.Send(ctx, "hello")
					plan.Prefix = [][]byte{snd.Recv(ctx)[0]}
				default:
					h.AwaitFlowing(ctx, snd, rcv)
				}
				n, blocked := ppFill(ctx, snd, plan)
				plan.Prefix = nil // a DEALER receives the data frame only
				d := h.NewDelivery(plan, rcv)
				if blocked {
					d.ReceiveUpTo(ctx, n)
					d.Listen(ctx, h.QuietWindow) // more than accepted: judged below
				} else {
					d.Listen(ctx, h.DrainQuiet) // all queued already
				}
				if r.sender == h.PUB || r.sender == h.ROUTER {
					if blocked {
						return fmt.Errorf("%s said would-block after %d messages: it must drop, never refuse", r.sender, n)
					}
					if d.Total() >= count {
						return fmt.Errorf("%s: all %d messages arrived: the mute state was never reached", r.sender, count)
					}
					return d.InOrderSubset()
				}
				if !blocked {
					return fmt.Errorf("%s accepted all %d messages for a peer that does not read: it neither blocked nor said would-block", r.sender, count)
				}
				if d.Total() == n+1 {
					// The binding cannot cancel a send: the one reported would-block stayed
					// pending and completed when the peer read (it blocked, nothing lost).
					cell.Observe("late completion of a send reported would-block")
					n++
				}
				if err := d.First(0, n); err != nil {
					return fmt.Errorf("%s accepted %d messages: %w", r.sender, n, err)
				}
				return nil
			})
		}
		Expect(rows.Err()).To(Succeed())
	}, c.Within(60*time.Second), c.NoTap())

// NOP.1 (omq.rs doc/libzmq/semantics.md, the no-peer send table; zmq_setsockopt(3)
// ZMQ_IMMEDIATE "messages shall be queued only to completed connections" when set, so when not
// set they are queued to connections in progress): a bound PUSH, DEALER or PAIR with no peer
// is mute (would-block); a connected one whose peer is not there yet queues, and the message
// arrives once the peer binds.
var _ = c.Case("NOP.1", Libzmq, "flow", "No-peer sends: bound sockets are mute, connected ones queue for the pending connection",
	func(ctx SpecContext, cell *h.Cell) {
		var rows h.Rows
		connectFailed := ""
		for _, typ := range []string{h.PUSH, h.DEALER, h.PAIR} {
			peerType := map[string]string{h.PUSH: h.PULL, h.DEALER: h.DEALER, h.PAIR: h.PAIR}[typ]
			rows.Run(typ+" bound", func() error {
				s := cell.Bind(ctx, typ)
				if err := s.TrySend(ctx, 0, h.Msg("bound")); peer.Category(err) != peer.ErrAgain {
					return fmt.Errorf("with no peer: DONTWAIT send gave %v, expected would-block", err)
				}
				return nil
			})
			if connectFailed != "" {
				// A binding that cannot connect to an absent peer fails every such row the
				// same way (go-zeromq dials for 2.5 s first): say so once.
				rows.Fail(typ+" connected", "not tried, connecting to an absent peer already failed for "+connectFailed)
				continue
			}
			rows.Run(typ+" connected", func() error {
				ep := ppFreeEndpoint(cell.Transport)
				s := cell.Socket(ctx, h.ConnectSide, typ)
				if err := s.TryConnect(ctx, ep); err != nil {
					h.SkipIfUnsupported(s.Impl(), "connect "+ep, err) // no such transport: nothing to judge
					connectFailed = typ
					return fmt.Errorf("connect to %s, where nothing is bound yet: %w", ep, err)
				}
				if err := s.TrySend(ctx, 0, h.Msg("queued")); err != nil {
					return fmt.Errorf("peer not there yet: DONTWAIT send gave %v, expected it queued", err)
				}
				r := cell.Socket(ctx, h.BindSide, peerType)
				if err := r.BindTo(ctx, ep); err != nil {
					return err
				}
				m, err := r.TryRecv(ctx, h.RecvTimeout)
				if err != nil || len(m) != 1 || string(m[0]) != "queued" {
					return fmt.Errorf("peer not there yet: the queued message did not arrive after the bind (%q, %v)", h.Strings(m), err)
				}
				return nil
			})
		}
		Expect(rows.Err()).To(Succeed())
	}, c.Within(60*time.Second), c.NoTap())

// LNG.1 (zmq_setsockopt(3) ZMQ_LINGER: "-1 specifies an infinite linger period. Pending
// messages shall not be discarded after a call to zmq_close()"): messages queued for a peer
// that is not there yet are delivered after the socket is closed, once the peer binds.
var _ = c.Case("LNG.1", Libzmq, "flow", "Infinite linger: messages queued before close are still delivered",
	func(ctx SpecContext, cell *h.Cell) {
		push, ep := ppQueuedToAbsentPeer(ctx, cell, 10)
		push.SetOpt(ctx, "linger", -1)
		Expect(push.Close(ctx, -1)).To(Succeed())
		pull := cell.Socket(ctx, h.BindSide, h.PULL)
		Expect(pull.BindTo(ctx, ep)).To(Succeed())
		for i := 0; i < 10; i++ {
			Expect(pull.RecvStrings(ctx)).To(Equal([]string{fmt.Sprint(i)}), "message %d queued before close", i)
		}
		push.Delivered()
	}, c.NoTap())

// LNG.2 (zmq_setsockopt(3) ZMQ_LINGER: "The value of 0 specifies no linger period. Pending
// messages shall be discarded immediately when the socket is closed"): the same queued
// messages never arrive when the socket was closed with linger 0.
var _ = c.Case("LNG.2", Libzmq, "flow", "Linger 0: messages queued before close are discarded",
	func(ctx SpecContext, cell *h.Cell) {
		push, ep := ppQueuedToAbsentPeer(ctx, cell, 10)
		Expect(push.Close(ctx, 0)).To(Succeed())
		pull := cell.Socket(ctx, h.BindSide, h.PULL)
		Expect(pull.BindTo(ctx, ep)).To(Succeed())
		// A lingering socket reconnects within its reconnect interval (100 ms by default).
		h.NothingArrives(ctx, h.QuietReconnect, "a socket closed with linger 0 discards what it had queued", pull)
	}, c.NoTap())

// LNG.3 (libzmq issue #4660 "IPC socket drops messages, ignores LINGER"; zmq_close(3)): a sender
// that closes right after its last send, with its default linger, while a receiver with
// RCVHWM 1 is still taking the messages, delivers all of them. (The peers do not terminate
// their context, so "and exit" is not part of it.)
var _ = c.Case("LNG.3", Libzmq, "flow", "Send N then close at once: all N are delivered",
	func(ctx SpecContext, cell *h.Cell) {
		pull := cell.BindHWM(ctx, h.PULL, 1)
		push := cell.Connect(ctx, h.PUSH, pull)
		h.AwaitFlowing(ctx, push, pull)
		plan := peer.Plan{Count: 5000, Size: 256}
		// Each message within a second of the previous: they flow, or the tail is lost.
		recv := h.StartReceivePlan(ctx, pull, plan, time.Second)
		Expect(push.SendPlan(ctx, plan, h.SendTimeout).WaitSent(ctx, plan.Count)).To(Succeed())
		Expect(push.Close(ctx, -1)).To(Succeed())
		err := recv.Wait(ctx)
		cell.Metric("delivered", float64(recv.Received()))
		Expect(err).NotTo(HaveOccurred())
		push.Delivered()
	}, c.NoTap())

// TMO.1 (zmq_setsockopt(3) ZMQ_RCVTIMEO; libzmq test_timeo): a receive with RCVTIMEO set returns
// would-block after about that long, on a socket with no peer and on one whose peer is silent.
// Only generous bounds are asserted: ≥ 0.75 × the timeout and < the timeout + 2 s.
var _ = c.Case("TMO.1", Libzmq, "flow", "RCVTIMEO is honoured: a receive gives up with would-block after the timeout",
	func(ctx SpecContext, cell *h.Cell) {
		const tmo = 200 * time.Millisecond
		pull := cell.Bind(ctx, h.PULL, h.IntOpt("rcvtimeo", int(tmo.Milliseconds())))
		Expect(pull.GetOpt(ctx, "rcvtimeo")).To(BeNumerically("==", tmo.Milliseconds()))
		for _, state := range []string{"no peer", "silent peer"} {
			if state == "silent peer" {
				push := cell.Connect(ctx, h.PUSH, pull)
				h.AwaitFlowing(ctx, push, pull)
			}
			start := time.Now()
			_, err := pull.TryRecv(ctx, tmo)
			took := time.Since(start)
			Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "%s: %v", state, err)
			Expect(took).To(BeNumerically(">=", tmo*3/4), "%s: gave up after %v, before the timeout", state, took)
			Expect(took).To(BeNumerically("<", tmo+2*time.Second), "%s: gave up only after %v", state, took)
		}
	})

// TMO.2 (zmq_setsockopt(3) ZMQ_SNDTIMEO; libzmq test_spec_pushpull push_block_on_send_no_peers
// with SNDTIMEO 250 ms; zmq_send(3) ZMQ_DONTWAIT): a send that cannot complete gives up with
// would-block after SNDTIMEO, and a DONTWAIT send never waits.
var _ = c.Case("TMO.2", Libzmq, "flow", "SNDTIMEO is honoured and DONTWAIT never blocks",
	func(ctx SpecContext, cell *h.Cell) {
		const tmo = 250 * time.Millisecond
		push := cell.Bind(ctx, h.PUSH, h.IntOpt("sndtimeo", int(tmo.Milliseconds())))
		Expect(push.GetOpt(ctx, "sndtimeo")).To(BeNumerically("==", tmo.Milliseconds()))
		start := time.Now()
		err := push.TrySend(ctx, tmo, h.Msg("blocked"))
		took := time.Since(start)
		Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "send with no peer: %v", err)
		Expect(took).To(BeNumerically(">=", tmo*3/4), "gave up after %v, before the timeout", took)
		Expect(took).To(BeNumerically("<", tmo+2*time.Second), "gave up only after %v", took)
		start = time.Now()
		err = push.TrySend(ctx, 0, h.Msg("dontwait"))
		took = time.Since(start)
		Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "DONTWAIT send with no peer: %v", err)
		Expect(took).To(BeNumerically("<", time.Second), "a DONTWAIT send took %v", took)
	})
