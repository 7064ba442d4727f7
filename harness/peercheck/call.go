package peercheck

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// opTimeout is the in-peer bound given to control ops (which carry no timeout_ms); the
// harness's deadline for the reply is that plus harness.ControlGrace, as for Sock.call.
const opTimeout = 2 * time.Second

// checkCtx is one check's view of the run: the live peer, the check's own deadline, and the
// sockets and jobs it created, which are cleaned up after it.
type checkCtx struct {
	*runner
	ctx  context.Context
	name string
	// p is the peer this check's sockets and jobs live in.
	p     *harness.Peer
	socks []string
	jobs  []int64
	// died says a peer died (or was killed) during this check.
	died bool
}

func levelOf(op string) Level {
	if peer.Has(peer.OptionalOps, op) {
		return Optional
	}
	return Mandatory
}

// problem records a defect of op.
func (c *checkCtx) problem(op string, lvl Level, what, fix, anchor string) {
	c.add(Finding{Kind: Problem, Op: op, Level: lvl, What: what, Fix: fix, Anchor: anchor})
}

// notImplemented records an optional op or flag the peer lacks.
func (c *checkCtx) notImplemented(op, what, anchor string) {
	c.add(Finding{Kind: NotImplemented, Op: op, Level: Optional, What: what, Anchor: anchor})
}

// note records something worth knowing that is not the peer's defect.
func (c *checkCtx) note(op, what string) {
	c.add(Finding{Kind: Note, Op: op, What: what})
}

// stop ends the check here (runCheck recovers it and cleans up).
func (c *checkCtx) stop() { panic(abort{}) }

// hello is the peer's hello (starting the peer if needed).
func (c *checkCtx) hello() *peer.Hello {
	c.live()
	return c.runner.hello
}

func (c *checkCtx) live() *harness.Peer {
	if c.p == nil {
		c.p = c.livePeer(c)
	}
	return c.p
}

// call sends req and returns the reply with the peer's refusal, if any (nil when ok). timeout
// is the in-peer bound of the request; the reply may take ControlGrace longer, as in the
// suite. A peer that crashes, hangs or answers garbage is a problem of req.Op, and the check
// stops: the next one gets a fresh peer.
func (c *checkCtx) call(req peer.Request, timeout time.Duration) (peer.Reply, *peer.WireError) {
	rep, we, f := c.tryCall(req, timeout)
	if f != nil {
		fix, anchor := "a crash is a result in the suite, but here it hides the rest of this check: see the stderr line", "a-peers-obligations-in-short"
		switch f.Kind {
		case harness.FaultHang:
			fix, anchor = "answer every request within its timeout_ms (the peer enforces deadlines, not the binding)", "deadlines-the-peer-enforces-them"
		case harness.FaultGarbage:
			fix, anchor = "write exactly one JSON reply per request line to stdout, nothing else", "framing"
		}
		c.problem(req.Op, levelOf(req.Op), "the peer "+faultText(f), fix, anchor)
		c.stop()
	}
	return rep, we
}

// tryCall is call for a check that judges a fault itself: the fault is returned, the peer is
// dead, and the check's next request starts a fresh one (the old peer's sockets and jobs are
// forgotten with it).
func (c *checkCtx) tryCall(req peer.Request, timeout time.Duration) (peer.Reply, *peer.WireError, *harness.Fault) {
	p := c.live()
	if !p.Alive() {
		// The peer died outside a call (between two of this check's requests).
		c.problem(req.Op, levelOf(req.Op), fmt.Sprintf("the peer exited before %s in check %q", req.Op, c.name),
			"a peer serves until quit or the end of its input", "a-peers-obligations-in-short")
		c.stop()
	}
	rep, err := p.Call(c.ctx, req, timeout+harness.ControlGrace, fmt.Sprintf("%s in check %q", req.Op, c.name))
	var f *harness.Fault
	if errors.As(err, &f) {
		c.died = true
		c.p, c.socks, c.jobs = nil, nil, nil
		return rep, nil, f
	}
	var we *peer.WireError
	if errors.As(err, &we) {
		return rep, we, nil
	}
	if err != nil { // encoding the request failed: a bug here, not in the peer
		panic(fmt.Sprintf("request %s: %v", req.Op, err))
	}
	return rep, nil, nil
}

// tryTimed is tryCall that also says how long the answer took.
func (c *checkCtx) tryTimed(req peer.Request, timeout time.Duration) (peer.Reply, *peer.WireError, *harness.Fault, time.Duration) {
	t0 := time.Now()
	rep, we, f := c.tryCall(req, timeout)
	return rep, we, f, time.Since(t0)
}

// discardPeer kills the peer, so that the check's next request starts a fresh one.
func (c *checkCtx) discardPeer() {
	if c.p != nil {
		c.died = true
	}
	c.killPeer()
	c.p, c.socks, c.jobs = nil, nil, nil
}

// timed is call that also says how long the answer took.
func (c *checkCtx) timed(req peer.Request, timeout time.Duration) (peer.Reply, *peer.WireError, time.Duration) {
	t0 := time.Now()
	rep, we := c.call(req, timeout)
	return rep, we, time.Since(t0)
}

// must is call for a step that has to succeed: a refusal is a problem of req.Op (what says
// which step) and stops the check.
func (c *checkCtx) must(req peer.Request, timeout time.Duration, what string) peer.Reply {
	rep, we := c.call(req, timeout)
	if we != nil {
		c.refused(req.Op, what, we)
		c.stop()
	}
	return rep
}

// refused records that op failed with we where it had to succeed.
func (c *checkCtx) refused(op, what string, we *peer.WireError) {
	fix, anchor := "it must succeed here", "operations"
	if we.Category == peer.ErrProtocol {
		fix = "implement it"
	}
	c.problem(op, levelOf(op), fmt.Sprintf("%s: answered %s", what, describe(we)), fix, anchor)
}

// describe quotes a refusal as a finding shows it: protocol error "unknown op".
func describe(we *peer.WireError) string {
	return fmt.Sprintf("%s error %q", we.Category, we.Message)
}

func ms(d time.Duration) *int64 { return peer.Ptr(d.Milliseconds()) }

// socket creates a socket that must be created, and remembers it for the cleanup.
func (c *checkCtx) socket(typ, context string) string {
	rep := c.must(peer.Request{Op: peer.OpSocket, Type: typ, Context: context}, opTimeout, "socket "+typ)
	if rep.Socket == "" {
		c.problem(peer.OpSocket, Mandatory, fmt.Sprintf("socket %s: the reply has no \"socket\" handle", typ), "", "operations")
		c.stop()
	}
	c.socks = append(c.socks, rep.Socket)
	return rep.Socket
}

// bind binds and returns the real endpoint.
func (c *checkCtx) bind(sock, ep string) string {
	rep := c.must(peer.Request{Op: peer.OpBind, Socket: sock, Endpoint: ep}, opTimeout, "bind "+ep)
	if rep.Endpoint == "" {
		c.problem(peer.OpBind, Mandatory, fmt.Sprintf("bind %s: the reply has no \"endpoint\"", ep), "answer the real endpoint", "operations")
		return ep
	}
	return rep.Endpoint
}

func (c *checkCtx) connect(sock, ep string) {
	c.must(peer.Request{Op: peer.OpConnect, Socket: sock, Endpoint: ep}, opTimeout, "connect "+ep)
}

// sendTimeout and recvTimeout bound the sends and receives that must succeed: generous, as a
// shared machine can be slow, and never waited for when things work.
const (
	sendTimeout = 5 * time.Second
	recvTimeout = 5 * time.Second
)

func (c *checkCtx) send(sock string, m [][]byte, what string) {
	c.must(peer.Request{Op: peer.OpSend, Socket: sock, Frames: m, TimeoutMS: ms(sendTimeout)}, sendTimeout, what)
}

func (c *checkCtx) recv(sock string, what string) [][]byte {
	return c.must(peer.Request{Op: peer.OpRecv, Socket: sock, TimeoutMS: ms(recvTimeout)}, recvTimeout, what).Frames
}

// start runs req as an async job and returns its id; the cleanup cancels and collects it.
func (c *checkCtx) start(req peer.Request, what string) int64 {
	req.Async = true
	rep := c.must(req, opTimeout, what+" (async)")
	if rep.Job == 0 {
		c.problem(req.Op, levelOf(req.Op), what+" (async): the reply has no \"job\"", "answer a job id, then serve on", "async-jobs")
		c.stop()
	}
	c.jobs = append(c.jobs, rep.Job)
	return rep.Job
}

// wait collects a job, waiting at most timeout inside the peer.
func (c *checkCtx) wait(job int64, timeout time.Duration) (peer.Reply, *peer.WireError) {
	return c.call(peer.Request{Op: peer.OpWait, Job: job, TimeoutMS: ms(timeout)}, timeout)
}

// pair returns a PAIR bound to a fresh endpoint of transport and a PAIR connected to it, in
// the default context.
func (c *checkCtx) pair(transport string) (bound, connected, ep string) {
	ep = c.endpoint(transport)
	bound = c.socket("PAIR", "")
	ep = c.bind(bound, ep)
	connected = c.socket("PAIR", "")
	c.connect(connected, ep)
	return bound, connected, ep
}

// endpoint allocates an endpoint as the suite does (harness.NewEndpoint): an ephemeral tcp
// port, a short ipc path in the private directory, a fresh inproc name.
func (c *checkCtx) endpoint(transport string) string {
	ep, err := harness.NewEndpoint(transport)
	if err != nil {
		panic(fmt.Sprintf("allocate a %s endpoint: %v", transport, err))
	}
	return ep
}

// transport is the one the checks use when the subject is not the transport: tcp if it
// works, else the first that does.
func (c *checkCtx) transport() string {
	ts := c.hello().Caps.Transports
	for _, t := range harness.Transports {
		if peer.Has(ts, t) {
			return t
		}
	}
	c.note(peer.OpHello, fmt.Sprintf("check %q needs a working transport; capabilities.transports lists none of tcp, ipc, inproc", c.name))
	c.stop()
	return ""
}

// cleanup cancels and collects the jobs the check left, and closes its sockets (linger 0),
// as the harness does after each cell. Refusals are ignored; a peer that dies or hangs here
// is a problem of the op that killed it.
func (c *checkCtx) cleanup() {
	if c.p == nil || !c.p.Alive() || c.p != c.peer {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c.ctx = ctx
	// A fault here was recorded by call; nothing else in these calls can panic.
	defer func() { _ = recover() }()
	for _, j := range c.jobs {
		c.call(peer.Request{Op: peer.OpCancel, Job: j}, opTimeout)
	}
	for _, j := range c.jobs {
		c.wait(j, 5*time.Second)
	}
	for i := len(c.socks) - 1; i >= 0; i-- {
		c.call(peer.Request{Op: peer.OpClose, Socket: c.socks[i], LingerMS: peer.Ptr[int64](0)}, opTimeout)
	}
	c.jobs, c.socks = nil, nil
}
