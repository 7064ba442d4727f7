// Command zmqpeer is the Go peer process: it serves one Go ZeroMQ implementation over the
// peer protocol (JSON lines on stdin/stdout, docs/peer-protocol.md) until "quit" or the end of
// its input.
//
//	zmqpeer gozmq    github.com/go-zeromq/zmq4, pure Go
//	zmqpeer libzmq   libzmq through github.com/pebbe/zmq4 (a binary built with -tags libzmq
//	                 and cgo; otherwise it says so and exits 3)
//	zmqpeer raw      the benchmark ceiling: framed messages over plain TCP/unix sockets, not ZeroMQ
//
// Latencies are recorded in an HdrHistogram (harness/impl/hdr). An unknown implementation, or
// one this binary cannot run, is one line on stderr naming what to fix, and exit status 3.
//
// Environment: ZMQPEER_SLOWDOWN=f (a factor > 1, e.g. 1.25) makes the gozmq and libzmq peers
// artificially slower by that factor, to prove the benchmark gate catches a regression (see
// slowdown.go). The hidden "fault" modes exist for the harness's own tests (see fault.go).
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness/impl/gozmq"
	"github.com/zmqsuite/zmqsuite/harness/impl/hdr"
	"github.com/zmqsuite/zmqsuite/harness/impl/libzmq"
	"github.com/zmqsuite/zmqsuite/harness/impl/raw"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// exitUnavailable is the status for "this peer cannot run here": unknown name, backend not
// built in, bad environment.
const exitUnavailable = 3

var names = []string{"gozmq", "libzmq", "raw"}

func main() {
	peer.NewRecorder = hdr.NewRecorder
	if len(os.Args) < 2 {
		fmt.Fprintf(os.Stderr, "zmqpeer: name an implementation: zmqpeer %s\n", strings.Join(names, "|"))
		os.Exit(exitUnavailable)
	}
	name := os.Args[1]
	if name == "fault" {
		os.Exit(runFault(os.Args[2:]))
	}
	b, err := backend(name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "zmqpeer: %v\n", err)
		os.Exit(exitUnavailable)
	}
	if name != "raw" {
		if b, err = slowdown(b, os.Getenv(slowdownEnv)); err != nil {
			fmt.Fprintf(os.Stderr, "zmqpeer: %v\n", err)
			os.Exit(exitUnavailable)
		}
	}
	if err := peer.Serve(os.Stdin, os.Stdout, b); err != nil {
		fmt.Fprintf(os.Stderr, "zmqpeer %s: %v\n", name, err)
		os.Exit(1)
	}
}

// backend returns the named implementation, or why it cannot run in this binary.
func backend(name string) (peer.Backend, error) {
	switch name {
	case "gozmq":
		return gozmq.New(), nil
	case "libzmq":
		return libzmq.New()
	case "raw":
		return raw.New(), nil
	}
	return nil, fmt.Errorf("unknown implementation %q (want one of: %s)", name, strings.Join(names, ", "))
}
