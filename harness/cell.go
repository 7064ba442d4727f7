package harness

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
)

// Socket types by their RFC names.
const (
	PAIR   = "PAIR"
	PUB    = "PUB"
	SUB    = "SUB"
	REQ    = "REQ"
	REP    = "REP"
	DEALER = "DEALER"
	ROUTER = "ROUTER"
	PULL   = "PULL"
	PUSH   = "PUSH"
	XPUB   = "XPUB"
	XSUB   = "XSUB"
)

// Sides of a cell.
const (
	BindSide    = "bind"
	ConnectSide = "connect"
)

// Default in-peer timeouts of a cell's operations. They bound waiting for something that
// should happen; a case that expects nothing to happen passes its own, shorter, timeout.
var (
	RecvTimeout = 5 * time.Second
	SendTimeout = 5 * time.Second
	OpTimeout   = 10 * time.Second // control operations: socket, bind, setopt, close
)

// Cell is one point of the matrix: a transport, the implementation whose sockets bind, and
// the one whose sockets connect. Inproc cells have one implementation and one context.
// Its methods panic with *Fault, *StepError or *Unsupported; Run turns those into outcomes.
type Cell struct {
	// ID names the cell in records and in late-crash reports: "PP.1 tcp gozmq→libzmq".
	ID          string
	Transport   string
	BindImpl    *Impl
	ConnectImpl *Impl
	pool        *Pool

	mu    sync.Mutex
	socks []*Sock
	steps []string
	obs   observer
	late  []*LateCrash

	// Tap sends the cell's tcp connections through a decoding relay (tap.go).
	Tap      bool
	taps     map[string]*zmtp.Tap // by the bound endpoint they relay to
	tapOrder []*zmtp.Tap
}

// NewCell makes a cell whose peers come from pool; its id defaults to transport and pairing.
func NewCell(pool *Pool, transport string, bind, connect *Impl) *Cell {
	return &Cell{ID: fmt.Sprintf("%s %s→%s", transport, bind.Name, connect.Name), Transport: transport,
		BindImpl: bind, ConnectImpl: connect, pool: pool}
}

// StepError is a binding refusing an operation the case needed to succeed.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }

// Unwrap exposes the peer's WireError.
func (e *StepError) Unwrap() error { return e.Err }

// Unsupported is a capability a case needs that a side lacks: the case is skipped, with why.
type Unsupported struct {
	Impl, What string
}

func (u *Unsupported) Error() string { return u.Impl + " does not support " + u.What }

// Opt is a socket option applied before bind/connect.
type Opt struct {
	Name  string
	Value any
}

// Option builders: bytes options are base64 on the wire.
func Subscribe(topic string) Opt { return Opt{"subscribe", b64(topic)} }
func RoutingID(id string) Opt    { return Opt{"routing_id", b64(id)} }

// ConnectRoutingID names the peer of a ROUTER's next connect (ZMQ_CONNECT_ROUTING_ID).
func ConnectRoutingID(id string) Opt { return Opt{"connect_routing_id", b64(id)} }
func IntOpt(name string, v int) Opt {
	return Opt{name, v}
}
func BoolOpt(name string, v bool) Opt { return Opt{name, v} }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// Impl returns the implementation of a side.
func (c *Cell) Impl(side string) *Impl {
	if side == BindSide || c.Transport == InProc {
		return c.BindImpl
	}
	return c.ConnectImpl
}

// role maps a side to the pool role: inproc puts both sockets in the bind-side peer, in one
// context, because inproc never crosses a context.
func (c *Cell) role(side string) string {
	if c.Transport == InProc {
		return BindSide
	}
	return side
}

// Peer returns the live peer of a side, starting it if needed.
func (c *Cell) Peer(ctx context.Context, side string) *Peer {
	p, late, err := c.pool.Get(ctx, c.Impl(side), c.role(side), c.ID)
	if late != nil {
		c.mu.Lock()
		c.late = append(c.late, late)
		c.mu.Unlock()
	}
	if err != nil {
		if f, ok := err.(*Fault); ok {
			f.Role = side
			panic(f)
		}
		panic(&StepError{Step: "start " + side + " peer", Err: err})
	}
	return p
}

// Warm starts (or checks) both sides' peers at the same time, so that a cell whose peers are
// fresh pays one start-up, not two in a row. A fault is the cell's, as from Peer.
func (c *Cell) Warm(ctx context.Context) {
	sides := []string{BindSide}
	if c.Transport != InProc {
		sides = append(sides, ConnectSide)
	}
	faults := make([]any, len(sides))
	var wg sync.WaitGroup
	for i, side := range sides {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { faults[i] = recover() }()
			c.Peer(ctx, side)
		}()
	}
	wg.Wait()
	for _, f := range faults {
		if f != nil {
			panic(f)
		}
	}
}

// Hello returns what a side's implementation said about itself.
func (c *Cell) Hello(ctx context.Context, side string) *peer.Hello { return c.Peer(ctx, side).Hello }

// Require skips the case unless a side supports an option ("option:xpub_verbose"), a socket
// type, or bench loops.
func (c *Cell) Require(ctx context.Context, side string, socketTypes []string, options ...string) {
	h := c.Hello(ctx, side)
	for _, t := range socketTypes {
		if !peer.Has(h.Caps.SocketTypes, t) {
			panic(&Unsupported{Impl: h.Name, What: "socket type " + t})
		}
	}
	for _, o := range options {
		if !peer.Has(h.Caps.Options, o) {
			panic(&Unsupported{Impl: h.Name, What: "option " + o})
		}
	}
}

// Steps returns the operations done so far, for failure messages.
func (c *Cell) Steps() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.steps...)
}

func (c *Cell) step(s string) {
	c.mu.Lock()
	c.steps = append(c.steps, s)
	c.mu.Unlock()
}

// Socket creates a socket of typ in a side's peer and applies opts.
func (c *Cell) Socket(ctx context.Context, side, typ string, opts ...Opt) *Sock {
	p := c.Peer(ctx, side)
	if !peer.Has(p.Hello.Caps.SocketTypes, typ) {
		panic(&Unsupported{Impl: p.Hello.Name, What: "socket type " + typ})
	}
	s := &Sock{cell: c, peer: p, Side: side, Type: typ}
	rep := s.call(ctx, peer.Request{Op: peer.OpSocket, Type: typ}, OpTimeout, "create "+typ)
	s.ID = rep.Socket
	c.mu.Lock()
	c.socks = append(c.socks, s)
	n := 0
	for _, o := range c.socks {
		if o.Side == side && o.Type == typ {
			n++
		}
	}
	c.mu.Unlock()
	s.Name = fmt.Sprintf("%s %s", side, typ)
	if n > 1 {
		s.Name = fmt.Sprintf("%s %s #%d", side, typ, n)
	}
	for _, o := range opts {
		s.SetOpt(ctx, o.Name, o.Value)
	}
	return s
}

// Bind creates a socket on the bind side and binds it to a fresh endpoint of the transport.
func (c *Cell) Bind(ctx context.Context, typ string, opts ...Opt) *Sock {
	s := c.Socket(ctx, BindSide, typ, opts...)
	s.BindNew(ctx)
	return s
}

// Connect creates a socket on the connect side and connects it to to's endpoint.
func (c *Cell) Connect(ctx context.Context, typ string, to *Sock, opts ...Opt) *Sock {
	s := c.Socket(ctx, ConnectSide, typ, opts...)
	s.ConnectTo(ctx, to)
	return s
}

// ConnectN connects n sockets of typ to to, in order.
func (c *Cell) ConnectN(ctx context.Context, typ string, n int, to *Sock, opts ...Opt) []*Sock {
	out := make([]*Sock, n)
	for i := range out {
		out[i] = c.Connect(ctx, typ, to, opts...)
	}
	return out
}

// LateCrashes returns the peers this cell found dead at their first use: deaths that belong to
// the cells that used those peers before.
func (c *Cell) LateCrashes() []*LateCrash {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*LateCrash(nil), c.late...)
}

// Close closes every socket the cell created (linger 0). It runs after the case body (and
// again as cleanup, when it does nothing), also after a fault. A peer that crashes or hangs
// while its sockets close has done so in this cell: the first such fault is returned for the
// cell's verdict; a binding's refusal to close is not a result and is ignored.
func (c *Cell) Close(ctx context.Context) *Fault {
	c.mu.Lock()
	socks := c.socks
	c.socks = nil
	c.mu.Unlock()
	var first *Fault
	retire := map[*Peer]bool{}
	for i := len(socks) - 1; i >= 0; i-- {
		s := socks[i]
		if s.lingering && s.peer.Alive() {
			retire[s.peer] = true
		}
		if s.closed || !s.peer.Alive() {
			continue
		}
		_, err := s.peer.Call(ctx, peer.Request{Op: peer.OpClose, Socket: s.ID, LingerMS: peer.Ptr[int64](0)}, OpTimeout, "close "+s.Name)
		var f *Fault
		if errors.As(err, &f) && first == nil {
			f.Role = s.Side
			first = f
		}
	}
	// A socket the case closed with a linger other than 0 can outlive the cell inside its
	// peer: libzmq keeps a closed socket that still holds messages for a peer that is gone
	// for the whole linger (-1: for the life of the context), redialling its endpoint all the
	// while. Once the kernel hands that port to a later cell's bind, the old socket connects
	// there and delivers into a cell it has nothing to do with (seen: CON.10's "queued N"
	// messages arriving in an LNK.6 cell of another process). Such a peer serves no other
	// cell: it is killed, uncharged, and the pool starts a fresh one.
	for p := range retire {
		if p.killByHarness("the end of a cell that closed a socket with a linger", "by the harness, so that the socket does not outlive the cell") {
			c.step(fmt.Sprintf("retire %s peer (%s): a socket closed with a linger may outlive the cell", p.Role, p.Impl.Name))
		}
	}
	c.closeTaps()
	return first
}
