package peercheck

import (
	"fmt"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// zapContext is the context the ZAP check runs in: its own, so that a handler it leaves
// behind (a peer that fails zap_stop) cannot meet another check's sockets.
const zapContext = "zmqsuite-check-zap"

// checkZAP (optional, docs/peer-protocol.md "Security"): zap starts the peer's own handler,
// which lets a PLAIN client with the listed credentials in (200) and refuses a wrong password
// (400, nothing delivered); zap_log lists both requests; zap_stop stops it. A binding without
// ZAP answers unsupported (a note); a peer without the ops answers protocol (not implemented).
func checkZAP(c *checkCtx) {
	spec := peer.ZAPSpec{Users: []peer.ZAPUser{{Username: []byte("check-user"), Password: []byte("check-pass")}}}
	_, we := c.call(peer.Request{Op: peer.OpZAP, Context: zapContext, ZAP: &spec}, opTimeout)
	switch {
	case we == nil:
	case we.Category == peer.ErrProtocol:
		c.notImplemented(peer.OpZAP, "answered "+describe(we), "security")
		return
	case we.Category == peer.ErrUnsupported:
		c.note(peer.OpZAP, "the binding has no ZAP ("+describe(we)+"); cases that need a handler judge its servers without one")
		return
	default:
		c.problem(peer.OpZAP, Optional, "zap answered "+describe(we), "bind a REP at inproc://zeromq.zap.01 in the context and answer {\"ok\":true}", "security")
		return
	}
	defer c.call(peer.Request{Op: peer.OpZAPStop, Context: zapContext}, opTimeout)
	if !peer.Has(c.hello().Caps.Options, "plain_server") {
		c.note(peer.OpZAP, "zap answered ok, but PLAIN is not listed: the handler was not exercised")
		return
	}
	server := c.socket("PAIR", zapContext)
	c.must(peer.Request{Op: peer.OpSetOpt, Socket: server, Name: "plain_server", Value: true}, opTimeout, "setopt plain_server")
	ep := c.bind(server, "tcp://127.0.0.1:*")
	client := func(pass string) string {
		s := c.socket("PAIR", "")
		c.must(peer.Request{Op: peer.OpSetOpt, Socket: s, Name: "plain_username", Value: b64("check-user")}, opTimeout, "setopt plain_username")
		c.must(peer.Request{Op: peer.OpSetOpt, Socket: s, Name: "plain_password", Value: b64(pass)}, opTimeout, "setopt plain_password")
		c.must(peer.Request{Op: peer.OpConnect, Socket: s, Endpoint: ep}, opTimeout, "connect "+ep)
		return s
	}
	good := client("check-pass")
	c.must(peer.Request{Op: peer.OpSend, Socket: good, Frames: [][]byte{[]byte("allowed")}, TimeoutMS: peer.Ptr[int64](2000)}, 2*time.Second, "send")
	if _, we := c.call(peer.Request{Op: peer.OpRecv, Socket: server, TimeoutMS: peer.Ptr[int64](2000)}, 2*time.Second); we != nil {
		c.problem(peer.OpZAP, Optional, "a PLAIN client with the allowed credentials: the server's recv answered "+describe(we), "answer 200 for a listed user and password", "security")
		return
	}
	c.call(peer.Request{Op: peer.OpClose, Socket: good, LingerMS: peer.Ptr[int64](0)}, opTimeout)
	bad := client("wrong-pass")
	_, _ = c.call(peer.Request{Op: peer.OpSend, Socket: bad, Frames: [][]byte{[]byte("refused")}, TimeoutMS: peer.Ptr[int64](200)}, time.Second)
	if rep, we := c.call(peer.Request{Op: peer.OpRecv, Socket: server, TimeoutMS: peer.Ptr[int64](500)}, time.Second); we == nil {
		c.problem(peer.OpZAP, Optional, fmt.Sprintf("a PLAIN client with a wrong password got through: the server received %q", rep.Frames), "answer 400 for credentials not listed", "security")
		return
	}
	rep, we := c.call(peer.Request{Op: peer.OpZAPLog, Context: zapContext}, opTimeout)
	if we != nil {
		c.problem(peer.OpZAPLog, Optional, "zap_log answered "+describe(we), "answer the requests the handler saw", "security")
		return
	}
	var allowed, refused bool
	for _, r := range rep.ZAPLog {
		allowed = allowed || (r.Mechanism == "PLAIN" && string(r.Username) == "check-user" && r.Status == peer.ZAPAllow)
		refused = refused || (r.Mechanism == "PLAIN" && r.Status == peer.ZAPRefuse)
	}
	if !allowed || !refused {
		c.problem(peer.OpZAPLog, Optional, fmt.Sprintf("zap_log after an allowed and a refused PLAIN client answered %+v", rep.ZAPLog), "log every request with its mechanism, user name and status", "security")
	}
}
