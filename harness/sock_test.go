package harness

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

func TestStillRunningIsRecognised(t *testing.T) {
	goPeer := peer.Errorf(peer.ErrAgain, "job 7 still running after 0s")       // harness/peer/server.go
	pyPeer := peer.Errorf(peer.ErrAgain, "job 7 still running after 250ms")    // pyclients/peer.py
	jobTimeout := peer.Errorf(peer.ErrAgain, "gozmq: no message within 250ms") // the job's own result
	for _, err := range []error{goPeer, pyPeer} {
		if !stillRunning(err) {
			t.Errorf("%v not recognised as still running", err)
		}
	}
	for _, err := range []error{jobTimeout, peer.Errorf(peer.ErrOther, "still running"), nil} {
		if stillRunning(err) {
			t.Errorf("%v taken for still running", err)
		}
	}
	sr := &StillRunning{What: "send_batch of 10", After: time.Second, Err: goPeer}
	wrapped := fmt.Errorf("waiting: %w", sr)
	if !IsStillRunning(wrapped) || IsStillRunning(jobTimeout) {
		t.Error("IsStillRunning must see a wrapped *StillRunning, and only that")
	}
	if peer.Category(sr) != peer.ErrAgain {
		t.Error("a *StillRunning keeps the reply's category")
	}
}

func TestProtocolErrors(t *testing.T) {
	proto := peer.Errorf(peer.ErrProtocol, "unknown op")
	unsup := peer.Errorf(peer.ErrUnsupported, "no option conflate")
	for _, tc := range []struct {
		op   string
		err  error
		skip bool
	}{
		{peer.OpBench, proto, true}, // optional ops may be missing
		{"ping", proto, true},
		{peer.OpSend, proto, false}, // a mandatory op: a defect, never a skip
		{peer.OpWait, proto, false},
		{peer.OpSetOpt, unsup, true},
		{peer.OpSend, peer.Errorf(peer.ErrAgain, "x"), false},
	} {
		if got := NotSupported(tc.op, tc.err); got != tc.skip {
			t.Errorf("NotSupported(%s, %v) = %v", tc.op, tc.err, got)
		}
	}
	msg := peerProtocolError("pyzmq", peer.OpSend, proto).Error()
	if want := `peer protocol error: the pyzmq peer answered "send"`; len(msg) < len(want) || msg[:len(want)] != want {
		t.Errorf("message %q", msg)
	}
}

func TestRefusesPeerType(t *testing.T) {
	gozmq := errors.New(`other: gozmq: connect tcp://127.0.0.1:1: zmq4: could not dial to "tcp://127.0.0.1:1": zmq4: could not initialize ZMTP connection: zmq4: peer="DEALER" not compatible with "REQ"`)
	if !RefusesPeerType(gozmq, DEALER) {
		t.Error("go-zeromq's incompatibility error is a refusal of the DEALER")
	}
	for _, err := range []error{
		errors.New(`other: gozmq: connect tcp://127.0.0.1:1: zmq4: could not dial to "tcp://127.0.0.1:1": connection refused`),
		peer.Errorf(peer.ErrAgain, "timeout"),
		nil,
	} {
		if RefusesPeerType(err, DEALER) {
			t.Errorf("%v taken for a refused peer type", err)
		}
	}
	if RefusesPeerType(gozmq, PULL) {
		t.Error("the error names the DEALER, not a PULL")
	}
}

func TestBatchFor(t *testing.T) {
	for _, tc := range []struct {
		plan peer.Plan
		want int
	}{
		{peer.Plan{Count: 100_000, Size: 16}, 100_000},
		{peer.Plan{Count: 1, Size: 16 << 20}, 1},
		{peer.Plan{Count: 3000, Size: 64 << 10}, 255},
	} {
		if got := batchFor(tc.plan); got != tc.want {
			t.Errorf("batchFor(%+v) = %d, want %d", tc.plan, got, tc.want)
		}
	}
}
