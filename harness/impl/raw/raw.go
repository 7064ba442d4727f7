// Package raw is the benchmark ceiling: a peer.Backend that moves messages over a plain TCP or
// unix-domain connection with the least work that still frames messages, so the benchmark
// report can show how far each ZeroMQ implementation is from the network stack itself.
//
// It is not ZeroMQ and speaks no ZMTP: only raw peers talk to raw peers. A socket has exactly
// one connection (the first accepted, or the one it dials). On the wire a message is a 4-byte
// big-endian frame count, then for each frame an 8-byte big-endian length and the bytes.
// Sends go to a queue (sendQueue messages) drained by a writer goroutine into a bufio.Writer
// that is flushed whenever the queue is empty, so a burst costs few system calls and a lone
// request (REQ/REP) is flushed at once. Benchmark loops (peer.FrameSocket) write straight into
// that buffer instead and let the writer flush behind them, as libzmq's I/O thread batches
// behind its application thread. A reader goroutine parses whole batches of what has arrived
// into a receive queue, one channel operation a burst. Large frames reuse the buffers that
// benchmark loops hand back (peer.Recycler), as libzmq reuses its heap: a fresh 1 MiB buffer
// per message costs a page fault per 4 KiB, which held the ceiling to 242 msg/s and 3.9 ms a
// round trip at 1 MiB over tcp (3,409 msg/s and 219 µs with reuse, measured in one process).
// REQ and REP only enforce the send/receive alternation (ErrEFSM); there are no envelopes.
package raw

import (
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Queue bounds, the raw counterpart of a high-water mark: sendQueue messages, recvBatches
// batches of at most maxBatch messages or maxBatchBytes bytes (the last message may overrun).
const (
	sendQueue     = 1000
	recvBatches   = 64
	maxBatch      = 256
	maxBatchBytes = 256 << 10
)

// Version names the framing, in case it ever changes.
const Version = "1"

// SocketTypes are the types raw implements.
var SocketTypes = []string{"PAIR", "PULL", "PUSH", "REP", "REQ"}

// Backend creates raw sockets. Contexts are ignored: raw has no inproc.
type Backend struct{}

// New returns the raw backend.
func New() *Backend { return &Backend{} }

// Info describes raw; Serve adds the probed transports.
func (*Backend) Info() peer.Hello {
	return peer.Hello{
		Name:    "raw",
		Version: Version,
		Binding: "net (length-prefixed frames over one TCP or unix connection)",
		Notes:   "benchmark ceiling, not ZeroMQ: speaks only to itself",
		Caps: peer.Caps{
			SocketTypes: append([]string(nil), SocketTypes...),
			Options:     []string{},
			Declared:    []string{"ipc", "tcp"},
			Bench:       true,
		},
	}
}

// NewSocket creates a socket of one of SocketTypes.
func (*Backend) NewSocket(typ, context string) (peer.Socket, error) {
	if !peer.Has(SocketTypes, typ) {
		return nil, peer.Errorf(peer.ErrUnsupported, "raw: no socket type %q (raw has %v)", typ, SocketTypes)
	}
	return newSocket(typ), nil
}

var _ peer.Backend = (*Backend)(nil)
