package conformance_test

// Helpers of the pipeline, message, lifecycle, flow and transport cases that no other family
// needs: filling a queue until would-block, an endpoint nothing is bound to, and raw requests
// for what the Cell API does not cover (a second context). Probes, quiet windows, fences,
// HWMs, plan transfers and routing matchers are the harness's (harness/await.go, quiet.go,
// hwm.go, receive.go, match.go, row.go).

import (
	"context"
	"errors"
	"fmt"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// ppFill sends plan's messages with DONTWAIT until the first would-block and returns how many
// were accepted, and whether the sender stopped by would-block (false: it took them all).
func ppFill(ctx context.Context, s *h.Sock, plan peer.Plan) (int, bool) {
	rep, err := s.SendPlan(ctx, plan, 0).Wait(ctx, h.JobLimit)
	switch {
	case err == nil:
		return rep.Sent, false
	case peer.Category(err) == peer.ErrAgain && !h.IsStillRunning(err):
		return rep.Sent, true
	}
	panic(&h.StepError{Step: fmt.Sprintf("%s %s fill", s.Impl(), s.Name), Err: err})
}

// ppFreeEndpoint returns an endpoint of the transport that nothing is bound to, for cases that
// connect before anything binds (h.UnboundEndpoint; a failure is a set-up step's).
func ppFreeEndpoint(transport string) string {
	ep, err := h.UnboundEndpoint(transport)
	if err != nil {
		panic(&h.StepError{Step: "allocate endpoint", Err: err})
	}
	return ep
}

// ppSubscribeAll is the option a SUB needs to receive everything.
func ppSubscribeAll(typ string) []h.Opt {
	if typ == h.SUB {
		return []h.Opt{h.Subscribe("")}
	}
	return nil
}

// ppRawSocket is a socket created with a raw request, for what the Cell API has no helper for
// (a socket in another context, INP.1). It is closed by DeferCleanup through close.
type ppRawSocket struct {
	p  *h.Peer
	id string
}

func ppNewRawSocket(ctx context.Context, cell *h.Cell, side, typ, context string) *ppRawSocket {
	p := cell.Peer(ctx, side)
	r := &ppRawSocket{p: p}
	rep, err := r.do(ctx, peer.Request{Op: peer.OpSocket, Type: typ, Context: context}, "create "+typ+" in context "+context)
	if err != nil {
		if h.NotSupported(peer.OpSocket, err) {
			panic(&h.Unsupported{Impl: p.Impl.Name, What: typ + " in a named context (" + err.Error() + ")"})
		}
		panic(&h.StepError{Step: "create " + typ + " in context " + context, Err: err})
	}
	r.id = rep.Socket
	return r
}

func (r *ppRawSocket) do(ctx context.Context, req peer.Request, step string) (peer.Reply, error) {
	req.Socket = r.id
	rep, err := r.p.Call(ctx, req, h.OpTimeout+h.ControlGrace, step)
	var f *h.Fault
	if errors.As(err, &f) {
		panic(f) // the peer died or hung: a result for the cell, as Sock methods report it
	}
	return rep, err
}

func (r *ppRawSocket) close(ctx context.Context) {
	if r.p.Alive() {
		_, _ = r.do(ctx, peer.Request{Op: peer.OpClose, LingerMS: peer.Ptr[int64](0)}, "close")
	}
}
