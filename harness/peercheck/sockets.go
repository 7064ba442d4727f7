package peercheck

import (
	"fmt"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// checkSocketTypes creates every socket type the hello lists (each must be created, with a
// handle of its own), tries the protocol's other types (unsupported is the right answer for
// a type the binding lacks) and a type nobody has.
func checkSocketTypes(c *checkCtx) {
	caps := c.hello().Caps
	handles := map[string]string{}
	for _, typ := range caps.SocketTypes {
		if !peer.Has(peer.SocketTypes, typ) {
			c.note(peer.OpSocket, fmt.Sprintf("capabilities.socket_types lists %q, which the protocol does not define; the suite never asks for it", typ))
			continue
		}
		rep, we := c.call(peer.Request{Op: peer.OpSocket, Type: typ}, opTimeout)
		if we != nil {
			c.problem(peer.OpSocket, Mandatory, fmt.Sprintf("socket %s (in capabilities.socket_types) answered %s", typ, describe(we)),
				"list only the types the peer can create", "operations")
			continue
		}
		if rep.Socket == "" {
			c.problem(peer.OpSocket, Mandatory, fmt.Sprintf("socket %s: the reply has no \"socket\" handle", typ), "", "operations")
			continue
		}
		c.socks = append(c.socks, rep.Socket)
		if other, dup := handles[rep.Socket]; dup {
			c.problem(peer.OpSocket, Mandatory, fmt.Sprintf("socket %s got handle %q, which %s already has", typ, rep.Socket, other), "give every socket its own handle", "operations")
		}
		handles[rep.Socket] = typ
	}
	for _, typ := range peer.SocketTypes {
		if peer.Has(caps.SocketTypes, typ) {
			continue
		}
		rep, we := c.call(peer.Request{Op: peer.OpSocket, Type: typ}, opTimeout)
		switch {
		case we == nil:
			c.socks = append(c.socks, rep.Socket)
			c.note(peer.OpSocket, fmt.Sprintf("creates %s, which capabilities.socket_types does not list: the suite skips cases that need it", typ))
		case we.Category == peer.ErrProtocol:
			c.problem(peer.OpSocket, Mandatory, fmt.Sprintf("socket %s answered %s", typ, describe(we)), "answer unsupported for a type the binding lacks", "error-categories")
		}
	}
	if rep, we := c.call(peer.Request{Op: peer.OpSocket, Type: "ZMQSUITE_NO_SUCH_TYPE"}, opTimeout); we == nil {
		c.socks = append(c.socks, rep.Socket)
		c.problem(peer.OpSocket, Mandatory, "socket ZMQSUITE_NO_SUCH_TYPE succeeded", "answer unsupported for a type the binding lacks", "error-categories")
	} else if we.Category != peer.ErrUnsupported {
		c.problem(peer.OpSocket, Mandatory, "socket ZMQSUITE_NO_SUCH_TYPE answered "+describe(we), "answer unsupported for a type the binding lacks", "error-categories")
	}
}

// checkEndpoints: connect, disconnect and unbind are answered (ok, or the binding's refusal
// with its category), and bind refuses endpoints it cannot use with a category that says
// why: unsupported for a transport the binding lacks.
func checkEndpoints(c *checkCtx) {
	t := c.transport()
	bound, conn, ep := c.pair(t)
	for _, req := range []peer.Request{
		{Op: peer.OpDisconnect, Socket: conn, Endpoint: ep},
		{Op: peer.OpUnbind, Socket: bound, Endpoint: ep},
	} {
		_, we := c.call(req, opTimeout)
		switch {
		case we == nil:
		case we.Category == peer.ErrProtocol:
			c.problem(req.Op, Mandatory, fmt.Sprintf("%s %s answered %s", req.Op, ep, describe(we)),
				fmt.Sprintf("implement it: a binding without %s answers unsupported", req.Op), "mandatory-and-optional-ops")
		default:
			c.note(req.Op, fmt.Sprintf("the binding refuses it (%s); cases that need it are skipped or report the refusal", describe(we)))
		}
	}
	s := c.socket("PAIR", "")
	bad := "zmqsuite-no-such-transport://check"
	if _, we := c.call(peer.Request{Op: peer.OpBind, Socket: s, Endpoint: bad}, opTimeout); we == nil {
		c.problem(peer.OpBind, Mandatory, "bind "+bad+" succeeded", "", "error-categories")
	} else if we.Category != peer.ErrUnsupported {
		c.problem(peer.OpBind, Mandatory, fmt.Sprintf("bind %s answered %s", bad, describe(we)),
			"answer unsupported for a transport the binding lacks (EPROTONOSUPPORT)", "error-categories")
	}
	malformed := "tcp://127.0.0.1:notaport"
	if _, we := c.call(peer.Request{Op: peer.OpBind, Socket: s, Endpoint: malformed}, opTimeout); we == nil {
		c.problem(peer.OpBind, Mandatory, "bind "+malformed+" succeeded", "pass the binding's refusal on", "error-categories")
	} else if we.Category == peer.ErrProtocol {
		c.problem(peer.OpBind, Mandatory, fmt.Sprintf("bind %s answered %s", malformed, describe(we)),
			"a well-formed request with a bad endpoint is the binding's to refuse (inval)", "error-categories")
	}
}

// checkClose: close answers ok (with and without linger_ms), and a closed socket is gone:
// any later request on it answers closed or protocol.
func checkClose(c *checkCtx) {
	s := c.socket("PAIR", "")
	c.bind(s, c.endpoint(c.transport()))
	c.must(peer.Request{Op: peer.OpClose, Socket: s, LingerMS: peer.Ptr[int64](0)}, opTimeout, "close with linger_ms 0")
	for _, req := range []peer.Request{
		{Op: peer.OpRecv, Socket: s, TimeoutMS: peer.Ptr[int64](0)},
		{Op: peer.OpClose, Socket: s},
	} {
		_, we := c.call(req, opTimeout)
		if we == nil || (we.Category != peer.ErrClosed && we.Category != peer.ErrProtocol) {
			c.problem(req.Op, Mandatory, fmt.Sprintf("%s on a closed socket answered %s", req.Op, answerOf(we)), "answer closed (or protocol: an unknown socket)", "operations")
		}
	}
	s2 := c.socket("PAIR", "")
	c.must(peer.Request{Op: peer.OpClose, Socket: s2}, opTimeout, "close without linger_ms")
}

// Context names the checks use; a peer keeps its contexts for its life, so these do not
// collide with the suite's.
const (
	ctxSame  = "zmqsuite-check-a"
	ctxBound = "zmqsuite-check-x"
	ctxOther = "zmqsuite-check-y"
)

// crossWait is how long a message that crossed contexts is given to arrive.
const crossWait = 300 * time.Millisecond

// checkContexts: inproc works between sockets of one context name, and not between two.
// libzmq confines inproc to a context (zmq_inproc(7): "between threads that share a single
// ØMQ context"), so a libzmq-based peer whose inproc crosses names is giving several names
// one context. A binding whose inproc registry is process-wide (go-zeromq) crosses anyway:
// for a peer without libzmq the crossing is a note, since the check cannot tell the peer's
// defect from the binding's behaviour (which conformance case INP.1 records).
func checkContexts(c *checkCtx) {
	h := c.hello()
	if !peer.Has(h.Caps.Transports, harness.InProc) {
		c.note("socket", "contexts not checked: inproc is not in capabilities.transports")
		return
	}
	ep := c.endpoint(harness.InProc)
	a := c.socket("PAIR", ctxSame)
	ep = c.bind(a, ep)
	b := c.socket("PAIR", ctxSame)
	c.connect(b, ep)
	msg := harness.Msg("same context")
	c.send(b, msg, "inproc within context "+ctxSame)
	if d := diffMessage(c.recv(a, "inproc within context "+ctxSame), msg); d != "" {
		c.problem(peer.OpRecv, Mandatory, "inproc within one context: "+d, "", "contexts")
	}

	ep2 := c.endpoint(harness.InProc)
	x := c.socket("PAIR", ctxBound)
	ep2 = c.bind(x, ep2)
	y := c.socket("PAIR", ctxOther)
	if _, we := c.call(peer.Request{Op: peer.OpConnect, Socket: y, Endpoint: ep2}, opTimeout); we != nil {
		return // refused: nothing crosses
	}
	c.call(peer.Request{Op: peer.OpSend, Socket: y, Frames: harness.Msg("crossed"), TimeoutMS: peer.Ptr[int64](0)}, opTimeout)
	_, we := c.call(peer.Request{Op: peer.OpRecv, Socket: x, TimeoutMS: ms(crossWait)}, crossWait)
	if we != nil {
		return
	}
	what := fmt.Sprintf("a message crossed from context %q to an inproc endpoint bound in %q", ctxOther, ctxBound)
	if h.Libzmq != "" {
		c.problem(peer.OpSocket, Mandatory, what+"; libzmq confines inproc to one context, so the peer gives both names one context",
			"keep one ZeroMQ context per context name", "contexts")
		return
	}
	c.note(peer.OpSocket, what+": either the peer gives both names one context (a defect: keep one context per name), or the binding's inproc ignores contexts (go-zeromq's is process-wide; case INP.1 reports it)")
}
