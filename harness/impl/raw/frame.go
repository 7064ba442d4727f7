package raw

import (
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// The benchmark fast path (peer.FrameSocket). SendFrame writes into the connection's buffer in
// the caller's goroutine and leaves the flush to the writer goroutine (kicked once per batch),
// so a sending loop costs a copy per message and a system call per 64 KiB; RecvFrame takes the
// next message of the reader's current batch.
var _ peer.FrameSocket = (*socket)(nil)

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
	// it by the timeout. A write cut short by the deadline leaves half a message on the wire,
	// so the connection is then lost for good; benchmark senders stop there anyway.
	if s.w.Available() < len(b)+12 {
		if timeout <= 0 {
			timeout = time.Millisecond
		}
		_ = s.conn.SetWriteDeadline(time.Now().Add(timeout))
	}
	err := writeMsg(s.w, [][]byte{b})
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

func (s *socket) RecvFrame(timeout time.Duration) (int, error) {
	m, err := s.Recv(timeout)
	return peer.MsgLen(m), err
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
