package faults_test

// Helpers of the faults cases: endpoints that survive a restart, reconnect options, binding
// again after a kill, a stream of sequence-numbered messages sent and received across a
// fault (accounted in a ledger), and what a cell observed.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Bounds. Generous on purpose: a flow that has not recovered after recoveryBound has not
// recovered (libzmq redials every 100 ms and recovers here within 0.1-1.5 s; go-zeromq
// redials every 250 ms for 2.5 s); the others bound waiting for things that happen within
// milliseconds when they happen at all.
const (
	recoveryBound = 5 * time.Second
	perMsg        = 5 * time.Second  // a send or receive of one message in a flowing stream
	jobWait       = 60 * time.Second // a job that ends by itself
	quiet         = 300 * time.Millisecond
)

// notes collects what each cell observed, for its record's "observed".
var notes = struct {
	sync.Mutex
	m map[*h.Cell][]string
}{m: map[*h.Cell][]string{}}

// note adds to what a cell observed ("reconnect option auto_reconnect on connect side").
func note(cell *h.Cell, format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	notes.Lock()
	defer notes.Unlock()
	for _, o := range notes.m[cell] {
		if o == s {
			return
		}
	}
	notes.m[cell] = append(notes.m[cell], s)
	cell.Observe(strings.Join(notes.m[cell], "; "))
}

// has reports whether a side's implementation lists an option.
func has(ctx context.Context, cell *h.Cell, side, option string) bool {
	return peer.Has(cell.Hello(ctx, side).Caps.Options, option)
}

// reconnecting is the options a connecting socket needs to redial a lost connection: none in
// libzmq (RECONNECT_IVL 100 ms by default), auto_reconnect where the binding has it and it is
// off by default (go-zeromq's WithAutomaticReconnect). The record says when it was used.
func reconnecting(ctx context.Context, cell *h.Cell, side string) []h.Opt {
	if has(ctx, cell, side, "auto_reconnect") {
		note(cell, "%s side %s with its reconnect option auto_reconnect", side, cell.Impl(side).Name)
		return []h.Opt{h.BoolOpt("auto_reconnect", true)}
	}
	return nil
}

// queueOpts sets a socket's HWMs to n where the binding has them, and notes where it has not
// (go-zeromq): what it does anyway is what the case measures.
func queueOpts(ctx context.Context, cell *h.Cell, side string, n int, names ...string) []h.Opt {
	var out []h.Opt
	for _, o := range names {
		if has(ctx, cell, side, o) {
			out = append(out, h.IntOpt(o, n))
		} else {
			note(cell, "%s side %s: no %s option", side, cell.Impl(side).Name, o)
		}
	}
	return out
}

// stableEndpoint is an endpoint for a binder that will be killed and bound again: tcp ports
// come from below the ephemeral range (h.UnboundEndpoint), so that no other socket takes the
// port while the binder is down.
func stableEndpoint(cell *h.Cell) string {
	ep, err := h.UnboundEndpoint(cell.Transport)
	if err != nil {
		panic(&h.StepError{Step: "allocate endpoint", Err: err})
	}
	return ep
}

// bindAt creates a socket on the bind side and binds it to ep. A binder restarted after a kill
// may find the port or path still held for a moment: a refused bind is retried for 2 s, then
// it is the cell's failure (a restarted server that cannot bind again).
func bindAt(ctx context.Context, cell *h.Cell, typ, ep string, opts ...h.Opt) *h.Sock {
	s := cell.Socket(ctx, h.BindSide, typ, opts...)
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := s.BindTo(ctx, ep)
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			panic(&h.StepError{Step: fmt.Sprintf("%s bind %s %s", s.Impl(), typ, ep), Err: err})
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// restartBinder kills the bind side's peer, starts a fresh one and binds a new socket of typ
// to the same endpoint; it returns the socket and when the fault ended (the bind returned).
func restartBinder(ctx context.Context, cell *h.Cell, typ, ep string, opts ...h.Opt) (*h.Sock, time.Time) {
	cell.Kill(ctx, h.BindSide)
	cell.Restart(ctx, h.BindSide)
	s := bindAt(ctx, cell, typ, ep, opts...)
	return s, time.Now()
}

// stream sends sequence-numbered messages of one layout and accounts for what arrives.
type stream struct {
	l    *ledger
	next int // next sequence number to send
	// through is the sequence number of the first message through after a fault (recover):
	// what was sent from it on must arrive.
	through int
	// sendErrs counts sends refused with anything but would-block or unreachable; firstErr
	// is the first. zmq_send(3) has no error for a peer's connection going away.
	sendErrs int
	firstErr error
	// lossy says messages may be dropped by design (PUB): a drain then takes a quiet round
	// for the end, without waiting longer for a tail.
	lossy bool
}

func newStream(layout peer.Plan, base int) *stream {
	return &stream{l: newLedger(layout), next: base}
}

// message is the message carrying seq.
func (st *stream) message(seq int) [][]byte {
	p := st.l.plan
	p.Start, p.Count = seq, 1
	return p.Message(0)
}

// sendJob is a send_batch of the stream running in the sender's peer.
type sendJob struct {
	st   *stream
	job  *h.Job
	from int
	done bool
	err  error
}

// start sends the next n messages from s, each within each (0 = DONTWAIT: the job stops at
// the first would-block).
func (st *stream) start(ctx context.Context, s *h.Sock, n int, each time.Duration) *sendJob {
	p := st.l.plan
	p.Start, p.Count = st.next, n
	j := &sendJob{st: st, job: s.SendPlan(ctx, p, each), from: st.next}
	st.next += n
	return j
}

// wait collects the job (at most timeout; 0 = only if it has ended) and accounts for what the
// sender accepted; it reports whether the job has ended.
func (j *sendJob) wait(ctx context.Context, timeout time.Duration) bool {
	if j.done {
		return true
	}
	rep, err := j.job.Wait(ctx, timeout)
	if err != nil && peer.Category(err) == peer.ErrAgain && strings.Contains(err.Error(), "still running") {
		return false
	}
	j.done, j.err = true, err
	j.st.l.sentRange(j.from, rep.Sent)
	if err != nil {
		j.st.l.refusedSeq(j.from + rep.Sent)
		j.st.sendError(err)
	}
	return true
}

// send sends the next n messages and waits for the sender to take them.
func (st *stream) send(ctx context.Context, s *h.Sock, n int, each time.Duration) error {
	j := st.start(ctx, s, n, each)
	j.wait(ctx, jobWait)
	return j.err
}

// trySend offers the next message once (within timeout) and accounts for the answer.
func (st *stream) trySend(ctx context.Context, s *h.Sock, timeout time.Duration) error {
	seq := st.next
	st.next++
	err := s.TrySend(ctx, timeout, st.message(seq))
	if err != nil {
		st.l.refusedSeq(seq)
		st.sendError(err)
		return err
	}
	st.l.sentRange(seq, 1)
	return nil
}

// sendError counts a refusal that is neither would-block nor unreachable.
func (st *stream) sendError(err error) {
	if c := peer.Category(err); c == peer.ErrAgain || c == peer.ErrHostUnreach {
		return
	}
	st.sendErrs++
	if st.firstErr == nil {
		st.firstErr = err
	}
}

// roundBound bounds one receive round: a receiver that never falls quiet (a binding that hands
// heartbeats to the application as messages) would otherwise keep a round going for count ×
// the per-message wait.
const roundBound = 5 * time.Second

// receive takes up to n messages from r (each within each, the round within roundBound) and
// accounts for them; it returns how many arrived.
func (st *stream) receive(ctx context.Context, r *h.Sock, n int, each time.Duration) int {
	j := r.RecvN(ctx, n, each)
	// Waits of a second at a time, so that a peer slowed by a loaded machine has the whole
	// control grace to answer each (ending by silence is the normal end of a round).
	var rep peer.Reply
	for end := time.Now().Add(max(roundBound, each)); ; {
		var err error
		rep, err = j.Wait(ctx, time.Second)
		if err == nil || peer.Category(err) != peer.ErrAgain || !strings.Contains(err.Error(), "still running") {
			break
		}
		if time.Now().After(end) {
			j.Cancel(ctx)
			rep, _ = j.Wait(ctx, perMsg)
			break
		}
	}
	st.l.receive(rep.Messages...)
	return len(rep.Messages)
}

// drain receives from r until it has been quiet for q; while fewer messages have arrived
// than were sent, a quiet round is followed by one more of 2 s, so that a slow tail is not
// taken for a loss. Rounds that bring no message of the stream (a receiver handing over
// heartbeats as messages never falls quiet) end the drain after 8 s.
func (st *stream) drain(ctx context.Context, r *h.Sock, q time.Duration) int {
	n, long := 0, false
	progress := time.Now()
	for time.Since(progress) < 8*time.Second {
		wait := q
		if long {
			wait = 2 * time.Second
		}
		st.l.tally()
		before := st.l.delivered
		k := st.receive(ctx, r, 10_000, wait)
		n += k
		if st.l.tally(); st.l.delivered > before {
			progress = time.Now()
		}
		if k > 0 {
			long = false
			continue
		}
		if long || st.lossy || st.l.delivered >= st.l.sent() {
			return n
		}
		long = true
	}
	return n
}

// receiveWhile receives from r in rounds while j runs, then drains r.
func (st *stream) receiveWhile(ctx context.Context, j *sendJob, r *h.Sock) {
	for {
		n := st.receive(ctx, r, 10_000, quiet)
		wait := time.Duration(0)
		if n == 0 {
			wait = perMsg // nothing moves: give the sender the time its own bound allows
		}
		if j.wait(ctx, wait) {
			break
		}
	}
	st.drain(ctx, r, quiet)
}

// recover waits (at most recoveryBound from since, when a fault ended) for the first message
// through r, accounts for it and records the time to recovery; it reports whether one came.
// While running (a send job of s, or nil) has not ended, only it sends; then the harness
// offers the stream's next messages from s itself, one at a time.
func (st *stream) recover(ctx context.Context, s, r *h.Sock, since time.Time, running *sendJob) bool {
	deadline := since.Add(recoveryBound)
	for time.Now().Before(deadline) {
		if running == nil || running.wait(ctx, 0) {
			_ = st.trySend(ctx, s, 20*time.Millisecond)
		}
		m, err := r.TryRecv(ctx, 30*time.Millisecond)
		if err == nil {
			st.l.recovered(time.Since(since))
			st.l.crossed(2)
			st.l.receive(m)
			st.through = st.l.seqOf(m)
			return true
		}
	}
	return false
}

// judge records the ledger in the cell and fails on what the RFCs forbid.
func (st *stream) judge(cell *h.Cell) {
	st.l.record(cell)
	if st.sendErrs > 0 {
		cell.Metric("send_errors", float64(st.sendErrs))
	}
	Expect(st.l.violations()).To(Succeed(), "%s", st.l.summary())
	Expect(st.sendErrs).To(BeZero(), "%d sends failed, first with %q: the peer's death surfaced as a send error (zmq_send(3) has none for a peer's connection)", st.sendErrs, st.firstErr)
}

// recoveredOrFail fails the case when no message came through after the fault.
func recoveredOrFail(ok bool, st *stream, what string) {
	Expect(ok).To(BeTrue(), "no message came through within %v after %s (%s)", recoveryBound, what, st.l.summary())
}

// noLossFrom fails when messages accepted after the flow recovered (seq ≥ from) were lost.
func noLossFrom(st *stream, from int, what string) {
	lost := st.l.lostFrom(from, 5)
	Expect(lost).To(BeEmpty(), "messages sent after %s were lost, e.g. seqs %v (%s)", what, lost, st.l.summary())
}
