package raw_test

import (
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/impl/impltest"
	"github.com/zmqsuite/zmqsuite/harness/impl/raw"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

func TestTransports(t *testing.T) { impltest.Transports(t, raw.New(), "tcp", "ipc") }

func TestReqRepTCP(t *testing.T) { impltest.ReqRep(t, raw.New(), "tcp://127.0.0.1:*") }

func TestReqRepIPC(t *testing.T) { impltest.ReqRep(t, raw.New(), impltest.IPC(t, "rr")) }

func TestRecvTimeout(t *testing.T) { impltest.RecvTimeout(t, raw.New(), "PULL") }

func TestBenchTCP(t *testing.T) { impltest.Bench(t, raw.New(), "tcp://127.0.0.1:*") }

func TestBenchIPC(t *testing.T) { impltest.Bench(t, raw.New(), impltest.IPC(t, "a")) }

// pairTCP returns two connected PAIR sockets: a binds, c connects.
func pairTCP(t *testing.T) (a, c peer.Socket) {
	b := raw.New()
	a = impltest.Socket(t, b, "PAIR")
	ep := impltest.Bind(t, a, "tcp://127.0.0.1:*")
	c = impltest.Socket(t, b, "PAIR")
	if err := c.Connect(ep); err != nil {
		t.Fatal(err)
	}
	return a, c
}

// Multi-frame messages, empty frames included, arrive whole and in order over PAIR.
func TestPairFrames(t *testing.T) {
	a, c := pairTCP(t)
	msgs := [][][]byte{{[]byte("a"), {}, []byte("ccc")}, {make([]byte, 100000)}}
	for _, m := range msgs {
		if err := c.Send(m, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range msgs {
		got, err := a.Recv(2 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || len(got[len(got)-1]) != len(want[len(want)-1]) {
			t.Fatalf("message %d: %d frames, want %d", i, len(got), len(want))
		}
	}
	if err := a.Send([][]byte{[]byte("back")}, time.Second); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Recv(2 * time.Second); err != nil || string(m[0]) != "back" {
		t.Fatalf("%q %v", m, err)
	}
}

func TestStates(t *testing.T) {
	b := raw.New()
	req := impltest.Socket(t, b, "REQ")
	if _, err := req.Recv(0); peer.Category(err) != peer.ErrEFSM {
		t.Fatalf("REQ recv first: %v", err)
	}
	if err := req.Send([][]byte{[]byte("x")}, 0); err != nil {
		t.Fatalf("REQ send (queued before any connection): %v", err)
	}
	if err := req.Send([][]byte{[]byte("x")}, 0); peer.Category(err) != peer.ErrEFSM {
		t.Fatalf("REQ send twice: %v", err)
	}
	if _, err := b.NewSocket("ROUTER", ""); peer.Category(err) != peer.ErrUnsupported {
		t.Fatalf("ROUTER: %v", err)
	}
	if _, err := req.Bind("inproc://x"); peer.Category(err) != peer.ErrUnsupported {
		t.Fatalf("inproc: %v", err)
	}
}

// Recycled buffers are reused only once nobody can see them: a PAIR echoes a pipelined burst of
// large messages, recycling each one right after Send queued it (the echo of peer.RunBench's
// lat_pong), and the other side checks every byte of each reply before recycling it. A buffer
// reused too early shows up as a reply filled with a later message's byte.
func TestRecycleKeepsContent(t *testing.T) {
	a, c := pairTCP(t)
	const n, size = 64, 256 << 10
	echoed := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			m, err := a.Recv(5 * time.Second)
			if err == nil {
				err = a.Send(m, 5*time.Second)
			}
			if err != nil {
				echoed <- err
				return
			}
			a.(peer.Recycler).Recycle(m)
		}
		echoed <- nil
	}()
	for i := 0; i < n; i++ {
		m := make([]byte, size)
		for j := range m {
			m[j] = byte(i)
		}
		if err := c.Send([][]byte{m}, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		m, err := c.Recv(5 * time.Second)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if len(m) != 1 || len(m[0]) != size {
			t.Fatalf("reply %d: %d frames", i, len(m))
		}
		for j, v := range m[0] {
			if v != byte(i) {
				t.Fatalf("reply %d: byte %d is %d (a reused buffer was overwritten)", i, j, v)
			}
		}
		c.(peer.Recycler).Recycle(m)
	}
	if err := <-echoed; err != nil {
		t.Fatalf("echo: %v", err)
	}
}
