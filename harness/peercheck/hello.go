package peercheck

import (
	"encoding/json"
	"fmt"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// goosNames are Go's operating system names (`go tool dist list`), which hello's "os" uses.
var goosNames = []string{"aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js",
	"linux", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows"}

// checkHelloFields reads the hello reply as the peer wrote it, so that a field of the wrong
// JSON type is named (through harness.Peer it would only be "not a protocol reply").
func checkHelloFields(c *checkCtx) {
	raw, err := startRaw(c.cfg.Command, c.peerEnv())
	if err != nil {
		c.problem(peer.OpHello, Mandatory, "cannot start the peer: "+err.Error(), "", "hello")
		c.stop()
	}
	defer raw.kill()
	m, _, err := raw.call(map[string]any{"id": 1, "op": peer.OpHello}, c.cfg.StartTimeout)
	if err != nil {
		c.problem(peer.OpHello, Mandatory, fmt.Sprintf("hello: %v; last stderr: %q", err, raw.stderr.last()), "answer hello with one JSON line", "hello")
		c.stop()
	}
	fields := &fieldCheck{c: c, op: peer.OpHello, anchor: "hello"}
	fields.envelope(m, 1)
	h, ok := m["hello"].(map[string]any)
	if !ok {
		fields.bad("the reply has no \"hello\" object", "answer {\"id\":…,\"ok\":true,\"hello\":{…}}")
		c.stop()
	}
	for _, k := range []string{"name", "version", "language"} {
		fields.str(h, k, true)
	}
	for _, k := range []string{"libzmq", "runtime", "binding", "notes"} {
		fields.str(h, k, false)
	}
	if n, ok := fields.integer(h, "protocol"); ok && n != peer.Version {
		fields.bad(fmt.Sprintf("\"protocol\" is %d; this harness speaks %d and refuses other versions", n, peer.Version), "")
	}
	if os, ok := fields.str(h, "os", true); ok {
		switch {
		case !peer.Has(goosNames, os):
			fields.bad(fmt.Sprintf("\"os\" is %q, not one of Go's names (%s)", os, strings.Join(goosNames, ", ")), "")
		case os != runtime.GOOS:
			fields.bad(fmt.Sprintf("\"os\" is %q, but the peer runs here, on %s", os, runtime.GOOS), "")
		}
	}
	if pid, ok := fields.integer(h, "pid"); ok {
		if pid <= 0 {
			fields.bad(fmt.Sprintf("\"pid\" is %d", pid), "answer the peer's process id")
		} else if pid != int64(raw.cmd.Process.Pid) {
			c.note(peer.OpHello, fmt.Sprintf("\"pid\" is %d, the process started is %d (a wrapper that does not exec the peer?)", pid, raw.cmd.Process.Pid))
		}
	}
	caps, ok := h["capabilities"].(map[string]any)
	if !ok {
		fields.bad("\"capabilities\" is missing or not an object", "")
		c.stop()
	}
	fields.prefix = "capabilities."
	if types, ok := fields.strings(caps, "socket_types", true); ok && !peer.Has(types, "PAIR") {
		fields.bad("\"capabilities.socket_types\" lacks PAIR, which the transport probe and most checks need", "")
	}
	if opts, ok := fields.strings(caps, "options", true); ok {
		for _, o := range opts {
			if _, known := peer.Options[o]; !known {
				fields.bad(fmt.Sprintf("\"capabilities.options\" lists %q, which the protocol does not define", o), "list protocol option names only")
			}
		}
	}
	fields.strings(caps, "transports", true)
	fields.strings(caps, "declared", true)
	if v, present := caps["probe_errors"]; present {
		if pe, ok := v.(map[string]any); !ok {
			fields.bad("\"capabilities.probe_errors\" is not an object", "")
		} else {
			for k, why := range pe {
				if _, ok := why.(string); !ok {
					fields.bad(fmt.Sprintf("\"capabilities.probe_errors.%s\" is not a string", k), "")
				}
			}
		}
	}
	if v, present := caps["bench"]; !present {
		fields.bad("\"capabilities.bench\" is missing", "say true or false")
	} else if _, ok := v.(bool); !ok {
		fields.bad(fmt.Sprintf("\"capabilities.bench\" is %s, not a boolean", jsonOf(v)), "")
	}
}

// fieldCheck names what is wrong with the fields of one reply.
type fieldCheck struct {
	c      *checkCtx
	op     string
	anchor string
	prefix string // "capabilities." while checking that object
}

func (f *fieldCheck) bad(what, fix string) {
	f.c.problem(f.op, levelOf(f.op), what, fix, f.anchor)
}

// envelope checks id and ok.
func (f *fieldCheck) envelope(m map[string]any, id int64) {
	if got, ok := m["id"].(json.Number); !ok || got.String() != strconv.FormatInt(id, 10) {
		f.bad(fmt.Sprintf("reply \"id\" is %s, the request's was %d", jsonOf(m["id"]), id), "repeat the request's id")
	}
	if ok, _ := m["ok"].(bool); !ok {
		f.bad(fmt.Sprintf("reply \"ok\" is %s", jsonOf(m["ok"])), "answer \"ok\": true")
	}
}

func (f *fieldCheck) str(m map[string]any, k string, required bool) (string, bool) {
	v, present := m[k]
	if !present {
		if required {
			f.bad(fmt.Sprintf("%q is missing", f.prefix+k), "")
		}
		return "", false
	}
	s, ok := v.(string)
	switch {
	case !ok:
		f.bad(fmt.Sprintf("%q is %s, not a string", f.prefix+k, jsonOf(v)), "")
	case required && s == "":
		f.bad(fmt.Sprintf("%q is empty", f.prefix+k), "")
	}
	return s, ok
}

func (f *fieldCheck) integer(m map[string]any, k string) (int64, bool) {
	v, present := m[k]
	if !present {
		f.bad(fmt.Sprintf("%q is missing", f.prefix+k), "")
		return 0, false
	}
	n, ok := v.(json.Number)
	if ok {
		if i, err := n.Int64(); err == nil {
			return i, true
		}
	}
	f.bad(fmt.Sprintf("%q is %s, not an integer", f.prefix+k, jsonOf(v)), "")
	return 0, false
}

func (f *fieldCheck) strings(m map[string]any, k string, required bool) ([]string, bool) {
	v, present := m[k]
	if !present {
		if required {
			f.bad(fmt.Sprintf("%q is missing", f.prefix+k), "an empty list says none")
		}
		return nil, false
	}
	list, ok := v.([]any)
	if !ok {
		f.bad(fmt.Sprintf("%q is %s, not a list of strings", f.prefix+k, jsonOf(v)), "")
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			f.bad(fmt.Sprintf("%q holds %s, not a string", f.prefix+k, jsonOf(e)), "")
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func jsonOf(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

var tcpEndpoint = regexp.MustCompile(`^tcp://127\.0\.0\.1:(\d+)$`)

// checkTransports verifies the hello's transport claims: every transport in
// capabilities.transports must carry messages both ways between a bound and a connected
// PAIR, and bind must answer the real endpoint.
func checkTransports(c *checkCtx) {
	h := c.hello()
	claim := func(t, what string) {
		c.problem(peer.OpHello, Mandatory, fmt.Sprintf("capabilities.transports claims %s, but %s", t, what),
			"list only the transports the probe carried a message over, now", "hello")
	}
	for _, t := range h.Caps.Transports {
		if !peer.Has(harness.Transports, t) {
			c.note(peer.OpHello, fmt.Sprintf("capabilities.transports lists %q; the suite runs tcp, ipc and inproc only", t))
			continue
		}
		ep := c.endpoint(t)
		a := c.socket("PAIR", "")
		rep, we := c.call(peer.Request{Op: peer.OpBind, Socket: a, Endpoint: ep}, opTimeout)
		if we != nil {
			claim(t, fmt.Sprintf("bind %s answered %s", ep, describe(we)))
			continue
		}
		real := rep.Endpoint
		switch m := tcpEndpoint.FindStringSubmatch(real); {
		case t != harness.TCP && real != ep:
			c.problem(peer.OpBind, Mandatory, fmt.Sprintf("bind %s answered endpoint %q", ep, real), "answer the endpoint bound, as ZMQ_LAST_ENDPOINT says it", "operations")
			real = ep
		case t == harness.TCP && (m == nil || !validPort(m[1])):
			c.problem(peer.OpBind, Mandatory, fmt.Sprintf("bind %s answered endpoint %q", ep, real),
				"answer the real endpoint, with the port the kernel chose (tcp://127.0.0.1:PORT)", "operations")
			continue
		}
		b := c.socket("PAIR", "")
		if _, we := c.call(peer.Request{Op: peer.OpConnect, Socket: b, Endpoint: real}, opTimeout); we != nil {
			claim(t, fmt.Sprintf("connect %s answered %s", real, describe(we)))
			continue
		}
		for _, dir := range []struct{ from, to, label string }{{b, a, "connected to bound"}, {a, b, "bound to connected"}} {
			msg := [][]byte{[]byte("zmqsuite check-peer " + t)}
			if _, we := c.call(peer.Request{Op: peer.OpSend, Socket: dir.from, Frames: msg, TimeoutMS: ms(sendTimeout)}, sendTimeout); we != nil {
				claim(t, fmt.Sprintf("a send %s over %s answered %s", dir.label, real, describe(we)))
				break
			}
			got, we := c.call(peer.Request{Op: peer.OpRecv, Socket: dir.to, TimeoutMS: ms(recvTimeout)}, recvTimeout)
			if we != nil {
				claim(t, fmt.Sprintf("a message sent %s over %s did not arrive (recv answered %s)", dir.label, real, describe(we)))
				break
			}
			if d := diffMessage(got.Frames, msg); d != "" {
				c.problem(peer.OpRecv, Mandatory, fmt.Sprintf("a message sent %s over %s: %s", dir.label, real, d), "", "operations")
				break
			}
		}
	}
	probed := h.Caps.Transports
	for _, t := range h.Caps.Declared {
		if peer.Has(harness.Transports, t) && !peer.Has(probed, t) {
			why := h.Caps.ProbeErrors[t]
			if why == "" {
				why = "no probe error given"
			}
			c.note(peer.OpHello, fmt.Sprintf("%s is declared but not in capabilities.transports (%s); the suite reports the difference", t, why))
		}
	}
	for _, t := range probed {
		if peer.Has(harness.Transports, t) && !peer.Has(h.Caps.Declared, t) {
			c.note(peer.OpHello, fmt.Sprintf("%s works but is not in capabilities.declared (%s); the suite reports the difference", t, strings.Join(sorted(h.Caps.Declared), ",")))
		}
	}
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n < 65536
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
