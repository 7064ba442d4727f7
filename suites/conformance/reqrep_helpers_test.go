package conformance_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Helpers of the request-reply family (REQ, REP, DEALER, ROUTER, brokers). They synchronise
// on observables — a request answered, a message received — never on sleeps. The few fixed
// windows (rrQuietWindow) are where a case asserts that something does NOT happen.

// rrQuietWindow is how long a case waits before concluding that a message is not coming.
const rrQuietWindow = 150 * time.Millisecond

// rrPollStep is the in-peer wait of each poll of a socket in rrAwaitAny.
const rrPollStep = 2 * time.Millisecond

// rrCategory is the error category of err, "" for nil.
func rrCategory(err error) string {
	if err == nil {
		return ""
	}
	if c := peer.Category(err); c != "" {
		return c
	}
	return err.Error()
}

// rrStillRunning reports whether a Job.Wait error only says that the job has not finished
// (the Go and the Python peer both answer "job N still running after …", category again,
// which is also the category of a send that timed out inside the job).
func rrStillRunning(err error) bool {
	return peer.Category(err) == peer.ErrAgain && strings.Contains(err.Error(), "still running")
}

// rrSendRequest sends a request from a REQ whose peers may not be connected yet: a bound REQ
// learns of its peers asynchronously, and go-zeromq's REQ fails at once without a connection
// where libzmq blocks. It retries while the REQ answers would-block (the message was not
// taken), until SettleLimit. Only for REQ: a DEALER or ROUTER would-block may leave a send in
// flight inside go-zeromq, and retrying would duplicate it.
func rrSendRequest(ctx context.Context, req *h.Sock, frames ...string) {
	EventuallyWithOffset(1, ctx, func() error {
		err := req.TrySend(ctx, 100*time.Millisecond, h.Msg(frames...))
		if err != nil && peer.Category(err) != peer.ErrAgain {
			return StopTrying(fmt.Sprintf("%s refused the request %q", req.Name, frames)).Wrap(err)
		}
		return err
	}).WithTimeout(h.SettleLimit).WithPolling(5*time.Millisecond).Should(Succeed(),
		"%s never had a connected peer to send its request to", req.Name)
}

// rrArrival is a message as one of several sockets received it.
type rrArrival struct {
	at  int // index of the socket that received it
	msg [][]byte
}

// rrAwaitAny polls socks until one of them delivers a message, and says which. It fails the
// case when nothing arrives within limit.
func rrAwaitAny(ctx context.Context, socks []*h.Sock, limit time.Duration, what string) rrArrival {
	a, ok := rrPollAny(ctx, socks, limit)
	ExpectWithOffset(1, ok).To(BeTrue(), "%s: no message reached any of %s within %v", what, rrSockNames(socks), limit)
	return a
}

// rrPollAny is rrAwaitAny without the assertion.
func rrPollAny(ctx context.Context, socks []*h.Sock, limit time.Duration) (rrArrival, bool) {
	deadline := time.Now().Add(limit)
	for {
		for i, s := range socks {
			if m, err := s.TryRecv(ctx, rrPollStep); err == nil {
				return rrArrival{at: i, msg: m}, true
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return rrArrival{}, false
		}
	}
}

// rrNothingArrives asserts that no socket of socks receives a message within the quiet window:
// the first is given the whole window, the others are polled once after it.
func rrNothingArrives(ctx context.Context, why string, socks ...*h.Sock) {
	for i, s := range socks {
		wait := time.Duration(0)
		if i == 0 {
			wait = rrQuietWindow
		}
		m, err := s.TryRecv(ctx, wait)
		ExpectWithOffset(1, err).To(HaveOccurred(), "%s: %s received %s", why, s.Name, h.Describe(m))
		ExpectWithOffset(1, peer.Category(err)).To(Equal(peer.ErrAgain), "%s: receiving on %s failed otherwise", why, s.Name)
	}
}

func rrSockNames(socks []*h.Sock) string {
	n := make([]string, len(socks))
	for i, s := range socks {
		n[i] = s.Name
	}
	return strings.Join(n, ", ")
}

// rrSplitEnvelope splits a message as a ROUTER or a raw DEALER sees it into its envelope (the
// frames up to and including the first empty frame, RFC 28) and its body. With no empty frame
// the envelope is nil.
func rrSplitEnvelope(m [][]byte) (env, body [][]byte) {
	for i, f := range m {
		if len(f) == 0 {
			return m[:i+1], m[i+1:]
		}
	}
	return nil, m
}

// rrAnswer replies to a request a REP or a ROUTER received: a REP sends the body alone (it keeps
// the envelope itself); a ROUTER sends the request's envelope, then the body.
func rrAnswer(ctx context.Context, s *h.Sock, request [][]byte, body ...string) {
	switch s.Type {
	case h.REP:
		s.Send(ctx, body...)
	case h.ROUTER:
		env, _ := rrSplitEnvelope(request)
		ExpectWithOffset(1, env).NotTo(BeNil(), "%s got a request without an envelope: %s", s.Name, h.Describe(request))
		s.SendMsg(ctx, append(rrClone(env), h.Msg(body...)...))
	default:
		panic("answer: " + s.Type + " does not reply")
	}
}

func rrClone(m [][]byte) [][]byte { return append([][]byte(nil), m...) }

// rrRequestBody is the data of a request as a REP or ROUTER received it, as strings.
func rrRequestBody(s *h.Sock, m [][]byte) []string {
	if s.Type == h.ROUTER {
		_, b := rrSplitEnvelope(m)
		return h.Strings(b)
	}
	return h.Strings(m)
}

// rrWarmRotation has req send requests, each answered by whichever responder (REP or ROUTER) got
// it, until every responder has answered one: then every connection is up and in the REQ's
// round-robin (RFC 28 routes only to connected peers), and nothing is left in flight. It
// returns the last request each responder saw (a ROUTER needs its envelope to reply).
func rrWarmRotation(ctx context.Context, req *h.Sock, responders []*h.Sock) [][][]byte {
	seen := make([][][]byte, len(responders))
	left := len(responders)
	deadline := time.Now().Add(h.SettleLimit)
	for left > 0 {
		ExpectWithOffset(1, time.Now().Before(deadline)).To(BeTrue(),
			"%d of %d responders never received a request within %v", left, len(responders), h.SettleLimit)
		rrSendRequest(ctx, req, h.ProbeMarker)
		a := rrAwaitAny(ctx, responders, h.RecvTimeout, "warm-up request")
		if seen[a.at] == nil {
			left--
		}
		seen[a.at] = a.msg
		rrAnswer(ctx, responders[a.at], a.msg, h.ProbeMarker)
		ExpectWithOffset(1, req.RecvStrings(ctx)).To(Equal([]string{h.ProbeMarker}), "warm-up reply")
	}
	return seen
}

// rrTryConnect connects s to an endpoint and returns the refusal instead of failing the case
// (harness.Sock has no TryConnect): go-zeromq handshakes inside Dial, so a refused peer type
// makes its connect fail, where libzmq's connect succeeds and the handshake fails later.
func rrTryConnect(ctx context.Context, s *h.Sock, ep string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*h.StepError)
			if !ok {
				panic(r)
			}
			err = se
		}
	}()
	s.ConnectEndpoint(ctx, ep)
	return nil
}

// rrFairBound is how many messages a fair queue may serve between a message's sending and its
// turn, for n peers that each keep one message outstanding. A strict rotation needs n. libzmq
// rotates only over the pipes it knows to be readable: a pipe found empty rejoins when the
// socket next processes commands, at the latest after inbound_poll_rate (100) receptions, then
// waits its turn (n); another n covers the message's transit, and 50 a peer process not
// scheduled for a few milliseconds on a loaded machine (receptions take ~0.1 ms). Measured:
// libzmq 37–53, go-zeromq 5–33 with one 108 under load. rrFairRounds rounds make a policy that
// ranks peers exceed it (the last of 5 waits for the 4×60 messages of the others).
func rrFairBound(n int) int { return 100 + 2*n + 50 }

// rrFairRounds is how many messages each peer sends in a closed-loop fairness measurement.
const rrFairRounds = 60

// rrFairShare summarises how evenly a sequence of message origins (sender indexes) is spread:
// the largest relative deviation of a sender's count from the even share, over the first
// half of the sequence (where an unfair queue shows; by the end everyone has been served).
func rrFairShare(origins []int, senders int) float64 {
	half := origins[:len(origins)/2]
	counts := make([]int, senders)
	for _, o := range half {
		counts[o]++
	}
	even := float64(len(half)) / float64(senders)
	worst := 0.0
	for _, c := range counts {
		worst = math.Max(worst, math.Abs(float64(c)-even)/even)
	}
	return worst
}

// rrRefusedWithoutPeers checks RFC 28's "block on sending, or return a suitable error" on a
// socket without peers: a non-blocking send is refused as would-block, and a send with a 250 ms
// timeout ends as would-block. It records which alternative happened ("blocks": the timed send
// waited; "fails": it was refused at once) and how long the timed send took.
func rrRefusedWithoutPeers(ctx context.Context, cell *h.Cell, s *h.Sock, what string) {
	err := s.TrySend(ctx, 0, h.Msg(what+" 1"))
	Expect(rrCategory(err)).To(Equal(peer.ErrAgain), "a non-blocking send without peers must be refused as would-block")
	start := time.Now()
	err = s.TrySend(ctx, 250*time.Millisecond, h.Msg(what+" 2"))
	took := time.Since(start)
	Expect(rrCategory(err)).To(Equal(peer.ErrAgain), "a send with a 250 ms timeout and no peers must end as would-block")
	cell.Metric("send_wait_ms", float64(took.Milliseconds()))
	if took >= 200*time.Millisecond {
		cell.Observe("blocks")
	} else {
		cell.Observe("fails")
	}
}
