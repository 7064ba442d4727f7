package wire

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/zmtp"
)

// How long our peer waits for things it is owed. Every wait is bounded; the cell's own bound
// (30 s) is the last resort.
var (
	// AcceptWithin bounds waiting for the implementation to connect to our listener.
	AcceptWithin = 5 * time.Second
	// RejectWithin bounds waiting for a close the RFC requires (libzmq closes at once; the
	// bound is for a loaded machine, not for a slow implementation).
	RejectWithin = time.Second
	// SettleWithin is how long a robust case watches a hostile connection after its last
	// octet: a close or silence, both fine, is decided by then.
	SettleWithin = 500 * time.Millisecond
	// RecvWithin bounds the implementation's receive of a message our peer sent.
	RecvWithin = 3 * time.Second
)

// Wire is one wire cell seen from our peer: the implementation under test, its side of the
// cell, and the sockets the case opened in its peer process, each with the way our peer
// reaches it (a Link).
type Wire struct {
	*harness.Cell
	Impl  *harness.Impl // the implementation under test
	Side  string        // its side of the cell: harness.BindSide or harness.ConnectSide
	Binds bool          // the implementation binds and our peer dials
	peer  *harness.Peer // its peer process, as found when the first socket was opened
	links []*Link
	base  *harness.Resources // the peer process's resources once the first socket existed
	notes map[string]bool
}

func newWire(cell *harness.Cell) *Wire {
	w := &Wire{Cell: cell, notes: map[string]bool{}}
	if cell.BindImpl.Name == PeerName {
		w.Impl, w.Side = cell.ConnectImpl, harness.ConnectSide
	} else {
		w.Impl, w.Side, w.Binds = cell.BindImpl, harness.BindSide, true
	}
	return w
}

// close ends what our peer holds: listeners and the connections queued on them.
func (w *Wire) close() {
	for _, l := range w.links {
		if l.lst != nil {
			l.lst.close()
		}
		for _, r := range l.retired {
			r.close()
		}
	}
}

// Note records an observation of the cell (which acceptable alternative happened, what the
// implementation announced); the cell's Observed is the sorted, de-duplicated list, so that
// it compares across runs and with libzmq's cell (the reference verdict).
func (w *Wire) Note(format string, args ...any) {
	w.notes[fmt.Sprintf(format, args...)] = true
	var all []string
	for n := range w.notes {
		all = append(all, n)
	}
	sort.Strings(all)
	w.Cell.Observe(strings.Join(all, "; "))
}

// Require skips the cell unless the implementation has these socket types and options.
func (w *Wire) Require(ctx context.Context, socketTypes []string, options ...string) {
	w.Cell.Require(ctx, w.Side, socketTypes, options...)
}

// Link is one socket of the implementation and the way our peer reaches it: the endpoint it
// bound (our peer dials), or our listener (it connects).
type Link struct {
	w        *Wire
	Sock     *harness.Sock
	Ours     string // our Socket-Type
	Endpoint string // where our peer dials, or where our listener listens
	// Mechanism is our well-behaved peer's security on this link (a PLAIN or CURVE client
	// for a secured socket, security.go); nil is NULL.
	Mechanism zmtp.Mechanism
	// CurveDataFrames frames our CURVE MESSAGE boxes as libzmq does (data frames) on the
	// link's well-behaved connections; only W.TAP.6/W.MEC.7 ask about that framing.
	CurveDataFrames bool
	// Connect is the binding's answer to its last connect to our listener (go-zeromq dials
	// synchronously, handshake included, and reports a failed handshake here); nil otherwise.
	Connect error

	lst     *listener
	retired []*listener // listeners of earlier plays, refusing redials until the cell ends
	pending *call       // the implementation's connect to lst
	used    bool        // lst has given its connection to a play
	routeID []byte
	ended   time.Time // when our side of the last play's connection closed
}

// Open creates a socket of type theirs in the implementation's peer (options applied first)
// and makes it reachable: bound, or ready to connect to a fresh listener of ours (it connects
// when the first play asks for a connection). ours is the Socket-Type our peer announces.
func (w *Wire) Open(ctx context.Context, theirs, ours string, opts ...harness.Opt) *Link {
	l := &Link{w: w, Ours: ours}
	if w.Binds {
		l.Sock = w.Cell.Bind(ctx, theirs, opts...)
		l.Endpoint = l.Sock.Endpoint
	} else {
		l.Sock = w.Cell.Socket(ctx, w.Side, theirs, opts...)
		l.relisten()
	}
	w.links = append(w.links, l)
	if w.peer == nil {
		w.peer = w.Cell.Peer(ctx, w.Side)
	}
	if w.base == nil {
		w.base = w.sample(ctx)
	}
	return l
}

// sample reads the peer process's resources (harness.ResourcesOf); nil where they cannot be
// read here, and then the cases record no resource metrics (they still run every other check).
func (w *Wire) sample(ctx context.Context) *harness.Resources {
	if w.peer == nil || w.peer.Hello.PeerPID <= 0 {
		return nil
	}
	u, err := harness.ResourcesOf(ctx, w.peer.Hello.PeerPID)
	if err != nil {
		return nil
	}
	return &u
}

// Baseline samples the peer process's resources again, as the reference the robust oracle
// compares with (after a case opened many sockets, whose own descriptors are not a leak).
func (w *Wire) Baseline(ctx context.Context) {
	if u := w.sample(ctx); u != nil {
		w.base = u
	}
}

// Quiet retires our listeners, so that what the implementation redials by itself after a
// refused connection is refused too (the next play of a link listens afresh).
func (w *Wire) Quiet() {
	for _, l := range w.links {
		if l.lst != nil && l.used {
			l.join()
			l.lst.retire()
		}
	}
}

// Config is what our peer says about itself on this link, unless a case says otherwise.
func (l *Link) Config() zmtp.Config {
	return zmtp.Config{SocketType: l.Ours, Mechanism: l.Mechanism, CurveDataFrames: l.CurveDataFrames}
}

// relisten replaces our listener by a fresh one: every play after the first gets a new
// endpoint, so that nothing the implementation does on its own (libzmq redials a closed
// connection every 100 ms) can reach the next play. The old listener is retired: it stays
// bound and refuses what redials it.
func (l *Link) relisten() {
	if l.lst != nil {
		l.lst.retire()
		l.retired = append(l.retired, l.lst)
	}
	lst, err := listen(l.w.Transport)
	if err != nil {
		panic(&harness.StepError{Step: "our peer listens", Err: err})
	}
	l.lst, l.Endpoint, l.pending, l.used = lst, lst.endpoint, nil, false
}

// startConnect asks the implementation's socket to connect to our listener, on a goroutine:
// the request's reply comes at once from libzmq (it connects in the background) but only
// after the handshake from go-zeromq, and our peer has to be free to make that handshake.
func (l *Link) startConnect(ctx context.Context) {
	c := &call{done: make(chan struct{})}
	p, sock, ep := l.w.Cell.Peer(ctx, l.w.Side), l.Sock, l.lst.endpoint
	go func() {
		defer close(c.done)
		_, c.err = p.Call(ctx, peer.Request{Op: peer.OpConnect, Socket: sock.ID, Endpoint: ep},
			harness.OpTimeout+harness.ControlGrace, fmt.Sprintf("connect %s (%s)", ep, sock.Name))
	}()
	l.pending = c
}

// join waits for the implementation's connect to return. A peer that died or hung meanwhile
// is the cell's crash or hang; a binding's refusal is data (Connect).
func (l *Link) join() {
	if l.pending == nil {
		return
	}
	<-l.pending.done // bounded: the request has its own deadline
	err := l.pending.err
	l.w.faultIsCell(err)
	// A binding that cannot connect over this transport at all (JeroMQ 0.3.6 has no ipc) or
	// with these options is a capability, as a refused bind is on the other side: skip.
	harness.SkipIfUnsupported(l.w.Impl.Name, "connect "+l.lst.endpoint, err)
	l.Connect = err
}

// prepare readies the next connection on the case's goroutine (which may call the harness):
// a fresh listener after a used one, and the implementation's connect to it.
func (l *Link) prepare(ctx context.Context) {
	if l.w.Binds {
		return
	}
	if l.used {
		l.join()
		l.relisten()
	}
	if l.pending == nil {
		l.startConnect(ctx)
	}
	l.used = true
}

// open makes the connection of a play (prepare ran): dialled, or accepted. It calls nothing in
// the harness, so that plays can run on their own goroutines.
func (l *Link) open(ctx context.Context, cfg zmtp.Config) (*zmtp.Conn, error) {
	if l.w.Binds {
		return dialRetry(ctx, l.Endpoint, cfg)
	}
	nc, err := l.lst.next(ctx, AcceptWithin, l.pending)
	if err != nil {
		return nil, err
	}
	return zmtp.NewConn(nc, cfg), nil
}

// dialRetry dials; a unix socket whose listen backlog is full refuses at once with EAGAIN
// (where tcp would retransmit its SYN), which says the implementation has not yet accepted
// our previous connections, not that it refuses this one: try again, for up to 2 s.
func dialRetry(ctx context.Context, endpoint string, cfg zmtp.Config) (*zmtp.Conn, error) {
	end := time.Now().Add(2 * time.Second)
	for {
		c, err := zmtp.DialRaw(ctx, endpoint, cfg)
		if err == nil || !errors.Is(err, syscall.EAGAIN) || time.Now().After(end) {
			return c, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Play runs steps on a new connection with the link's Config, and closes it.
func (l *Link) Play(ctx context.Context, steps ...zmtp.Step) zmtp.Result {
	return l.PlayWith(ctx, l.Config(), steps...)
}

// PlayWith runs steps on a new connection (dialled to the implementation, or accepted from
// it), closes it, and — when the implementation connected — collects its connect's answer.
func (l *Link) PlayWith(ctx context.Context, cfg zmtp.Config, steps ...zmtp.Step) zmtp.Result {
	l.prepare(ctx)
	c, err := l.open(ctx, cfg)
	var res zmtp.Result
	if err != nil {
		res = zmtp.Result{Err: err, Error: err.Error()}
	} else {
		res = zmtp.Script(steps).Run(ctx, c)
	}
	l.ended = time.Now()
	if !l.w.Binds {
		l.join()
	}
	return res
}

// PlaySame runs steps on the next connection the implementation makes by itself to the same
// listener — a reconnection, which it must make within d — and returns the result and how
// long after our close of the previous connection it came (W.ROB.2). Only for cells where
// the implementation connects.
func (l *Link) PlaySame(ctx context.Context, d time.Duration, steps ...zmtp.Step) (zmtp.Result, time.Duration) {
	if l.w.Binds || l.lst == nil {
		err := fmt.Errorf("PlaySame needs the implementation to connect")
		return zmtp.Result{Err: err, Error: err.Error()}, 0
	}
	l.join()
	a, err := l.lst.nextArrival(ctx, d, nil)
	if err != nil {
		return zmtp.Result{Err: err, Error: err.Error()}, 0
	}
	gap := a.at.Sub(l.ended)
	res := zmtp.Script(steps).Run(ctx, zmtp.NewConn(a.nc, l.Config()))
	l.ended = time.Now()
	return res, gap
}

// Play is one connection of a parallel run.
type Play struct {
	Link   *Link
	Config zmtp.Config
	Steps  []zmtp.Step
}

// PlayAll runs plays at the same time, each on its own connection (W.HS.1's table, HB.4's
// socket pairs), and returns their results in order. The steps must not call the harness
// (they run on other goroutines).
func (w *Wire) PlayAll(ctx context.Context, plays []Play) []zmtp.Result { return w.Start(ctx, plays)() }

// Start begins plays at the same time and returns once every one has its connection (dialled
// or accepted), so that what the case does next comes after them on the implementation's
// side too; the function it returns waits for the plays to end and gives their results. The
// steps must not call the harness.
func (w *Wire) Start(ctx context.Context, plays []Play) func() []zmtp.Result {
	for _, p := range plays {
		p.Link.prepare(ctx)
	}
	out := make([]zmtp.Result, len(plays))
	var opened, ended sync.WaitGroup
	for i, p := range plays {
		opened.Add(1)
		ended.Add(1)
		go func() {
			defer ended.Done()
			c, err := p.Link.open(ctx, p.Config)
			opened.Done()
			if err != nil {
				out[i] = zmtp.Result{Err: err, Error: err.Error()}
				return
			}
			out[i] = zmtp.Script(p.Steps).Run(ctx, c)
		}()
	}
	opened.Wait()
	return func() []zmtp.Result {
		ended.Wait()
		if !w.Binds {
			for _, p := range plays {
				p.Link.join()
			}
		}
		return out
	}
}

// faultIsCell ends the cell with err when it is a fault of the implementation's peer process
// (a crash or a hang is this cell's result, on the implementation's side); any other error is
// the caller's to judge.
func (w *Wire) faultIsCell(err error) {
	var f *harness.Fault
	if errors.As(err, &f) {
		f.Role = w.Side
		panic(f)
	}
}

// Alive makes one control round trip to the implementation's peer process: a process that
// died of what our peer sent is this cell's crash (and one that stopped answering its hang).
func (w *Wire) Alive(ctx context.Context) {
	if w.peer == nil {
		return
	}
	if f := w.peer.Ping(ctx, 5*time.Second); f != nil {
		f.Role = w.Side
		f.Step = "the liveness round trip after the hostile connection (" + f.Step + ")"
		panic(f)
	}
}

// Bounded is the resource check with bounds of the case's own (W.ROB.1's tight ones).
func (w *Wire) Bounded(ctx context.Context, rss, fds, threads int64) {
	if err := w.grown(ctx, rss, fds, threads); err != nil {
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
	}
}

// Bounds on what a peer process may gain over one robust cell: generous, because a cell is a
// handful of connections and runtimes grow their heaps and thread pools on their own (a Go
// peer's heap, Node's libuv pool, CPython's allocator arenas). They catch a connection that
// allocates what a frame header announces, or a socket that keeps every refused connection's
// descriptor; W.ROB.1 repeats a malformed connection dozens of times with a tighter bound so
// that a per-connection leak shows.
var (
	// GrowthRSSKiB is the resident memory a cell may add (64 MiB).
	GrowthRSSKiB int64 = 64 << 10
	// GrowthFDs is the descriptors a cell may add (the socket's own listener and connections
	// are in the baseline; a closing connection may take a moment to be released).
	GrowthFDs int64 = 16
	// GrowthThreads is the threads a cell may add (libzmq's I/O thread exists from the first
	// socket on; Node and Go start workers on demand).
	GrowthThreads int64 = 16
)

// within says whether after stays within the bounds over before (RSS in KiB), and if not,
// what grew.
func within(before, after harness.Resources, rssKiB, fds, threads int64) (bool, string) {
	var over []string
	if d := (int64(after.RSS) - int64(before.RSS)) / 1024; d > rssKiB {
		over = append(over, fmt.Sprintf("RSS grew by %.1f MiB (bound %.0f MiB)", float64(d)/1024, float64(rssKiB)/1024))
	}
	if d := int64(after.FDs - before.FDs); d > fds {
		over = append(over, fmt.Sprintf("descriptors grew by %d (bound %d)", d, fds))
	}
	if d := int64(after.Threads - before.Threads); d > threads {
		over = append(over, fmt.Sprintf("threads grew by %d (bound %d)", d, threads))
	}
	return len(over) == 0, strings.Join(over, "; ")
}

// grown compares the peer process's resources with the baseline taken when the first socket
// was opened, within the bounds, polling for up to 2 s (the descriptors of closed connections
// are released asynchronously); both samples are recorded as metrics. It says what grew.
func (w *Wire) grown(ctx context.Context, rss, fds, threads int64) error {
	if w.base == nil || w.peer == nil {
		return nil
	}
	base := *w.base
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(2 * time.Second)
	for {
		u := w.sample(ctx)
		if u == nil {
			return nil // the process is gone (the liveness round trip says so) or unmeasurable
		}
		w.Metric("rss_kib_before", float64(base.RSS/1024))
		w.Metric("rss_kib_after", float64(u.RSS/1024))
		w.Metric("fds_before", float64(base.FDs))
		w.Metric("fds_after", float64(u.FDs))
		w.Metric("threads_before", float64(base.Threads))
		w.Metric("threads_after", float64(u.Threads))
		ok, why := within(base, *u, rss, fds, threads)
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the %s peer process held %s before the hostile connections and %s 2 s after: %s", w.Impl.Name, base, *u, why)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("resources: %w", ctx.Err())
		case <-tick.C:
		}
	}
}
