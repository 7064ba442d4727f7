package main

// Fault modes: deliberately broken peers. They exist only so that the harness's own tests
// (harness/fault_test.go) can prove that a peer which crashes, hangs, talks garbage or dies at
// start becomes a one-line result for its case and is replaced by a fresh process, without
// depending on a real implementation misbehaving on cue. They are not listed in the usage.
//
//	zmqpeer fault panic-on-recv   gozmq peer that panics in its first Recv
//	zmqpeer fault hang-on-recv    gozmq peer whose first Recv blocks forever, ignoring its deadline
//	zmqpeer fault garbage         gozmq peer that answers its first non-hello request with a
//	                              line that is not JSON
//	zmqpeer fault exit-at-start   prints a line on stderr and exits 1 before reading anything
//	zmqpeer fault die-after-close gozmq peer that, 300 ms after its first socket close, prints
//	                              a Go-style "fatal error" line and exits 2 on its own: a
//	                              death between cells, like go-zeromq's accept loop parsing a
//	                              finished cell's connection
//	zmqpeer fault drop-sends      gozmq peer whose REQ sockets accept every send and send
//	                              nothing (a mutant: cases that only check that nothing
//	                              arrives somewhere must still catch it)
//	zmqpeer fault mute            gozmq peer whose sockets of every type accept every send and
//	                              send nothing: an implementation nothing can interoperate with
//
// "First" counts from the first request other than hello: hello probes transports with real
// sends and receives, and those must work for the peer to start at all.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/impl/gozmq"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

var faults = []string{"panic-on-recv", "hang-on-recv", "garbage", "exit-at-start", "die-after-close", "drop-sends", "mute"}

func runFault(args []string) int {
	if len(args) != 1 {
		fmt.Fprintf(os.Stderr, "zmqpeer fault: name one fault mode: %v\n", faults)
		return exitUnavailable
	}
	mode := args[0]
	var armed atomic.Bool // set once a request other than hello has been read
	in := &requestWatcher{r: os.Stdin, onRequest: func(op string) {
		if op != peer.OpHello {
			armed.Store(true)
		}
	}}
	var out io.Writer = os.Stdout
	var b peer.Backend = gozmq.New()
	switch mode {
	case "exit-at-start":
		fmt.Fprintln(os.Stderr, "zmqpeer fault: exit-at-start: exiting with status 1 before serving, as asked")
		return 1
	case "panic-on-recv", "hang-on-recv", "die-after-close", "drop-sends", "mute":
		b = &faultBackend{Backend: b, mode: mode, armed: &armed}
	case "garbage":
		out = &garbler{w: os.Stdout}
	default:
		fmt.Fprintf(os.Stderr, "zmqpeer fault: unknown fault mode %q (want one of %v)\n", mode, faults)
		return exitUnavailable
	}
	if err := peer.Serve(in, out, b); err != nil {
		fmt.Fprintf(os.Stderr, "zmqpeer fault %s: %v\n", mode, err)
		return 1
	}
	return 0
}

// requestWatcher passes the input through unchanged and reports the op of each request line
// it sees go by. The harness sends one request and waits for its reply, so a request is
// seen before the server acts on it.
type requestWatcher struct {
	r         io.Reader
	onRequest func(op string)
	partial   []byte
}

func (w *requestWatcher) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.partial = append(w.partial, p[:n]...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		var req struct {
			Op string `json:"op"`
		}
		if json.Unmarshal(w.partial[:i], &req) == nil {
			w.onRequest(req.Op)
		}
		w.partial = w.partial[i+1:]
	}
	return n, err
}

// garbler writes replies through, except the first reply that is not a hello reply (the
// answer to the first request after hello), which it replaces, once, with a line that is not
// JSON.
type garbler struct {
	w    io.Writer
	mu   sync.Mutex
	line []byte // the reply being written, up to its newline
	done bool
}

func (g *garbler) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done {
		return g.w.Write(p)
	}
	g.line = append(g.line, p...)
	for !g.done {
		i := bytes.IndexByte(g.line, '\n')
		if i < 0 {
			return len(p), nil
		}
		var rep struct {
			Hello json.RawMessage `json:"hello"`
		}
		line := g.line[:i+1]
		if json.Unmarshal(line, &rep) != nil || rep.Hello == nil {
			g.done = true
			line = []byte("zmqpeer fault: this line is deliberately not a protocol reply\n")
		}
		if _, err := g.w.Write(line); err != nil {
			return 0, err
		}
		g.line = g.line[i+1:]
	}
	if len(g.line) > 0 { // the rest of what was buffered goes through untouched
		if _, err := g.w.Write(g.line); err != nil {
			return 0, err
		}
		g.line = nil
	}
	return len(p), nil
}

type faultBackend struct {
	peer.Backend
	mode  string
	armed *atomic.Bool
	once  sync.Once
}

func (b *faultBackend) NewSocket(typ, context string) (peer.Socket, error) {
	s, err := b.Backend.NewSocket(typ, context)
	if err != nil {
		return nil, err
	}
	return &faultSocket{Socket: s, b: b, typ: typ}, nil
}

type faultSocket struct {
	peer.Socket
	b   *faultBackend
	typ string
}

func (s *faultSocket) Send(frames [][]byte, timeout time.Duration) error {
	if (s.b.mode == "drop-sends" && s.typ == "REQ" || s.b.mode == "mute") && s.b.armed.Load() {
		return nil // accepted, never sent
	}
	return s.Socket.Send(frames, timeout)
}

func (s *faultSocket) Close(linger time.Duration) error {
	if s.b.mode == "die-after-close" {
		s.b.once.Do(func() {
			go func() {
				time.Sleep(300 * time.Millisecond)
				fmt.Fprintln(os.Stderr, "fatal error: zmqpeer fault: die-after-close: dying on its own after the cell")
				os.Exit(2)
			}()
		})
	}
	return s.Socket.Close(linger)
}

func (s *faultSocket) Recv(timeout time.Duration) ([][]byte, error) {
	if s.b.armed.Load() {
		fire := false
		s.b.once.Do(func() { fire = true })
		if fire {
			switch s.b.mode {
			case "panic-on-recv":
				panic("zmqpeer fault: panic-on-recv: deliberate panic in Recv")
			case "hang-on-recv":
				fmt.Fprintf(os.Stderr, "zmqpeer fault: hang-on-recv: blocking forever in Recv, ignoring its %v deadline\n", timeout)
				for { // a sleeping goroutine, so the runtime never calls it a deadlock
					time.Sleep(time.Hour)
				}
			}
		}
	}
	return s.Socket.Recv(timeout)
}
