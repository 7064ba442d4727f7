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
// With factor f, every successful Send and Recv owes a delay of (f-1) times the call's own
// duration (a timed-out call in a polling loop owes nothing), so the benchmark loops, which are
// back-to-back calls, run about f times slower. How the delay is paid matters on a small
// machine, where a busy wait would steal the CPU that the library's own threads and the other
// peer need:
//   - in a request/reply loop (the socket alternates sends and receives: lat_ping, lat_pong)
//     each call busy-waits what it owes at once, so every latency sample is stretched; the
//     CPU is idle then anyway, waiting for the other side;
//   - in a one-way loop (only sends, or only receives: thr_send, thr_recv) the debts
//     accumulate and are paid with a sleep whenever they reach sleepMin, which frees the CPU;
//     the sleep's overshoot is credited.
//
// Effect: throughput drops by about f. In a latency loop where both peers are slowed, each side
// also stretches the time it waited for the other's stretch, so the round trip grows by more
// than f (about 1.67x for f = 1.25, in theory; more on a loaded machine): the gate sees at
// least f.
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
	extra float64
	debt  time.Duration // owed and not yet paid (negative: overpaid by a long sleep)
	last  int           // direction of the last successful call
}

func (s *slowSocket) Send(frames [][]byte, timeout time.Duration) error {
	start := time.Now()
	err := s.Socket.Send(frames, timeout)
	if err == nil {
		s.stretch(start, dirSend)
	}
	return err
}

func (s *slowSocket) Recv(timeout time.Duration) ([][]byte, error) {
	start := time.Now()
	m, err := s.Socket.Recv(timeout)
	if err == nil {
		s.stretch(start, dirRecv)
	}
	return m, err
}

const (
	dirSend = 1
	dirRecv = 2

	sleepMin = time.Millisecond
)

// stretch pays the delay owed by a call in direction dir that started at start.
func (s *slowSocket) stretch(start time.Time, dir int) {
	now := time.Now()
	owed := time.Duration(float64(now.Sub(start)) * s.extra)
	alternating := s.last != 0 && s.last != dir
	s.last = dir
	if alternating {
		for end := now.Add(owed); time.Now().Before(end); {
		}
		return
	}
	s.debt += owed
	if s.debt >= sleepMin {
		t := time.Now()
		time.Sleep(s.debt)
		s.debt -= time.Since(t)
	}
}
