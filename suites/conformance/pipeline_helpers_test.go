package conformance_test

// Helpers of the pipeline, message, lifecycle, flow and transport cases: volume transfers with
// receivers running concurrently with the sender, fan-in synchronisation, a cross-connection
// fence, and raw requests for what the Cell API does not cover (a second context).

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Per-message bounds of volume transfers: a sender waits at most ppSendEach for room to queue one
// message, a receiver at most ppRecvEach for the next one. Both are generous: a stall that long is
// a failure, not scheduling noise.
const (
	ppSendEach = 5 * time.Second
	ppRecvEach = 5 * time.Second
	ppJobWait  = 60 * time.Second // bound of a Wait for a job that ends by itself
)

// ppRecvAll receives exactly n messages from s in batches of at most batch (one recv_batch reply
// each: keep a reply well under a few tens of MB of base64). It returns what arrived and the
// first error, which says after how many messages it stopped.
func ppRecvAll(ctx context.Context, s *h.Sock, n, batch int) ([][][]byte, error) {
	got := make([][][]byte, 0, n)
	for len(got) < n {
		k := min(batch, n-len(got))
		rep, err := s.RecvN(ctx, k, ppRecvEach).Wait(ctx, ppJobWait)
		got = append(got, rep.Messages...)
		if err != nil {
			return got, fmt.Errorf("%s received %d of %d messages: %w", s.Name, len(got), n, err)
		}
	}
	return got, nil
}

// ppTransfer sends plan from one socket while another receives it, concurrently (both run as
// jobs inside their peers, so HWM back-pressure works as it would in an application), and
// returns what arrived. The sender is kept open by the caller: closing right after the loop is
// what LNG.3 is about, not what exact-count cases should depend on (libzmq #4660).
func ppTransfer(ctx context.Context, from, to *h.Sock, plan peer.Plan, batch int) ([][][]byte, error) {
	send := from.SendPlan(ctx, plan, ppSendEach)
	got, rerr := ppRecvAll(ctx, to, plan.Count, batch)
	srep, serr := send.Wait(ctx, ppJobWait)
	if serr != nil {
		return got, fmt.Errorf("%s accepted %d of %d messages: %w (receiver: %v)", from.Name, srep.Sent, plan.Count, serr, rerr)
	}
	return got, rerr
}

// ppStillRunning reports whether a Wait error only says that the job has not finished yet (both
// the Go and the Python peer answer "job N still running after …" with category again).
func ppStillRunning(err error) bool {
	return peer.Category(err) == peer.ErrAgain && strings.Contains(err.Error(), "still running")
}

// ppGathered is what gather collected: messages per receiver and the sender's outcome.
type ppGathered struct {
	Got     [][][][]byte // per receiver, in arrival order
	Sent    int          // messages the sender's job accepted
	SendErr error        // why the sender's job stopped early, if it did
}

// Total is the number of messages received over all receivers.
func (g *ppGathered) Total() int {
	n := 0
	for _, m := range g.Got {
		n += len(m)
	}
	return n
}

// ppNewGathered returns an empty collection for n receivers.
func ppNewGathered(n int) *ppGathered { return &ppGathered{Got: make([][][][]byte, n)} }

// round runs one recv_batch job of at most max messages on every socket at once, each ending
// after quiet without a message, and adds what they got; it returns how many arrived.
func (g *ppGathered) round(ctx context.Context, max int, quiet time.Duration, socks []*h.Sock) int {
	jobs := make([]*h.Job, len(socks))
	for i, s := range socks {
		jobs[i] = s.RecvN(ctx, max, quiet)
	}
	n := 0
	for i, j := range jobs {
		rep, _ := j.Wait(ctx, ppJobWait) // ending by quiet is the normal end of a round
		g.Got[i] = append(g.Got[i], rep.Messages...)
		n += len(rep.Messages)
	}
	return n
}

// ppReceiveWhile receives from every socket concurrently, in rounds, while send (a started job)
// runs, and records the sender's outcome. What is still queued when the sender finishes is
// for receiveRest. Use it where the split between receivers is what is checked (round-robin,
// availability, duplicates) and no receiver's count is known in advance.
func ppReceiveWhile(ctx context.Context, send *h.Job, max int, quiet time.Duration, socks ...*h.Sock) *ppGathered {
	g := ppNewGathered(len(socks))
	for {
		n := g.round(ctx, max, quiet, socks)
		wait := time.Duration(0)
		if n == 0 {
			wait = ppJobWait // nothing moves: let the sender finish (it gives up after its own bound)
		}
		rep, err := send.Wait(ctx, wait)
		if err != nil && ppStillRunning(err) {
			continue
		}
		g.Sent, g.SendErr = rep.Sent, err
		return g
	}
}

// receiveRest goes on receiving from socks (aligned with g.Got) until want messages arrived in
// total; when a round brings nothing, one last round waits 2 s, so that a loss is told from a
// slow tail. The sender must have finished.
func (g *ppGathered) receiveRest(ctx context.Context, want int, quiet time.Duration, socks ...*h.Sock) {
	for len(g.Got) < len(socks) {
		g.Got = append(g.Got, nil)
	}
	long := false
	for g.Total() < want {
		q := quiet
		if long {
			q = 2 * time.Second
		}
		n := g.round(ctx, want, q, socks)
		if n == 0 && long {
			return
		}
		long = n == 0
	}
}

// ppSeqOf returns the sequence number a plan message carries in its first data frame (after
// prefix frames), or -1.
func ppSeqOf(m [][]byte, prefix int) int {
	if len(m) <= prefix || len(m[prefix]) < peer.HeaderLen {
		return -1
	}
	return int(binary.BigEndian.Uint64(m[prefix][0:8]))
}

// ppExactlyOnce checks that the messages received over several receivers are the plan's
// sequence numbers 0..count-1, each exactly once, with each receiver's share in increasing
// order and byte-exact. The error names the first duplicate, loss or corruption.
func ppExactlyOnce(plan peer.Plan, names []string, got [][][][]byte) error {
	seen := map[int]string{}
	for i, msgs := range got {
		last := -1
		for k, m := range msgs {
			s := ppSeqOf(m, len(plan.Prefix))
			if s < 0 || s >= plan.Count {
				return fmt.Errorf("%s message %d carries no sequence number of the plan (%s)", names[i], k, h.Describe(m))
			}
			if other, dup := seen[s]; dup {
				return fmt.Errorf("message %d delivered twice: to %s and to %s", s, other, names[i])
			}
			seen[s] = names[i]
			if s < last {
				return fmt.Errorf("%s received message %d after message %d (out of order)", names[i], s, last)
			}
			last = s
			one := plan
			one.Start, one.Count = s, 1
			if err := h.VerifyPlan(one, [][][]byte{m}); err != nil {
				return fmt.Errorf("%s: %w", names[i], err)
			}
		}
	}
	if len(seen) < plan.Count {
		var missing []int
		for s := 0; s < plan.Count && len(missing) < 5; s++ {
			if _, ok := seen[s]; !ok {
				missing = append(missing, s)
			}
		}
		return fmt.Errorf("%d of %d messages received in total; lost, e.g., %v", len(seen), plan.Count, missing)
	}
	return nil
}

// ppCounts describes how many messages each receiver got: "connect PULL: 3, connect PULL #2: 7".
func ppCounts(names []string, got [][][][]byte) string {
	parts := make([]string, len(names))
	for i := range names {
		parts[i] = fmt.Sprintf("%s: %d", names[i], len(got[i]))
	}
	return strings.Join(parts, ", ")
}

func ppSockNames(socks []*h.Sock) []string {
	out := make([]string, len(socks))
	for i, s := range socks {
		out[i] = s.Name
	}
	return out
}

// ppAwaitFlowing is h.AwaitFlowing with the receivers drained concurrently rather than one
// after another, which matters with many receivers.
func ppAwaitFlowing(ctx context.Context, sender *h.Sock, receivers ...*h.Sock) {
	h.ProbeUntilFlowing(ctx, sender, receivers...)
	ppDrainAll(ctx, receivers...)
}

// ppDrainAll receives on every socket at once until each has been quiet for 100 ms (at most
// 10,000 messages each), and returns what each got.
func ppDrainAll(ctx context.Context, socks ...*h.Sock) [][][][]byte {
	g := ppNewGathered(len(socks))
	g.round(ctx, 10_000, 100*time.Millisecond, socks)
	return g.Got
}

// ppAwaitFanIn makes every sender's connection to one receiver observable: each pending sender
// sends a probe naming itself until the receiver has had one from each; then the receiver is
// drained. The fan-in twin of h.AwaitFlowing.
func ppAwaitFanIn(ctx context.Context, receiver *h.Sock, senders ...*h.Sock) {
	pending := map[int]bool{}
	for i := range senders {
		pending[i] = true
	}
	deadline := time.Now().Add(h.SettleLimit)
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			panic(&h.StepError{Step: "await connections", Err: fmt.Errorf("no probe from %d of %d senders reached %s within %v", len(pending), len(senders), receiver.Name, h.SettleLimit)})
		}
		for i := range pending {
			if err := senders[i].TrySend(ctx, 100*time.Millisecond, h.Msg(fmt.Sprint(i)+h.ProbeMarker)); err != nil && peer.Category(err) != peer.ErrAgain {
				panic(&h.StepError{Step: "send probe", Err: err})
			}
		}
		for {
			m, err := receiver.TryRecv(ctx, 20*time.Millisecond)
			if err != nil {
				break
			}
			if h.IsProbe(m) {
				var i int
				if _, err := fmt.Sscanf(string(m[len(m)-1]), "%d", &i); err == nil {
					delete(pending, i)
				}
			}
		}
	}
	h.Drain(ctx, receiver)
}

// ppFence is a PAIR connection from the connect side's peer to the bind side's, over the cell's
// transport. Pass makes "everything the connect side sent before now has had the time a
// message takes to cross" observable without a sleep: one message crosses the same kind of
// path, through the same I/O machinery, after the others were handed over.
type ppFence struct{ from, to *h.Sock }

func ppNewFence(ctx context.Context, cell *h.Cell) *ppFence {
	to := cell.Bind(ctx, h.PAIR)
	from := cell.Connect(ctx, h.PAIR, to)
	h.AwaitFlowing(ctx, from, to)
	return &ppFence{from: from, to: to}
}

func (f *ppFence) Pass(ctx context.Context) {
	for i := 0; i < 2; i++ { // twice: the second one left after the first had arrived
		f.from.Send(ctx, "fence")
		f.to.Recv(ctx)
	}
}

// ppFreeEndpoint returns an endpoint of the transport that nothing is bound to, for cases that
// connect before anything binds (h.UnboundEndpoint; a failure is a set-up step's).
func ppFreeEndpoint(transport string) string {
	ep, err := h.UnboundEndpoint(transport)
	if err != nil {
		panic(&h.StepError{Step: "allocate endpoint", Err: err})
	}
	return ep
}

// ppRawSocket is a socket created with a raw request, for what the Cell API has no helper for
// (a socket in another context, INP.1). It is closed by DeferCleanup through close.
type ppRawSocket struct {
	p  *h.Peer
	id string
}

func ppNewRawSocket(ctx context.Context, cell *h.Cell, side, typ, context string) *ppRawSocket {
	p := cell.Peer(ctx, side)
	r := &ppRawSocket{p: p}
	rep, err := r.do(ctx, peer.Request{Op: peer.OpSocket, Type: typ, Context: context}, "create "+typ+" in context "+context)
	if err != nil {
		if peer.Category(err) == peer.ErrUnsupported {
			panic(&h.Unsupported{Impl: p.Impl.Name, What: typ + " in a named context (" + err.Error() + ")"})
		}
		panic(&h.StepError{Step: "create " + typ + " in context " + context, Err: err})
	}
	r.id = rep.Socket
	return r
}

func (r *ppRawSocket) do(ctx context.Context, req peer.Request, step string) (peer.Reply, error) {
	req.Socket = r.id
	rep, err := r.p.Call(ctx, req, h.OpTimeout+h.ControlGrace, step)
	var f *h.Fault
	if errors.As(err, &f) {
		panic(f) // the peer died or hung: a result for the cell, as Sock methods report it
	}
	return rep, err
}

func (r *ppRawSocket) close(ctx context.Context) {
	if r.p.Alive() {
		_, _ = r.do(ctx, peer.Request{Op: peer.OpClose, LingerMS: peer.Ptr[int64](0)}, "close")
	}
}

// ppBindQueued binds a socket whose queue limit is n (SNDHWM for senders, RCVHWM for
// receivers, both for PAIR and DEALER) where the binding has that option; a binding without
// it (go-zeromq) keeps its own bounded queues, which is what the cases using this need: queues
// that fill.
func ppBindQueued(ctx context.Context, cell *h.Cell, typ string, n int, opts ...h.Opt) *h.Sock {
	s := cell.Socket(ctx, h.BindSide, typ, opts...)
	ppTryHWM(ctx, s, n)
	s.BindNew(ctx)
	return s
}

// ppConnectQueued is ppBindQueued's connecting twin.
func ppConnectQueued(ctx context.Context, cell *h.Cell, typ string, to *h.Sock, n int, opts ...h.Opt) *h.Sock {
	s := cell.Socket(ctx, h.ConnectSide, typ, opts...)
	ppTryHWM(ctx, s, n)
	s.ConnectTo(ctx, to)
	return s
}

func ppTryHWM(ctx context.Context, s *h.Sock, n int) {
	var names []string
	switch s.Type {
	case h.PUSH, h.PUB, h.XPUB, h.ROUTER:
		names = []string{"sndhwm"}
	case h.PULL, h.SUB, h.XSUB:
		names = []string{"rcvhwm"}
	default:
		names = []string{"sndhwm", "rcvhwm"}
	}
	for _, o := range names {
		if err := s.TrySetOpt(ctx, o, n); err != nil && peer.Category(err) != peer.ErrUnsupported {
			panic(&h.StepError{Step: fmt.Sprintf("setopt %s=%d (%s)", o, n, s.Name), Err: err})
		}
	}
}
