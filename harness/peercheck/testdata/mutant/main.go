// Command mutant is a deliberately broken peer for peercheck's own tests: the real
// go-zeromq backend served by the real peer.Serve, with one defect each, so that the tests
// prove check-peer fails, and names the op, when a peer gets that op wrong.
//
//	mutant no-recv-batch  answers recv_batch (sync or async) with a protocol error, as a peer
//	                      that never implemented it would
//	mutant eager-again    receives without waiting: every recv polls once and answers again
//	                      at once, whatever timeout_ms says
//	mutant bad-digest     answers digest mode with one bit of the first message's CRC flipped
//	mutant crash-hang     panics in getopt and blocks forever in unbind
//
// Everything else is what zmqpeer gozmq does. It is built by the tests (go build) and is not
// part of the suite.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/impl/gozmq"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mutant no-recv-batch|eager-again|bad-digest|crash-hang")
		os.Exit(3)
	}
	var b peer.Backend = gozmq.New()
	var hooks proxyHooks
	switch os.Args[1] {
	case "no-recv-batch":
		hooks.intercept = func(req peer.Request) (*peer.Reply, bool) {
			if req.Op != peer.OpRecvBatch {
				return nil, false
			}
			return &peer.Reply{ID: req.ID, Error: peer.Errorf(peer.ErrProtocol, "unknown op %q", req.Op)}, true
		}
	case "eager-again":
		b = &wrapped{Backend: b, wrap: func(s peer.Socket) peer.Socket { return eagerSocket{s} }}
	case "bad-digest":
		hooks.rewrite = func(req peer.Request, rep *peer.Reply) {
			if len(rep.Digest) >= peer.DigestLen {
				rep.Digest[11] ^= 1 // the low bit of message 0's CRC
			}
		}
	case "crash-hang":
		b = &wrapped{Backend: b, wrap: func(s peer.Socket) peer.Socket { return brokenSocket{s} }}
	default:
		fmt.Fprintf(os.Stderr, "mutant: unknown mode %q\n", os.Args[1])
		os.Exit(3)
	}
	if err := proxy(os.Stdin, os.Stdout, b, hooks); err != nil {
		fmt.Fprintln(os.Stderr, "mutant:", err)
		os.Exit(1)
	}
}

// wrapped wraps every socket the backend creates.
type wrapped struct {
	peer.Backend
	wrap func(peer.Socket) peer.Socket
}

func (w *wrapped) NewSocket(typ, context string) (peer.Socket, error) {
	s, err := w.Backend.NewSocket(typ, context)
	if err != nil {
		return nil, err
	}
	return w.wrap(s), nil
}

// eagerSocket ignores the receive timeout: it only ever polls.
type eagerSocket struct{ peer.Socket }

func (s eagerSocket) Recv(time.Duration) ([][]byte, error) { return s.Socket.Recv(0) }

// brokenSocket crashes in getopt and hangs in unbind.
type brokenSocket struct{ peer.Socket }

func (brokenSocket) GetOption(name string) (any, error) {
	panic("mutant crash-hang: getopt " + name)
}

func (brokenSocket) Unbind(string) error {
	// Sleep rather than block on nothing: a program whose goroutines all block on channels
	// is killed by the runtime as deadlocked, which would be a crash, not a hang.
	time.Sleep(time.Hour)
	return nil
}

// proxyHooks change requests before, or replies after, the real server.
type proxyHooks struct {
	// intercept answers a request itself (true) instead of passing it to Serve.
	intercept func(req peer.Request) (*peer.Reply, bool)
	// rewrite changes Serve's reply to req.
	rewrite func(req peer.Request, rep *peer.Reply)
}

// proxy runs peer.Serve behind a line-by-line relay: one request in, one reply out, in
// order, as the protocol is. Lines it does not touch pass through byte for byte.
func proxy(in io.Reader, out io.Writer, b peer.Backend, h proxyHooks) error {
	srvInR, srvInW := io.Pipe()
	srvOutR, srvOutW := io.Pipe()
	served := make(chan error, 1)
	go func() {
		err := peer.Serve(srvInR, srvOutW, b)
		_ = srvOutW.Close()
		served <- err
	}()
	replies := bufio.NewReaderSize(srvOutR, 1<<20)
	requests := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriter(out)
	for {
		line, rerr := requests.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var req peer.Request
			_ = json.Unmarshal(line, &req) // a malformed line goes to Serve, which says so
			reply, err := relay(line, req, h, srvInW, replies)
			if err != nil {
				return err
			}
			if _, err := w.Write(reply); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if req.Op == peer.OpQuit {
				_ = srvInW.Close()
				return <-served
			}
		}
		if rerr != nil {
			_ = srvInW.Close()
			return <-served
		}
	}
}

// relay answers one request line: intercepted, or passed to Serve and maybe rewritten.
func relay(line []byte, req peer.Request, h proxyHooks, srv io.Writer, replies *bufio.Reader) ([]byte, error) {
	if h.intercept != nil {
		if rep, ok := h.intercept(req); ok {
			b, err := json.Marshal(rep)
			return append(b, '\n'), err
		}
	}
	if !bytes.HasSuffix(line, []byte("\n")) {
		line = append(line, '\n')
	}
	if _, err := srv.Write(line); err != nil {
		return nil, fmt.Errorf("pass %s to the server: %w", req.Op, err)
	}
	reply, err := replies.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("the server ended before answering %s: %w", req.Op, err)
	}
	if h.rewrite == nil {
		return reply, nil
	}
	var rep peer.Reply
	if err := json.Unmarshal(reply, &rep); err != nil {
		return reply, nil
	}
	h.rewrite(req, &rep)
	b, err := json.Marshal(rep)
	return append(b, '\n'), err
}
