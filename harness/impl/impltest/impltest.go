// Package impltest holds the checks every Go peer.Backend in harness/impl passes, written
// once and called from each adapter's own tests with plain `testing`. Each check is bounded:
// every receive has a timeout, and loops stop at a deadline.
package impltest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Transports checks that ProbeTransports finds (at least) want working in this process.
func Transports(t *testing.T, b peer.Backend, want ...string) {
	t.Helper()
	got, errs := peer.ProbeTransports(b)
	for _, w := range want {
		if !peer.Has(got, w) {
			t.Errorf("transport %s not working: probed %v, errors %v", w, got, errs)
		}
	}
}

// Socket creates a socket and closes it (linger 0) when the test ends.
func Socket(t *testing.T, b peer.Backend, typ string) peer.Socket {
	t.Helper()
	s, err := b.NewSocket(typ, "")
	if err != nil {
		t.Fatalf("socket %s: %v", typ, err)
	}
	t.Cleanup(func() { _ = s.Close(0) })
	return s
}

// Bind binds s to ep and checks the reply is a real endpoint (no wildcard port left).
func Bind(t *testing.T, s peer.Socket, ep string) string {
	t.Helper()
	real, err := s.Bind(ep)
	if err != nil {
		t.Fatalf("bind %s: %v", ep, err)
	}
	if strings.HasSuffix(real, ":*") || strings.HasSuffix(real, ":0") {
		t.Fatalf("bind %s returned %q, not the real endpoint", ep, real)
	}
	return real
}

// IPC returns a short ipc endpoint in a per-test directory.
func IPC(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "zt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return "ipc://" + filepath.Join(dir, name)
}

func frames(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, v := range s {
		out[i] = []byte(v)
	}
	return out
}

func equal(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// ReqRep carries three round trips between a REQ and a REP over ep ("tcp://127.0.0.1:*").
func ReqRep(t *testing.T, b peer.Backend, ep string) {
	t.Helper()
	rep := Socket(t, b, "REP")
	real := Bind(t, rep, ep)
	if strings.HasPrefix(ep, "tcp://127.0.0.1:") && !strings.HasPrefix(real, "tcp://127.0.0.1:") {
		t.Fatalf("bind %s returned %q", ep, real)
	}
	req := Socket(t, b, "REQ")
	if err := req.Connect(real); err != nil {
		t.Fatalf("connect %s: %v", real, err)
	}
	for i := 0; i < 3; i++ {
		ask := frames("ping", string(rune('a'+i)))
		if err := req.Send(ask, 2*time.Second); err != nil {
			t.Fatalf("REQ send %d: %v", i, err)
		}
		got, err := rep.Recv(2 * time.Second)
		if err != nil {
			t.Fatalf("REP recv %d: %v", i, err)
		}
		if !equal(got, ask) {
			t.Fatalf("REP got %q, want %q", got, ask)
		}
		if err := rep.Send(frames("pong"), 2*time.Second); err != nil {
			t.Fatalf("REP send %d: %v", i, err)
		}
		got, err = req.Recv(2 * time.Second)
		if err != nil {
			t.Fatalf("REQ recv %d: %v", i, err)
		}
		if !equal(got, frames("pong")) {
			t.Fatalf("REQ got %q, want pong", got)
		}
	}
}

// PubSub checks a SUB subscribed to "A" gets the A messages and none of the B ones. The
// publisher repeats until the subscription has reached it (slow joiner), within 5 s.
func PubSub(t *testing.T, b peer.Backend) {
	t.Helper()
	pub := Socket(t, b, "PUB")
	ep := Bind(t, pub, "tcp://127.0.0.1:*")
	sub := Socket(t, b, "SUB")
	if err := sub.SetOption("subscribe", "QQ=="); err != nil { // base64 of "A"
		t.Fatalf("subscribe: %v", err)
	}
	if err := sub.Connect(ep); err != nil {
		t.Fatalf("connect: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("SUB got nothing in 5 s")
		}
		if err := pub.Send(frames("B", "no"), time.Second); err != nil {
			t.Fatalf("PUB send: %v", err)
		}
		if err := pub.Send(frames("A", "yes"), time.Second); err != nil {
			t.Fatalf("PUB send: %v", err)
		}
		got, err := sub.Recv(50 * time.Millisecond)
		if peer.Category(err) == peer.ErrAgain {
			continue
		}
		if err != nil {
			t.Fatalf("SUB recv: %v", err)
		}
		if !equal(got, frames("A", "yes")) {
			t.Fatalf("SUB got %q, want [A yes]", got)
		}
		return
	}
}

// RouterIdentity checks a ROUTER sees the routing id a DEALER set as the first frame, and
// routes a reply back by it.
func RouterIdentity(t *testing.T, b peer.Backend) {
	t.Helper()
	router := Socket(t, b, "ROUTER")
	ep := Bind(t, router, "tcp://127.0.0.1:*")
	dealer := Socket(t, b, "DEALER")
	if err := dealer.SetOption("routing_id", "ZGVhbGVyLTE="); err != nil { // "dealer-1"
		t.Fatalf("routing_id: %v", err)
	}
	if err := dealer.Connect(ep); err != nil {
		t.Fatalf("connect: %v", err)
	}
	if err := dealer.Send(frames("hi"), 2*time.Second); err != nil {
		t.Fatalf("DEALER send: %v", err)
	}
	got, err := router.Recv(2 * time.Second)
	if err != nil {
		t.Fatalf("ROUTER recv: %v", err)
	}
	if !equal(got, frames("dealer-1", "hi")) {
		t.Fatalf("ROUTER got %q, want [dealer-1 hi]", got)
	}
	if err := router.Send(frames("dealer-1", "back"), 2*time.Second); err != nil {
		t.Fatalf("ROUTER send: %v", err)
	}
	got, err = dealer.Recv(2 * time.Second)
	if err != nil {
		t.Fatalf("DEALER recv: %v", err)
	}
	if !equal(got, frames("back")) {
		t.Fatalf("DEALER got %q, want [back]", got)
	}
}

// RecvTimeout checks Recv(200ms) on an idle socket of type typ reports "again", in bounded
// time (well under a second; no tight timing).
func RecvTimeout(t *testing.T, b peer.Backend, typ string) {
	t.Helper()
	s := Socket(t, b, typ)
	Bind(t, s, "tcp://127.0.0.1:*")
	start := time.Now()
	_, err := s.Recv(200 * time.Millisecond)
	took := time.Since(start)
	if peer.Category(err) != peer.ErrAgain {
		t.Fatalf("Recv on an idle %s: %v, want category again", typ, err)
	}
	if took > time.Second {
		t.Fatalf("Recv(200ms) took %v", took)
	}
	// A second call must behave the same (the first call's read may still be in flight).
	if _, err := s.Recv(0); peer.Category(err) != peer.ErrAgain {
		t.Fatalf("second Recv(0): %v, want again", err)
	}
}

// SendNoPeer checks Send with timeout 0 on a PUSH without peers reports "again", promptly.
func SendNoPeer(t *testing.T, b peer.Backend) {
	t.Helper()
	push := Socket(t, b, "PUSH")
	Bind(t, push, "tcp://127.0.0.1:*")
	start := time.Now()
	err := push.Send(frames("nobody"), 0)
	if peer.Category(err) != peer.ErrAgain {
		t.Fatalf("Send(0) on a PUSH without peers: %v, want category again", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Send(0) took %v", took)
	}
	// And with a timeout: again after about that long, not the library's own timeout.
	start = time.Now()
	if err := push.Send(frames("nobody"), 100*time.Millisecond); peer.Category(err) != peer.ErrAgain {
		t.Fatalf("Send(100ms) on a PUSH without peers: %v, want again", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Send(100ms) took %v", took)
	}
}

// Bench runs a short thr and lat loop pair through peer.RunBench over ep, in one process.
func Bench(t *testing.T, b peer.Backend, ep string) {
	t.Helper()
	pull := Socket(t, b, "PULL")
	real := Bind(t, pull, ep)
	push := Socket(t, b, "PUSH")
	if err := push.Connect(real); err != nil {
		t.Fatalf("connect: %v", err)
	}
	var stop atomic.Bool
	sent := make(chan *peer.BenchResult, 1)
	go func() {
		r, _ := peer.RunBench(push, peer.BenchSpec{Mode: peer.BenchThrSend, Size: 64, MaxRunMS: 5000}, &stop)
		sent <- r
	}()
	r, err := peer.RunBench(pull, peer.BenchSpec{Mode: peer.BenchThrRecv, Size: 64, DurationMS: 200, FirstTimeoutMS: 3000}, &stop)
	stop.Store(true)
	if err != nil {
		t.Fatalf("thr_recv: %v", err)
	}
	if r.Messages < 10 || r.ElapsedNS <= 0 {
		t.Fatalf("thr_recv: %+v", r)
	}
	select {
	case s := <-sent:
		if s.Messages < r.Messages {
			t.Fatalf("thr_send sent %d, receiver counted %d", s.Messages, r.Messages)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("thr_send did not stop when cancelled")
	}

	rep := Socket(t, b, "REP")
	real = Bind(t, rep, ep2(t, ep))
	req := Socket(t, b, "REQ")
	if err := req.Connect(real); err != nil {
		t.Fatalf("connect: %v", err)
	}
	var stop2 atomic.Bool
	ponged := make(chan *peer.BenchResult, 1)
	go func() {
		r, _ := peer.RunBench(rep, peer.BenchSpec{Mode: peer.BenchLatPong, MaxRunMS: 5000}, &stop2)
		ponged <- r
	}()
	lr, err := peer.RunBench(req, peer.BenchSpec{Mode: peer.BenchLatPing, Size: 64, DurationMS: 200, FirstTimeoutMS: 3000}, &stop2)
	stop2.Store(true)
	if err != nil {
		t.Fatalf("lat_ping: %v", err)
	}
	if lr.Latency == nil || lr.Latency.Count < 10 || lr.Latency.P50 <= 0 {
		t.Fatalf("lat_ping: %+v %+v", lr, lr.Latency)
	}
	select {
	case <-ponged:
	case <-time.After(5 * time.Second):
		t.Fatal("lat_pong did not stop when cancelled")
	}
}

// ep2 returns a second endpoint of the same transport as ep.
func ep2(t *testing.T, ep string) string {
	if strings.HasPrefix(ep, "ipc://") {
		return IPC(t, "b")
	}
	return ep
}
