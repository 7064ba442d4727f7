//go:build libzmq && cgo

package libzmq

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// category maps a pebbe/zmq4 error (an errno, or one of its own errors) to a peer category.
func category(err error) string {
	switch {
	case errors.Is(err, zmq.ErrorSocketClosed):
		return peer.ErrClosed
	case errors.Is(err, zmq.ErrorContextClosed):
		return peer.ErrTerm
	case errors.Is(err, zmq.ErrorNotImplemented405), errors.Is(err, zmq.ErrorNotImplemented41),
		errors.Is(err, zmq.ErrorNotImplemented42), errors.Is(err, zmq.ErrorNotImplementedWindows):
		return peer.ErrUnsupported
	}
	switch zmq.AsErrno(err) {
	case zmq.Errno(syscall.EAGAIN):
		return peer.ErrAgain
	case zmq.EFSM:
		return peer.ErrEFSM
	case zmq.EHOSTUNREACH:
		return peer.ErrHostUnreach
	case zmq.ETERM:
		return peer.ErrTerm
	case zmq.ENOTSOCK:
		return peer.ErrClosed
	case zmq.Errno(syscall.EINVAL):
		return peer.ErrInval
	case zmq.Errno(syscall.ENAMETOOLONG):
		return peer.ErrNameTooLong
	case zmq.ENOTSUP, zmq.EPROTONOSUPPORT, zmq.ENOCOMPATPROTO, zmq.Errno(syscall.ENOPROTOOPT):
		return peer.ErrUnsupported
	}
	return peer.ErrOther
}

// wrap categorises err with what was being done; nil stays nil.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return peer.Errorf(category(err), "libzmq: %s: %v", what, err)
}

func sendErr(err error, frame int, timeout time.Duration) error {
	what := "send"
	if frame > 0 {
		what = fmt.Sprintf("send (frame %d)", frame)
	}
	if zmq.AsErrno(err) == zmq.Errno(syscall.EAGAIN) {
		return peer.Errorf(peer.ErrAgain, "libzmq: %s: %v (timeout %v)", what, err, timeout)
	}
	return wrap(what, err)
}

func recvErr(err error, timeout time.Duration) error {
	if zmq.AsErrno(err) == zmq.Errno(syscall.EAGAIN) {
		return peer.Errorf(peer.ErrAgain, "libzmq: recv: no message within %v", timeout)
	}
	return wrap("recv", err)
}
