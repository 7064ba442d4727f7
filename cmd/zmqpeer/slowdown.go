package main

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// slowdownEnv names the variable that makes a peer deliberately slower. It exists to prove the
// benchmark regression gate works: a run with ZMQPEER_SLOWDOWN=1.25 must be caught as a
// regression against a baseline taken without it. Unset, empty or 1 = off.
//
// With factor f, every successful Send and Recv owes (f-1) times the loop period it ends: the
// time since the previous successful call ended (or the call's own duration after an idle
// gap). A timed-out call in a polling loop owes nothing. Charging the period, not the call,
// matters for bindings whose send only enqueues to a background writer. The debt is paid by
// spinning (see stretch), so the peer behaves like an implementation that spends f times the
// CPU per message: throughput drops by about f, and latency loops, where both peers are
// slowed, stretch each round trip by at least f.
const slowdownEnv = "ZMQPEER_SLOWDOWN"

func slowdown(b peer.Backend, env string) (peer.Backend, error) {
	if env == "" {
		return b, nil
	}
	f, err := strconv.ParseFloat(env, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 1 || f > 100 {
		return nil, fmt.Errorf("%s=%q: want a factor between 1 and 100, e.g. 1.25 (or unset it)", slowdownEnv, env)
	}
	if f == 1 {
		return b, nil
	}
	return &slowBackend{Backend: b, extra: f - 1}, nil
}

type slowBackend struct {
	peer.Backend
	extra float64
}

func (b *slowBackend) Info() peer.Hello {
	h := b.Backend.Info()
	note := fmt.Sprintf("%s=%g: deliberately slowed down", slowdownEnv, 1+b.extra)
	if h.Notes != "" {
		note = h.Notes + "; " + note
	}
	h.Notes = note
	return h
}

func (b *slowBackend) NewSocket(typ, context string) (peer.Socket, error) {
	s, err := b.Backend.NewSocket(typ, context)
	if err != nil {
		return nil, err
	}
	return &slowSocket{Socket: s, extra: b.extra}, nil
}

type slowSocket struct {
	peer.Socket
	extra   float64
	prevEnd time.Time // when the previous successful call (and its delay) ended
}

// idleGap separates a loop from occasional calls: a longer pause is not part of the period.
const idleGap = 50 * time.Millisecond

// ThreadBound passes the wrapped socket's answer on: the slowdown must not change how a loop
// is scheduled, only how long each call takes.
func (s *slowSocket) ThreadBound() bool {
	tb, ok := s.Socket.(peer.ThreadBound)
	return ok && tb.ThreadBound()
}

// SendFrame and RecvFrame keep the wrapped socket's benchmark fast path, slowed like the rest.
func (s *slowSocket) SendFrame(b []byte, timeout time.Duration) error {
	fs, ok := s.Socket.(peer.FrameSocket)
	if !ok {
		return s.Send([][]byte{b}, timeout)
	}
	start := time.Now()
	err := fs.SendFrame(b, timeout)
	if err == nil {
		s.stretch(start)
	}
	return err
}

func (s *slowSocket) RecvFrame(timeout time.Duration) (int, error) {
	fs, ok := s.Socket.(peer.FrameSocket)
	if !ok {
		m, err := s.Recv(timeout)
		return peer.MsgLen(m), err
	}
	start := time.Now()
	n, err := fs.RecvFrame(timeout)
	if err == nil {
		s.stretch(start)
	}
	return n, err
}

func (s *slowSocket) Send(frames [][]byte, timeout time.Duration) error {
	start := time.Now()
	err := s.Socket.Send(frames, timeout)
	if err == nil {
		s.stretch(start)
	}
	return err
}

func (s *slowSocket) Recv(timeout time.Duration) ([][]byte, error) {
	start := time.Now()
	m, err := s.Socket.Recv(timeout)
	if err == nil {
		s.stretch(start)
	}
	return m, err
}

// stretch pays the delay owed by a call that started at start, by spinning: a real regression
// costs CPU per message, and on a small shared machine a sleep would hand that CPU to the other
// peer, which then runs faster and hides most of the slowdown (measured: a 25 % factor paid
// with sleeps moved gozmq's throughput by under 10 %).
func (s *slowSocket) stretch(start time.Time) {
	now := time.Now()
	from := start
	if !s.prevEnd.IsZero() && now.Sub(s.prevEnd) < idleGap {
		from = s.prevEnd
	}
	owed := time.Duration(float64(now.Sub(from)) * s.extra)
	for end := now.Add(owed); time.Now().Before(end); {
	}
	s.prevEnd = time.Now()
}
