package conformance_test

import (
	"context"
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

// ppTopology is one row of CON.1: a socket type that binds, one that connects, and the
// exchange that proves the pair works (an error says which step failed).
type ppTopology struct {
	bind, connect string
	exchange      func(ctx context.Context, b, c *h.Sock) error
}

// ppOneWay sends one message from one socket and receives it on the other, as is. A send
// refused with would-block is retried for up to h.SendTimeout: a binding may refuse at once
// while its peer is still connecting (what it does with no peer is other cases' business).
func ppOneWay(ctx context.Context, from, to *h.Sock, m ...string) error {
	err := InterceptGomegaFailure(func() {
		Eventually(ctx, func() error {
			err := from.TrySend(ctx, 250*time.Millisecond, h.Msg(m...))
			if err != nil && peer.Category(err) != peer.ErrAgain {
				return StopTrying("refused").Wrap(err)
			}
			return err
		}).WithTimeout(h.SendTimeout).WithPolling(50 * time.Millisecond).Should(Succeed())
	})
	if err != nil {
		return fmt.Errorf("%s send %q: %w", from.Name, m, err)
	}
	got, err := to.TryRecv(ctx, h.RecvTimeout)
	if err != nil {
		return fmt.Errorf("%s recv: %w", to.Name, err)
	}
	if strings.Join(h.Strings(got), "|") != strings.Join(m, "|") {
		return fmt.Errorf("%s received %q, expected %q", to.Name, h.Strings(got), m)
	}
	return nil
}

// ppRouted sends from a DEALER to a ROUTER, checks the routing frame, and replies through it.
func ppRouted(ctx context.Context, dealer, router *h.Sock) error {
	if err := dealer.TrySend(ctx, h.SendTimeout, h.Msg("hello")); err != nil {
		return fmt.Errorf("%s send: %w", dealer.Name, err)
	}
	m, err := router.TryRecv(ctx, h.RecvTimeout)
	if err != nil {
		return fmt.Errorf("%s recv: %w", router.Name, err)
	}
	if len(m) != 2 || string(m[1]) != "hello" {
		return fmt.Errorf("%s received %q, expected [<id> hello]", router.Name, h.Strings(m))
	}
	if err := router.TrySend(ctx, h.SendTimeout, [][]byte{m[0], []byte("world")}); err != nil {
		return fmt.Errorf("%s reply: %w", router.Name, err)
	}
	got, err := dealer.TryRecv(ctx, h.RecvTimeout)
	if err != nil || len(got) != 1 || string(got[0]) != "world" {
		return fmt.Errorf("%s reply: got %q, %v", dealer.Name, h.Strings(got), err)
	}
	return nil
}

// ppPubSub publishes once a probe shows the SUB's subscription in place.
func ppPubSub(ctx context.Context, pub, sub *h.Sock) error {
	h.AwaitSubscribed(ctx, pub, "", sub)
	return ppOneWay(ctx, pub, sub, "news")
}

// ppXPubSub: the XSUB subscribes to everything by sending 0x01, and the XPUB publishes probes
// until one arrives (whether the XPUB application sees the subscription is XPUB.1's business).
func ppXPubSub(ctx context.Context, xpub, xsub *h.Sock) error {
	if err := xsub.TrySend(ctx, h.SendTimeout, h.Msg("\x01")); err != nil {
		return fmt.Errorf("%s subscribe: %w", xsub.Name, err)
	}
	return ppPubSub(ctx, xpub, xsub)
}

func ppReqRep(ctx context.Context, req, rep *h.Sock) error {
	if err := ppOneWay(ctx, req, rep, "request"); err != nil {
		return err
	}
	return ppOneWay(ctx, rep, req, "reply")
}

var ppTopologies = []ppTopology{
	{h.PUSH, h.PULL, func(ctx context.Context, b, c *h.Sock) error { return ppOneWay(ctx, b, c, "task") }},
	{h.PULL, h.PUSH, func(ctx context.Context, b, c *h.Sock) error { return ppOneWay(ctx, c, b, "task") }},
	{h.REQ, h.REP, func(ctx context.Context, b, c *h.Sock) error { return ppReqRep(ctx, b, c) }},
	{h.REP, h.REQ, func(ctx context.Context, b, c *h.Sock) error { return ppReqRep(ctx, c, b) }},
	{h.DEALER, h.ROUTER, func(ctx context.Context, b, c *h.Sock) error { return ppRouted(ctx, b, c) }},
	{h.ROUTER, h.DEALER, func(ctx context.Context, b, c *h.Sock) error { return ppRouted(ctx, c, b) }},
	{h.PUB, h.SUB, func(ctx context.Context, b, c *h.Sock) error { return ppPubSub(ctx, b, c) }},
	{h.SUB, h.PUB, func(ctx context.Context, b, c *h.Sock) error { return ppPubSub(ctx, c, b) }},
	{h.XPUB, h.XSUB, func(ctx context.Context, b, c *h.Sock) error { return ppXPubSub(ctx, b, c) }},
	{h.XSUB, h.XPUB, func(ctx context.Context, b, c *h.Sock) error { return ppXPubSub(ctx, c, b) }},
	{h.PAIR, h.PAIR, func(ctx context.Context, b, c *h.Sock) error {
		if err := ppOneWay(ctx, c, b, "ping"); err != nil {
			return err
		}
		return ppOneWay(ctx, b, c, "pong")
	}},
}

// CON.1 (RFC 23 §Socket Semantics: "All sockets SHALL accept connections from peers and make
// connections to peers"; the eleven socket types each as the binding and as the connecting
// side of a compatible pair): every row exchanges a message.
var _ = c.Case("CON.1", Must, "lifecycle", "Every socket type works as the binding and as the connecting side",
	func(ctx SpecContext, cell *h.Cell) {
		var rows h.Rows
		for _, t := range ppTopologies {
			rows.Run(fmt.Sprintf("%s binds, %s connects", t.bind, t.connect), func() error {
				b := cell.Bind(ctx, t.bind, ppSubscribeAll(t.bind)...)
				c := cell.Connect(ctx, t.connect, b, ppSubscribeAll(t.connect)...)
				return t.exchange(ctx, b, c)
			})
		}
		Expect(rows.Err()).To(Succeed())
	}, c.Within(60*time.Second))

// CON.2 (libzmq test_bind_after_connect_tcp and test_inproc_connect connect_before_bind: a
// socket may connect before its peer binds; over inproc the messages sent meanwhile are
// delivered once the peer binds).
var _ = c.Case("CON.2", Libzmq, "lifecycle", "Connecting before the peer binds works, and what was sent meanwhile arrives",
	func(ctx SpecContext, cell *h.Cell) {
		ep := ppFreeEndpoint(cell.Transport)
		push := cell.Socket(ctx, h.ConnectSide, h.PUSH)
		push.ConnectEndpoint(ctx, ep) // nothing is bound there yet
		err := push.TrySend(ctx, 250*time.Millisecond, h.Msg("before bind"))
		Expect(err).NotTo(HaveOccurred(), "a connected PUSH with its connection pending must queue (IMMEDIATE off)")
		pull := cell.Socket(ctx, h.BindSide, h.PULL)
		Expect(pull.BindTo(ctx, ep)).To(Succeed())
		push.Send(ctx, "after bind")
		Expect(pull.RecvStrings(ctx)).To(Equal([]string{"before bind"}))
		Expect(pull.RecvStrings(ctx)).To(Equal([]string{"after bind"}))
	})

// CON.5 (libzmq test_immediate tests 1 and 2; zmq_setsockopt(3) ZMQ_IMMEDIATE "queue messages
// only to completed connections"): a PUSH connected to a bound PULL and to an endpoint nobody
// binds round-robins 10 messages over both pipes with IMMEDIATE off (5 stay queued for the
// pending connection), and sends all 10 to the live PULL with IMMEDIATE on.
var _ = c.Case("CON.5", Option, "lifecycle", "IMMEDIATE: messages go only to completed connections; without it, half wait on a pending one",
	func(ctx SpecContext, cell *h.Cell) {
		var rows h.Rows
		for _, immediate := range []bool{false, true} {
			rows.Run(fmt.Sprintf("IMMEDIATE %v", immediate), func() error {
				pull := cell.Bind(ctx, h.PULL)
				push := cell.Socket(ctx, h.ConnectSide, h.PUSH, h.BoolOpt("immediate", immediate))
				push.ConnectTo(ctx, pull)
				push.ConnectEndpoint(ctx, ppFreeEndpoint(cell.Transport)) // never bound
				h.AwaitFlowing(ctx, push, pull)
				for i := 0; i < 10; i++ {
					push.Send(ctx, h.Numbered(i))
				}
				want := 5
				if immediate {
					want = 10
				}
				got := h.ReceiveAll(ctx, []*h.Sock{pull}, want)
				Expect(got.Total()).To(Equal(want), "%d of 10 messages reached the connected PULL: %v", got.Total(), got.Seqs[0])
				return nil
			})
		}
		Expect(rows.Err()).To(Succeed())
	})

// CON.7 (libzmq test_term_endpoint, test_unbind_wildcard, test_last_endpoint): binding to a
// wildcard port reports the real endpoint; unbinding by that endpoint works, by the wildcard
// string does not.
var _ = c.Case("CON.7", Libzmq, "lifecycle", "A wildcard tcp port reports its real endpoint, which unbinds it; the wildcard string does not",
	func(ctx SpecContext, cell *h.Cell) {
		pull := cell.Socket(ctx, h.BindSide, h.PULL)
		const wild = "tcp://127.0.0.1:*"
		Expect(pull.BindTo(ctx, wild)).To(Succeed())
		Expect(pull.Endpoint).To(MatchRegexp(`^tcp://127\.0\.0\.1:[1-9][0-9]*$`), "bind of %s reported %q", wild, pull.Endpoint)
		push := cell.Connect(ctx, h.PUSH, pull)
		push.Send(ctx, "hello")
		Expect(pull.RecvStrings(ctx)).To(Equal([]string{"hello"}))
		err := pull.Unbind(ctx, wild)
		if h.NotSupported(peer.OpUnbind, err) {
			panic(&h.Unsupported{Impl: pull.Impl(), What: "unbind (" + err.Error() + ")"})
		}
		Expect(err).To(HaveOccurred(), "unbinding by the wildcard string %s succeeded", wild)
		Expect(pull.Unbind(ctx, pull.Endpoint)).To(Succeed(), "unbind by the reported endpoint %s", pull.Endpoint)
	}, c.On(h.TCP), c.SameHost("it binds to tcp://127.0.0.1:* and checks the endpoint reported for it"))

// CON.8 (libzmq test_term_endpoint: after unbind, or disconnect, a DONTWAIT send fails with
// EAGAIN): a PUSH whose only peer went away by unbind or disconnect says would-block. Unbind
// over inproc only forgets the name (libzmq keeps established inproc pipes), so that row runs
// over tcp and ipc.
var _ = c.Case("CON.8", Libzmq, "lifecycle", "After unbind or disconnect a PUSH with no peer left says would-block",
	func(ctx SpecContext, cell *h.Cell) {
		var rows h.Rows
		for _, how := range []string{"unbind", "disconnect"} {
			if how == "unbind" && cell.Transport == h.InProc {
				continue
			}
			rows.Run(how, func() error {
				var push, pull *h.Sock
				if how == "unbind" {
					push = cell.Bind(ctx, h.PUSH)
					pull = cell.Connect(ctx, h.PULL, push)
				} else {
					pull = cell.Bind(ctx, h.PULL)
					push = cell.Connect(ctx, h.PUSH, pull)
				}
				h.AwaitFlowing(ctx, push, pull)
				var err error
				if how == "unbind" {
					err = push.Unbind(ctx, push.Endpoint)
				} else {
					err = push.Disconnect(ctx, pull.Endpoint)
				}
				if h.NotSupported(how, err) {
					panic(&h.Unsupported{Impl: push.Impl(), What: how + " (" + err.Error() + ")"})
				}
				if err != nil {
					return err
				}
				// The connection is torn down in the background: wait for the effect, with a few
				// dozen DONTWAIT sends at most, far below any HWM (a full queue must not be
				// what says would-block).
				return InterceptGomegaFailure(func() {
					Eventually(ctx, func() string {
						return peer.Category(push.TrySend(ctx, 0, h.Msg("after "+how)))
					}).WithTimeout(h.Bound(3*time.Second)).WithPolling(100*time.Millisecond).Should(Equal(peer.ErrAgain),
						"DONTWAIT sends still accepted %v after %s", h.Bound(3*time.Second), how)
				})
			})
		}
		Expect(rows.Err()).To(Succeed())
	}, c.NoTap())

// CON.9 (RFC 23 "All sockets SHALL accept connections"; libzmq test_many_sockets,
// test_issue_566): one bound PULL serves 32 connected PUSHes, each message arrives once.
var _ = c.Case("CON.9", Must, "lifecycle", "One binder serves 32 connected peers",
	func(ctx SpecContext, cell *h.Cell) {
		const n = 32
		pull := cell.Bind(ctx, h.PULL)
		pushes := cell.ConnectN(ctx, h.PUSH, n, pull)
		for i, p := range pushes {
			p.Send(ctx, fmt.Sprint(i))
		}
		seen := map[string]int{}
		for i := 0; i < n; i++ {
			seen[pull.RecvStrings(ctx)[0]]++
		}
		for i := 0; i < n; i++ {
			Expect(seen[fmt.Sprint(i)]).To(Equal(1), "message of PUSH %d received %d times (all: %v)", i, seen[fmt.Sprint(i)], seen)
		}
		h.NothingArrives(ctx, h.QuietWindow, "32 messages were sent", pull)
	}, c.Within(60*time.Second))

// ppQueuedToAbsentPeer connects a PUSH to an endpoint nothing is bound to yet and sends n
// messages, which a binding with IMMEDIATE off queues for the pending connection.
func ppQueuedToAbsentPeer(ctx context.Context, cell *h.Cell, n int) (push *h.Sock, ep string) {
	ep = ppFreeEndpoint(cell.Transport)
	push = cell.Socket(ctx, h.ConnectSide, h.PUSH)
	push.ConnectEndpoint(ctx, ep)
	for i := 0; i < n; i++ {
		err := push.TrySend(ctx, 250*time.Millisecond, h.Msg(fmt.Sprint(i)))
		Expect(err).NotTo(HaveOccurred(), "message %d: a connected PUSH must queue while its connection is pending (IMMEDIATE off)", i)
	}
	return push, ep
}

// CON.10 (zmq_close(3): the socket is closed at once; what happens to its outstanding messages
// is ZMQ_LINGER's business, and only context termination waits for it): closing a PUSH whose
// queues are full, for a PULL that does not read, with an infinite linger, returns promptly.
var _ = c.Case("CON.10", Libzmq, "lifecycle", "Close returns at once even with messages queued and an infinite linger",
	func(ctx SpecContext, cell *h.Cell) {
		push := cell.BindHWM(ctx, h.PUSH, 10)
		if err := push.TrySetOpt(ctx, "linger", -1); err != nil && peer.Category(err) != peer.ErrUnsupported {
			Expect(err).NotTo(HaveOccurred(), "setopt linger=-1")
		}
		pull := cell.ConnectHWM(ctx, h.PULL, push, 10)
		h.AwaitFlowing(ctx, push, pull)
		n, blocked := ppFill(ctx, push, peer.Plan{Count: 3000, Size: 4096})
		Expect(blocked).To(BeTrue(), "%d messages accepted for a PULL that does not read", n)
		start := time.Now()
		Expect(push.Close(ctx, -1)).To(Succeed())
		took := time.Since(start)
		cell.Metric("close_s", took.Seconds())
		Expect(took).To(BeNumerically("<", time.Second), "close with %d messages queued blocked for %v", n, took)
	}, c.NoTap())
