package peercheck

import (
	"fmt"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// checkQuit: quit is answered, then the process exits with status 0 (with a socket open).
func checkQuit(c *checkCtx) {
	raw := rawSession(c, "quit")
	defer raw.kill()
	m, _, err := raw.call(map[string]any{"id": 4, "op": peer.OpQuit}, 10*time.Second)
	if err != nil {
		c.problem(peer.OpQuit, Mandatory, fmt.Sprintf("quit: %v; last stderr: %q", err, raw.stderr.last()), "answer quit, then exit 0", "operations")
		return
	}
	(&fieldCheck{c: c, op: peer.OpQuit, anchor: "operations"}).envelope(m, 4)
	exitsZero(c, raw, peer.OpQuit, "after answering quit")
}

// checkEndOfInput: the end of stdin means quit: the peer exits with status 0, without a reply.
func checkEndOfInput(c *checkCtx) {
	raw := rawSession(c, "end of input")
	defer raw.kill()
	_ = raw.stdin.Close()
	exitsZero(c, raw, peer.OpQuit, "at the end of its input")
	if l, err := raw.line(100 * time.Millisecond); err == nil {
		c.problem(peer.OpQuit, Mandatory, fmt.Sprintf("at the end of its input the peer wrote %q", truncate(l)), "exit without a reply: there is no request to answer", "framing")
	}
}

// rawSession starts the command, says hello, and opens and binds a socket, so that quit and
// the end of input find something to close.
func rawSession(c *checkCtx, what string) *rawPeer {
	raw, err := startRaw(c.cfg.Command, c.peerEnv())
	if err != nil {
		c.problem(peer.OpHello, Mandatory, "cannot start the peer: "+err.Error(), "", "hello")
		c.stop()
	}
	for i, req := range []map[string]any{
		{"id": 1, "op": peer.OpHello},
		{"id": 2, "op": peer.OpSocket, "type": "PAIR"},
	} {
		m, _, err := raw.call(req, c.cfg.StartTimeout)
		if err != nil || m["ok"] != true {
			raw.kill()
			c.problem(req["op"].(string), Mandatory, fmt.Sprintf("before checking %s: %s answered %s (%v); last stderr: %q", what, req["op"], jsonOf(m), err, raw.stderr.last()), "", "operations")
			c.stop()
		}
		if i == 1 {
			sock, _ := m["socket"].(string)
			ep := c.endpoint(c.transport())
			if _, _, err := raw.call(map[string]any{"id": 3, "op": peer.OpBind, "socket": sock, "endpoint": ep}, 10*time.Second); err != nil {
				raw.kill()
				c.problem(peer.OpBind, Mandatory, fmt.Sprintf("before checking %s: bind: %v", what, err), "", "operations")
				c.stop()
			}
		}
	}
	return raw
}

// exitsZero expects the process to exit with status 0 within 10 s.
func exitsZero(c *checkCtx, raw *rawPeer, op, when string) {
	code, ok := raw.exitCode(10 * time.Second)
	switch {
	case !ok:
		c.problem(op, Mandatory, "the peer did not exit within 10 s "+when, "close the sockets (linger 0), end the contexts, exit", "operations")
	case code != 0:
		c.problem(op, Mandatory, fmt.Sprintf("the peer exited with status %d %s; last stderr: %q", code, when, raw.stderr.last()), "exit with status 0", "operations")
	}
}
