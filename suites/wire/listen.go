package wire

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
)

// listener is our peer's side when the implementation connects: it accepts for its whole
// life into a queue, so that a case can wait for "the next connection" with a bound and give
// up without losing the listener (zmtp.Listener closes itself when an Accept is abandoned).
// Connections nobody took are closed with it.
// arrival is an accepted connection and when it was accepted.
type arrival struct {
	nc net.Conn
	at time.Time
}

type listener struct {
	l        net.Listener
	endpoint string
	conns    chan arrival
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
	retired  atomic.Bool
}

// listen binds a fresh endpoint of transport: tcp on our loopback address with a port the
// kernel picks, ipc in this process's ipc directory (harness.NewEndpoint: short, private,
// removed at the end of the suite).
func listen(transport string) (*listener, error) {
	network, addr := "tcp", loopback()+":0"
	if transport == harness.IPC {
		ep, err := harness.NewEndpoint(harness.IPC)
		if err != nil {
			return nil, err
		}
		network, addr = "unix", strings.TrimPrefix(ep, "ipc://")
	} else if transport != harness.TCP {
		return nil, fmt.Errorf("our ZMTP peer cannot listen on %s", transport)
	}
	nl, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("our ZMTP peer: listen %s %s: %w", network, addr, err)
	}
	l := &listener{l: nl, endpoint: zmtp.JoinEndpoint(nl.Addr()), conns: make(chan arrival, 64), done: make(chan struct{})}
	l.wg.Add(1)
	go l.loop()
	return l, nil
}

func (l *listener) loop() {
	defer l.wg.Done()
	for {
		nc, err := l.l.Accept()
		if err != nil {
			return // closed
		}
		if l.retired.Load() {
			nc.Close()
			continue
		}
		select {
		case l.conns <- arrival{nc, time.Now()}:
		case <-l.done:
			nc.Close()
			return
		}
	}
}

// next returns the next connection the implementation made, waiting at most within; it gives
// up early when the implementation's connect call has already failed (gave its answer, and
// no connection is coming).
func (l *listener) next(ctx context.Context, within time.Duration, connect *call) (net.Conn, error) {
	a, err := l.nextArrival(ctx, within, connect)
	return a.nc, err
}

// nextArrival is next with the time the connection was accepted.
func (l *listener) nextArrival(ctx context.Context, within time.Duration, connect *call) (arrival, error) {
	timer := time.NewTimer(within)
	defer timer.Stop()
	var failed <-chan struct{}
	if connect != nil {
		failed = connect.done
	}
	for {
		select {
		case a := <-l.conns:
			return a, nil
		case <-failed:
			if connect.err != nil {
				// A connection may still be queued (the binding refused after connecting).
				select {
				case a := <-l.conns:
					return a, nil
				default:
				}
				return arrival{}, fmt.Errorf("the implementation's connect to %s failed before a connection arrived: %w", l.endpoint, connect.err)
			}
			failed = nil
		case <-timer.C:
			return arrival{}, fmt.Errorf("the implementation did not connect to %s within %s", l.endpoint, within)
		case <-ctx.Done():
			return arrival{}, fmt.Errorf("waiting for the implementation to connect to %s: %w", l.endpoint, ctx.Err())
		}
	}
}

// retire keeps the endpoint bound but refuses every connection to it (accepted and closed at
// once), for the rest of the cell: a socket that redials an endpoint our peer is done with
// reaches it and is refused, and the port cannot be handed by the kernel to another
// listener — of another cell, in another process — that the redialler would then reach.
func (l *listener) retire() {
	l.retired.Store(true)
	for {
		select {
		case a := <-l.conns:
			a.nc.Close()
		default:
			return
		}
	}
}

// close stops listening and closes the connections nobody took; for ipc, net.UnixListener
// removes the socket file it created, so a binding that keeps redialling gets ENOENT.
func (l *listener) close() {
	l.once.Do(func() {
		close(l.done)
		l.l.Close()
		l.wg.Wait()
		for {
			select {
			case a := <-l.conns:
				a.nc.Close()
			default:
				return
			}
		}
	})
}

var (
	loopbackOnce sync.Once
	loopbackAddr string
)

// loopback is the address our peer listens on: 127.0.0.37 where the system routes all of
// 127/8 to the loopback interface (Linux), so that no socket of another suite on this machine
// — they use 127.0.0.1 — redialling a port it used can reach our listener by a reused port
// number; 127.0.0.1 elsewhere (macOS has only that address by default).
func loopback() string {
	loopbackOnce.Do(func() {
		loopbackAddr = "127.0.0.1"
		if l, err := net.Listen("tcp", "127.0.0.37:0"); err == nil {
			l.Close()
			loopbackAddr = "127.0.0.37"
		}
	})
	return loopbackAddr
}

// call is a peer request running on another goroutine (the implementation's connect: go-
// zeromq dials synchronously, handshake included, so its connect returns only once our peer,
// on the case's goroutine, has answered). err is set before done is closed.
type call struct {
	done chan struct{}
	err  error
}
