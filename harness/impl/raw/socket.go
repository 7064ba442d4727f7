package raw

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Limits a reader accepts, so a stray connection cannot make it allocate without bound.
const (
	maxFrames    = 1 << 16
	maxFrameSize = 1 << 31
)

type socket struct {
	typ  string
	out  chan [][]byte // send queue
	in   chan [][]byte // receive queue
	stop chan struct{} // closed by Close

	mu      sync.Mutex
	used    bool // bound or connected: one connection per socket
	ln      net.Listener
	conn    net.Conn
	closed  bool
	connErr atomic.Pointer[error] // why the connection ended, once it has

	pending atomic.Int64 // messages queued or written but not yet flushed

	sendTimer, recvTimer *time.Timer
	awaiting             bool // REQ: a request is out; REP: a request is in
}

func newSocket(typ string) *socket {
	s := &socket{typ: typ, out: make(chan [][]byte, sendQueue), in: make(chan [][]byte, recvQueue),
		stop: make(chan struct{}), sendTimer: stoppedTimer(), recvTimer: stoppedTimer()}
	return s
}

// split parses tcp://host:port (host "*" = all interfaces, port "*" = ephemeral) and
// ipc://path into a Go network and address.
func split(endpoint string) (network, addr string, err error) {
	scheme, rest, ok := strings.Cut(endpoint, "://")
	if !ok || rest == "" {
		return "", "", peer.Errorf(peer.ErrInval, "raw: bad endpoint %q", endpoint)
	}
	switch scheme {
	case "tcp":
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			return "", "", peer.Errorf(peer.ErrInval, "raw: bad endpoint %q: %v", endpoint, err)
		}
		if host == "*" {
			host = "0.0.0.0"
		}
		if port == "*" {
			port = "0"
		}
		return "tcp", net.JoinHostPort(host, port), nil
	case "ipc":
		return "unix", rest, nil
	}
	return "", "", peer.Errorf(peer.ErrUnsupported, "raw: no transport %q (raw has tcp and ipc)", scheme)
}

// claim marks the socket as having its one connection attempt.
func (s *socket) claim() error {
	if s.closed {
		return peer.Errorf(peer.ErrClosed, "raw: socket is closed")
	}
	if s.used {
		return peer.Errorf(peer.ErrUnsupported, "raw: one bind or connect per socket")
	}
	s.used = true
	return nil
}

// Bind listens and serves the first connection that arrives; later ones are closed.
func (s *socket) Bind(endpoint string) (string, error) {
	network, addr, err := split(endpoint)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.claim(); err != nil {
		return "", err
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		s.used = false
		return "", peer.Errorf(peer.ErrOther, "raw: bind %s: %v", endpoint, err)
	}
	s.ln = ln
	go s.accept(ln)
	if network != "tcp" {
		return endpoint, nil
	}
	host, _, _ := net.SplitHostPort(addr)
	return "tcp://" + net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)), nil
}

func (s *socket) accept(ln net.Listener) {
	first := true
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed
		}
		if !first {
			c.Close()
			continue
		}
		first = false
		s.start(c)
	}
}

// Connect dials in the background, retrying every 50 ms until it succeeds or the socket
// closes, as ZeroMQ connects: sends queue up meanwhile.
func (s *socket) Connect(endpoint string) error {
	network, addr, err := split(endpoint)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.claim(); err != nil {
		return err
	}
	go func() {
		for {
			c, err := net.DialTimeout(network, addr, time.Second)
			if err == nil {
				s.start(c)
				return
			}
			select {
			case <-s.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return nil
}

// start adopts c as the socket's connection and runs its reader and writer.
func (s *socket) start(c net.Conn) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		return
	}
	s.conn = c
	s.mu.Unlock()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	go s.write(c)
	go s.read(c)
}

func (s *socket) fail(err error) {
	if errors.Is(err, net.ErrClosed) {
		err = io.EOF
	}
	s.connErr.CompareAndSwap(nil, &err)
}

func (s *socket) write(c net.Conn) {
	w := bufio.NewWriterSize(c, 64<<10)
	var hdr [8]byte
	var unflushed int64
	for {
		var m [][]byte
		select {
		case m = <-s.out:
		case <-s.stop:
			return
		}
		unflushed++
		binary.BigEndian.PutUint32(hdr[:4], uint32(len(m)))
		_, err := w.Write(hdr[:4])
		for _, f := range m {
			if err != nil {
				break
			}
			binary.BigEndian.PutUint64(hdr[:], uint64(len(f)))
			if _, err = w.Write(hdr[:]); err == nil {
				_, err = w.Write(f)
			}
		}
		if err == nil && len(s.out) == 0 {
			err = w.Flush()
			s.pending.Add(-unflushed)
			unflushed = 0
		}
		if err != nil {
			s.fail(err)
			return
		}
	}
}

func (s *socket) read(c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:4]); err != nil {
			s.fail(err)
			return
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		if n == 0 || n > maxFrames {
			s.fail(fmt.Errorf("raw: bad frame count %d", n))
			c.Close()
			return
		}
		m := make([][]byte, n)
		for i := range m {
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				s.fail(err)
				return
			}
			size := binary.BigEndian.Uint64(hdr[:])
			if size > maxFrameSize {
				s.fail(fmt.Errorf("raw: frame of %d bytes", size))
				c.Close()
				return
			}
			m[i] = make([]byte, size)
			if _, err := io.ReadFull(r, m[i]); err != nil {
				s.fail(err)
				return
			}
		}
		select {
		case s.in <- m:
		case <-s.stop:
			return
		}
	}
}

func (s *socket) Unbind(string) error {
	return peer.Errorf(peer.ErrUnsupported, "raw: no unbind")
}

func (s *socket) Disconnect(string) error {
	return peer.Errorf(peer.ErrUnsupported, "raw: no disconnect")
}

func (s *socket) SetOption(name string, _ any) error {
	return peer.Errorf(peer.ErrUnsupported, "raw: no options (%s)", name)
}

func (s *socket) GetOption(name string) (any, error) {
	return nil, peer.Errorf(peer.ErrUnsupported, "raw: no options (%s)", name)
}

func (s *socket) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Send queues one message; it waits up to timeout while the queue is full. The frames are
// not copied: the caller must not change them afterwards (the peer server and the benchmark
// loops never do).
func (s *socket) Send(frames [][]byte, timeout time.Duration) error {
	switch {
	case s.typ == "PULL":
		return peer.Errorf(peer.ErrUnsupported, "raw: PULL cannot send")
	case len(frames) == 0:
		return peer.Errorf(peer.ErrInval, "raw: a message has at least one frame")
	case s.typ == "REQ" && s.awaiting, s.typ == "REP" && !s.awaiting:
		return peer.Errorf(peer.ErrEFSM, "raw: %s must receive before it sends again", s.typ)
	case s.isClosed():
		return peer.Errorf(peer.ErrClosed, "raw: socket is closed")
	}
	if e := s.connErr.Load(); e != nil {
		return peer.Errorf(peer.ErrOther, "raw: connection lost: %v", *e)
	}
	s.pending.Add(1)
	select {
	case s.out <- frames:
	default:
		if !s.sendWait(frames, timeout) {
			s.pending.Add(-1)
			if s.isClosed() {
				return peer.Errorf(peer.ErrClosed, "raw: socket closed during send")
			}
			return peer.Errorf(peer.ErrAgain, "raw: send queue full for %v", timeout)
		}
	}
	if s.typ == "REQ" || s.typ == "REP" {
		s.awaiting = s.typ == "REQ"
	}
	return nil
}

func (s *socket) sendWait(frames [][]byte, timeout time.Duration) bool {
	if timeout <= 0 {
		return false
	}
	s.sendTimer.Reset(timeout)
	defer s.sendTimer.Stop()
	select {
	case s.out <- frames:
		return true
	case <-s.sendTimer.C:
	case <-s.stop:
	}
	return false
}

// Recv takes one message from the receive queue within timeout (0 = only if one is there).
func (s *socket) Recv(timeout time.Duration) ([][]byte, error) {
	switch {
	case s.typ == "PUSH":
		return nil, peer.Errorf(peer.ErrUnsupported, "raw: PUSH cannot receive")
	case s.typ == "REQ" && !s.awaiting, s.typ == "REP" && s.awaiting:
		return nil, peer.Errorf(peer.ErrEFSM, "raw: %s must send before it receives again", s.typ)
	case s.isClosed():
		return nil, peer.Errorf(peer.ErrClosed, "raw: socket is closed")
	}
	var m [][]byte
	select {
	case m = <-s.in:
	default:
		if m = s.recvWait(timeout); m == nil {
			if s.isClosed() {
				return nil, peer.Errorf(peer.ErrClosed, "raw: socket closed during recv")
			}
			return nil, peer.Errorf(peer.ErrAgain, "raw: no message within %v", timeout)
		}
	}
	if s.typ == "REQ" || s.typ == "REP" {
		s.awaiting = s.typ == "REP"
	}
	return m, nil
}

func (s *socket) recvWait(timeout time.Duration) [][]byte {
	if timeout <= 0 {
		return nil
	}
	s.recvTimer.Reset(timeout)
	defer s.recvTimer.Stop()
	select {
	case m := <-s.in:
		return m
	case <-s.recvTimer.C:
	case <-s.stop:
	}
	return nil
}

// Close waits up to linger (1 s when linger < 0) for queued messages to be written, then
// closes the connection.
func (s *socket) Close(linger time.Duration) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return peer.Errorf(peer.ErrClosed, "raw: socket already closed")
	}
	conn := s.conn
	s.mu.Unlock()
	if linger < 0 {
		linger = time.Second
	}
	if conn != nil && linger > 0 {
		deadline := time.Now().Add(linger)
		for s.pending.Load() > 0 && s.connErr.Load() == nil && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	s.mu.Lock()
	s.closed = true
	close(s.stop)
	ln, conn := s.ln, s.conn
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	if conn != nil {
		conn.Close()
	}
	return nil
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

var _ peer.Socket = (*socket)(nil)
