package harness

import (
	"context"
	"fmt"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// High-water marks. Cases that fill queues (a stalled peer, the mute state) set small ones,
// volume cases lift them (0 = no limit), so that a drop is a defect, not the HWM at work. These
// cases judge the behaviour, not the knob: a binding without the options (go-zeromq has none)
// has bounded queues of its own that fill just the same, and none to lift — its SUB stops
// reading the connection, which back-pressures the publisher — so "unsupported" is reported
// (in the cell's steps, and by the result) and the case goes on. Any other refusal fails the
// step. A case about the HWM options themselves (HWM.*) sets them with SetOpt, so that a
// binding without them is skipped there.

// hwmOptions are the HWM options that apply to a socket type: the sending direction's for
// types that only send, the receiving direction's for types that only receive, both for the
// rest (PAIR, DEALER, REQ, REP, XPUB's subscriptions are not messages it queues).
func hwmOptions(typ string) []string {
	switch typ {
	case PUSH, PUB, XPUB, ROUTER:
		return []string{"sndhwm"}
	case PULL, SUB, XSUB:
		return []string{"rcvhwm"}
	}
	return []string{"sndhwm", "rcvhwm"}
}

// SetHWM sets s's high-water marks to n (0 = no limit) where the binding has them, and says
// whether it has.
func SetHWM(ctx context.Context, s *Sock, n int) bool {
	has := true
	for _, o := range hwmOptions(s.Type) {
		err := s.TrySetOpt(ctx, o, n)
		switch {
		case err == nil:
		case peer.Category(err) == peer.ErrUnsupported:
			has = false
			s.cell.step(fmt.Sprintf("%s has no %s option: its own queues apply (%s)", s.Impl(), o, s.Name))
		default:
			panic(&StepError{Step: fmt.Sprintf("%s setopt %s=%d (%s)", s.Impl(), o, n, s.Name), Err: err})
		}
	}
	return has
}

// BindHWM creates a socket on the bind side, sets its high-water marks to n where the binding
// has them (SetHWM), and binds it to a fresh endpoint.
func (c *Cell) BindHWM(ctx context.Context, typ string, n int, opts ...Opt) *Sock {
	s := c.Socket(ctx, BindSide, typ, opts...)
	SetHWM(ctx, s, n)
	s.BindNew(ctx)
	return s
}

// ConnectHWM is BindHWM's connecting twin.
func (c *Cell) ConnectHWM(ctx context.Context, typ string, to *Sock, n int, opts ...Opt) *Sock {
	s := c.Socket(ctx, ConnectSide, typ, opts...)
	SetHWM(ctx, s, n)
	s.ConnectTo(ctx, to)
	return s
}
