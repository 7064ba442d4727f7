package peer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTimeout applies to a send or recv whose request names no timeout_ms, so that no
// request can block a peer forever.
const DefaultTimeout = 10 * time.Second

// Serve runs the protocol for b: one request per line from in, one reply per line to out,
// until "quit" or the end of in. Only this loop writes to out. Panics inside the binding are
// not recovered: a crashed peer is a result the harness records.
func Serve(in io.Reader, out io.Writer, b Backend) error {
	s := &server{backend: b, sockets: map[string]Socket{}, jobs: map[int64]*job{}}
	dec := json.NewDecoder(bufio.NewReaderSize(in, 1<<20))
	w := bufio.NewWriterSize(out, 1<<20)
	enc := json.NewEncoder(w)
	for {
		var req Request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			// A malformed line cannot be answered by id; say so once and stop, as the
			// stream can no longer be trusted.
			_ = enc.Encode(Reply{OK: false, Error: Errorf(ErrProtocol, "unreadable request: %v", err)})
			_ = w.Flush()
			return fmt.Errorf("peer: unreadable request: %w", err)
		}
		rep := s.handle(&req)
		rep.ID = req.ID
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("peer: write reply: %w", err)
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("peer: write reply: %w", err)
		}
		if req.Op == OpQuit {
			return nil
		}
	}
}

type server struct {
	backend  Backend
	mu       sync.Mutex
	sockets  map[string]Socket
	nextSock int
	jobs     map[int64]*job
	nextJob  int64
	zaps     map[string]*zapHandler // running ZAP handlers by context name (security.go)
}

type job struct {
	done   chan struct{}
	cancel atomic.Bool
	reply  Reply
}

func (s *server) handle(req *Request) Reply {
	if err := checkRequired(req); err != nil {
		return fail(err)
	}
	if req.Async {
		switch req.Op {
		case OpSend, OpRecv, OpSendBatch, OpRecvBatch, OpBench:
		default:
			return fail(Errorf(ErrProtocol, "op %q cannot run async", req.Op))
		}
		s.mu.Lock()
		s.nextJob++
		j := &job{done: make(chan struct{})}
		id := s.nextJob
		s.jobs[id] = j
		s.mu.Unlock()
		go func() {
			j.reply = s.run(req, &j.cancel)
			close(j.done)
		}()
		return Reply{OK: true, Job: id}
	}
	switch req.Op {
	case OpWait, OpCancel:
		return s.jobOp(req)
	}
	return s.run(req, new(atomic.Bool))
}

// jobOp collects (wait) or stops (cancel) an async job.
func (s *server) jobOp(req *Request) Reply {
	s.mu.Lock()
	j := s.jobs[req.Job]
	s.mu.Unlock()
	if j == nil {
		return fail(Errorf(ErrInval, "no job %d", req.Job))
	}
	if req.Op == OpCancel {
		j.cancel.Store(true)
		return Reply{OK: true}
	}
	select {
	case <-j.done:
	case <-time.After(timeout(req)):
		return fail(Errorf(ErrAgain, "job %d still running after %v", req.Job, timeout(req)))
	}
	s.mu.Lock()
	delete(s.jobs, req.Job)
	s.mu.Unlock()
	return j.reply
}

func timeout(req *Request) time.Duration {
	if req.TimeoutMS == nil {
		return DefaultTimeout
	}
	if *req.TimeoutMS < 0 {
		return 0
	}
	return time.Duration(*req.TimeoutMS) * time.Millisecond
}

func fail(err error) Reply {
	var we *WireError
	if !errors.As(err, &we) {
		we = &WireError{Category: ErrOther, Message: err.Error()}
	}
	return Reply{OK: false, Error: we}
}

func (s *server) socket(req *Request) (Socket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sock, ok := s.sockets[req.Socket]; ok {
		return sock, nil
	}
	return nil, Errorf(ErrProtocol, "%s: unknown socket %q", req.Op, req.Socket)
}

func (s *server) run(req *Request, cancel *atomic.Bool) Reply {
	switch req.Op {
	case OpPing:
		return Reply{OK: true}
	case OpHeap:
		// Optional, left out: the Go runtime returns what it freed to the OS over time, and
		// the libzmq backend's memory is C's; leak cases judge these peers' resident memory.
		return fail(Errorf(ErrProtocol, "unknown op %q (optional: this peer's resident memory is the measure)", req.Op))
	case OpHello:
		h := s.backend.Info()
		h.Protocol = Version
		h.PeerPID = os.Getpid()
		if h.OS == "" {
			h.OS = runtime.GOOS
		}
		if h.Language == "" {
			h.Language = "go"
		}
		if h.Runtime == "" {
			h.Runtime = runtime.Version()
		}
		h.Caps.Transports, h.Caps.ProbeErrors = ProbeTransports(s.backend)
		return Reply{OK: true, Hello: &h}
	case OpSocket:
		sock, err := s.backend.NewSocket(req.Type, req.Context)
		if err != nil {
			return fail(err)
		}
		s.mu.Lock()
		s.nextSock++
		id := "s" + strconv.Itoa(s.nextSock)
		s.sockets[id] = sock
		s.mu.Unlock()
		return Reply{OK: true, Socket: id}
	case OpZAP, OpZAPLog, OpZAPStop:
		return s.zap(req)
	case OpQuit:
		s.stopAllZAP()
		s.mu.Lock()
		// Stop running loops first, so no close waits on a call blocked inside a job.
		for _, j := range s.jobs {
			j.cancel.Store(true)
		}
		socks := s.sockets
		s.sockets = map[string]Socket{}
		s.mu.Unlock()
		for _, sock := range socks {
			_ = sock.Close(0)
		}
		return Reply{OK: true}
	}
	sock, err := s.socket(req)
	if err != nil {
		return fail(err)
	}
	switch req.Op {
	case OpBind:
		ep, err := sock.Bind(req.Endpoint)
		if err != nil {
			return fail(err)
		}
		return Reply{OK: true, Endpoint: ep}
	case OpConnect:
		return done(sock.Connect(req.Endpoint))
	case OpUnbind:
		return done(sock.Unbind(req.Endpoint))
	case OpDisconnect:
		return done(sock.Disconnect(req.Endpoint))
	case OpSetOpt:
		if err := knownOption(req.Name); err != nil {
			return fail(err)
		}
		return done(sock.SetOption(req.Name, req.Value))
	case OpGetOpt:
		if err := knownOption(req.Name); err != nil {
			return fail(err)
		}
		v, err := sock.GetOption(req.Name)
		if err != nil {
			return fail(err)
		}
		return Reply{OK: true, Value: v}
	case OpSend:
		return done(sock.Send(req.Frames, timeout(req)))
	case OpRecv:
		m, err := sock.Recv(timeout(req))
		if err != nil {
			return fail(err)
		}
		return Reply{OK: true, Frames: m}
	case OpSendBatch:
		return sendBatch(sock, req, cancel)
	case OpRecvBatch:
		return recvBatch(sock, req, cancel)
	case OpBench:
		if req.Bench == nil {
			return fail(Errorf(ErrProtocol, "bench: missing \"bench\" spec"))
		}
		r, err := RunBench(sock, *req.Bench, cancel)
		if err != nil {
			return fail(err)
		}
		return Reply{OK: true, Bench: r}
	case OpClose:
		linger := time.Duration(-1)
		if req.LingerMS != nil {
			linger = time.Duration(*req.LingerMS) * time.Millisecond
		}
		err := sock.Close(linger)
		s.mu.Lock()
		delete(s.sockets, req.Socket)
		s.mu.Unlock()
		return done(err)
	}
	return fail(Errorf(ErrProtocol, "unknown op %q", req.Op))
}

// knownOption answers an option name outside the protocol's Options with unsupported, as the
// document promises, whatever the backend would say: the Go adapters answer names they do
// not know with inval, which a case would read as "the binding refused this value".
func knownOption(name string) error {
	if _, ok := Options[name]; !ok {
		return Errorf(ErrUnsupported, "unknown option %q (not in the protocol's option table)", name)
	}
	return nil
}

func done(err error) Reply {
	if err != nil {
		return fail(err)
	}
	return Reply{OK: true}
}

func sendBatch(sock Socket, req *Request, cancel *atomic.Bool) Reply {
	n := len(req.Messages)
	if req.Plan != nil {
		if err := req.Plan.Validate(); err != nil {
			return fail(err)
		}
		n = req.Plan.Count
	}
	t := timeout(req)
	for i := 0; i < n; i++ {
		if cancel.Load() {
			return Reply{OK: false, Sent: i, Error: Errorf(ErrOther, "send_batch cancelled after %d", i)}
		}
		var m [][]byte
		if req.Plan != nil {
			m = req.Plan.Message(i)
		} else {
			m = req.Messages[i]
		}
		if err := sock.Send(m, t); err != nil {
			r := fail(err)
			r.Sent = i
			r.Error.Message = fmt.Sprintf("message %d of %d: %s", i, n, r.Error.Message)
			return r
		}
	}
	return Reply{OK: true, Sent: n}
}

// recvBatch receives req.Count messages, each within the request's timeout, and answers them
// (or, in digest mode, their digests), also on error: what arrived before it.
func recvBatch(sock Socket, req *Request, cancel *atomic.Bool) Reply {
	t := timeout(req)
	var keep func(m [][]byte)
	var msgs [][][]byte
	var digest []byte
	if req.Digest {
		// The message is reduced to 16 bytes and never touched again, so its buffers can go
		// back to a socket that reuses them.
		recycle := recyclerOf(sock)
		digest = make([]byte, 0, min(req.Count, 1<<20)*DigestLen)
		keep = func(m [][]byte) {
			digest = AppendDigest(digest, m)
			recycle(m)
		}
	} else {
		msgs = make([][][]byte, 0, min(req.Count, 1<<20))
		keep = func(m [][]byte) { msgs = append(msgs, m) }
	}
	reply := func(r Reply) Reply {
		r.Messages, r.Digest = msgs, digest
		return r
	}
	for n := 0; n < req.Count; n++ {
		if cancel.Load() {
			return reply(Reply{OK: false, Error: Errorf(ErrAgain, "recv_batch cancelled after %d", n)})
		}
		m, err := sock.Recv(t)
		if err != nil {
			r := fail(err)
			r.Error.Message = fmt.Sprintf("after %d of %d messages: %s", n, req.Count, r.Error.Message)
			return reply(r)
		}
		keep(m)
	}
	return reply(Reply{OK: true})
}

// ProbeTransports checks, by binding a PAIR and carrying one message, which transports work
// in this process now. Claims are never trusted on their own (CASES.md IPC.1).
func ProbeTransports(b Backend) ([]string, map[string]string) {
	dir, err := os.MkdirTemp("", "zp")
	if err != nil {
		return nil, map[string]string{"ipc": err.Error()}
	}
	defer os.RemoveAll(dir)
	var ok []string
	errs := map[string]string{}
	for _, t := range []string{"tcp", "ipc", "inproc"} {
		ep := map[string]string{
			"tcp":    "tcp://127.0.0.1:*",
			"ipc":    "ipc://" + filepath.Join(dir, "probe"),
			"inproc": "inproc://zmqsuite-probe",
		}[t]
		if err := probe(b, ep); err != nil {
			errs[t] = err.Error()
			continue
		}
		ok = append(ok, t)
	}
	if len(errs) == 0 {
		errs = nil
	}
	return ok, errs
}

func probe(b Backend, ep string) error {
	a, err := b.NewSocket("PAIR", "")
	if err != nil {
		return err
	}
	defer a.Close(0)
	c, err := b.NewSocket("PAIR", "")
	if err != nil {
		return err
	}
	defer c.Close(0)
	real, err := a.Bind(ep)
	if err != nil {
		return fmt.Errorf("bind %s: %w", ep, err)
	}
	if err := c.Connect(real); err != nil {
		return fmt.Errorf("connect %s: %w", real, err)
	}
	if err := c.Send([][]byte{[]byte("probe")}, 2*time.Second); err != nil {
		return fmt.Errorf("send over %s: %w", real, err)
	}
	m, err := a.Recv(2 * time.Second)
	if err != nil {
		return fmt.Errorf("recv over %s: %w", real, err)
	}
	if len(m) != 1 || string(m[0]) != "probe" {
		return fmt.Errorf("probe over %s: got %q", real, m)
	}
	return nil
}
