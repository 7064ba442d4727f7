package gozmq_test

import (
	"strings"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/impl/gozmq"
	"github.com/zmqsuite/zmqsuite/harness/impl/impltest"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

func TestInfo(t *testing.T) {
	h := gozmq.New().Info()
	if h.Name != "gozmq" || h.Binding != gozmq.Module || !strings.HasPrefix(h.Version, "v") || h.Libzmq != "" {
		t.Fatalf("hello: %+v", h)
	}
	if !h.Caps.Bench || !peer.Has(h.Caps.SocketTypes, "ROUTER") || !peer.Has(h.Caps.Declared, "tcp") {
		t.Fatalf("caps: %+v", h.Caps)
	}
	for _, o := range h.Caps.Options {
		if _, ok := peer.Options[o]; !ok {
			t.Errorf("option %q is not a protocol option", o)
		}
	}
}

func TestTransports(t *testing.T) { impltest.Transports(t, gozmq.New(), "tcp", "ipc", "inproc") }

func TestReqRepTCP(t *testing.T) { impltest.ReqRep(t, gozmq.New(), "tcp://127.0.0.1:*") }

func TestReqRepIPC(t *testing.T) { impltest.ReqRep(t, gozmq.New(), impltest.IPC(t, "rr")) }

func TestPubSub(t *testing.T) { impltest.PubSub(t, gozmq.New()) }

func TestRouterIdentity(t *testing.T) { impltest.RouterIdentity(t, gozmq.New()) }

func TestRecvTimeout(t *testing.T) {
	for _, typ := range []string{"PULL", "REP", "ROUTER"} {
		t.Run(typ, func(t *testing.T) { impltest.RecvTimeout(t, gozmq.New(), typ) })
	}
}

func TestSendNoPeer(t *testing.T) { impltest.SendNoPeer(t, gozmq.New()) }

func TestBench(t *testing.T) { impltest.Bench(t, gozmq.New(), "tcp://127.0.0.1:*") }

// The library's inproc registry is process-wide: a connect from another context reaches the
// bind (libzmq refuses it). This test pins that behaviour, so a change in go-zeromq shows.
func TestInprocCrossesContexts(t *testing.T) {
	b := gozmq.New()
	a, _ := b.NewSocket("PAIR", "one")
	defer a.Close(0)
	c, _ := b.NewSocket("PAIR", "two")
	defer c.Close(0)
	if _, err := a.Bind("inproc://gozmq-cross"); err != nil {
		t.Fatal(err)
	}
	if err := c.Connect("inproc://gozmq-cross"); err != nil {
		t.Skipf("go-zeromq now isolates inproc per context: %v", err)
	}
	if err := c.Send([][]byte{[]byte("x")}, time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Recv(time.Second); err != nil {
		t.Fatal(err)
	}
}

// A send left in flight answers "again" to the next send without starting a second one, and
// closing the socket ends it.
func TestSendInFlight(t *testing.T) {
	b := gozmq.New()
	push, _ := b.NewSocket("PUSH", "")
	if err := push.Send([][]byte{[]byte("1")}, 0); peer.Category(err) != peer.ErrAgain {
		t.Fatalf("first send: %v", err)
	}
	err := push.Send([][]byte{[]byte("2")}, 0)
	if peer.Category(err) != peer.ErrAgain || !strings.Contains(err.Error(), "in flight") {
		t.Fatalf("second send: %v", err)
	}
	if err := push.Close(-1); err != nil {
		t.Fatal(err)
	}
	if err := push.Send([][]byte{[]byte("3")}, 0); peer.Category(err) != peer.ErrClosed {
		t.Fatalf("send after close: %v", err)
	}
}

func TestUnsupported(t *testing.T) {
	b := gozmq.New()
	if _, err := b.NewSocket("STREAM", ""); peer.Category(err) != peer.ErrUnsupported {
		t.Fatalf("STREAM: %v", err)
	}
	s, _ := b.NewSocket("DEALER", "")
	defer s.Close(0)
	if err := s.SetOption("conflate", true); peer.Category(err) != peer.ErrUnsupported {
		t.Fatalf("conflate: %v", err)
	}
	if err := s.Unbind("tcp://127.0.0.1:1"); peer.Category(err) != peer.ErrUnsupported {
		t.Fatalf("unbind: %v", err)
	}
	if _, err := s.Bind("bogus://x"); peer.Category(err) != peer.ErrUnsupported {
		t.Fatalf("unknown transport: %v", err)
	}
}
