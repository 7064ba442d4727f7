package gozmq

import (
	"context"
	"errors"
	"strings"
	"syscall"

	"github.com/go-zeromq/zmq4"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// wrap turns a go-zeromq error from a control operation (bind, connect, setopt) into a
// categorised WireError; nil stays nil. go-zeromq's errors are mostly fmt errors, so some
// categories are recognised by their text.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return peer.Errorf(category(err), "gozmq: %s: %v", what, err)
}

func category(err error) string {
	var ute zmq4.UnknownTransportError
	msg := err.Error()
	switch {
	case errors.As(err, &ute), strings.Contains(msg, "unknown transport"):
		return peer.ErrUnsupported
	case errors.Is(err, zmq4.ErrBadProperty), strings.Contains(msg, "invalid address"):
		return peer.ErrInval
	case errors.Is(err, syscall.ENAMETOOLONG):
		return peer.ErrNameTooLong
	case errors.Is(err, syscall.EINVAL):
		return peer.ErrInval
	case errors.Is(err, context.DeadlineExceeded):
		return peer.ErrAgain
	case strings.Contains(msg, "can't recv"):
		return peer.ErrUnsupported
	}
	return peer.ErrOther
}

// recvErr categorises an error the library's Recv returned.
func (s *socket) recvErr(err error) error {
	if s.isClosed() || errors.Is(err, context.Canceled) {
		return peer.Errorf(peer.ErrClosed, "gozmq: recv: %v", err)
	}
	// A REQ that has sent nothing (or lost the connection of its request) has no connection
	// to read the reply from: the state error libzmq calls EFSM.
	if s.typ == "REQ" && strings.Contains(err.Error(), "no connections available") {
		return peer.Errorf(peer.ErrEFSM, "gozmq: recv: %v", err)
	}
	return peer.Errorf(category(err), "gozmq: recv: %v", err)
}

// sendErr categorises an error the library's Send returned.
func (s *socket) sendErr(err error) error {
	if s.isClosed() || errors.Is(err, context.Canceled) {
		return peer.Errorf(peer.ErrClosed, "gozmq: send: %v", err)
	}
	// REQ with no connection fails at once where libzmq would block: the message cannot
	// be queued now, which is what "again" means.
	if strings.Contains(err.Error(), "no connections available") {
		return peer.Errorf(peer.ErrAgain, "gozmq: send: %v", err)
	}
	return peer.Errorf(category(err), "gozmq: send: %v", err)
}

func (s *socket) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
