package peercheck

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"sort"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// optionProbe is a socket type an option applies to and a valid value for it, as JSON
// carries it (bytes as base64).
type optionProbe struct {
	sockType string
	value    any
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// optionProbes has a probe for every option of peer.Options (a test keeps them in step).
// Values are ones libzmq accepts on that type: a non-empty connect_routing_id (libzmq refuses
// an empty one), router_notify 3 (ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT), a heartbeat
// TTL that is a whole number of deciseconds (libzmq stores it so).
var optionProbes = map[string]optionProbe{
	"subscribe":          {"SUB", b64("check")},
	"unsubscribe":        {"SUB", b64("check")},
	"routing_id":         {"DEALER", b64("check-id")},
	"connect_routing_id": {"ROUTER", b64("check-peer")},
	"sndhwm":             {"DEALER", 500},
	"rcvhwm":             {"DEALER", 500},
	"linger":             {"DEALER", 0},
	"sndtimeo":           {"DEALER", 250},
	"rcvtimeo":           {"DEALER", 250},
	"router_mandatory":   {"ROUTER", true},
	"probe_router":       {"DEALER", true},
	"req_relaxed":        {"REQ", true},
	"req_correlate":      {"REQ", true},
	"xpub_verbose":       {"XPUB", true},
	"xpub_verboser":      {"XPUB", true},
	"xpub_nodrop":        {"XPUB", true},
	"xpub_manual":        {"XPUB", true},
	"xpub_welcome_msg":   {"XPUB", b64("welcome")},
	"invert_matching":    {"SUB", true},
	"conflate":           {"PULL", true},
	"immediate":          {"DEALER", true},
	"maxmsgsize":         {"DEALER", 1 << 20},
	"heartbeat_ivl":      {"DEALER", 1000},
	"heartbeat_timeout":  {"DEALER", 1000},
	"heartbeat_ttl":      {"DEALER", 1000},
	"router_notify":      {"ROUTER", 3},
	"last_endpoint":      {"PAIR", nil},
	"rcvmore":            {"DEALER", nil},
	"topics_count":       {"XPUB", nil},
	// Security (docs/peer-protocol.md "Security"): a CURVE key is Z85 text (here of 32 zero
	// bytes, which libzmq takes as a key like any other).
	"plain_server":    {"DEALER", true},
	"plain_username":  {"DEALER", b64("check-user")},
	"plain_password":  {"DEALER", b64("check-pass")},
	"curve_server":    {"DEALER", true},
	"curve_publickey": {"DEALER", zeroKeyZ85},
	"curve_secretkey": {"DEALER", zeroKeyZ85},
	"curve_serverkey": {"DEALER", zeroKeyZ85},
	"zap_domain":      {"DEALER", "check-domain"},
	"handshake_ivl":   {"DEALER", 5000},
	"mechanism":       {"DEALER", nil},
	// Faults: a peer listing it (go-zeromq's) redials a lost connection.
	"auto_reconnect": {"DEALER", true},
}

// zeroKeyZ85 is the Z85 text of 32 zero bytes.
const zeroKeyZ85 = "0000000000000000000000000000000000000000"

// readOnly are the getopt-only options (their probe value is what a fresh socket answers,
// checked by kind only).
var readOnly = map[string]bool{"last_endpoint": true, "rcvmore": true, "topics_count": true, "mechanism": true}

// checkOptions sets every option the hello lists to a valid value on a socket it applies
// to, reads it back where the binding can (the value must be what was set, in the option's
// JSON kind), and checks the answers for options nobody has and for values of the wrong kind.
func checkOptions(c *checkCtx) {
	caps := c.hello().Caps
	socks := map[string]string{}
	sockOf := func(typ string) string {
		if s, ok := socks[typ]; ok {
			return s
		}
		if !peer.Has(caps.SocketTypes, typ) {
			return ""
		}
		socks[typ] = c.socket(typ, "")
		return socks[typ]
	}
	for _, name := range caps.Options {
		kind, known := peer.Options[name]
		probe, probed := optionProbes[name]
		if !known || !probed {
			continue // "hello fields" reports names outside the protocol
		}
		s := sockOf(probe.sockType)
		if s == "" {
			c.note(peer.OpSetOpt, fmt.Sprintf("%s not checked: it needs a %s socket, which capabilities.socket_types does not list", name, probe.sockType))
			continue
		}
		want := probe.value
		if name == "last_endpoint" {
			want = c.bind(s, c.endpoint(c.transport()))
		}
		if !readOnly[name] {
			if name == "unsubscribe" {
				c.call(peer.Request{Op: peer.OpSetOpt, Socket: s, Name: "subscribe", Value: probe.value}, opTimeout)
			}
			if !setOption(c, s, name, probe) {
				continue
			}
		}
		rep, we := c.call(peer.Request{Op: peer.OpGetOpt, Socket: s, Name: name}, opTimeout)
		switch {
		case we != nil && we.Category == peer.ErrProtocol:
			c.problem(peer.OpGetOpt, Mandatory, fmt.Sprintf("getopt %s answered %s", name, describe(we)), "implement it: answer the binding's refusal for a write-only option", "options")
			continue
		case we != nil && readOnly[name]:
			c.problem(peer.OpGetOpt, Mandatory, fmt.Sprintf("getopt %s (read-only, in capabilities.options) on %s answered %s", name, probe.sockType, describe(we)),
				"list only the options you support", "options")
			continue
		case we != nil:
			continue // a write-only option: the binding's refusal is the right answer
		}
		if why := kindMismatch(kind, rep.Value); why != "" {
			c.problem(peer.OpGetOpt, Mandatory, fmt.Sprintf("getopt %s answered %s: %s", name, jsonOf(rep.Value), why), "answer the option's kind from the options table", "options")
			continue
		}
		if want != nil && !sameValue(kind, rep.Value, want) {
			c.problem(peer.OpGetOpt, Mandatory, fmt.Sprintf("getopt %s answered %s after %s", name, jsonOf(rep.Value), setWhat(name, want)), "answer what the socket has", "options")
		}
	}
	checkOptionRefusals(c, caps)
}

func setWhat(name string, v any) string {
	if name == "last_endpoint" {
		return fmt.Sprintf("bind answered %q", v)
	}
	return fmt.Sprintf("setopt %s=%s", name, jsonOf(v))
}

// setOption sets a listed option to a valid value; false (with a problem recorded) when the
// peer refuses.
func setOption(c *checkCtx, s, name string, probe optionProbe) bool {
	_, we := c.call(peer.Request{Op: peer.OpSetOpt, Socket: s, Name: name, Value: probe.value}, opTimeout)
	switch {
	case we == nil:
		return true
	case we.Category == peer.ErrProtocol:
		c.problem(peer.OpSetOpt, Mandatory, fmt.Sprintf("setopt %s answered %s", name, describe(we)), "implement it", "options")
	case we.Category == peer.ErrUnsupported:
		c.problem(peer.OpSetOpt, Mandatory, fmt.Sprintf("capabilities.options lists %s, but setopt %s=%s on %s answered %s", name, name, jsonOf(probe.value), probe.sockType, describe(we)),
			"list only the options you support", "options")
	default:
		c.problem(peer.OpSetOpt, Mandatory, fmt.Sprintf("setopt %s=%s (a valid value) on %s answered %s", name, jsonOf(probe.value), probe.sockType, describe(we)),
			"decode the value by the option's kind", "options")
	}
	return false
}

// checkOptionRefusals: an option outside the protocol is unsupported (set and get), and a
// value of the wrong kind is inval.
func checkOptionRefusals(c *checkCtx, caps peer.Caps) {
	s := c.socket("PAIR", "")
	for _, req := range []peer.Request{
		{Op: peer.OpSetOpt, Socket: s, Name: "zmqsuite_no_such_option", Value: 1},
		{Op: peer.OpGetOpt, Socket: s, Name: "zmqsuite_no_such_option"},
	} {
		if _, we := c.call(req, opTimeout); we == nil || we.Category != peer.ErrUnsupported {
			c.problem(req.Op, Mandatory, fmt.Sprintf("%s zmqsuite_no_such_option answered %s", req.Op, answerOf(we)), "answer unsupported for an option the peer does not know", "options")
		}
	}
	names := append([]string(nil), caps.Options...)
	sort.Strings(names)
	for _, name := range names {
		if peer.Options[name] != "int" || readOnly[name] {
			continue
		}
		probe := optionProbes[name]
		if !peer.Has(caps.SocketTypes, probe.sockType) {
			continue
		}
		s := c.socket(probe.sockType, "")
		_, we := c.call(peer.Request{Op: peer.OpSetOpt, Socket: s, Name: name, Value: "not a number"}, opTimeout)
		if we == nil || we.Category != peer.ErrInval {
			c.problem(peer.OpSetOpt, Mandatory, fmt.Sprintf("setopt %s=\"not a number\" answered %s", name, answerOf(we)), "answer inval for a value of the wrong kind", "options")
		}
		return // one int option tells
	}
}

// kindMismatch says why v is not a getopt answer of kind ("" when it is).
func kindMismatch(kind string, v any) string {
	switch kind {
	case "int":
		if f, ok := v.(float64); ok && f == float64(int64(f)) {
			return ""
		}
		return "want an integer"
	case "bool":
		if _, ok := v.(bool); ok {
			return ""
		}
		return "want true or false"
	case "bytes":
		if s, ok := v.(string); ok {
			if _, err := base64.StdEncoding.DecodeString(s); err == nil {
				return ""
			}
		}
		return "want a standard base64 string"
	case "string":
		if _, ok := v.(string); ok {
			return ""
		}
		return "want a string"
	case "z85":
		if s, ok := v.(string); ok && len(s) == 40 {
			return ""
		}
		return "want 40 characters of Z85 text"
	}
	return ""
}

// sameValue compares a getopt answer (decoded JSON) with the value set.
func sameValue(kind string, got, set any) bool {
	switch kind {
	case "int":
		f, _ := got.(float64)
		n, _ := set.(int)
		return f == float64(n)
	case "bool":
		return got == set
	case "bytes":
		g, _ := base64.StdEncoding.DecodeString(got.(string))
		w, _ := base64.StdEncoding.DecodeString(set.(string))
		return bytes.Equal(g, w)
	}
	return got == set
}
