//go:build libzmq && cgo

package libzmq

import (
	"sync"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// socket is one libzmq socket. mu serialises every call into it (pebbe/zmq4 sockets are not
// goroutine-safe), including Close racing a job that still uses the socket.
type socket struct {
	typ string

	mu     sync.Mutex
	zs     *zmq.Socket
	closed bool

	// The RCVTIMEO/SNDTIMEO now on the libzmq socket, valid when *Set; changed only when a
	// call needs another value.
	rcvtimeo, sndtimeo       time.Duration
	rcvtimeoSet, sndtimeoSet bool
	// What getopt reports for rcvtimeo/sndtimeo once per-call timeouts have overwritten
	// them: the value before the first overwrite (libzmq's default, -1) or the last setopt.
	userRcvtimeo, userSndtimeo *time.Duration
}

// lock takes the socket for one call, or says it is closed.
func (s *socket) lock() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return peer.Errorf(peer.ErrClosed, "libzmq: socket is closed")
	}
	return nil
}

// Bind binds and returns ZMQ_LAST_ENDPOINT: the port chosen for "tcp://127.0.0.1:*".
func (s *socket) Bind(endpoint string) (string, error) {
	if err := s.lock(); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	if err := s.zs.Bind(endpoint); err != nil {
		return "", wrap("bind "+endpoint, err)
	}
	real, err := s.zs.GetLastEndpoint()
	if err != nil || real == "" {
		return endpoint, nil
	}
	return real, nil
}

func (s *socket) Connect(endpoint string) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return wrap("connect "+endpoint, s.zs.Connect(endpoint))
}

func (s *socket) Unbind(endpoint string) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return wrap("unbind "+endpoint, s.zs.Unbind(endpoint))
}

func (s *socket) Disconnect(endpoint string) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return wrap("disconnect "+endpoint, s.zs.Disconnect(endpoint))
}

func (s *socket) SetOption(name string, value any) error {
	o, ok := options[name]
	if !ok {
		if _, known := peer.Options[name]; known {
			return peer.Errorf(peer.ErrUnsupported, "libzmq: pebbe/zmq4 has no option %q (draft API or not wrapped)", name)
		}
		return peer.Errorf(peer.ErrInval, "libzmq: unknown option %q", name)
	}
	if o.set == nil {
		return peer.Errorf(peer.ErrInval, "libzmq: option %q is read-only", name)
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if err := o.set(s.zs, value); err != nil {
		if peer.Category(err) != "" {
			return err
		}
		return wrap("setopt "+name, err)
	}
	// Keep the timeout cache true to the socket, and getopt true to what was set.
	switch name {
	case "rcvtimeo":
		d, _ := s.zs.GetRcvtimeo()
		s.rcvtimeo, s.rcvtimeoSet, s.userRcvtimeo = d, true, &d
	case "sndtimeo":
		d, _ := s.zs.GetSndtimeo()
		s.sndtimeo, s.sndtimeoSet, s.userSndtimeo = d, true, &d
	}
	return nil
}

func (s *socket) GetOption(name string) (any, error) {
	o, ok := options[name]
	if !ok {
		if _, known := peer.Options[name]; known {
			return nil, peer.Errorf(peer.ErrUnsupported, "libzmq: pebbe/zmq4 has no option %q (draft API or not wrapped)", name)
		}
		return nil, peer.Errorf(peer.ErrInval, "libzmq: unknown option %q", name)
	}
	if o.get == nil {
		return nil, peer.Errorf(peer.ErrUnsupported, "libzmq: pebbe/zmq4 has no getter for %q (write-only in libzmq, or not wrapped)", name)
	}
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	switch {
	case name == "rcvtimeo" && s.userRcvtimeo != nil:
		return ms(*s.userRcvtimeo), nil
	case name == "sndtimeo" && s.userSndtimeo != nil:
		return ms(*s.userSndtimeo), nil
	}
	v, err := o.get(s.zs)
	if err != nil {
		return nil, wrap("getopt "+name, err)
	}
	return v, nil
}

// pebbe/zmq4 takes timeouts as a Duration in whole milliseconds; below 1 ms would be 0, which
// libzmq reads as "do not wait".
func clampMS(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return time.Millisecond
	}
	return d
}

// Send sends all frames of one message; timeout 0 is ZMQ_DONTWAIT.
func (s *socket) Send(frames [][]byte, timeout time.Duration) error {
	if len(frames) == 0 {
		return peer.Errorf(peer.ErrInval, "libzmq: a message has at least one frame")
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	flags, err := s.sendFlags(timeout)
	if err != nil {
		return err
	}
	last := len(frames) - 1
	for i, f := range frames {
		fl := flags
		if i < last {
			fl |= zmq.SNDMORE
		}
		if _, err := s.zs.SendBytes(f, fl); err != nil {
			return sendErr(err, i, timeout)
		}
	}
	return nil
}

// Recv receives all frames of one message; timeout 0 is ZMQ_DONTWAIT.
func (s *socket) Recv(timeout time.Duration) ([][]byte, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	flags, err := s.recvFlags(timeout)
	if err != nil {
		return nil, err
	}
	f, err := s.zs.RecvBytes(flags)
	if err != nil {
		return nil, recvErr(err, timeout)
	}
	msg := [][]byte{f}
	for {
		more, err := s.zs.GetRcvmore()
		if err != nil {
			return nil, wrap("recv (rcvmore)", err)
		}
		if !more {
			return msg, nil
		}
		// The rest of a message is there once its first frame is.
		f, err := s.zs.RecvBytes(flags)
		if err != nil {
			return nil, wrap("recv (next frame)", err)
		}
		msg = append(msg, f)
	}
}

// Close sets ZMQ_LINGER first when linger >= 0, then closes.
func (s *socket) Close(linger time.Duration) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	var lerr error
	if linger >= 0 {
		lerr = s.zs.SetLinger(linger)
	}
	s.closed = true
	if err := s.zs.Close(); err != nil {
		return wrap("close", err)
	}
	return wrap("close (set linger)", lerr)
}

var _ peer.Socket = (*socket)(nil)
