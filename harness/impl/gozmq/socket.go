package gozmq

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// socket adapts one go-zeromq socket to peer.Socket.
type socket struct {
	typ  string
	ctx  context.Context
	mk   func(context.Context, ...zmq4.Option) zmq4.Socket
	stop chan struct{} // closed by Close: the reader and writer goroutines leave

	mu     sync.Mutex // guards zs, id and closed (Close may race a job on the same socket)
	zs     zmq4.Socket
	id     []byte // routing_id asked for before the library socket exists
	idSet  bool
	closed bool
	sec    security // mechanism options asked for before zs exists (security.go)
	// reconnect asks for zmq4.WithAutomaticReconnect at creation (auto_reconnect): without
	// it a go-zeromq socket never redials a connection it lost.
	reconnect bool

	rd *reader
	wr *writer
}

func newSocket(typ string, ctx context.Context, mk func(context.Context, ...zmq4.Option) zmq4.Socket) *socket {
	s := &socket{typ: typ, ctx: ctx, mk: mk, stop: make(chan struct{})}
	s.rd = newReader(s, demandReads[typ])
	s.wr = newWriter(s)
	return s
}

// demandReads are the types whose library Recv must not run ahead of the application: REQ
// reads the reply on the connection of its last request, REP records the envelope of the
// request it reads for the next reply, and PUSH/PUB fail at once (no reader at all).
var demandReads = map[string]bool{"REQ": true, "REP": true, "PUSH": true, "PUB": true}

// lib returns the library socket, creating it (with the routing identity asked for so far)
// on first use, and starting its reader and writer goroutines.
func (s *socket) lib() (zmq4.Socket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, peer.Errorf(peer.ErrClosed, "gozmq: socket is closed")
	}
	if s.zs == nil {
		var opts []zmq4.Option
		if s.idSet {
			opts = append(opts, zmq4.WithID(zmq4.SocketIdentity(s.id)))
		}
		if o := s.sec.libOption(); o != nil {
			opts = append(opts, o)
		}
		if s.reconnect {
			opts = append(opts, zmq4.WithAutomaticReconnect(true))
		}
		s.zs = s.mk(s.ctx, opts...)
		go s.rd.loop(s.zs)
		go s.wr.loop(s.zs)
	}
	return s.zs, nil
}

// Bind listens on endpoint and returns the real endpoint: for tcp the port the kernel chose
// (the listener's address), for ipc and inproc the endpoint as given.
//
// go-zeromq keeps one listener per socket: a second Bind replaces the socket's record of the
// first (Addr reports the new one) while the first keeps accepting.
func (s *socket) Bind(endpoint string) (string, error) {
	if err := s.sec.checkRole(true); err != nil {
		return "", err
	}
	zs, err := s.lib()
	if err != nil {
		return "", err
	}
	if err := zs.Listen(endpoint); err != nil {
		return "", wrap("bind "+endpoint, err)
	}
	if !strings.HasPrefix(endpoint, "tcp://") {
		return endpoint, nil
	}
	a, ok := zs.Addr().(*net.TCPAddr)
	if !ok {
		return endpoint, nil
	}
	host := strings.TrimPrefix(endpoint, "tcp://")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" || host == "*" {
		host = "0.0.0.0"
	}
	return "tcp://" + net.JoinHostPort(host, strconv.Itoa(a.Port)), nil
}

// Connect dials endpoint. go-zeromq dials synchronously, retrying a refused connection every
// 250 ms up to 10 times, and fails if nothing listens by then (libzmq connects in the
// background and never fails for that reason).
func (s *socket) Connect(endpoint string) error {
	if err := s.sec.checkRole(false); err != nil {
		return err
	}
	zs, err := s.lib()
	if err != nil {
		return err
	}
	return wrap("connect "+endpoint, zs.Dial(endpoint))
}

// Unbind is not in go-zeromq's API.
func (s *socket) Unbind(endpoint string) error {
	return peer.Errorf(peer.ErrUnsupported, "gozmq: go-zeromq has no unbind")
}

// Disconnect is not in go-zeromq's API.
func (s *socket) Disconnect(endpoint string) error {
	return peer.Errorf(peer.ErrUnsupported, "gozmq: go-zeromq has no disconnect")
}

// beforeCreation runs set under the socket's lock while the go-zeromq socket does not exist
// yet: go-zeromq takes what (the routing identity, WithAutomaticReconnect, the security
// mechanism) only as constructor options, which the peer passes at the first bind/connect.
func (s *socket) beforeCreation(what string, set func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return peer.Errorf(peer.ErrClosed, "gozmq: socket is closed")
	}
	if s.zs != nil {
		return peer.Errorf(peer.ErrUnsupported, "gozmq: go-zeromq takes %s only at socket creation (before the first bind/connect)", what)
	}
	return set()
}

// SetOption sets the options go-zeromq has. subscribe/unsubscribe and sndhwm go to the
// library's SetOption whatever the socket type, so that what it does with them on other types
// (store and ignore, or ErrBadProperty) is what the case sees.
func (s *socket) SetOption(name string, value any) error {
	if handled, err := s.setSecurityOption(name, value); handled {
		return err
	}
	switch name {
	case "routing_id":
		id, err := peer.DecodeBytes(value)
		if err != nil {
			return err
		}
		return s.beforeCreation("the routing identity", func() error {
			s.id, s.idSet = id, true
			return nil
		})
	case "auto_reconnect":
		on, err := peer.DecodeBool(value)
		if err != nil {
			return err
		}
		return s.beforeCreation("WithAutomaticReconnect", func() error {
			s.reconnect = on
			return nil
		})
	case "subscribe", "unsubscribe":
		topic, err := peer.DecodeBytes(value)
		if err != nil {
			return err
		}
		zs, err := s.lib()
		if err != nil {
			return err
		}
		opt := zmq4.OptionSubscribe
		if name == "unsubscribe" {
			opt = zmq4.OptionUnsubscribe
		}
		return wrap("setopt "+name, zs.SetOption(opt, string(topic)))
	case "sndhwm":
		n, err := peer.DecodeInt(value)
		if err != nil {
			return err
		}
		zs, err := s.lib()
		if err != nil {
			return err
		}
		return wrap("setopt sndhwm", zs.SetOption(zmq4.OptionHWM, n))
	}
	if _, known := peer.Options[name]; !known {
		return peer.Errorf(peer.ErrInval, "gozmq: unknown option %q", name)
	}
	return peer.Errorf(peer.ErrUnsupported, "gozmq: go-zeromq has no option %q", name)
}

// GetOption answers routing_id when it was set; go-zeromq exposes no option values (a socket
// without one gets a random UUID identity it does not reveal).
func (s *socket) GetOption(name string) (any, error) {
	if name == "routing_id" {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.idSet {
			return append([]byte(nil), s.id...), nil
		}
		return nil, peer.Errorf(peer.ErrUnsupported, "gozmq: no routing_id set; go-zeromq uses a random UUID it does not expose")
	}
	if _, known := peer.Options[name]; !known {
		return nil, peer.Errorf(peer.ErrInval, "gozmq: unknown option %q", name)
	}
	return nil, peer.Errorf(peer.ErrUnsupported, "gozmq: go-zeromq cannot read option %q", name)
}

// Send sends one message within timeout (see writer.send).
func (s *socket) Send(frames [][]byte, timeout time.Duration) error {
	if len(frames) == 0 {
		return peer.Errorf(peer.ErrInval, "gozmq: a message has at least one frame")
	}
	if s.typ == "PULL" {
		// go-zeromq's PULL has no writer: its Send dereferences a nil interface and panics.
		return peer.Errorf(peer.ErrUnsupported, "gozmq: PULL cannot send (go-zeromq's PULL.Send would panic on its nil writer)")
	}
	if _, err := s.lib(); err != nil {
		return err
	}
	return s.wr.send(frames, timeout)
}

// Recv receives one message within timeout (see reader.recv).
func (s *socket) Recv(timeout time.Duration) ([][]byte, error) {
	if _, err := s.lib(); err != nil {
		return nil, err
	}
	return s.rd.recv(timeout)
}

// Close closes the library socket. go-zeromq has no linger: writes are synchronous, so
// nothing is queued in the socket except on PUB, whose queue is dropped. linger is ignored.
func (s *socket) Close(linger time.Duration) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return peer.Errorf(peer.ErrClosed, "gozmq: socket already closed")
	}
	s.closed = true
	close(s.stop)
	zs := s.zs
	s.mu.Unlock()
	if zs == nil {
		return nil
	}
	// Close reports the first error closing its connections, typically "use of closed network
	// connection" for one its own reader already closed: that is not a failure to close.
	_ = zs.Close()
	return nil
}

var _ peer.Socket = (*socket)(nil)
