package peer

import "time"

// Backend is what a Go binding implements to become a peer: Serve turns it into a process
// that speaks the protocol. Adapters live in harness/impl/*.
type Backend interface {
	// Info describes the implementation; Serve adds the protocol version and probes transports.
	Info() Hello
	// NewSocket creates a socket of an RFC type name ("REQ", ...) in the named context ("" =
	// the default context). Contexts matter for inproc, which never crosses one.
	NewSocket(typ, context string) (Socket, error)
}

// Socket is one ZeroMQ socket of a binding. Serve never calls one socket from two goroutines
// at once unless the harness asks for it (it does not).
//
// Errors should be *WireError with a category; any other error becomes category "other".
type Socket interface {
	// Bind binds and returns the real endpoint: "tcp://127.0.0.1:*" asks for an ephemeral
	// port, and the reply names the port that was chosen.
	Bind(endpoint string) (string, error)
	Connect(endpoint string) error
	Unbind(endpoint string) error
	Disconnect(endpoint string) error
	SetOption(name string, value any) error
	GetOption(name string) (any, error)
	// Send sends one message (all frames, atomically). timeout 0 = do not wait: ErrAgain if the
	// message cannot be queued now; timeout > 0 = ErrAgain after that long.
	Send(frames [][]byte, timeout time.Duration) error
	// Recv receives one whole message; ErrAgain when none arrives within timeout (0 = poll).
	Recv(timeout time.Duration) ([][]byte, error)
	// Close closes the socket; linger < 0 = the binding's default.
	Close(linger time.Duration) error
}

// FrameSocket is an optional fast path for benchmark loops, whose messages are single frames
// by construction (as libzmq's local_thr/remote_thr assume): send or receive one frame without
// per-message multipart bookkeeping (a RCVMORE query and a slice per message cost a cgo binding
// a measurable share of a 64-byte message's budget). Same timeout rules as Send and Recv.
type FrameSocket interface {
	SendFrame(b []byte, timeout time.Duration) error
	// RecvFrame receives one frame and returns its length.
	RecvFrame(timeout time.Duration) (int, error)
}

// Recycler is an optional hint for sockets that can reuse the buffers of messages they handed
// out: benchmark loops call Recycle(m) once they will never touch m again (a reply they only
// counted, or an echo right after Send took it). A socket that queues sends must reuse the
// buffers only after the queued message is written. Without it, a 1 MiB loop on the raw
// ceiling made the kernel fault in every page of a fresh buffer per message (256 minor faults
// a message here), 4 ms a round trip where libzmq, reusing its heap, took 0.56 ms.
type Recycler interface {
	Recycle(m [][]byte)
}

// ThreadBound is an optional marker for sockets whose every call enters C (a cgo binding).
// RunBench runs their throughput loops on a locked OS thread. Unlocked, the Go scheduler hands
// the goroutine from thread to thread around the blocking cgo calls, which cost libzmq↔libzmq
// tcp 64 B throughput 14 % against a native pebbe loop (12 interleaved pairs: 0.859 unlocked,
// 1.004 locked). Latency loops stay unlocked: there, each round trip blocks in C, and a locked
// thread has to be woken to get its P back (p50 went from 1.02× to 1.04–1.29× native).
// A pure-Go binding must not say so: its goroutines park on channels, and a locked one pays a
// thread wake-up each time (go-zeromq fell from 45 k to 12 k msg/s).
type ThreadBound interface {
	ThreadBound() bool
}
