package peercheck

import (
	"fmt"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// checkPing (optional): ping answers ok. A protocol error means an older peer: alive, and
// the harness takes it so.
func checkPing(c *checkCtx) {
	_, we := c.call(peer.Request{Op: peer.OpPing}, opTimeout)
	switch {
	case we == nil:
	case we.Category == peer.ErrProtocol:
		c.notImplemented(peer.OpPing, "answered "+describe(we)+" (the harness takes that as alive)", "ping")
	default:
		c.problem(peer.OpPing, Optional, "answered "+describe(we), "answer {\"ok\":true}", "ping")
	}
}

// checkHeap (optional): heap answers a positive number of bytes, or protocol (not
// implemented: the peer's resident memory is judged instead).
func checkHeap(c *checkCtx) {
	rep, we := c.call(peer.Request{Op: peer.OpHeap}, opTimeout)
	switch {
	case we != nil && we.Category == peer.ErrProtocol:
		c.notImplemented(peer.OpHeap, "answered "+describe(we)+" (leak cases judge the resident memory)", "heap")
	case we != nil:
		c.problem(peer.OpHeap, Optional, "answered "+describe(we), "answer the heap in use as \"value\", or protocol", "heap")
	default:
		if n, ok := rep.Value.(float64); !ok || n <= 0 {
			c.problem(peer.OpHeap, Optional, fmt.Sprintf("answered value %v", rep.Value), "a positive number of bytes", "heap")
		}
	}
}

// unknownOp is how findings name a request with an op the protocol does not have.
const unknownOp = "unknown ops"

// checkMalformed sends requests the harness never sends: an unknown op, an unknown socket,
// requests without a field their op needs, an op that cannot be async. Each must be answered
// with a protocol error (a harness bug, not a binding's refusal), and the peer must serve on.
func checkMalformed(c *checkCtx) {
	s := c.socket("PAIR", "")
	plan := &peer.Plan{Count: 1, Size: 1}
	cases := []struct {
		op      string // the op a finding names
		req     peer.Request
		missing string
	}{
		{unknownOp, peer.Request{Op: "zmqsuite_no_such_op"}, "an unknown op"},
		{peer.OpRecv, peer.Request{Op: peer.OpRecv, Socket: "zmqsuite-no-such-socket", TimeoutMS: peer.Ptr[int64](0)}, "an unknown socket handle"},
		{peer.OpBind, peer.Request{Op: peer.OpBind, Socket: "zmqsuite-no-such-socket", Endpoint: "tcp://127.0.0.1:*"}, "an unknown socket handle"},
		{peer.OpSocket, peer.Request{Op: peer.OpSocket}, `no "type"`},
		{peer.OpBind, peer.Request{Op: peer.OpBind, Socket: s}, `no "endpoint"`},
		{peer.OpConnect, peer.Request{Op: peer.OpConnect, Socket: s}, `no "endpoint"`},
		{peer.OpSetOpt, peer.Request{Op: peer.OpSetOpt, Socket: s, Value: 1}, `no "name"`},
		{peer.OpSetOpt, peer.Request{Op: peer.OpSetOpt, Socket: s, Name: "linger"}, `no "value"`},
		{peer.OpGetOpt, peer.Request{Op: peer.OpGetOpt, Socket: s}, `no "name"`},
		{peer.OpSend, peer.Request{Op: peer.OpSend, Socket: s, TimeoutMS: peer.Ptr[int64](0)}, `no "frames"`},
		{peer.OpSend, peer.Request{Op: peer.OpSend, Frames: harness.Msg("x"), TimeoutMS: peer.Ptr[int64](0)}, `no "socket"`},
		{peer.OpSendBatch, peer.Request{Op: peer.OpSendBatch, Socket: s, Plan: plan, Messages: [][][]byte{harness.Msg("x")}, TimeoutMS: peer.Ptr[int64](0)}, `both "plan" and "messages"`},
		{peer.OpWait, peer.Request{Op: peer.OpWait}, `no "job"`},
		{peer.OpCancel, peer.Request{Op: peer.OpCancel}, `no "job"`},
		{peer.OpHello, peer.Request{Op: peer.OpHello, Async: true}, `"async": true (hello cannot run async)`},
	}
	for _, k := range cases {
		_, we := c.call(k.req, opTimeout)
		if we == nil || we.Category != peer.ErrProtocol {
			c.problem(k.op, levelOf(k.op), fmt.Sprintf("a request with %s answered %s", k.missing, answerOf(we)),
				"answer protocol: the request is the harness's mistake, and any other category would read as the binding's answer", "what-a-protocol-error-means")
		}
	}
	if _, we := c.call(peer.Request{Op: peer.OpHello}, opTimeout); we != nil {
		c.problem(peer.OpHello, Mandatory, "after the malformed requests, hello answered "+describe(we), "serve on after a protocol error", "what-a-protocol-error-means")
	}
}
