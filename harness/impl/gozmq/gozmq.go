// Package gozmq serves github.com/go-zeromq/zmq4 (pure Go ZeroMQ) as a peer.Backend.
//
// go-zeromq differs from libzmq in ways the adapter must bridge without hiding them:
//
//   - There is no context object. Each context name maps to its own context.Context, the
//     parent of that name's sockets. The inproc registry of go-zeromq is global to the process,
//     though: a socket in context "a" can connect to an inproc endpoint bound in context "b",
//     where libzmq refuses (ECONNREFUSED). The adapter does not fake the isolation; the
//     cross-context inproc case reports what the library does.
//   - There is no receive timeout and no non-blocking receive: each socket has one reader
//     goroutine, and Recv takes from it with a deadline (see io.go).
//   - Send blocks up to the library's send timeout (5 minutes by default) while no peer is
//     connected, and blocks in the network write under back-pressure: each socket has one
//     writer goroutine, and Send waits for it with a deadline (see io.go).
//   - The routing identity is fixed when the socket is created (zmq4.WithID), so the library
//     socket is created lazily, at the first operation that needs it; routing_id set before
//     that is honoured.
//   - There is no unbind, no disconnect, no linger and no HWM (except on PUB): those answer
//     ErrUnsupported or are ignored, as documented per method.
package gozmq

import (
	"context"
	"sort"
	"sync"

	"github.com/go-zeromq/zmq4"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Module is the Go module this backend wraps.
const Module = "github.com/go-zeromq/zmq4"

// fallbackVersion is reported when the binary carries no build information.
const fallbackVersion = "v0.17.0"

// Options lists the peer.Options go-zeromq genuinely implements for every socket type that
// can use them. sndhwm exists only on PUB (a queue length that drops when full) and is
// accepted there without being advertised. auto_reconnect is zmq4.WithAutomaticReconnect,
// set before the first bind/connect.
var Options = []string{"subscribe", "unsubscribe", "routing_id", "auto_reconnect"}

// Backend creates go-zeromq sockets. The zero value is not usable; call New.
type Backend struct {
	mu   sync.Mutex
	ctxs map[string]context.Context
}

// New returns a Backend with no contexts yet.
func New() *Backend {
	return &Backend{ctxs: map[string]context.Context{}}
}

// Version returns the go-zeromq module version linked into this binary.
func Version() string { return peer.ModuleVersion(Module, fallbackVersion) }

// Info describes go-zeromq; Serve adds the probed transports.
func (b *Backend) Info() peer.Hello {
	declared := zmq4.Transports() // what the library registers: inproc, ipc, tcp, udp
	sort.Strings(declared)
	return peer.Hello{
		Name:    "gozmq",
		Version: Version(),
		Binding: Module,
		Libzmq:  "",
		Notes: "pure Go; no receive timeout (the peer enforces deadlines with one reader goroutine per socket); " +
			"inproc registry is process-wide (contexts do not isolate inproc); no unbind/disconnect/linger; " +
			"sndhwm only on PUB; routing_id and auto_reconnect only before the first bind/connect; " +
			"PLAIN only (no CURVE, no ZAP: its PLAIN server accepts any credentials), role fixed by direction, before the first bind/connect",
		Caps: peer.Caps{
			SocketTypes: append([]string(nil), peer.SocketTypes...),
			Options:     append(append([]string(nil), Options...), SecurityOptions...),
			Declared:    declared,
			Bench:       true,
		},
	}
}

// context returns the context.Context standing for a context name.
func (b *Backend) context(name string) context.Context {
	b.mu.Lock()
	defer b.mu.Unlock()
	ctx, ok := b.ctxs[name]
	if !ok {
		// Never cancelled: the protocol has no context termination, and each socket's Close
		// cancels its own child context.
		ctx = context.WithValue(context.Background(), ctxName{}, name)
		b.ctxs[name] = ctx
	}
	return ctx
}

type ctxName struct{}

// constructors maps RFC socket type names to go-zeromq constructors.
var constructors = map[string]func(context.Context, ...zmq4.Option) zmq4.Socket{
	"PAIR":   zmq4.NewPair,
	"PUB":    zmq4.NewPub,
	"SUB":    zmq4.NewSub,
	"REQ":    zmq4.NewReq,
	"REP":    zmq4.NewRep,
	"DEALER": zmq4.NewDealer,
	"ROUTER": zmq4.NewRouter,
	"PULL":   zmq4.NewPull,
	"PUSH":   zmq4.NewPush,
	"XPUB":   zmq4.NewXPub,
	"XSUB":   zmq4.NewXSub,
}

// NewSocket returns a socket of type typ in the named context. The library socket itself is
// created at the first operation that needs it (see the package comment).
func (b *Backend) NewSocket(typ, context string) (peer.Socket, error) {
	mk, ok := constructors[typ]
	if !ok {
		return nil, peer.Errorf(peer.ErrUnsupported, "gozmq: no socket type %q (go-zeromq has %v)", typ, peer.SocketTypes)
	}
	return newSocket(typ, b.context(context), mk), nil
}

var _ peer.Backend = (*Backend)(nil)
