package harness

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Process faults driven by the harness: a side's peer killed mid-cell (and the next use of
// that side starting a fresh one), or stopped and resumed. The faults suite uses them to check
// what the other side does when its peer dies or freezes: reconnect, resubscribe, drop the
// dead peer's queue, keep serving the others.

// KillBound is how long a killed peer may take to be reaped. SIGKILL cannot be caught, so a
// process still there after this is the kernel's problem, not the implementation's.
var KillBound = 5 * time.Second

// Killed describes a peer the harness killed.
type Killed struct {
	Side string
	Impl string
	PID  int
	At   time.Time // when the signal was sent
}

// Kill ends a side's peer with SIGKILL, as a crash of the implementation's process would,
// and returns when the process is gone. The death is recorded as caused by the harness: it is
// never charged to this cell or another as a crash (the pool sees a peer whose death a call
// already recorded, and starts a fresh one at the side's next use, see Pool.Get). The
// sockets that lived in the peer are gone with it: using one afterwards is a fault of the
// case. The other side's sockets are untouched.
func (c *Cell) Kill(ctx context.Context, side string) Killed {
	p := c.Peer(ctx, side)
	k := Killed{Side: side, Impl: p.Impl.Name, PID: p.pid(), At: time.Now()}
	if !p.killByHarness("a kill by the harness", "by the case") {
		panic(&StepError{Step: "kill " + side + " peer", Err: fmt.Errorf("pid %d still running %v after SIGKILL", k.PID, KillBound)})
	}
	c.forget(p)
	c.step(fmt.Sprintf("kill %s peer (%s, pid %d)", side, k.Impl, k.PID))
	return k
}

// forget marks the sockets of a dead peer closed, so that Cell.Close does not try them.
func (c *Cell) forget(p *Peer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.socks {
		if s.peer == p {
			s.closed = true
		}
	}
}

// Restart starts a fresh peer for a side whose peer was killed (or returns the live one), and
// how long the start took.
func (c *Cell) Restart(ctx context.Context, side string) time.Duration {
	start := time.Now()
	p := c.Peer(ctx, side)
	took := time.Since(start)
	c.step(fmt.Sprintf("restart %s peer (%s, pid %d, %v)", side, p.Impl.Name, p.pid(), took.Round(time.Millisecond)))
	return took
}

// Stall stops a side's peer (SIGSTOP): its sockets stop reading and writing and the kernel's
// buffers fill, as with a receiver stuck in a long computation or swapped out. It returns the
// function that resumes it (SIGCONT), which the case must call — with defer, so that it runs
// on a failed assertion too — before it makes any call to that side: a stopped peer answers
// nothing, and the harness would declare it hung. Stall is for POSIX systems; elsewhere the
// case is skipped.
func (c *Cell) Stall(ctx context.Context, side string) (resume func()) {
	p := c.Peer(ctx, side)
	if err := stopProcess(p.pid()); err != nil {
		panic(&Unsupported{Impl: p.Impl.Name, What: "being stopped (SIGSTOP) on this OS: " + err.Error()})
	}
	c.step(fmt.Sprintf("stall %s peer (SIGSTOP pid %d)", side, p.pid()))
	done := false
	return func() {
		if done {
			return
		}
		done = true
		_ = continueProcess(p.pid())
		c.step(fmt.Sprintf("resume %s peer (SIGCONT pid %d)", side, p.pid()))
	}
}

// killByHarness ends the peer with SIGKILL, its death recorded as the harness's doing (so
// the pool starts a fresh one at the next Get and charges nobody), and reports whether the
// process was gone within KillBound. why says who asked for it.
func (p *Peer) killByHarness(step, why string) bool {
	pid := p.pid()
	p.dead.CompareAndSwap(nil, &Fault{Kind: FaultCrash, Impl: p.Impl.Name, Role: p.Role,
		Step: step, Detail: fmt.Sprintf("SIGKILL of pid %d %s", pid, why)})
	p.Kill() // os.Process.Kill is SIGKILL on Unix
	if p.cmd.Process != nil && pid != p.cmd.Process.Pid {
		// The peer command was a wrapper (a shell, env): kill the process that said hello too.
		if proc, err := os.FindProcess(pid); err == nil {
			_ = proc.Kill()
		}
	}
	select {
	case <-p.exited:
		return true
	case <-time.After(KillBound):
		return false
	}
}

// PID is the process id of a side's peer.
func (c *Cell) PID(ctx context.Context, side string) int { return c.Peer(ctx, side).pid() }

// pid is the peer's process id: what it said in hello, else what the harness started.
func (p *Peer) pid() int {
	if p.Hello != nil && p.Hello.PeerPID > 0 {
		return p.Hello.PeerPID
	}
	if p.cmd.Process != nil {
		return p.cmd.Process.Pid
	}
	return 0
}
