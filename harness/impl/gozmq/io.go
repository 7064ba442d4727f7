package gozmq

import (
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// pollGrace is how long a "do not wait" (timeout 0) receive waits for the socket's goroutine.
// go-zeromq has no non-blocking call, so a poll is a hand-over to the goroutine that makes the
// blocking call: without a grace, a message already queued in the library would be reported
// as absent whenever the goroutine had not been scheduled yet. A receive that misses keeps
// its call in flight, so a message is never lost, only reported on the next receive.
const pollGrace = 5 * time.Millisecond

// sendGrace is the same for a "do not wait" send, and longer: a send that does not complete
// in time is answered would-block but stays in flight (go-zeromq cannot cancel it), so a
// spurious would-block under load is a wrong answer, not a late one. A PUB with no subscriber
// never blocks, yet at 5 ms one such send was refused once in six full runs at load 47
// (PUB.8); a send that really blocks pays 50 ms, once.
const sendGrace = 50 * time.Millisecond

type result struct {
	msg zmq4.Msg
	err error
}

// reader owns the socket's only library Recv call. Recv never starts a second call while one
// is in flight: a call that outlives its deadline stays in flight, and its message is the
// answer to the next Recv. Two concurrent calls would race for the next message.
//
// Eager readers (PULL, SUB, DEALER, ...) keep one library Recv running ahead, and hold at most
// one message the application has not asked for; after an error they wait for the next Recv
// so that a call failing at once cannot spin. Demand readers (REQ, REP, PUSH, PUB) call the
// library only when Recv asks (see demandReads).
type reader struct {
	s       *socket
	demand  bool
	want    chan struct{} // a Recv wants a message (demand mode, or resume after an error)
	got     chan result
	pending bool // demand mode: a call was requested and its result not yet taken
	timer   *time.Timer
}

func newReader(s *socket, demand bool) *reader {
	r := &reader{s: s, demand: demand, want: make(chan struct{}, 1), timer: newStoppedTimer()}
	if demand {
		r.got = make(chan result, 1) // at most one call in flight, its result never blocks
	} else {
		r.got = make(chan result) // the loop holds the one message read ahead
	}
	return r
}

func (r *reader) loop(zs zmq4.Socket) {
	paused := r.demand
	for {
		if paused {
			select {
			case <-r.want:
			case <-r.s.stop:
				return
			}
		}
		m, err := zs.Recv()
		select {
		case r.got <- result{m, err}:
		case <-r.s.stop:
			return
		}
		if r.demand {
			continue
		}
		paused = err != nil
		if paused {
			select { // a token left by the Recv that took this error is stale
			case <-r.want:
			default:
			}
		}
	}
}

func (r *reader) recv(timeout time.Duration) ([][]byte, error) {
	if r.demand {
		if !r.pending {
			r.want <- struct{}{} // never blocks: the buffer is empty when nothing is pending
			r.pending = true
		}
	} else {
		select {
		case r.want <- struct{}{}:
		default:
		}
	}
	res, ok, closed := wait(r.got, r.timer, timeout, pollGrace, r.s.stop)
	if closed {
		return nil, peer.Errorf(peer.ErrClosed, "gozmq: socket closed during recv")
	}
	if !ok {
		return nil, peer.Errorf(peer.ErrAgain, "gozmq: no message within %v", timeout)
	}
	r.pending = false
	if res.err != nil {
		return nil, r.s.recvErr(res.err)
	}
	return res.msg.Frames, nil
}

// writer owns the socket's only library Send call, with the same rule as reader: a send that
// outlives its deadline is reported as ErrAgain and stays in flight (go-zeromq cannot cancel
// it: it may still deliver the message later, when a peer connects); until it completes,
// every Send answers ErrAgain without starting another.
type writer struct {
	s     *socket
	in    chan zmq4.Msg
	done  chan error
	busy  bool // a send was handed over and its result not yet taken
	timer *time.Timer
}

func newWriter(s *socket) *writer {
	return &writer{s: s, in: make(chan zmq4.Msg), done: make(chan error, 1), timer: newStoppedTimer()}
}

func (w *writer) loop(zs zmq4.Socket) {
	for {
		select {
		case m := <-w.in:
			var err error
			if len(m.Frames) > 1 {
				err = zs.SendMulti(m)
			} else {
				err = zs.Send(m)
			}
			w.done <- err // never blocks: one send in flight at a time
		case <-w.s.stop:
			return
		}
	}
}

func (w *writer) send(frames [][]byte, timeout time.Duration) error {
	start := time.Now()
	if w.busy {
		_, ok, closed := wait(w.done, w.timer, timeout, sendGrace, w.s.stop)
		if closed {
			return peer.Errorf(peer.ErrClosed, "gozmq: socket closed during send")
		}
		if !ok {
			return peer.Errorf(peer.ErrAgain, "gozmq: an earlier send is still in flight (go-zeromq cannot cancel it)")
		}
		// The earlier send was already answered ErrAgain; its late outcome is dropped.
		w.busy = false
	}
	select {
	case w.in <- zmq4.Msg{Frames: frames}:
	case <-w.s.stop:
		return peer.Errorf(peer.ErrClosed, "gozmq: socket closed during send")
	}
	w.busy = true
	left := timeout
	if timeout > 0 {
		left = timeout - time.Since(start)
	}
	err, ok, closed := wait(w.done, w.timer, left, sendGrace, w.s.stop)
	if closed {
		return peer.Errorf(peer.ErrClosed, "gozmq: socket closed during send")
	}
	if !ok {
		return peer.Errorf(peer.ErrAgain, "gozmq: send not done within %v (left in flight: go-zeromq cannot cancel it)", timeout)
	}
	w.busy = false
	if err != nil {
		return w.s.sendErr(err)
	}
	return nil
}

// wait takes one value from ch within d (grace when d <= 0), or reports that the socket
// closed. t is the caller's reusable timer, stopped and drained between uses.
func wait[T any](ch <-chan T, t *time.Timer, d, grace time.Duration, stop <-chan struct{}) (v T, ok, closed bool) {
	select {
	case v = <-ch:
		return v, true, false
	default:
	}
	if d <= 0 {
		d = grace
	}
	t.Reset(d)
	select {
	case v = <-ch:
		t.Stop()
		return v, true, false
	case <-t.C:
		return v, false, false
	case <-stop:
		t.Stop()
		return v, false, true
	}
}

// newStoppedTimer returns a timer to Reset later. Since Go 1.23 a stopped timer's channel
// holds no stale tick, so Reset needs no draining.
func newStoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}
