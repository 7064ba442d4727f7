//go:build libzmq && cgo

// Command native is the fidelity reference of the benchmark suite: the same loops as the
// peers' bench modes, written directly against pebbe/zmq4 with blocking calls, no peer
// protocol, no interfaces, no per-call timeouts. bench-check compares the suite's
// libzmq↔libzmq figures with these, measured in the same run.
//
//	native thr-recv tcp://127.0.0.1:0 SIZE WINDOW_MS   (binds PULL; prints the endpoint, then the result)
//	native thr-send ENDPOINT SIZE RUN_MS              (connects PUSH; sends until RUN_MS passed)
//	native lat-pong tcp://127.0.0.1:0 SIZE RUN_MS      (binds REP; echoes until RUN_MS passed)
//	native lat-ping ENDPOINT SIZE WINDOW_MS           (connects REQ; prints the median half round trip)
//
// Output lines: "endpoint <ep>" and "result <messages> <elapsed_ns> <p50_ns>".
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	zmq "github.com/pebbe/zmq4"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: native thr-recv|thr-send|lat-pong|lat-ping ENDPOINT SIZE MS")
		os.Exit(2)
	}
	mode, ep := os.Args[1], os.Args[2]
	size, _ := strconv.Atoi(os.Args[3])
	ms, _ := strconv.Atoi(os.Args[4])
	d := time.Duration(ms) * time.Millisecond
	var err error
	switch mode {
	case "thr-recv":
		err = thrRecv(ep, d)
	case "thr-send":
		err = thrSend(ep, size, d)
	case "lat-pong":
		err = latPong(ep, d)
	case "lat-ping":
		err = latPing(ep, size, d)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "native:", err)
		os.Exit(1)
	}
}

func bound(t zmq.Type, ep string) (*zmq.Socket, error) {
	s, err := zmq.NewSocket(t)
	if err != nil {
		return nil, err
	}
	if err := s.Bind(ep); err != nil {
		return nil, err
	}
	last, _ := s.GetLastEndpoint()
	fmt.Printf("endpoint %s\n", last)
	return s, nil
}

func connected(t zmq.Type, ep string) (*zmq.Socket, error) {
	s, err := zmq.NewSocket(t)
	if err != nil {
		return nil, err
	}
	s.SetLinger(0)
	return s, s.Connect(ep)
}

// thrRecv counts messages for window from the first one, checking the clock every 64.
func thrRecv(ep string, window time.Duration) error {
	s, err := bound(zmq.PULL, ep)
	if err != nil {
		return err
	}
	if _, err := s.RecvBytes(0); err != nil {
		return err
	}
	start := time.Now()
	n, last := int64(1), start
	for {
		if _, err := s.RecvBytes(0); err != nil {
			return err
		}
		n++
		if n&63 == 0 {
			if last = time.Now(); last.Sub(start) >= window {
				break
			}
		}
	}
	fmt.Printf("result %d %d 0\n", n, last.Sub(start).Nanoseconds())
	os.Exit(0) // do not wait for linger: the sender is still sending
	return nil
}

func thrSend(ep string, size int, run time.Duration) error {
	s, err := connected(zmq.PUSH, ep)
	if err != nil {
		return err
	}
	msg := make([]byte, size)
	end := time.Now().Add(run)
	for i := 0; ; i++ {
		if i&255 == 0 && time.Now().After(end) {
			return nil
		}
		if _, err := s.SendBytes(msg, 0); err != nil {
			return err
		}
	}
}

func latPong(ep string, run time.Duration) error {
	s, err := bound(zmq.REP, ep)
	if err != nil {
		return err
	}
	s.SetRcvtimeo(run)
	for {
		m, err := s.RecvBytes(0)
		if err != nil {
			return nil // the run is over
		}
		if _, err := s.SendBytes(m, 0); err != nil {
			return err
		}
	}
}

func latPing(ep string, size int, window time.Duration) error {
	s, err := connected(zmq.REQ, ep)
	if err != nil {
		return err
	}
	msg := make([]byte, size)
	if _, err := s.SendBytes(msg, 0); err != nil {
		return err
	}
	if _, err := s.RecvBytes(0); err != nil {
		return err
	}
	var half []int64
	start := time.Now()
	t0 := start
	for {
		if _, err := s.SendBytes(msg, 0); err != nil {
			return err
		}
		if _, err := s.RecvBytes(0); err != nil {
			return err
		}
		t1 := time.Now()
		half = append(half, t1.Sub(t0).Nanoseconds()/2)
		t0 = t1
		if t1.Sub(start) >= window {
			break
		}
	}
	sort.Slice(half, func(i, j int) bool { return half[i] < half[j] })
	fmt.Printf("result %d %d %d\n", len(half), t0.Sub(start).Nanoseconds(), half[len(half)/2])
	return nil
}
