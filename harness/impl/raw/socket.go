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

// outItem is an entry of the send queue: a message to write, or (recycle) the buffers of a
// message that Recycle returned while the queue might still hold it, reusable once every entry
// before it is written.
type outItem struct {
	m       [][]byte
	recycle bool
}

type socket struct {
	typ  string
	out  chan outItem    // send queue (Send, Recycle)
	in   chan [][][]byte // receive queue: batches of messages, as the reader parsed them
	free chan []byte     // large frame buffers to reuse (Recycle, RecvFrame), taken by the reader
	stop chan struct{}   // closed by Close
	kick chan struct{}   // SendFrame left bytes in w: the writer should flush them

	// rq is the rest of the batch being consumed. Only the one goroutine using the socket
	// touches it (the harness never uses one socket from two jobs).
	rq [][][]byte

	// wmu guards w, the connection's buffered writer, shared by the writer goroutine (Send's
	// queue) and SendFrame (which writes in the caller's goroutine); dirty says w holds bytes
	// SendFrame wrote that nobody has flushed yet.
	wmu   sync.Mutex
	w     *bufio.Writer
	dirty bool

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
	s := &socket{typ: typ, out: make(chan outItem, sendQueue), in: make(chan [][][]byte, recvBatches),
		free: make(chan []byte, freeBuffers), stop: make(chan struct{}), kick: make(chan struct{}, 1),
		sendTimer: stoppedTimer(), recvTimer: stoppedTimer()}
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
	s.wmu.Lock()
	s.w = w
	s.wmu.Unlock()
	var unflushed int64
	for {
		var err error
		select {
		case it := <-s.out:
			s.wmu.Lock()
			if it.recycle {
				// Every message queued before it is written (or copied into w): reusable.
				s.recycle(it.m)
			} else {
				unflushed++
				err = writeMsg(w, it.m)
			}
			if err == nil && len(s.out) == 0 { // flush does nothing when nothing is buffered
				err = flush(c, w)
				s.dirty = false
				s.pending.Add(-unflushed)
				unflushed = 0
			}
			s.wmu.Unlock()
		case <-s.kick:
			s.wmu.Lock()
			err = flush(c, w)
			s.dirty = false
			s.wmu.Unlock()
		case <-s.stop:
			return
		}
		if err != nil {
			s.fail(err)
			return
		}
	}
}

// flushBound bounds a flush of the writer goroutine. It holds wmu meanwhile, so a receiver that
// stopped reading would otherwise block SendFrame (and a sending loop's cancel check) for as
// long as the connection stays open. A flush cut short loses the connection, as SendFrame's
// timed-out write does.
const flushBound = 2 * time.Second

// flush writes out w under a deadline of flushBound, then clears the deadline, so that no
// bound outlives the write it was set for.
func flush(c net.Conn, w *bufio.Writer) error {
	if w.Buffered() == 0 {
		return nil
	}
	_ = c.SetWriteDeadline(time.Now().Add(flushBound))
	err := w.Flush()
	if err == nil {
		_ = c.SetWriteDeadline(time.Time{})
	}
	return err
}

// writeMsg frames m onto w: a 4-byte frame count, then per frame an 8-byte length and the bytes.
func writeMsg(w *bufio.Writer, m [][]byte) error {
	var hdr [8]byte
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
	return err
}

// read parses messages into batches: after each message it keeps going while more bytes are
// already buffered, so a burst crosses to the consumer in one channel operation rather than one
// per message (the ceiling must not be bounded by goroutine hand-offs).
func (s *socket) read(c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	var batch [][][]byte
	var bytes int
	a := arena{free: s.free}
	for {
		m, n, err := readMsg(r, &a)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.Close()
			}
			s.fail(err)
			return
		}
		batch = append(batch, m)
		bytes += n
		if r.Buffered() > 0 && len(batch) < maxBatch && bytes < maxBatchBytes {
			continue
		}
		select {
		case s.in <- batch:
		case <-s.stop:
			return
		}
		batch, bytes = nil, 0
	}
}

// arena hands out small frames and frame lists from shared blocks, so a burst of small
// messages costs two allocations a block rather than two a message. A block lives until the
// last message cut from it is dropped. Large frames reuse the buffers that consumers gave back
// (free): a fresh one costs a page fault per 4 KiB when the kernel first writes into it.
type arena struct {
	bytes  []byte
	frames [][]byte
	free   chan []byte
}

const (
	arenaBlock = 64 << 10
	smallFrame = arenaBlock / 16 // larger frames get buffers of their own
	// freeBuffers is how many large buffers a socket keeps for reuse: enough for the messages
	// in flight between its reader and its consumer when those are 1 MiB.
	freeBuffers = 16
)

func (a *arena) frame(size int) []byte {
	if size > smallFrame {
		select {
		case f := <-a.free:
			if cap(f) >= size {
				return f[:size]
			}
		default:
		}
		return make([]byte, size)
	}
	if len(a.bytes) < size {
		a.bytes = make([]byte, arenaBlock)
	}
	f := a.bytes[:size:size]
	a.bytes = a.bytes[size:]
	return f
}

func (a *arena) list(n int) [][]byte {
	if n > 16 {
		return make([][]byte, n)
	}
	if len(a.frames) < n {
		a.frames = make([][]byte, 1024)
	}
	l := a.frames[:n:n]
	a.frames = a.frames[n:]
	return l
}

// readMsg reads one framed message and its size in bytes.
func readMsg(r *bufio.Reader, a *arena) ([][]byte, int, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return nil, 0, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n == 0 || n > maxFrames {
		return nil, 0, fmt.Errorf("raw: bad frame count %d", n)
	}
	m := a.list(int(n))
	total := 0
	for i := range m {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, 0, err
		}
		size := binary.BigEndian.Uint64(hdr[:])
		if size > maxFrameSize {
			return nil, 0, fmt.Errorf("raw: frame of %d bytes", size)
		}
		m[i] = a.frame(int(size))
		if _, err := io.ReadFull(r, m[i]); err != nil {
			return nil, 0, err
		}
		total += int(size)
	}
	return m, total, nil
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
	case s.out <- outItem{m: frames}:
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
	case s.out <- outItem{m: frames}:
		return true
	case <-s.sendTimer.C:
	case <-s.stop:
	}
	return false
}

// Recycle takes back the buffers of m, which the caller will not touch again (peer.Recycler).
// Only large frames are kept. While sends are queued, m may be one of them (an echo), so its
// buffers go through the queue and are reused once it is written; if the queue is full they
// are left to the garbage collector.
func (s *socket) Recycle(m [][]byte) {
	if s.pending.Load() == 0 {
		s.recycle(m)
		return
	}
	select {
	case s.out <- outItem{m: m, recycle: true}:
	default:
	}
}

// recycle offers m's large frames to the reader for reuse.
func (s *socket) recycle(m [][]byte) {
	for _, f := range m {
		if cap(f) <= smallFrame {
			continue
		}
		select {
		case s.free <- f[:cap(f)]:
		default:
			return
		}
	}
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
	m := s.next()
	if m == nil {
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

// next takes the next message of the current batch, or of a batch already waiting; nil if none.
func (s *socket) next() [][]byte {
	if len(s.rq) == 0 {
		select {
		case s.rq = <-s.in:
		default:
			return nil
		}
	}
	m := s.rq[0]
	s.rq[0] = nil
	s.rq = s.rq[1:]
	return m
}

func (s *socket) recvWait(timeout time.Duration) [][]byte {
	if timeout <= 0 {
		return nil
	}
	s.recvTimer.Reset(timeout)
	defer s.recvTimer.Stop()
	select {
	case s.rq = <-s.in:
		return s.next()
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
		for (s.pending.Load() > 0 || s.isDirty()) && s.connErr.Load() == nil && time.Now().Before(deadline) {
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
