package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
)

// Steps that involve the implementation's socket. They run on the case's goroutine (inside a
// Play, never a PlayAll), so a peer that crashes or hangs while they ask it something is the
// cell's crash or hang.

// Receives is the step "the implementation's socket receives exactly these frames" (a ROUTER's
// routing-id frame is taken off first and kept for Sends).
func (l *Link) Receives(frames ...string) zmtp.Step {
	want := harness.Msg(frames...)
	return zmtp.Do(fmt.Sprintf("the %s %s receives %s", l.w.Impl.Name, l.Sock.Type, harness.Describe(want)),
		func(ctx context.Context, _ *zmtp.Session) error {
			m, err := l.Sock.TryRecv(ctx, RecvWithin)
			if err != nil {
				return fmt.Errorf("%s's receive answered %v", l.w.Impl.Name, err)
			}
			if m, err = l.unroute(m); err != nil {
				return err
			}
			if !sameFrames(m, want) {
				return fmt.Errorf("%s received %s, expected %s", l.w.Impl.Name, harness.Describe(m), harness.Describe(want))
			}
			return nil
		})
}

// ReceivesInOrder is the step "the implementation's socket receives n one-frame messages,
// fmt.Sprintf(format, i) for i = 0…n-1, in this order".
func (l *Link) ReceivesInOrder(format string, n int) zmtp.Step {
	return zmtp.Do(fmt.Sprintf("the %s %s receives %d messages in order", l.w.Impl.Name, l.Sock.Type, n),
		func(ctx context.Context, _ *zmtp.Session) error {
			for i := range n {
				m, err := l.Sock.TryRecv(ctx, RecvWithin)
				if err != nil {
					return fmt.Errorf("message %d of %d: %s's receive answered %v", i+1, n, l.w.Impl.Name, err)
				}
				if m, err = l.unroute(m); err != nil {
					return err
				}
				if want := harness.Msg(fmt.Sprintf(format, i)); !sameFrames(m, want) {
					return fmt.Errorf("message %d of %d is %s, expected %s", i+1, n, harness.Describe(m), harness.Describe(want))
				}
			}
			return nil
		})
}

// ReceivesNothing is the step "the implementation delivers nothing within d" (a partial or
// malformed message must never reach the application).
func (l *Link) ReceivesNothing(d time.Duration) zmtp.Step {
	return zmtp.Do(fmt.Sprintf("the %s %s receives nothing within %s", l.w.Impl.Name, l.Sock.Type, d),
		func(ctx context.Context, _ *zmtp.Session) error {
			m, err := l.Sock.TryRecv(ctx, d)
			if peer.Category(err) == peer.ErrAgain {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s's receive answered %v", l.w.Impl.Name, err)
			}
			return fmt.Errorf("%s delivered %s to the application", l.w.Impl.Name, harness.Describe(m))
		})
}

// Sends is the step "the implementation's socket sends these frames" (to the routing id a
// ROUTER last received from).
func (l *Link) Sends(frames ...string) zmtp.Step {
	m := harness.Msg(frames...)
	return zmtp.Do(fmt.Sprintf("the %s %s sends %s", l.w.Impl.Name, l.Sock.Type, harness.Describe(m)),
		func(ctx context.Context, _ *zmtp.Session) error {
			out := m
			if l.Sock.Type == harness.ROUTER {
				if l.routeID == nil {
					return errors.New("the ROUTER has no routing id to send to (nothing received yet)")
				}
				out = append([][]byte{l.routeID}, m...)
			}
			if err := l.Sock.TrySend(ctx, harness.SendTimeout, out); err != nil {
				return fmt.Errorf("%s's send answered %v", l.w.Impl.Name, err)
			}
			return nil
		})
}

// Exchanges is the step "the implementation sends these frames while our peer reads them": a
// binding whose send returns only once the octets are written (go-zeromq) would otherwise
// wait on our peer for a message larger than the socket buffers (1 MiB over ipc).
func (l *Link) Exchanges(frames ...string) zmtp.Step {
	m := harness.Msg(frames...)
	return zmtp.Do(fmt.Sprintf("the %s %s sends %s while we read it", l.w.Impl.Name, l.Sock.Type, harness.Describe(m)),
		func(ctx context.Context, s *zmtp.Session) error {
			out := m
			if l.Sock.Type == harness.ROUTER {
				if l.routeID == nil {
					return errors.New("the ROUTER has no routing id to send to (nothing received yet)")
				}
				out = append([][]byte{l.routeID}, m...)
			}
			job := l.Sock.Start(ctx, peer.Request{Op: peer.OpSend, Frames: out, TimeoutMS: peer.Ptr(harness.SendTimeout.Milliseconds())}, "send "+harness.Describe(m))
			in, rerr := s.Next(ctx, time.Now().Add(RecvWithin))
			if _, err := job.Wait(ctx, harness.SendTimeout); err != nil {
				return fmt.Errorf("%s's send answered %v", l.w.Impl.Name, err)
			}
			if rerr != nil {
				return fmt.Errorf("reading its message: %w", rerr)
			}
			if in.Command != nil || !sameFrames(in.Message, m) {
				return fmt.Errorf("it sent %s, expected %s", in, harness.Describe(m))
			}
			return nil
		})
}

// unroute takes a ROUTER's routing-id frame off a received message.
func (l *Link) unroute(m [][]byte) ([][]byte, error) {
	if l.Sock.Type != harness.ROUTER {
		return m, nil
	}
	if len(m) < 2 {
		return nil, fmt.Errorf("the ROUTER delivered %s, without a routing id and a body", harness.Describe(m))
	}
	l.routeID = m[0]
	return m[1:], nil
}

// Crosses is a message crossing both ways on a handshaken connection (one way for PUSH and
// PULL): the accept verdict, and the robust oracle's "serves a well-behaved peer".
func (l *Link) Crosses(tag string) []zmtp.Step {
	in, out := tag+" to "+l.w.Impl.Name, tag+" from "+l.w.Impl.Name
	switch l.Sock.Type {
	case harness.PULL:
		return []zmtp.Step{zmtp.SendMessage(in), l.Receives(in)}
	case harness.PUSH:
		return []zmtp.Step{l.Sends(out), zmtp.ExpectMessage(zmtp.Frames(out), zmtp.Within(RecvWithin))}
	}
	return []zmtp.Step{zmtp.SendMessage(in), l.Receives(in), l.Sends(out), zmtp.ExpectMessage(zmtp.Frames(out), zmtp.Within(RecvWithin))}
}

// Greets is our side of a well-formed handshake (NULL, or the link's mechanism) at version v, step by step (RFC 23:
// "each peer MUST send its READY command before attempting to receive"), waiting for the
// implementation's READY.
func (l *Link) Greets(v zmtp.Version) []zmtp.Step {
	if m := l.Mechanism; m != nil {
		// A secured link's well-behaved peer runs its mechanism (PLAIN or CURVE client), whose
		// every wait is bounded by the handshake defaults of zmtp.Config.
		return []zmtp.Step{zmtp.SendGreeting(v, m.Name(), m.AsServer()), zmtp.ExpectGreeting(), zmtp.RunMechanism()}
	}
	return []zmtp.Step{
		zmtp.SendGreeting(v, "NULL", false),
		zmtp.ExpectGreeting(),
		zmtp.SendReady(zmtp.Props(zmtp.PropSocketType, l.Ours)),
		zmtp.ExpectCommand(zmtp.CmdReady),
	}
}

// SettleRaw watches a connection whose octets are not decoded (a replayed stream: the
// implementation's greeting is still unread) for SettleWithin: "closed" or "ignored". It
// reads everything, so that our close afterwards is not a reset that would discard what the
// implementation had not read yet.
func SettleRaw(how *string) zmtp.Step {
	return zmtp.Do(fmt.Sprintf("the implementation closes or ignores the connection within %s (its octets not decoded)", SettleWithin),
		func(ctx context.Context, s *zmtp.Session) error {
			_, err := s.ReadGreetingPrefix(ctx, 1<<24, time.Now().Add(SettleWithin))
			switch {
			case zmtp.IsClosed(err):
				*how = "closed"
			case IsTimeout(err):
				*how = "ignored"
			default:
				return err
			}
			return nil
		})
}

// settle watches a connection after the hostile octets for d: the implementation closes it
// ("closed", an ERROR first is "ERROR, closed") or keeps quiet ("ignored"); what else it sends
// is noted ("answered PONG"). Only a failure to read is an error.
func settle(d time.Duration, how *string) zmtp.Step {
	return zmtp.Do(fmt.Sprintf("the implementation closes or ignores the connection within %s", d),
		func(ctx context.Context, s *zmtp.Session) error {
			dl := time.Now().Add(d)
			said := ""
			for {
				in, err := s.Next(ctx, dl)
				var de *zmtp.DecodeError
				switch {
				case err == nil:
					if in.Command != nil && in.Command.Name == zmtp.CmdError {
						said = "ERROR, "
						continue
					}
					said += "answered " + in.String() + ", "
					continue
				case zmtp.IsClosed(err):
					*how = said + "closed"
				case IsTimeout(err):
					*how = said + "ignored"
				case errors.As(err, &de):
					// Keep reading until the end of the window: closing now, with its octets
					// unread, would reset the connection under the implementation's feet.
					*how = said + "sent octets that are not ZMTP (" + de.Reason + ")"
					if _, rerr := s.ReadGreetingPrefix(ctx, 1<<24, dl); zmtp.IsClosed(rerr) {
						*how += ", closed"
					}
				default:
					return err
				}
				return nil
			}
		})
}

// IsTimeout says whether a read error is a deadline passing (not a close).
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

func sameFrames(a, b [][]byte) bool {
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
