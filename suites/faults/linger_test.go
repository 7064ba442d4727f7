package faults_test

// Timeouts, linger and close when the peer is dead: the fault variants of the conformance
// LNG.*, TMO.* and CON.10 cases (which use a peer that is absent or idle, not dead), and the
// "lazy pirate" client of the guide, which recovers from a dead server with a receive timeout,
// a new socket and a resend.

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

// REQ.10 (RFC 28 REQ; the guide's "lazy pirate" client, chapter 4: poll with a timeout, on no
// reply close the socket, open a new one and resend): 20 requests to a REP server that is
// killed after taking request 8 and restarted on the same endpoint. The client retries each
// unanswered request on a fresh REQ (at most 3 times); every request gets exactly one reply,
// its own.
var _ = f.Case("REQ.10", Must, "reqrep", "A lazy-pirate REQ client (timeout, close, reopen, resend) gets every request answered across a server restart",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		ep := stableEndpoint(cell)
		rep := bindAt(ctx, cell, h.REP, ep)
		open := func() *h.Sock {
			c := cell.Socket(ctx, h.ConnectSide, h.REQ)
			c.ConnectEndpoint(ctx, ep)
			return c
		}
		client := open()
		st := newStream(peer.Plan{Size: 32}, 0)
		const n, killAt, retries = 20, 8, 3
		var back time.Time
		for i := 0; i < n; i++ {
			req := st.message(i)
			st.l.sentRange(i, 1)
			answered := false
			for try := 0; try <= retries && !answered; try++ {
				Expect(client.TrySend(ctx, perMsg, req)).To(Succeed(), "request %d, try %d", i, try)
				if i == killAt && try == 0 {
					// The server takes the request and dies before it replies.
					Expect(rep.Recv(ctx)).To(Equal(req), "request %d at the server", i)
					rep, back = restartBinder(ctx, cell, h.REP, ep)
				} else if m, err := rep.TryRecv(ctx, perMsg); err == nil {
					rep.SendMsg(ctx, m) // echo: the reply is the request
				}
				reply, err := client.TryRecv(ctx, 500*time.Millisecond)
				if err == nil {
					st.l.receive(reply)
					if i == killAt {
						st.l.recovered(time.Since(back))
					}
					answered = true
					break
				}
				Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "request %d, try %d: the receive timeout", i, try)
				Expect(client.Close(ctx, 0)).To(Succeed())
				client = open()
			}
			Expect(answered).To(BeTrue(), "request %d unanswered after %d retries (%s)", i, retries, st.l.summary())
		}
		st.judge(cell)
		Expect(st.l.lost()).To(BeZero(), "%s", st.l.summary())
	}, f.On(h.TCP), f.Within(90*time.Second))

// TMO.3 (zmq_setsockopt(3) ZMQ_RCVTIMEO; zmq_send(3) EFSM; zmq_socket(3) REQ "strictly
// alternating"): a REQ whose server died after taking its request gives up receiving with
// would-block after the timeout, refuses a second request (EFSM: it still waits for the
// reply, as documented), and closes at once.
var _ = f.Case("TMO.3", Libzmq, "reqrep", "A REQ whose server died times out with would-block, refuses a second send, and closes at once",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		rep := cell.Bind(ctx, h.REP)
		req := cell.Connect(ctx, h.REQ, rep)
		req.Send(ctx, "first")
		rep.Recv(ctx)
		rep.Send(ctx, "reply")
		Expect(req.RecvStrings(ctx)).To(Equal([]string{"reply"}))
		req.Send(ctx, "second")
		rep.Recv(ctx)
		cell.Kill(ctx, h.BindSide)
		const tmo = 300 * time.Millisecond
		start := time.Now()
		_, err := req.TryRecv(ctx, tmo)
		took := time.Since(start)
		cell.Metric("recv_timeout_ms", float64(took.Milliseconds()))
		Expect(peer.Category(err)).To(Equal(peer.ErrAgain), "receive from a dead server: %v", err)
		Expect(took).To(BeNumerically(">=", tmo*3/4), "gave up after %v, before the timeout", took)
		Expect(took).To(BeNumerically("<", tmo+2*time.Second), "gave up only after %v", took)
		err = req.TrySend(ctx, 0, h.Msg("third"))
		Expect(peer.Category(err)).To(Equal(peer.ErrEFSM), "a second request while the first is unanswered: %v", err)
		start = time.Now()
		Expect(req.Close(ctx, -1)).To(Succeed())
		cell.Metric("close_s", time.Since(start).Seconds())
		Expect(time.Since(start)).To(BeNumerically("<", time.Second), "close with a dead server")
	}, f.On(h.TCP), f.Within(30*time.Second))

// lostBinder connects a PUSH through a Link to a bound PULL, kills the PULL's peer and waits
// until the PUSH has seen the loss (it redials: the link accepts another connection). It
// returns the PUSH and the PULL's endpoint, for a restart there.
func lostBinder(ctx context.Context, cell *h.Cell, opts ...h.Opt) (*h.Sock, string, *h.Link) {
	pull := bindAt(ctx, cell, h.PULL, stableEndpoint(cell))
	link, err := h.NewLink(pull.Endpoint)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(link.Close)
	push := cell.Socket(ctx, h.ConnectSide, h.PUSH, append(reconnecting(ctx, cell, h.ConnectSide), opts...)...)
	push.ConnectEndpoint(ctx, link.Endpoint)
	h.AwaitFlowing(ctx, push, pull)
	cell.Kill(ctx, h.BindSide)
	Expect(link.AwaitAccepted(ctx, 2, recoveryBound)).To(BeTrue(), "the PUSH never redialled after its PULL died")
	cell.Restart(ctx, h.BindSide)
	return push, pull.Endpoint, link
}

// quietLink waits until the link has accepted no connection for quiet (at most limit).
func quietLink(ctx context.Context, link *h.Link, quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		n := link.Accepted()
		if !link.AwaitAccepted(ctx, n+1, quiet) {
			return
		}
	}
}

// lingerRows are the linger values of LNG.4 and CON.10: the default (-1, infinite, in
// libzmq), a finite one, and none.
var lingerRows = []int{-1, 2000, 0}

// CON.10, the fault half (zmq_close(3): the socket closes at once whatever its outstanding
// messages; only context termination waits for the linger): closing a PUSH with messages
// queued for a dead peer returns within 1 s with linger -1, 2,000 ms and 0. (The peer protocol
// cannot terminate a context, so that half of CON.10 is not here.)
var _ = f.Case("CON.10", Libzmq, "lifecycle", "Close returns at once with messages queued for a dead peer, whatever the linger",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		cell.Require(ctx, h.ConnectSide, nil, "linger")
		for _, linger := range lingerRows {
			push, _, _ := lostBinder(ctx, cell, h.IntOpt("linger", linger))
			for i := 0; i < 10; i++ {
				_ = push.TrySend(ctx, 0, h.Msg(fmt.Sprint("queued ", i)))
			}
			start := time.Now()
			Expect(push.Close(ctx, -1)).To(Succeed())
			took := time.Since(start)
			cell.Metric(fmt.Sprintf("close_ms_linger_%d", linger), float64(took.Milliseconds()))
			Expect(took).To(BeNumerically("<", time.Second), "close with linger %d and a dead peer took %v", linger, took)
		}
	}, f.On(h.TCP), f.Within(60*time.Second))

// LNG.4 (zmq_setsockopt(3) ZMQ_LINGER: pending messages are kept after close for the linger
// period, discarded at once with 0): messages queued for the redial of a dead binder and then
// closed are delivered once the binder restarts with linger -1 and 2,000 ms (the restart takes
// well under that), and never with linger 0.
var _ = f.Case("LNG.4", Libzmq, "flow", "Messages queued for a dead peer survive close within the linger, and are discarded with linger 0",
	func(ctx SpecContext, cell *h.Cell) {
		cell.Warm(ctx)
		cell.Require(ctx, h.ConnectSide, nil, "linger")
		var failures []string
		for _, linger := range lingerRows {
			push, ep, link := lostBinder(ctx, cell, h.IntOpt("linger", linger))
			st := newStream(peer.Plan{Size: 64}, 0)
			for i := 0; i < 5; i++ {
				_ = st.trySend(ctx, push, 0)
			}
			Expect(push.Close(ctx, -1)).To(Succeed())
			if linger == 0 {
				// libzmq closes in the background: bind only once the closed socket has
				// stopped redialling (no new connection at the link for 500 ms), or a redial
				// already under way may still deliver.
				quietLink(ctx, link, 500*time.Millisecond, 5*time.Second)
			}
			pull := bindAt(ctx, cell, h.PULL, ep)
			wait := recoveryBound
			if linger == 0 {
				wait = time.Second // a lingering socket redials within 100 ms
			}
			st.receive(ctx, pull, st.l.sent(), wait)
			st.l.tally()
			cell.Metric(fmt.Sprintf("delivered_linger_%d", linger), float64(st.l.delivered))
			switch {
			case st.l.sent() == 0:
				failures = append(failures, fmt.Sprintf("linger %d: no DONTWAIT send was taken for the redial", linger))
			case linger != 0 && st.l.delivered < st.l.sent():
				failures = append(failures, fmt.Sprintf("linger %d: %d of %d queued messages delivered after close", linger, st.l.delivered, st.l.sent()))
			case linger == 0 && st.l.delivered > 0:
				failures = append(failures, fmt.Sprintf("linger 0: %d of %d queued messages delivered after close", st.l.delivered, st.l.sent()))
			}
			if err := st.l.violations(); err != nil {
				failures = append(failures, fmt.Sprintf("linger %d: %v", linger, err))
			}
			cell.Kill(ctx, h.BindSide) // the next row starts with a fresh binder
			cell.Restart(ctx, h.BindSide)
		}
		Expect(failures).To(BeEmpty())
	}, f.On(h.TCP), f.Within(60*time.Second))
