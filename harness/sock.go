package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Sock is a socket living in a peer process. Methods without "Try" must succeed; the Try
// variants return the binding's refusal (*peer.WireError) for the case to judge.
type Sock struct {
	cell     *Cell
	peer     *Peer
	ID       string
	Side     string
	Type     string
	Name     string // "connect PULL #3": what failure messages call it
	Endpoint string // the real endpoint it is bound to, if bound
	closed   bool
	// lingering says the case closed the socket with a linger other than 0: it may live on
	// in its peer after the cell (see Cell.Close).
	lingering bool
	// subscribed are the subscribers a probe published by this socket has reached: their
	// connections are proven up (AwaitSubscribed's shorter bound applies to them).
	subscribed map[*Sock]bool
}

// Impl is the implementation this socket belongs to.
func (s *Sock) Impl() string { return s.peer.Impl.Name }

// try runs one request; faults panic (the peer is gone), refusals are returned. A protocol error
// to an op the peer must serve is a defect of the peer, never a refusal a case could judge: it
// fails the step (see peerProtocolError).
func (s *Sock) try(ctx context.Context, req peer.Request, timeout time.Duration, step string) (peer.Reply, error) {
	return s.tryAs(ctx, req, req.Op, timeout, step)
}

// tryAs is try for a request that stands for another op: a wait stands for the op of its job,
// whose reply it carries.
func (s *Sock) tryAs(ctx context.Context, req peer.Request, op string, timeout time.Duration, step string) (peer.Reply, error) {
	req.Socket = s.ID
	step = fmt.Sprintf("%s (%s)", step, s.Name)
	s.cell.step(step)
	rep, err := s.peer.Call(ctx, req, timeout+ControlGrace, step)
	var f *Fault
	if errors.As(err, &f) {
		f.Role = s.Side
		panic(f)
	}
	if peer.Category(err) == peer.ErrProtocol && !OptionalOp(op) {
		panic(&StepError{Step: fmt.Sprintf("%s %s", s.peer.Impl.Name, step), Err: peerProtocolError(s.peer.Impl.Name, op, err)})
	}
	return rep, err
}

// call is try for steps that must succeed: a refusal fails the case, or skips it when the
// binding says the feature is unsupported, or the peer lacks an optional op.
func (s *Sock) call(ctx context.Context, req peer.Request, timeout time.Duration, step string) peer.Reply {
	rep, err := s.try(ctx, req, timeout, step)
	if err != nil {
		if NotSupported(req.Op, err) {
			panic(&Unsupported{Impl: s.peer.Impl.Name, What: step + " (" + err.Error() + ")"})
		}
		panic(&StepError{Step: fmt.Sprintf("%s %s", s.peer.Impl.Name, step+" ("+s.Name+")"), Err: err})
	}
	return rep
}

// OptionalOp reports whether a peer may lack op (peer.OptionalOps, docs/peer-protocol.md:
// a peer that predates an op answers it with a protocol error). Every other op is mandatory.
func OptionalOp(op string) bool { return peer.Has(peer.OptionalOps, op) }

// NotSupported reports whether err means "not supported" for a request of op
// (docs/peer-protocol.md, Error categories and Versioning): the category unsupported, or a
// protocol error to an optional op. A case that needs the feature is skipped.
func NotSupported(op string, err error) bool {
	switch peer.Category(err) {
	case peer.ErrUnsupported:
		return true
	case peer.ErrProtocol:
		return OptionalOp(op)
	}
	return false
}

// peerProtocolError explains a protocol error to a mandatory op: the peer does not speak the
// protocol it announced in hello (or the harness sent it nonsense), which is a red result, not
// a skip.
func peerProtocolError(impl, op string, err error) error {
	return fmt.Errorf("peer protocol error: the %s peer answered %q, an op every version-1 peer serves, with a protocol error (a defect of the peer or the harness, docs/peer-protocol.md): %w", impl, op, err)
}

func ms(d time.Duration) *int64 { return peer.Ptr(d.Milliseconds()) }

// BindNew binds to a fresh endpoint of the cell's transport and records the real one.
func (s *Sock) BindNew(ctx context.Context) string {
	// The socket's own side decides the address across hosts: a connect-side socket that binds
	// (a forwarder's XPUB) binds on its own host.
	ep, err := NewEndpointOn(s.Side, s.cell.Transport)
	if err != nil {
		panic(&StepError{Step: "allocate endpoint", Err: err})
	}
	rep := s.call(ctx, peer.Request{Op: peer.OpBind, Endpoint: ep}, OpTimeout, "bind "+ep)
	s.Endpoint = rep.Endpoint
	if s.Endpoint == "" {
		s.Endpoint = ep
	}
	return s.Endpoint
}

// BindTo binds to an explicit endpoint.
// A binding that answers "unsupported" (a transport it does not have, JeroMQ's ipc) skips
// the case, as any unsupported step does; other refusals are returned for the case to judge.
func (s *Sock) BindTo(ctx context.Context, ep string) error {
	err := s.TryBind(ctx, ep)
	SkipIfUnsupported(s.Impl(), "bind "+ep, err)
	return err
}

// TryBind binds to an explicit endpoint and returns any refusal, unsupported included: for
// the cases about what a binding claims (IPC.1).
func (s *Sock) TryBind(ctx context.Context, ep string) error {
	rep, err := s.try(ctx, peer.Request{Op: peer.OpBind, Endpoint: ep}, OpTimeout, "bind "+ep)
	if err == nil {
		s.Endpoint = rep.Endpoint
	}
	return err
}

// SkipIfUnsupported skips the case when err is the binding's "unsupported": what the case needs
// is not there, which is a capability, not a result.
func SkipIfUnsupported(impl, what string, err error) {
	if peer.Category(err) == peer.ErrUnsupported {
		panic(&Unsupported{Impl: impl, What: what + " (" + err.Error() + ")"})
	}
}

// ConnectTo connects to a bound socket's endpoint.
// In a tapped cell the connection goes through the cell's tap for that socket (tap.go).
func (s *Sock) ConnectTo(ctx context.Context, to *Sock) {
	if to.Endpoint == "" {
		panic(&StepError{Step: "connect " + s.Name, Err: fmt.Errorf("%s is not bound", to.Name)})
	}
	ep, err := s.cell.tapEndpoint(to)
	if err != nil {
		panic(&StepError{Step: "tap " + to.Endpoint, Err: err})
	}
	s.ConnectEndpoint(ctx, ep)
}

// ConnectEndpoint connects to an explicit endpoint.
func (s *Sock) ConnectEndpoint(ctx context.Context, ep string) {
	s.call(ctx, peer.Request{Op: peer.OpConnect, Endpoint: ep}, OpTimeout, "connect "+ep)
}

// TryConnect connects to an explicit endpoint and returns the binding's refusal for the case to
// judge: go-zeromq handshakes inside connect, so a peer it refuses fails the connect itself,
// where libzmq's connect succeeds and the handshake fails later, out of sight.
func (s *Sock) TryConnect(ctx context.Context, ep string) error {
	_, err := s.try(ctx, peer.Request{Op: peer.OpConnect, Endpoint: ep}, OpTimeout, "connect "+ep)
	return err
}

// RefusesPeerType reports whether err is a binding refusing a peer for its socket type (RFC 23
// socket-type table): the protocol has no category for it, so it is recognised by its message
// naming the peer's type and the incompatibility (go-zeromq: `peer="DEALER" not compatible with
// "REQ"`). Any other error — a timeout, an unreachable endpoint — is not a refusal of the type.
func RefusesPeerType(err error, peerType string) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	if !strings.Contains(msg, strings.ToLower(peerType)) {
		return false
	}
	for _, why := range []string{"compatib", "socket type", "socket-type", "mismatch"} {
		if strings.Contains(msg, why) {
			return true
		}
	}
	return false
}

// Disconnect disconnects from an endpoint.
func (s *Sock) Disconnect(ctx context.Context, ep string) error {
	_, err := s.try(ctx, peer.Request{Op: peer.OpDisconnect, Endpoint: ep}, OpTimeout, "disconnect "+ep)
	return err
}

// Unbind unbinds from an endpoint.
func (s *Sock) Unbind(ctx context.Context, ep string) error {
	_, err := s.try(ctx, peer.Request{Op: peer.OpUnbind, Endpoint: ep}, OpTimeout, "unbind "+ep)
	return err
}

// SetOpt sets an option that must be accepted (unsupported skips the case).
func (s *Sock) SetOpt(ctx context.Context, name string, value any) {
	s.call(ctx, peer.Request{Op: peer.OpSetOpt, Name: name, Value: value}, OpTimeout, fmt.Sprintf("setopt %s=%v", name, value))
}

// TrySetOpt sets an option and returns the binding's refusal.
func (s *Sock) TrySetOpt(ctx context.Context, name string, value any) error {
	_, err := s.try(ctx, peer.Request{Op: peer.OpSetOpt, Name: name, Value: value}, OpTimeout, fmt.Sprintf("setopt %s=%v", name, value))
	return err
}

// Subscribe and Unsubscribe change a SUB's subscriptions.
func (s *Sock) Subscribe(ctx context.Context, topic string) { s.SetOpt(ctx, "subscribe", b64(topic)) }
func (s *Sock) Unsubscribe(ctx context.Context, topic string) {
	s.SetOpt(ctx, "unsubscribe", b64(topic))
}

// GetOpt reads an option.
func (s *Sock) GetOpt(ctx context.Context, name string) any {
	return s.call(ctx, peer.Request{Op: peer.OpGetOpt, Name: name}, OpTimeout, "getopt "+name).Value
}

// Send sends one message whose frames are strings; it must be accepted within SendTimeout.
func (s *Sock) Send(ctx context.Context, frames ...string) {
	s.SendMsg(ctx, Msg(frames...))
}

// SendMsg sends one message of raw frames; it must be accepted within SendTimeout.
func (s *Sock) SendMsg(ctx context.Context, m [][]byte) {
	s.call(ctx, peer.Request{Op: peer.OpSend, Frames: m, TimeoutMS: ms(SendTimeout)}, SendTimeout, "send "+Describe(m))
}

// TrySend sends with an in-peer timeout (0 = DONTWAIT) and returns the refusal, if any.
func (s *Sock) TrySend(ctx context.Context, timeout time.Duration, m [][]byte) error {
	_, err := s.try(ctx, peer.Request{Op: peer.OpSend, Frames: m, TimeoutMS: ms(timeout)}, timeout, "send "+Describe(m))
	return err
}

// Recv receives one message, which must arrive within RecvTimeout.
func (s *Sock) Recv(ctx context.Context) [][]byte {
	return s.call(ctx, peer.Request{Op: peer.OpRecv, TimeoutMS: ms(RecvTimeout)}, RecvTimeout, "recv").Frames
}

// RecvStrings receives one message and returns its frames as strings.
func (s *Sock) RecvStrings(ctx context.Context) []string { return Strings(s.Recv(ctx)) }

// TryRecv receives with an in-peer timeout and returns the refusal (again = nothing came).
func (s *Sock) TryRecv(ctx context.Context, timeout time.Duration) ([][]byte, error) {
	rep, err := s.try(ctx, peer.Request{Op: peer.OpRecv, TimeoutMS: ms(timeout)}, timeout, "recv")
	return rep.Frames, err
}

// Close closes the socket with a linger in milliseconds (-1 = keep the socket's setting).
func (s *Sock) Close(ctx context.Context, lingerMS int64) error {
	req := peer.Request{Op: peer.OpClose}
	if lingerMS >= 0 {
		req.LingerMS = peer.Ptr(lingerMS)
	}
	_, err := s.try(ctx, req, OpTimeout, "close")
	s.closed = true
	s.lingering = lingerMS != 0
	return err
}

// Delivered says that the case has seen every message this closed socket was given arrive:
// whatever its linger, it holds nothing that could reach a later cell, so its peer serves the
// next cell instead of being retired (Cell.Close). Each retired peer is a restart, a JVM's
// among them, and LNG.1 and LNG.3 retired one in each passing cell: a conformance run
// started about 220 peer processes where 80 would serve. A case calls it only once delivery
// is checked; a cell that failed before keeps the retirement.
func (s *Sock) Delivered() { s.lingering = false }

// Job is an operation running inside a peer while the harness does other things.
type Job struct {
	sock *Sock
	id   int64
	op   string
	what string
}

// Start runs req asynchronously in the socket's peer.
func (s *Sock) Start(ctx context.Context, req peer.Request, what string) *Job {
	req.Async = true
	rep := s.call(ctx, req, OpTimeout, "start "+what)
	return &Job{sock: s, id: rep.Job, op: req.Op, what: what}
}

// SendPlan starts sending a plan's messages; each must be accepted within perMsg.
func (s *Sock) SendPlan(ctx context.Context, plan peer.Plan, perMsg time.Duration) *Job {
	return s.Start(ctx, peer.Request{Op: peer.OpSendBatch, Plan: &plan, TimeoutMS: ms(perMsg)},
		fmt.Sprintf("send_batch of %d", plan.Count))
}

// SendMsgs starts sending explicit messages.
func (s *Sock) SendMsgs(ctx context.Context, msgs [][][]byte, perMsg time.Duration) *Job {
	return s.Start(ctx, peer.Request{Op: peer.OpSendBatch, Messages: msgs, TimeoutMS: ms(perMsg)},
		fmt.Sprintf("send_batch of %d", len(msgs)))
}

// RecvN starts receiving n messages; each must arrive within perMsg of the previous.
func (s *Sock) RecvN(ctx context.Context, n int, perMsg time.Duration) *Job {
	return s.Start(ctx, peer.Request{Op: peer.OpRecvBatch, Count: n, TimeoutMS: ms(perMsg)},
		fmt.Sprintf("recv_batch of %d", n))
}

// RecvDigests is RecvN in digest mode: the reply carries 16 bytes per message (sequence
// number, CRC-32, frame count; peer.DigestOf) instead of the messages, which keeps volume
// cases from shipping 100,000 messages back as base64. A peer without the mode ignores the
// flag and answers with the messages.
func (s *Sock) RecvDigests(ctx context.Context, n int, perMsg time.Duration) *Job {
	return s.Start(ctx, peer.Request{Op: peer.OpRecvBatch, Count: n, TimeoutMS: ms(perMsg), Digest: true},
		fmt.Sprintf("recv_batch of %d (digests)", n))
}

// Wait collects the job's reply, waiting at most timeout; the reply carries partial results
// (messages received, messages sent) together with the error, if any. A job that has not
// finished within timeout is a *StillRunning error (check with errors.As): it is still going
// on, and may be waited for again.
func (j *Job) Wait(ctx context.Context, timeout time.Duration) (peer.Reply, error) {
	rep, err := j.sock.tryAs(ctx, peer.Request{Op: peer.OpWait, Job: j.id, TimeoutMS: ms(timeout)}, j.op, timeout, "wait for "+j.what)
	if stillRunning(err) {
		return rep, &StillRunning{What: j.what, After: timeout, Err: err}
	}
	return rep, err
}

// StillRunning is a Job.Wait that ended before the job did. It is not the job's result: the
// job goes on.
type StillRunning struct {
	What  string        // the job: "send_batch of 3000"
	After time.Duration // how long the wait waited
	Err   error         // the peer's reply
}

func (e *StillRunning) Error() string {
	return fmt.Sprintf("%s still running after %v", e.What, e.After)
}

// Unwrap exposes the peer's reply (category again).
func (e *StillRunning) Unwrap() error { return e.Err }

// IsStillRunning reports whether err is a Wait that ended before its job.
func IsStillRunning(err error) bool {
	var sr *StillRunning
	return errors.As(err, &sr)
}

// stillRunning recognises the peer's answer to a wait for a job that has not finished. Protocol
// version 1 has no field for it: the reply is category again (also the category of the job's
// own timeouts) with a message saying "still running" (the Go and the Python peer: "job N still
// running after …"). This is the one place that knows; a protocol field replaces it here.
func stillRunning(err error) bool {
	return peer.Category(err) == peer.ErrAgain && strings.Contains(err.Error(), "still running")
}

// Cancel asks the job to stop at its next check.
func (j *Job) Cancel(ctx context.Context) {
	_, _ = j.sock.try(ctx, peer.Request{Op: peer.OpCancel, Job: j.id}, OpTimeout, "cancel "+j.what)
}

// Msg builds a message from string frames.
func Msg(frames ...string) [][]byte {
	m := make([][]byte, len(frames))
	for i, f := range frames {
		m[i] = []byte(f)
	}
	return m
}

// Strings turns a message's frames into strings.
func Strings(m [][]byte) []string {
	out := make([]string, len(m))
	for i, f := range m {
		out[i] = string(f)
	}
	return out
}

// Describe summarises a message for step logs: short frames quoted, long ones by size.
func Describe(m [][]byte) string {
	s := "["
	for i, f := range m {
		if i > 0 {
			s += " "
		}
		if i >= 4 {
			s += fmt.Sprintf("…+%d frames", len(m)-i)
			break
		}
		if len(f) <= 16 {
			s += fmt.Sprintf("%q", f)
		} else {
			s += fmt.Sprintf("<%d B>", len(f))
		}
	}
	return s + "]"
}
