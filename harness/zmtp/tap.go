package zmtp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// ErrLocalClose is how a transcript records an end caused by our own side: a Conn we
// closed, or a tap closing one side because the other ended.
var ErrLocalClose = errors.New("closed from this side")

// TapConfig configures a Tap.
type TapConfig struct {
	Listen      string // where the tap listens; default "tcp://127.0.0.1:0"
	Target      string // the real peer it dials for each connection
	DialTimeout time.Duration
	Transcript  TranscriptOptions
}

// Tap is a relay between a peer that connects to it and the real target: it copies octets
// both ways unchanged, through one fixed buffer per direction (a slow reader slows the
// writer, nothing queues), decodes each direction into a bounded Transcript, closes both
// sides when either ends (with a reset when one side was reset), and leaves no goroutine
// behind after Close.
type Tap struct {
	cfg TapConfig
	l   net.Listener

	mu    sync.Mutex
	conns []*tapConn
	done  bool
	wg    sync.WaitGroup
}

type tapConn struct {
	tr       *Transcript
	client   net.Conn
	target   net.Conn
	mu       sync.Mutex // guards target and closed
	closed   bool
	finished chan struct{}
}

// NewTap starts listening and relaying.
func NewTap(cfg TapConfig) (*Tap, error) {
	if cfg.Listen == "" {
		cfg.Listen = "tcp://127.0.0.1:0"
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if _, _, err := SplitEndpoint(cfg.Target); err != nil {
		return nil, fmt.Errorf("tap target: %w", err)
	}
	network, addr, err := SplitEndpoint(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("tap listen: %w", err)
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("tap listen %s: %w", cfg.Listen, err)
	}
	t := &Tap{cfg: cfg, l: l}
	t.wg.Add(1)
	go t.acceptLoop()
	return t, nil
}

// Endpoint is where peers connect to reach the target through the tap.
func (t *Tap) Endpoint() string { return JoinEndpoint(t.l.Addr()) }

// Transcripts are the transcripts of the connections so far, in accept order.
func (t *Tap) Transcripts() []*Transcript {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*Transcript, len(t.conns))
	for i, c := range t.conns {
		out[i] = c.tr
	}
	return out
}

// WaitConns waits until n connections were accepted and all of them have ended.
func (t *Tap) WaitConns(ctx context.Context, n int) error {
	for {
		t.mu.Lock()
		conns := append([]*tapConn(nil), t.conns...)
		t.mu.Unlock()
		if len(conns) >= n {
			for _, c := range conns {
				select {
				case <-c.finished:
				case <-ctx.Done():
					return fmt.Errorf("tap: connections still open: %w", ctx.Err())
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("tap: %d of %d connections seen: %w", len(conns), n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Close stops listening, ends every relayed connection and waits for the relay goroutines.
func (t *Tap) Close() error {
	t.mu.Lock()
	t.done = true
	conns := append([]*tapConn(nil), t.conns...)
	t.mu.Unlock()
	err := t.l.Close()
	for _, c := range conns {
		c.closeBoth(false)
	}
	t.wg.Wait()
	return err
}

func (t *Tap) acceptLoop() {
	defer t.wg.Done()
	for {
		nc, err := t.l.Accept()
		if err != nil {
			return // listener closed
		}
		label := fmt.Sprintf("tap %s → %s", t.Endpoint(), t.cfg.Target)
		tc := &tapConn{client: nc, finished: make(chan struct{}),
			tr: NewTranscript(label, "dialer → target", "target → dialer", t.cfg.Transcript)}
		t.mu.Lock()
		if t.done {
			t.mu.Unlock()
			nc.Close()
			return
		}
		t.conns = append(t.conns, tc)
		t.wg.Add(1)
		t.mu.Unlock()
		go t.relay(tc)
	}
}

func (t *Tap) relay(tc *tapConn) {
	defer t.wg.Done()
	defer close(tc.finished)
	network, addr, _ := SplitEndpoint(t.cfg.Target)
	target, err := net.DialTimeout(network, addr, t.cfg.DialTimeout)
	if err != nil {
		tc.tr.Note(In, "tap", fmt.Sprintf("tap could not reach the target: %v", err))
		tc.tr.End(In, err)
		tc.client.Close()
		tc.tr.End(Out, ErrLocalClose)
		return
	}
	tc.mu.Lock()
	if tc.closed { // the tap was closed while we dialed
		tc.mu.Unlock()
		target.Close()
		return
	}
	tc.target = target
	tc.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); tc.pump(tc.client, target, Out, In) }()
	go func() { defer wg.Done(); tc.pump(target, tc.client, In, Out) }()
	wg.Wait()
}

// pump copies src to dst, feeding the transcript before each write so that events keep
// their causal order across directions.
func (tc *tapConn) pump(src, dst net.Conn, dir, other Direction) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			tc.tr.Feed(dir, buf[:n])
			if _, werr := dst.Write(buf[:n]); werr != nil {
				tc.tr.End(other, werr) // the other side went away while we wrote to it
				tc.closeBoth(isReset(werr))
				tc.tr.End(dir, ErrLocalClose)
				return
			}
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				err = ErrLocalClose // we closed it because the other direction ended
			}
			tc.tr.End(dir, err)
			tc.closeBoth(isReset(err))
			return
		}
	}
}

// closeBoth closes both sides once; reset makes the close an RST (SO_LINGER 0) so that a
// reset on one side is passed on as a reset.
func (tc *tapConn) closeBoth(reset bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.closed {
		return
	}
	tc.closed = true
	for _, c := range []net.Conn{tc.client, tc.target} {
		if c == nil {
			continue
		}
		if tcp, ok := c.(*net.TCPConn); ok && reset {
			_ = tcp.SetLinger(0)
		}
		c.Close()
	}
}
