package conformance_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
)

// Security cells (docs/cases.md part N). The pairing gives the roles: the bind side is the
// server, the connect side the client. The oracle is the RFC and a ZAP handler the suite
// configures in the server's peer (docs/peer-protocol.md "Security"): never a binding's own
// allow-all default.

// secured skips inproc cells: inproc connects sockets inside one context without a ZMTP
// connection, so there is no greeting and no mechanism handshake to check.
func secured(cell *h.Cell) {
	if cell.Transport == h.InProc {
		panic(&h.Unsupported{Impl: "inproc", What: "a security handshake (no ZMTP connection: inproc pipes skip the greeting and the mechanism)"})
	}
}

// zap is the suite's ZAP handler in one side's peer (default context, where the cell's
// sockets live), or nil where the binding has no ZAP.
type zap struct {
	cell *h.Cell
	side string
}

// zapOp runs one request (the zap ops, which name no socket, or a getopt whose refusal the
// case judges) on a side's peer. A fault panics as a cell's fault does; a refusal is returned.
func zapOp(ctx context.Context, cell *h.Cell, side string, req peer.Request, step string) (peer.Reply, error) {
	p := cell.Peer(ctx, side)
	rep, err := p.Call(ctx, req, h.OpTimeout+h.ControlGrace, step+" ("+side+")")
	var f *h.Fault
	if errors.As(err, &f) {
		f.Role = side
		panic(f)
	}
	return rep, err
}

// startZAP installs the suite's handler in the server's peer, allowing exactly spec, and
// stops it when the cell ends. It returns nil when the binding has no ZAP (unsupported, or a
// peer predating the op): the cell then judges the server by what it lets through alone.
func startZAP(ctx context.Context, cell *h.Cell, side string, spec peer.ZAPSpec) *zap {
	_, err := zapOp(ctx, cell, side, peer.Request{Op: peer.OpZAP, ZAP: &spec}, "start ZAP handler")
	switch {
	case err == nil:
	case peer.Category(err) == peer.ErrUnsupported || peer.Category(err) == peer.ErrProtocol:
		return nil
	default:
		panic(&h.StepError{Step: "start ZAP handler in the " + side + " peer", Err: err})
	}
	z := &zap{cell: cell, side: side}
	DeferCleanup(func(ctx SpecContext) {
		_, _ = zapOp(ctx, cell, side, peer.Request{Op: peer.OpZAPStop}, "stop ZAP handler")
	}, NodeTimeout(20*time.Second))
	return z
}

// Log is what the handler was asked so far.
func (z *zap) Log(ctx context.Context) []peer.ZAPRecord {
	rep, err := zapOp(ctx, z.cell, z.side, peer.Request{Op: peer.OpZAPLog}, "read ZAP log")
	if err != nil {
		panic(&h.StepError{Step: "read the ZAP log of the " + z.side + " peer", Err: err})
	}
	return rep.ZAPLog
}

// statuses summarises a log: "PLAIN admin 400, PLAIN admin 200".
func statuses(log []peer.ZAPRecord) []string {
	out := make([]string, 0, len(log))
	for _, r := range log {
		who := string(r.Username)
		if r.Key != "" {
			who = r.Key[:8] + "…"
		}
		out = append(out, strings.Join(strings.Fields(fmt.Sprintf("%s %s %s", r.Mechanism, who, r.Status)), " "))
	}
	return out
}

// Credentials of the PLAIN cells.
const (
	plainUser = "admin"
	plainPass = "s3cr3t-password"
)

func plainSpec() peer.ZAPSpec {
	return peer.ZAPSpec{Users: []peer.ZAPUser{{Username: []byte(plainUser), Password: []byte(plainPass)}}}
}

func plainServerOpts() []h.Opt { return []h.Opt{h.BoolOpt("plain_server", true)} }

func plainClientOpts(user, pass string) []h.Opt {
	return []h.Opt{{Name: "plain_username", Value: b64s(user)}, {Name: "plain_password", Value: b64s(pass)}}
}

func b64s(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// keys is a CURVE key pair as the protocol carries it (Z85 text).
type keys struct{ public, secret string }

// newKeys makes a fresh pair (zmtp.GenerateKeyPair, crypto/rand): no key is reused across cells.
func newKeys() keys {
	kp, err := zmtp.GenerateKeyPair()
	if err != nil {
		panic(&h.StepError{Step: "generate a CURVE key pair", Err: err})
	}
	return keys{public: kp.Public.Z85(), secret: kp.Secret.Z85()}
}

func curveServerOpts(server keys) []h.Opt {
	return []h.Opt{h.BoolOpt("curve_server", true), {Name: "curve_secretkey", Value: server.secret}}
}

func curveClientOpts(client keys, serverPublic string) []h.Opt {
	return []h.Opt{{Name: "curve_serverkey", Value: serverPublic}, {Name: "curve_publickey", Value: client.public},
		{Name: "curve_secretkey", Value: client.secret}}
}

// curveCell is a cell whose server (bind side) runs CURVE with the suite's handler allowing
// the client's key.
type curveCell struct {
	server, client keys
	zap            *zap
}

func newCurveCell(ctx context.Context, cell *h.Cell) *curveCell {
	secured(cell)
	cc := &curveCell{server: newKeys(), client: newKeys()}
	cc.zap = startZAP(ctx, cell, h.BindSide, peer.ZAPSpec{CurveKeys: []string{cc.client.public}})
	return cc
}

func (cc *curveCell) serverOpts(extra ...h.Opt) []h.Opt {
	return append(curveServerOpts(cc.server), extra...)
}

func (cc *curveCell) clientOpts(extra ...h.Opt) []h.Opt {
	return append(curveClientOpts(cc.client, cc.server.public), extra...)
}

// refusalWindow is how long a refused connection is watched: a few of libzmq's 100 ms
// reconnect intervals, so that the client has retried (and the handler refused) more than
// once, and any message a wrongly accepted connection would carry has crossed long since (a
// loopback handshake takes milliseconds).
var refusalWindow = h.QuietReconnect

// nothingEitherWay is the RFC 24/26 sentence "no message is ever delivered": each side of a
// refused PAIR connection offers a message (a send that may be refused for want of a peer,
// which is fine), and none of them receives anything within the refusal window. The clients
// are watched together, so that a cell with several refused clients waits once.
func nothingEitherWay(ctx context.Context, why string, server *h.Sock, clients ...*h.Sock) {
	for _, cl := range clients {
		_ = cl.TrySend(ctx, 100*time.Millisecond, h.Msg("from the refused client "+cl.Name))
	}
	_ = server.TrySend(ctx, 100*time.Millisecond, h.Msg("from the server to a refused client"))
	h.NothingArrives(ctx, refusalWindow, why, append([]*h.Sock{server}, clients...)...)
}

// connectRefused creates a client that the server is to refuse and connects it. libzmq
// connects at once and fails the handshake later, out of sight; go-zeromq handshakes inside
// connect, so its refusal can be the connect's error (harness TryConnect): both are a
// refusal, and the socket is returned either way for the delivery checks.
func connectRefused(ctx context.Context, cell *h.Cell, typ string, server *h.Sock, opts ...h.Opt) *h.Sock {
	s := cell.Socket(ctx, h.ConnectSide, typ, opts...)
	err := s.TryConnect(ctx, server.Endpoint)
	h.SkipIfUnsupported(s.Impl(), "connect "+server.Endpoint, err)
	if err != nil {
		cell.Observe("refused-at-connect")
	}
	return s
}

// requireMechanisms skips a cell whose side speaks no ZMTP 3 mechanism at all (JeroMQ 0.3.6,
// ZMTP/2.0): such a peer has no greeting to carry a mechanism or a ZAP request, and libzmq
// refuses it outright once ZAP is on (RFC 23's downgrade clause), whatever the case asks.
func requireMechanisms(ctx context.Context, cell *h.Cell, side string) {
	hello := cell.Hello(ctx, side)
	for _, o := range []string{"plain_username", "curve_publickey"} {
		if peer.Has(hello.Caps.Options, o) {
			return
		}
	}
	panic(&h.Unsupported{Impl: hello.Name, What: "any ZMTP 3 security mechanism (its peer lists no plain_ or curve_ option)"})
}

// refusedByZAP checks what the handler said: asked at least once, and never allowed.
func refusedByZAP(ctx context.Context, z *zap, what string) {
	if z == nil {
		return // no ZAP in this binding: the delivery checks above are the verdict
	}
	log := z.Log(ctx)
	Expect(log).NotTo(BeEmpty(), "the server never asked its ZAP handler about %s: it cannot have refused by credentials", what)
	for _, r := range log {
		Expect(r.Status).To(Equal(peer.ZAPRefuse), "the ZAP handler allowed %s: %v", what, statuses(log))
	}
}

// exchange proves a connection carries messages both ways, unchanged (PAIR).
func exchange(ctx context.Context, server, client *h.Sock) {
	client.SendMsg(ctx, h.Msg("hello", "", "from the client"))
	Expect(h.Strings(server.Recv(ctx))).To(Equal([]string{"hello", "", "from the client"}), "client → server")
	server.SendMsg(ctx, h.Msg("welcome", "from the server"))
	Expect(h.Strings(client.Recv(ctx))).To(Equal([]string{"welcome", "from the server"}), "server → client")
}

// tapped relays the connecting side through the suite's Tap (harness/zmtp), which decodes
// both directions into a transcript: the connect side dials the tap, the tap dials the binder.
// tcp and ipc both: the tap listens on the cell's transport.
func tapped(ctx context.Context, cell *h.Cell, target *h.Sock) *zmtp.Tap {
	listen := "tcp://127.0.0.1:0"
	if cell.Transport == h.IPC {
		ep, err := h.NewEndpoint(h.IPC)
		if err != nil {
			panic(&h.StepError{Step: "allocate the tap's ipc endpoint", Err: err})
		}
		listen = ep
	}
	tap, err := zmtp.NewTap(zmtp.TapConfig{Listen: listen, Target: target.Endpoint})
	if err != nil {
		panic(&h.StepError{Step: "start the tap", Err: err})
	}
	DeferCleanup(func() { _ = tap.Close() })
	return tap
}
