package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// FaultKind says how a peer failed the harness, as opposed to a binding refusing an
// operation (a peer.WireError, which is data).
type FaultKind string

const (
	FaultCrash   FaultKind = "crash"   // the process exited
	FaultHang    FaultKind = "hang"    // it missed a deadline and was killed
	FaultGarbage FaultKind = "garbage" // it answered something that is not a protocol reply
	FaultStart   FaultKind = "start"   // it could not be started or did not say hello
)

// Fault is a peer that crashed, hung or broke the protocol. The peer is dead afterwards; the
// pool starts a new one for the next case.
type Fault struct {
	Kind FaultKind
	Impl string // implementation name
	Role string // "bind" or "connect" side of the cell, "" outside cells
	Step string // what the harness was asking when it happened: "recv on s3 (PULL)"
	// Detail is the exit status, the deadline missed, or the bytes that were not a reply.
	Detail     string
	StderrTail string
}

func (f *Fault) Error() string {
	side := f.Impl + " peer"
	if f.Role != "" {
		side = f.Role + "-side " + side
	}
	what := map[FaultKind]string{FaultCrash: "crashed", FaultHang: "hung", FaultGarbage: "broke the protocol", FaultStart: "failed to start"}[f.Kind]
	msg := fmt.Sprintf("%s %s during %s: %s", side, what, f.Step, f.Detail)
	if last := telling(f.StderrTail); last != "" {
		msg += "; last stderr: " + last
	}
	return msg
}

// telling picks the stderr line that explains a death: a Go panic's headline when there is
// one (a trace ends with a stack frame, not the reason), else the last line (Python prints the
// exception itself last).
func telling(s string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); isHeadline(l) {
			return l
		}
	}
	return lastLine(s)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

// tailBuffer keeps the last bytes a peer wrote to stderr, for fault reports, and the first
// line that explains a death ("panic: …", "fatal error: …"): a Go crash's goroutine dump can
// be far longer than the tail and push its headline out of it.
type tailBuffer struct {
	mu       sync.Mutex
	buf      []byte
	max      int
	line     []byte // the line being written
	headline string
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	if t.headline == "" {
		t.line = append(t.line, p...)
		for {
			i := bytes.IndexByte(t.line, '\n')
			if i < 0 {
				if len(t.line) > 4096 { // no line that long explains anything
					t.line = t.line[:0]
				}
				break
			}
			if l := strings.TrimSpace(string(t.line[:i])); isHeadline(l) {
				t.headline = l
				t.line = nil
				break
			}
			t.line = t.line[i+1:]
		}
	}
	return len(p), nil
}

func isHeadline(l string) bool {
	return strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ")
}

// String is the tail, preceded by the crash's headline when the tail no longer holds it.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.headline != "" && !bytes.Contains(t.buf, []byte(t.headline)) {
		return t.headline + "\n…\n" + string(t.buf)
	}
	return string(t.buf)
}

// Peer is one running peer process and the client side of its protocol. Requests are
// serialised: the protocol is one request, one reply.
type Peer struct {
	Impl  *Impl
	Role  string
	Hello *peer.Hello

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan peer.Reply
	garbage chan string
	exited  chan struct{}
	exitErr error
	stderr  *tailBuffer
	// lastCell is the id of the cell that used this peer last (set by the pool), so that a
	// peer found dead between cells is charged to the cell after which it died.
	lastCell string
	mu       sync.Mutex
	nextID   atomic.Int64
	dead     atomic.Pointer[Fault]
}

// ControlGrace is added to every in-peer timeout to get the harness's deadline for the
// reply: the peer has this long to report its own timeout before it is declared hung.
var ControlGrace = 5 * time.Second

// StartPeer starts impl's peer process and exchanges hello within startTimeout.
func StartPeer(ctx context.Context, impl *Impl, role string, startTimeout time.Duration) (*Peer, error) {
	if impl.Unavailable != "" {
		return nil, &Fault{Kind: FaultStart, Impl: impl.Name, Role: role, Step: "start", Detail: impl.Unavailable}
	}
	// Where the peer runs: here, or on the role's host of a Placement (placement.go), whose
	// prefix goes in front of the command.
	argv, env, err := placedCommand(role, impl)
	if err != nil {
		return nil, &Fault{Kind: FaultStart, Impl: impl.Name, Role: role, Step: "start", Detail: err.Error()}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	// Peers start in the repository root, whatever the suite's working directory (go test runs
	// each suite in its package directory): a relative path in a ZMQSUITE_PEERS command, such as
	// "python3 -u pyclients/peer.py", means the same from doctor, make and go test.
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), env...)
	p := &Peer{Impl: impl, Role: role, cmd: cmd, replies: make(chan peer.Reply, 1),
		garbage: make(chan string, 1), exited: make(chan struct{}), stderr: &tailBuffer{max: 8 << 10}}
	cmd.Stderr = p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.stdin = stdin
	if err := cmd.Start(); err != nil {
		return nil, &Fault{Kind: FaultStart, Impl: impl.Name, Role: role, Step: "start",
			Detail: fmt.Sprintf("cannot run %q: %v (check the command%s)", strings.Join(argv, " "), err, impl.hint())}
	}
	go p.readReplies(stdout)
	go func() {
		p.exitErr = cmd.Wait()
		close(p.exited)
	}()
	reply, err := p.call(ctx, peer.Request{Op: peer.OpHello}, startTimeout, "hello")
	if err != nil {
		var f *Fault
		if errors.As(err, &f) && f.Kind != FaultHang {
			f.Kind = FaultStart
		}
		return nil, err
	}
	if reply.Hello == nil {
		p.Kill()
		return nil, &Fault{Kind: FaultStart, Impl: impl.Name, Role: role, Step: "hello", Detail: "hello reply has no \"hello\" object"}
	}
	if reply.Hello.Protocol != peer.Version {
		p.Kill()
		return nil, &Fault{Kind: FaultStart, Impl: impl.Name, Role: role, Step: "hello",
			Detail: fmt.Sprintf("speaks protocol %d, this harness speaks %d", reply.Hello.Protocol, peer.Version)}
	}
	reply.Hello.Command = strings.Join(impl.Command, " ")
	p.Hello = reply.Hello
	return p, nil
}

func (p *Peer) readReplies(stdout io.Reader) {
	r := bufio.NewReaderSize(stdout, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var rep peer.Reply
			if jerr := json.Unmarshal(line, &rep); jerr != nil {
				p.garbage <- fmt.Sprintf("not a protocol reply: %q", truncate(string(line), 120))
				return
			}
			p.replies <- rep
		}
		if err != nil {
			return
		}
	}
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Alive reports whether the peer has not faulted or exited.
func (p *Peer) Alive() bool {
	if p.dead.Load() != nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// StderrTail returns the last bytes the peer wrote to stderr.
func (p *Peer) StderrTail() string { return p.stderr.String() }

// Call sends req and waits for its reply for at most deadline (and while ctx lives). A
// binding's refusal comes back as a *peer.WireError; a dead, stuck or garbled peer as a
// *Fault, after which the peer is killed.
func (p *Peer) Call(ctx context.Context, req peer.Request, deadline time.Duration, step string) (peer.Reply, error) {
	rep, err := p.call(ctx, req, deadline, step)
	if err != nil {
		return rep, err
	}
	if !rep.OK {
		if rep.Error == nil {
			rep.Error = peer.Errorf(peer.ErrOther, "peer said not ok without an error")
		}
		return rep, rep.Error
	}
	return rep, nil
}

func (p *Peer) call(ctx context.Context, req peer.Request, deadline time.Duration, step string) (peer.Reply, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f := p.dead.Load(); f != nil {
		return peer.Reply{}, &Fault{Kind: f.Kind, Impl: p.Impl.Name, Role: p.Role, Step: step,
			Detail: "peer already dead after " + f.Step, StderrTail: f.StderrTail}
	}
	req.ID = p.nextID.Add(1)
	line, err := json.Marshal(req)
	if err != nil {
		return peer.Reply{}, fmt.Errorf("encode %s request: %w", req.Op, err)
	}
	if _, err := p.stdin.Write(append(line, '\n')); err != nil {
		return peer.Reply{}, p.fault(FaultCrash, step, "cannot write request: "+p.exitDetail())
	}
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	for {
		select {
		case rep := <-p.replies:
			if rep.ID != req.ID {
				return rep, p.fault(FaultGarbage, step, fmt.Sprintf("reply id %d, request id %d", rep.ID, req.ID))
			}
			return rep, nil
		case g := <-p.garbage:
			return peer.Reply{}, p.fault(FaultGarbage, step, g)
		case <-p.exited:
			// A reply may have been written just before exiting (quit): prefer it.
			select {
			case rep := <-p.replies:
				if rep.ID == req.ID {
					return rep, nil
				}
			case <-time.After(50 * time.Millisecond):
			}
			return peer.Reply{}, p.fault(FaultCrash, step, p.exitDetail())
		case <-timer.C:
			return peer.Reply{}, p.fault(FaultHang, step, fmt.Sprintf("no reply within %v", deadline))
		case <-ctx.Done():
			return peer.Reply{}, p.fault(FaultHang, step, "no reply before the spec's deadline ("+context.Cause(ctx).Error()+")")
		}
	}
}

func (p *Peer) exitDetail() string {
	select {
	case <-p.exited:
		if p.exitErr != nil {
			return "exited: " + p.exitErr.Error()
		}
		return "exited with status 0"
	case <-time.After(2 * time.Second):
		return "stopped reading its input"
	}
}

// fault records the peer as dead, kills it and returns the fault with its stderr tail.
func (p *Peer) fault(kind FaultKind, step, detail string) *Fault {
	p.Kill()
	// Give the stderr copier a moment to drain what the dying process wrote.
	select {
	case <-p.exited:
	case <-time.After(time.Second):
	}
	f := &Fault{Kind: kind, Impl: p.Impl.Name, Role: p.Role, Step: step, Detail: detail, StderrTail: p.stderr.String()}
	p.dead.CompareAndSwap(nil, f)
	return f
}

// Ping makes one control round trip (the protocol's optional ping op). A peer that answers
// anything — ok, or a protocol error from an older peer that lacks ping — is alive; a crash,
// hang or garbage is returned as the *Fault.
func (p *Peer) Ping(ctx context.Context, timeout time.Duration) *Fault {
	_, err := p.call(ctx, peer.Request{Op: peer.OpPing}, timeout, "ping")
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	return nil
}

// diedOnItsOwn reports whether the process exited without any call having seen it fault: a
// death nobody has been charged with yet.
func (p *Peer) diedOnItsOwn() bool {
	if p.dead.Load() != nil {
		return false
	}
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// deathFault describes a peer that died between cells, with its stderr.
func (p *Peer) deathFault(step string) *Fault {
	f := &Fault{Kind: FaultCrash, Impl: p.Impl.Name, Role: p.Role, Step: step, Detail: p.exitDetail(), StderrTail: p.stderr.String()}
	p.dead.CompareAndSwap(nil, f)
	return f
}

// Kill ends the process without ceremony.
func (p *Peer) Kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
}

// Quit asks the peer to close everything and exit, and kills it if it does not.
func (p *Peer) Quit() {
	if p.Alive() {
		_, _ = p.call(context.Background(), peer.Request{Op: peer.OpQuit}, 3*time.Second, "quit")
	}
	select {
	case <-p.exited:
	case <-time.After(3 * time.Second):
		p.Kill()
	}
}
