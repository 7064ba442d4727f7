// Package peer is the zmqsuite peer protocol: the messages the harness exchanges with a peer
// process (one per implementation), their JSON-lines codec, and a server that serves any
// Backend written in Go. docs/peer-protocol.md is the normative description; this file and
// that document change together, and a change that breaks old peers bumps Version.
//
// The package uses the standard library only, so that any Go binding can link it without
// pulling in the rest of the suite.
package peer

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Version is the protocol version a peer reports in its hello reply. The harness refuses
// peers that speak another major version.
const Version = 1

// Operation names (the "op" field of a request).
const (
	OpHello      = "hello"
	OpSocket     = "socket"
	OpBind       = "bind"
	OpConnect    = "connect"
	OpUnbind     = "unbind"
	OpDisconnect = "disconnect"
	OpSetOpt     = "setopt"
	OpGetOpt     = "getopt"
	OpSend       = "send"
	OpRecv       = "recv"
	OpSendBatch  = "send_batch"
	OpRecvBatch  = "recv_batch"
	OpBench      = "bench"
	OpWait       = "wait"
	OpCancel     = "cancel"
	OpClose      = "close"
	OpQuit       = "quit"
	// OpPing answers {"ok":true} and does nothing else: the harness sends it at a peer's first
	// use in each cell, to find a peer that died between cells before a case blames a binding.
	OpPing = "ping"
	// OpZAP starts (or re-arms) the peer's own ZAP handler (RFC 27) in a context, allowing
	// exactly the credentials of Request.ZAP; OpZAPLog answers the requests it saw; OpZAPStop
	// stops it and answers the log. The suite never trusts a binding's allow-all default: a
	// PLAIN or CURVE server is judged against a handler the suite configured (security.go).
	OpZAP     = "zap"
	OpZAPLog  = "zap_log"
	OpZAPStop = "zap_stop"
	// OpHeap answers, in Reply.Value, the bytes a managed heap (a JVM's) holds in use after a
	// full collection the peer asked its runtime for. A peer whose runtime keeps what it
	// allocated without returning it (the JVM expands its heap and keeps it) implements it, so
	// that a leak case judges the heap rather than the resident memory (LEAK.1); the others
	// answer protocol, and their resident memory is judged.
	OpHeap = "heap"
)

// OptionalOps are the ops a peer may leave out (docs/peer-protocol.md, "Mandatory and
// optional"). A peer without one answers it with a protocol error; the harness then treats the
// feature as not supported (the case that needs it is skipped with that reason) instead of as
// a defect. Every other op is mandatory: a protocol error there fails the cell. The digest
// flag of recv_batch is optional in the same way; a peer without it ignores the flag and
// answers "messages" as before.
var OptionalOps = []string{OpBench, OpPing, OpZAP, OpZAPLog, OpZAPStop, OpHeap}

// MandatoryOps are the ops every peer implements, in the order the document lists them. A
// binding that lacks what an op does (go-zeromq has no unbind) still implements the op: it
// answers the binding's refusal (unsupported), which is data, not a protocol error.
var MandatoryOps = []string{OpHello, OpSocket, OpBind, OpConnect, OpUnbind, OpDisconnect, OpSetOpt,
	OpGetOpt, OpSend, OpRecv, OpSendBatch, OpRecvBatch, OpWait, OpCancel, OpClose, OpQuit}

// Error categories (CASES.md part Q): bindings' errors are compared by category, never by text.
const (
	ErrUnsupported = "unsupported" // the binding lacks the socket type, option or transport
	ErrAgain       = "again"       // would block: DONTWAIT, or a send/recv timeout expired (EAGAIN)
	ErrEFSM        = "efsm"        // invalid state for the pattern (REQ send twice)
	ErrHostUnreach = "hostunreach" // ROUTER_MANDATORY to an unknown identity
	ErrTerm        = "term"        // context terminated
	ErrClosed      = "closed"      // socket already closed
	ErrInval       = "inval"       // invalid argument (endpoint, option value)
	ErrNameTooLong = "nametoolong" // ipc path longer than sun_path
	ErrProtocol    = "protocol"    // the request itself was malformed (unknown op, missing field)
	ErrOther       = "other"       // anything else; Message says what
)

// Request is one line sent to a peer. Fields not used by an op are omitted. Which fields an op
// requires (answered with ErrProtocol when missing) is in the document's Operations table and
// in checkRequired (required.go).
type Request struct {
	ID int64  `json:"id"`
	Op string `json:"op"`
	// Async asks the peer to start the operation and reply at once with a job id; the result
	// is collected with OpWait. Used for loops that must run concurrently (bench, batches).
	Async bool `json:"async,omitempty"`

	Socket   string   `json:"socket,omitempty"`   // socket handle returned by OpSocket
	Type     string   `json:"type,omitempty"`     // OpSocket: "REQ", "PUB", ...
	Context  string   `json:"context,omitempty"`  // OpSocket: context name; "" = the peer's default context
	Endpoint string   `json:"endpoint,omitempty"` // bind/connect/unbind/disconnect
	Name     string   `json:"name,omitempty"`     // setopt/getopt: option name, see Options
	Value    any      `json:"value,omitempty"`    // setopt: int, bool, or base64 string for bytes options
	Frames   [][]byte `json:"frames,omitempty"`   // OpSend: one message (base64 in JSON)
	// TimeoutMS bounds a blocking send/recv inside the peer: 0 = do not wait (DONTWAIT),
	// > 0 = wait at most this long. Batches apply it to each message.
	TimeoutMS *int64     `json:"timeout_ms,omitempty"`
	Messages  [][][]byte `json:"messages,omitempty"` // OpSendBatch: explicit messages
	Plan      *Plan      `json:"plan,omitempty"`     // OpSendBatch: generated messages
	Count     int        `json:"count,omitempty"`    // OpRecvBatch: how many messages
	Bench     *BenchSpec `json:"bench,omitempty"`    // OpBench
	Job       int64      `json:"job,omitempty"`      // wait/cancel
	LingerMS  *int64     `json:"linger_ms,omitempty"`
	// Digest asks recv_batch to answer Reply.Digest (16 bytes a message, see DigestOf)
	// instead of Reply.Messages. Optional: a peer without it ignores the flag.
	Digest bool `json:"digest,omitempty"`
	// ZAP is what OpZAP allows (security.go).
	ZAP *ZAPSpec `json:"zap,omitempty"`
}

// Reply is one line a peer answers with, carrying the request's ID.
type Reply struct {
	ID    int64      `json:"id"`
	OK    bool       `json:"ok"`
	Error *WireError `json:"error,omitempty"`

	Hello    *Hello     `json:"hello,omitempty"`
	Socket   string     `json:"socket,omitempty"`
	Endpoint string     `json:"endpoint,omitempty"`
	Value    any        `json:"value,omitempty"`
	Frames   [][]byte   `json:"frames,omitempty"`
	Messages [][][]byte `json:"messages,omitempty"` // recv_batch: received so far, also on error
	// Digest answers a recv_batch with "digest": DigestLen bytes per message received so far
	// (also on error), in arrival order; decode with DecodeDigests.
	Digest []byte       `json:"digest,omitempty"`
	Sent   int          `json:"sent,omitempty"` // send_batch: accepted so far, also on error
	Job    int64        `json:"job,omitempty"`
	Bench  *BenchResult `json:"bench,omitempty"`
	// ZAPLog answers OpZAPLog and OpZAPStop: the ZAP requests the handler answered, in order.
	ZAPLog []ZAPRecord `json:"zap_log,omitempty"`
}

// WireError is a refusal by the binding or the peer. It is data: a case may expect it.
type WireError struct {
	Category string `json:"category"`
	Message  string `json:"message"`
}

func (e *WireError) Error() string { return e.Category + ": " + e.Message }

// Errorf builds a WireError of a category.
func Errorf(category, format string, args ...any) *WireError {
	return &WireError{Category: category, Message: fmt.Sprintf(format, args...)}
}

// Category returns the category of err if it is (or wraps) a WireError, else "".
func Category(err error) string {
	var we *WireError
	if errors.As(err, &we) {
		return we.Category
	}
	return ""
}

// Hello describes a peer: who it is and what it can do on this machine.
type Hello struct {
	Name     string `json:"name"`               // implementation name, e.g. "gozmq"
	Version  string `json:"version"`            // binding version
	Libzmq   string `json:"libzmq,omitempty"`   // libzmq version underneath, "" if none
	Runtime  string `json:"runtime,omitempty"`  // e.g. "go1.26.8", "CPython 3.11.2"
	Protocol int    `json:"protocol"`           // Version
	OS       string `json:"os,omitempty"`       // GOOS-style name of the peer's OS
	Command  string `json:"command,omitempty"`  // filled by the harness: how it was started
	Binding  string `json:"binding,omitempty"`  // module / package the peer wraps
	Notes    string `json:"notes,omitempty"`    // anything a reader should know
	Caps     Caps   `json:"capabilities"`       //
	PeerPID  int    `json:"pid,omitempty"`      //
	Language string `json:"language,omitempty"` // "go", "python", ...
}

// Caps are the capabilities that decide skips (DESIGN decision 4).
type Caps struct {
	SocketTypes []string `json:"socket_types"`
	Options     []string `json:"options"`
	// Transports that were probed by binding and carrying one message in this peer, now.
	Transports []string `json:"transports"`
	// Declared is what the binding itself claims (zmq_has and equivalents), to compare with
	// the probe: a declared transport that fails, or a working one not declared, is a finding.
	Declared []string `json:"declared,omitempty"`
	// ProbeErrors says why a transport probe failed, by transport.
	ProbeErrors map[string]string `json:"probe_errors,omitempty"`
	Bench       bool              `json:"bench"` // serves OpBench
}

// Has reports whether list holds s.
func Has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Plan generates a batch of messages inside the peer, so volume cases need not ship every
// message over the control channel. Content follows Fill, identical in every language.
type Plan struct {
	Count  int   `json:"count"`            // number of messages
	Start  int   `json:"start,omitempty"`  // sequence number of the first message
	Frames int   `json:"frames,omitempty"` // frames per message (default 1)
	Size   int   `json:"size"`             // bytes per frame
	Sizes  []int `json:"sizes,omitempty"`  // per-frame sizes; overrides Frames and Size
	// Prefix is prepended as an extra first frame (e.g. a topic or an envelope); nil = none.
	Prefix [][]byte `json:"prefix,omitempty"`
}

// SocketTypes lists the ZeroMQ socket types by their RFC names.
var SocketTypes = []string{"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB"}

// Option names understood by setopt/getopt, with their JSON value kinds. A peer lists the ones
// it supports in Caps.Options and answers ErrUnsupported for the others.
var Options = map[string]string{
	"subscribe":   "bytes",
	"unsubscribe": "bytes",
	"routing_id":  "bytes",
	// connect_routing_id: the routing id a ROUTER gives the peer of its next connect (setopt
	// only; ZMQ_CONNECT_ROUTING_ID, libzmq 4.3).
	"connect_routing_id": "bytes",
	"sndhwm":             "int",
	"rcvhwm":             "int",
	"linger":             "int", // ms, -1 = forever
	"sndtimeo":           "int", // ms
	"rcvtimeo":           "int", // ms
	"router_mandatory":   "bool",
	"probe_router":       "bool",
	"req_relaxed":        "bool",
	"req_correlate":      "bool",
	"xpub_verbose":       "bool",
	"xpub_verboser":      "bool",
	"xpub_nodrop":        "bool",
	"xpub_manual":        "bool",
	"xpub_welcome_msg":   "bytes",
	"invert_matching":    "bool",
	"conflate":           "bool",
	"immediate":          "bool",
	"maxmsgsize":         "int",
	"heartbeat_ivl":      "int", // ms
	"heartbeat_timeout":  "int", // ms
	"heartbeat_ttl":      "int", // ms
	"router_notify":      "int",
	// Security mechanisms (RFC 23/24/25/26), set before bind/connect; see security.go.
	"plain_server":    "bool",
	"plain_username":  "bytes",
	"plain_password":  "bytes",
	"curve_server":    "bool",
	"curve_publickey": "z85", // 40 characters of Z85 text (RFC 32), passed to the binding unchanged
	"curve_secretkey": "z85",
	"curve_serverkey": "z85",
	"zap_domain":      "string", // RFC 27 domain; settable text
	"handshake_ivl":   "int",    // ms; 0 = no handshake deadline
	"mechanism":       "string", // getopt only: "NULL", "PLAIN", "CURVE"
	"last_endpoint":   "string", // getopt only
	"rcvmore":         "bool",   // getopt only
	"topics_count":    "int",    // getopt only
	// auto_reconnect: redial a lost connection, for bindings where that is an option and off
	// by default (go-zeromq's WithAutomaticReconnect). libzmq always reconnects (RECONNECT_IVL,
	// 100 ms by default), so libzmq-based peers do not list it.
	"auto_reconnect": "bool",
}

// Ptr returns a pointer to v; convenient for the optional integer fields.
func Ptr[T any](v T) *T { return &v }

// DecodeBytes turns a setopt value for a bytes option into bytes: JSON carries bytes as base64.
func DecodeBytes(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return []byte{}, nil
	case string:
		var b []byte
		if err := json.Unmarshal([]byte(`"`+x+`"`), &b); err != nil {
			return nil, Errorf(ErrInval, "value %q is not base64: %v", x, err)
		}
		return b, nil
	case []byte:
		return x, nil
	}
	return nil, Errorf(ErrInval, "value %v (%T) is not a base64 string", v, v)
}

// DecodeInt turns a setopt value into an int (JSON numbers arrive as float64; bools as 0/1).
func DecodeInt(v any) (int, error) {
	switch x := v.(type) {
	case float64:
		if x != float64(int(x)) {
			return 0, Errorf(ErrInval, "value %v is not an integer", x)
		}
		return int(x), nil
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, Errorf(ErrInval, "value %v (%T) is not a number", v, v)
}

// DecodeBool turns a setopt value into a bool (true, false, or a number, as libzmq takes ints).
func DecodeBool(v any) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	n, err := DecodeInt(v)
	return n != 0, err
}
