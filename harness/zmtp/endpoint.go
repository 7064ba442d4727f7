package zmtp

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// SplitEndpoint turns a ZeroMQ endpoint into a Go network and address: "tcp://host:port"
// → tcp, host:port; "ipc:///path" → unix, /path.
func SplitEndpoint(endpoint string) (network, address string, err error) {
	if a, ok := strings.CutPrefix(endpoint, "tcp://"); ok {
		return "tcp", a, nil
	}
	if a, ok := strings.CutPrefix(endpoint, "ipc://"); ok {
		return "unix", a, nil
	}
	return "", "", fmt.Errorf("zmtp: endpoint %q: only tcp:// and ipc:// are supported", endpoint)
}

// JoinEndpoint is the inverse of SplitEndpoint for an address a listener reports.
func JoinEndpoint(addr net.Addr) string {
	if addr.Network() == "unix" {
		return "ipc://" + addr.String()
	}
	return "tcp://" + addr.String()
}

// DialRaw connects to endpoint and does nothing else: a Script decides what to say.
func DialRaw(ctx context.Context, endpoint string, cfg Config) (*Conn, error) {
	network, addr, err := SplitEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("zmtp: dial %s: %w", endpoint, err)
	}
	return NewConn(nc, cfg), nil
}

// Dial connects to endpoint and completes the handshake of cfg.Mechanism.
func Dial(ctx context.Context, endpoint string, cfg Config) (*Conn, error) {
	c, err := DialRaw(ctx, endpoint, cfg)
	if err != nil {
		return nil, err
	}
	if err := c.Handshake(ctx); err != nil {
		c.Close()
		return c, err
	}
	return c, nil
}

// Listener accepts connections for the suite's side of a connection (the implementation
// connects to us: W.ROB.2, SUB picking the subscription form, CURVE client tests).
type Listener struct {
	l   net.Listener
	cfg Config
}

// Listen binds endpoint ("tcp://127.0.0.1:0" picks a port; Endpoint tells it).
func Listen(endpoint string, cfg Config) (*Listener, error) {
	network, addr, err := SplitEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("zmtp: listen %s: %w", endpoint, err)
	}
	return &Listener{l: l, cfg: cfg}, nil
}

// Endpoint is the bound endpoint in ZeroMQ form.
func (l *Listener) Endpoint() string { return JoinEndpoint(l.l.Addr()) }

// Close stops listening.
func (l *Listener) Close() error { return l.l.Close() }

// AcceptRaw waits for one connection, bounded by ctx.
func (l *Listener) AcceptRaw(ctx context.Context) (*Conn, error) {
	type res struct {
		nc  net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		nc, err := l.l.Accept()
		ch <- res{nc, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("zmtp: accept: %w", r.err)
		}
		return NewConn(r.nc, l.cfg), nil
	case <-ctx.Done():
		// Unblock the Accept by closing the listener: a listener whose Accept was abandoned
		// cannot be used again safely.
		l.l.Close()
		if r := <-ch; r.nc != nil {
			r.nc.Close()
		}
		return nil, fmt.Errorf("zmtp: accept: %w", ctx.Err())
	}
}

// Accept waits for one connection and completes the handshake.
func (l *Listener) Accept(ctx context.Context) (*Conn, error) {
	c, err := l.AcceptRaw(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.Handshake(ctx); err != nil {
		return c, err
	}
	return c, nil
}
