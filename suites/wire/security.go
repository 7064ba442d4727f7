package wire

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
)

// Secured sockets of the implementation, as the peer protocol sets them up (docs/peer-
// protocol.md "Security"): the mechanism options before bind/connect, Z85 text for CURVE keys,
// and the suite's own ZAP handler (RFC 27) in the implementation's peer, allowing exactly the
// credentials our well-behaved peer uses. libzmq's PLAIN and CURVE servers let everyone in
// when no handler runs; a refusal the suite reads as "the server checked the credentials" must
// never rest on that default. A binding without ZAP (go-zeromq) is judged by what its server
// lets through alone.

// PlainUser and PlainPassword are the one pair a PLAIN server of the wire cases accepts.
const (
	PlainUser     = "admin"
	PlainPassword = "secret"
)

// ZAP is the suite's handler in the implementation's peer (default context, where the cell's
// sockets live), or nil where the binding has none.
type ZAP struct {
	w *Wire
}

// zapOp runs one of the zap ops on the implementation's peer; a fault is the cell's.
func (w *Wire) zapOp(ctx context.Context, req peer.Request, step string) (peer.Reply, error) {
	p := w.Cell.Peer(ctx, w.Side)
	rep, err := p.Call(ctx, req, harness.OpTimeout+harness.ControlGrace, step)
	w.faultIsCell(err)
	return rep, err
}

// StartZAP installs the suite's handler allowing exactly spec, stopped when the cell ends; nil
// when the binding has no ZAP (unsupported, or a peer without the op).
func (w *Wire) StartZAP(ctx context.Context, spec peer.ZAPSpec) *ZAP {
	_, err := w.zapOp(ctx, peer.Request{Op: peer.OpZAP, ZAP: &spec}, "start ZAP handler")
	switch c := peer.Category(err); {
	case err == nil:
	case c == peer.ErrUnsupported || c == peer.ErrProtocol:
		return nil
	default:
		panic(&harness.StepError{Step: "start the ZAP handler in the " + w.Impl.Name + " peer", Err: err})
	}
	ginkgo.DeferCleanup(func(ctx ginkgo.SpecContext) {
		_, _ = w.zapOp(ctx, peer.Request{Op: peer.OpZAPStop}, "stop ZAP handler")
	}, ginkgo.NodeTimeout(20*time.Second))
	return &ZAP{w: w}
}

// Log is what the handler was asked so far, summarised: "PLAIN admin 400", "CURVE Ab3x… 200".
func (z *ZAP) Log(ctx context.Context) []string {
	if z == nil {
		return nil
	}
	rep, err := z.w.zapOp(ctx, peer.Request{Op: peer.OpZAPLog}, "read ZAP log")
	if err != nil {
		panic(&harness.StepError{Step: "read the ZAP log of the " + z.w.Impl.Name + " peer", Err: err})
	}
	out := make([]string, 0, len(rep.ZAPLog))
	for _, r := range rep.ZAPLog {
		who := string(r.Username)
		if len(r.Key) >= 8 {
			who = r.Key[:8] + "…"
		}
		out = append(out, strings.Join(strings.Fields(fmt.Sprintf("%s %s %s", r.Mechanism, who, r.Status)), " "))
	}
	return out
}

// AllowedNone says, when the handler allowed any request, which (nil handler: nothing to say).
func (z *ZAP) AllowedNone(ctx context.Context) error {
	log := z.Log(ctx)
	for _, r := range log {
		if strings.HasSuffix(r, " "+peer.ZAPAllow) {
			return fmt.Errorf("the ZAP handler allowed a connection our peer meant to be refused: %v", log)
		}
	}
	return nil
}

// OpenPlainServer opens a PLAIN server socket of type theirs (skipped where the binding has
// no plain_server) with the suite's handler allowing PlainUser/PlainPassword only; the link's
// well-behaved peer is a PLAIN client with those credentials.
func (w *Wire) OpenPlainServer(ctx context.Context, theirs, ours string) (*Link, *ZAP) {
	w.Require(ctx, nil, "plain_server")
	z := w.StartZAP(ctx, peer.ZAPSpec{Users: []peer.ZAPUser{{Username: []byte(PlainUser), Password: []byte(PlainPassword)}}})
	l := w.Open(ctx, theirs, ours, harness.BoolOpt("plain_server", true))
	l.Mechanism = zmtp.PlainClient(PlainUser, PlainPassword)
	return l, z
}

// CurveCell is a CURVE server of the implementation: its key pair, and the client key pair
// our well-behaved peer uses, which the suite's handler allows (and no other).
type CurveCell struct {
	Server, Client zmtp.KeyPair
	ZAP            *ZAP
}

// OpenCurveServer opens a CURVE server socket of type theirs (skipped where the binding has
// no curve_server) with fresh keys; the link's well-behaved peer is a CURVE client with
// cc.Client, the one key the suite's handler allows.
func (w *Wire) OpenCurveServer(ctx context.Context, theirs, ours string) (*Link, *CurveCell) {
	w.Require(ctx, nil, "curve_server", "curve_secretkey")
	cc := &CurveCell{}
	var err error
	if cc.Server, err = zmtp.GenerateKeyPair(); err == nil {
		cc.Client, err = zmtp.GenerateKeyPair()
	}
	if err != nil {
		panic(&harness.StepError{Step: "generate CURVE keys", Err: err})
	}
	cc.ZAP = w.StartZAP(ctx, peer.ZAPSpec{CurveKeys: []string{cc.Client.Public.Z85()}})
	l := w.Open(ctx, theirs, ours, harness.BoolOpt("curve_server", true),
		harness.Opt{Name: "curve_secretkey", Value: cc.Server.Secret.Z85()})
	l.Mechanism = zmtp.CurveClient(cc.Client, cc.Server.Public)
	// Every CURVE implementation here drops a MESSAGE in a command frame (W.MEC.7, libzmq's
	// framing); a case about something else (W.MEC.6's well-behaved peer afterwards) must not
	// fail on that finding, so the link's own connections frame boxes as libzmq does.
	l.CurveDataFrames = true
	return l, cc
}

// Config is a CURVE client configuration with our allowed key, framing MESSAGE boxes as
// RFC 25/26 define them (command frames), for a play of its own.
func (cc *CurveCell) Config(socketType string) zmtp.Config {
	return zmtp.Config{SocketType: socketType, Mechanism: zmtp.CurveClient(cc.Client, cc.Server.Public)}
}
