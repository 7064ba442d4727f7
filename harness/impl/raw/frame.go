package raw

import (
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// The benchmark fast path (peer.FrameSocket). SendFrame writes into the connection's buffer in
// the caller's goroutine and leaves the flush to the writer goroutine (kicked once per batch),
// so a sending loop costs a copy per message and a system call per 64 KiB; RecvFrame takes the
// next message of the reader's current batch.
var (
	_ peer.FrameSocket = (*socket)(nil)
	_ peer.Recycler    = (*socket)(nil)
)

func (s *socket) SendFrame(b []byte, timeout time.Duration) error {
	if s.typ != "PUSH" && s.typ != "PAIR" {
		return s.Send([][]byte{b}, timeout) // REQ/REP keep their state checks
	}
	s.wmu.Lock()
	// Not connected yet, or Send's queue still holds messages that must go first: queue too.
	if s.w == nil || s.pending.Load() > 0 || s.connErr.Load() != nil || s.isClosed() {
		s.wmu.Unlock()
		return s.Send([][]byte{b}, timeout)
	}
	// A write that fills the buffer flushes it and may block on a full socket buffer: bound
	// it by the timeout, and only it. A write cut short by the deadline leaves half a message
	// on the wire, so the connection is then lost for good; benchmark senders stop there anyway.
	bounded := s.w.Available() < len(b)+12
	if bounded {
		if timeout <= 0 {
			timeout = time.Millisecond
		}
		_ = s.conn.SetWriteDeadline(time.Now().Add(timeout))
	}
	err := writeMsg(s.w, [][]byte{b})
	if bounded && err == nil {
		_ = s.conn.SetWriteDeadline(time.Time{})
	}
	kick := !s.dirty
	s.dirty = err == nil
	s.wmu.Unlock()
	if err != nil {
		s.fail(err)
		if isTimeout(err) {
			return peer.Errorf(peer.ErrAgain, "raw: send blocked for %v (connection abandoned mid-message)", timeout)
		}
		return peer.Errorf(peer.ErrOther, "raw: connection lost: %v", err)
	}
	if kick {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// RecvFrame hands back the message's large buffers at once: its caller only sees the length.
func (s *socket) RecvFrame(timeout time.Duration) (int, error) {
	m, err := s.Recv(timeout)
	n := peer.MsgLen(m)
	s.recycle(m)
	return n, err
}

// isDirty says whether SendFrame left bytes that are not flushed yet.
func (s *socket) isDirty() bool {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.dirty
}

func isTimeout(err error) bool {
	t, ok := err.(interface{ Timeout() bool })
	return ok && t.Timeout()
}
