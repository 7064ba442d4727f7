//go:build libzmq && cgo

package libzmq_test

import (
	"strings"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/impl/impltest"
	"github.com/zmqsuite/zmqsuite/harness/impl/libzmq"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

func backend(t *testing.T) peer.Backend {
	t.Helper()
	b, err := libzmq.New()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInfo(t *testing.T) {
	h := backend(t).Info()
	if h.Name != "libzmq" || h.Binding != libzmq.Module || !strings.HasPrefix(h.Version, "v") || !strings.HasPrefix(h.Libzmq, "4.") {
		t.Fatalf("hello: %+v", h)
	}
	if !h.Caps.Bench || !peer.Has(h.Caps.Declared, "ipc") || !peer.Has(h.Caps.Options, "linger") {
		t.Fatalf("caps: %+v", h.Caps)
	}
	for _, o := range h.Caps.Options {
		if _, ok := peer.Options[o]; !ok {
			t.Errorf("option %q is not a protocol option", o)
		}
	}
}

func TestTransports(t *testing.T) { impltest.Transports(t, backend(t), "tcp", "ipc", "inproc") }

func TestReqRepTCP(t *testing.T) { impltest.ReqRep(t, backend(t), "tcp://127.0.0.1:*") }

func TestReqRepIPC(t *testing.T) { impltest.ReqRep(t, backend(t), impltest.IPC(t, "rr")) }

func TestPubSub(t *testing.T) { impltest.PubSub(t, backend(t)) }

func TestRouterIdentity(t *testing.T) { impltest.RouterIdentity(t, backend(t)) }

func TestRecvTimeout(t *testing.T) {
	for _, typ := range []string{"PULL", "REP", "ROUTER"} {
		t.Run(typ, func(t *testing.T) { impltest.RecvTimeout(t, backend(t), typ) })
	}
}

func TestSendNoPeer(t *testing.T) { impltest.SendNoPeer(t, backend(t)) }

func TestBench(t *testing.T) { impltest.Bench(t, backend(t), "tcp://127.0.0.1:*") }

// Per-call timeouts must not show through getopt: a case reading the default sees libzmq's.
func TestTimeoutsKeepDefaults(t *testing.T) {
	s := impltest.Socket(t, backend(t), "PULL")
	impltest.Bind(t, s, "tcp://127.0.0.1:*")
	_, _ = s.Recv(20 * time.Millisecond)
	if v, err := s.GetOption("rcvtimeo"); err != nil || v != -1 {
		t.Fatalf("rcvtimeo after a timed recv: %v %v, want -1", v, err)
	}
	if err := s.SetOption("rcvtimeo", 250.0); err != nil {
		t.Fatal(err)
	}
	_, _ = s.Recv(20 * time.Millisecond)
	if v, err := s.GetOption("rcvtimeo"); err != nil || v != 250 {
		t.Fatalf("rcvtimeo after setopt 250: %v %v", v, err)
	}
	if v, err := s.GetOption("linger"); err != nil || v != -1 {
		t.Fatalf("default linger: %v %v, want -1", v, err)
	}
}

func TestErrors(t *testing.T) {
	b := backend(t)
	req := impltest.Socket(t, b, "REQ")
	if _, err := req.Recv(0); peer.Category(err) != peer.ErrEFSM {
		t.Fatalf("REQ recv first: %v, want efsm", err)
	}
	if _, err := req.Bind("tcp://nohost.invalid:*"); peer.Category(err) == "" {
		t.Fatalf("bad bind: %v", err)
	}
	if _, err := req.Bind("ipc:///tmp/" + strings.Repeat("x", 200)); peer.Category(err) != peer.ErrNameTooLong {
		t.Fatalf("long ipc path: %v, want nametoolong", err)
	}
	if err := req.SetOption("subscribe", "QQ=="); peer.Category(err) != peer.ErrInval {
		t.Fatalf("subscribe on REQ: %v, want inval", err)
	}
	if err := req.SetOption("router_notify", 3.0); peer.Category(err) != peer.ErrUnsupported {
		t.Fatalf("router_notify: %v, want unsupported", err)
	}
	r := impltest.Socket(t, b, "ROUTER")
	if err := r.SetOption("router_mandatory", true); err != nil {
		t.Fatal(err)
	}
	if err := r.Send([][]byte{[]byte("nobody"), []byte("x")}, 0); peer.Category(err) != peer.ErrHostUnreach {
		t.Fatalf("mandatory send to unknown id: %v, want hostunreach", err)
	}
	if err := r.Close(0); err != nil {
		t.Fatal(err)
	}
	if err := r.Send([][]byte{[]byte("x")}, 0); peer.Category(err) != peer.ErrClosed {
		t.Fatalf("send after close: %v, want closed", err)
	}
}
