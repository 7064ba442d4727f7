//go:build libzmq && cgo

package libzmq

import (
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// SendFrame and RecvFrame are the benchmark fast path (peer.FrameSocket): one frame, no
// RCVMORE query, no per-message slice — the same calls libzmq's own local_thr makes.
var (
	_ peer.FrameSocket = (*socket)(nil)
	_ peer.ThreadBound = (*socket)(nil)
)

// ThreadBound: every call is a cgo call, so benchmark loops keep their OS thread (see
// peer.ThreadBound for the measurement).
func (s *socket) ThreadBound() bool { return true }

func (s *socket) SendFrame(b []byte, timeout time.Duration) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	flags, err := s.sendFlags(timeout)
	if err != nil {
		return err
	}
	if _, err := s.zs.SendBytes(b, flags); err != nil {
		return sendErr(err, 0, timeout)
	}
	return nil
}

func (s *socket) RecvFrame(timeout time.Duration) (int, error) {
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	flags, err := s.recvFlags(timeout)
	if err != nil {
		return 0, err
	}
	f, err := s.zs.RecvBytes(flags)
	if err != nil {
		return 0, recvErr(err, timeout)
	}
	return len(f), nil
}

// sendFlags applies a send timeout the way Send does: DONTWAIT for 0, else SNDTIMEO, set only
// when it changes (a setsockopt per message would dominate a benchmark loop).
func (s *socket) sendFlags(timeout time.Duration) (zmq.Flag, error) {
	if timeout <= 0 {
		return zmq.DONTWAIT, nil
	}
	if !s.sndtimeoSet || s.sndtimeo != timeout {
		if s.userSndtimeo == nil {
			d, _ := s.zs.GetSndtimeo()
			s.userSndtimeo = &d
		}
		if err := s.zs.SetSndtimeo(clampMS(timeout)); err != nil {
			return 0, wrap("set sndtimeo", err)
		}
		s.sndtimeo, s.sndtimeoSet = timeout, true
	}
	return 0, nil
}

// recvFlags is sendFlags for RCVTIMEO.
func (s *socket) recvFlags(timeout time.Duration) (zmq.Flag, error) {
	if timeout <= 0 {
		return zmq.DONTWAIT, nil
	}
	if !s.rcvtimeoSet || s.rcvtimeo != timeout {
		if s.userRcvtimeo == nil {
			d, _ := s.zs.GetRcvtimeo()
			s.userRcvtimeo = &d
		}
		if err := s.zs.SetRcvtimeo(clampMS(timeout)); err != nil {
			return 0, wrap("set rcvtimeo", err)
		}
		s.rcvtimeo, s.rcvtimeoSet = timeout, true
	}
	return 0, nil
}
