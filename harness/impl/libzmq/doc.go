// Package libzmq serves libzmq, through github.com/pebbe/zmq4 (cgo), as a peer.Backend.
//
// The backend is compiled only with the build tag libzmq and cgo enabled, so the module builds
// and runs everywhere else; there New returns ErrNotBuilt, which says how to build it.
//
// pebbe/zmq4 sockets are not goroutine-safe: every call on a socket holds that socket's mutex.
// Deadlines use libzmq's own: timeout 0 is ZMQ_DONTWAIT, a positive timeout is ZMQ_RCVTIMEO or
// ZMQ_SNDTIMEO, set only when it differs from the value already on the socket, so that
// benchmark loops (millions of calls with the same timeout) pay no setsockopt per message.
// Socket options keep libzmq's defaults (cases check them): LINGER is set only by Close with
// a linger >= 0, which is how the peer's quit closes every socket before the process exits.
package libzmq
