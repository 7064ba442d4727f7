package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Resources are what a peer process holds of the operating system: open file descriptors
// (sockets, eventfds, pipes), OS threads and resident memory. A leak of sockets or
// connections shows in these, whatever the binding's language.
type Resources struct {
	FDs     int32
	Threads int32
	RSS     uint64 // bytes
}

func (r Resources) String() string {
	return fmt.Sprintf("%d fds, %d threads, RSS %.1f MiB", r.FDs, r.Threads, float64(r.RSS)/(1<<20))
}

// ResourcesOf reads a process's resources (gopsutil: /proc on Linux).
func ResourcesOf(ctx context.Context, pid int) (Resources, error) {
	p, err := process.NewProcessWithContext(ctx, int32(pid))
	if err != nil {
		return Resources{}, fmt.Errorf("resources of pid %d: %w", pid, err)
	}
	var r Resources
	if r.FDs, err = p.NumFDsWithContext(ctx); err != nil {
		return r, fmt.Errorf("fds of pid %d: %w", pid, err)
	}
	if r.Threads, err = p.NumThreadsWithContext(ctx); err != nil {
		return r, fmt.Errorf("threads of pid %d: %w", pid, err)
	}
	mem, err := p.MemoryInfoWithContext(ctx)
	if err != nil {
		return r, fmt.Errorf("memory of pid %d: %w", pid, err)
	}
	r.RSS = mem.RSS
	return r, nil
}

// Resources reads what a side's peer process holds now (its pid from hello). An OS where
// gopsutil cannot read them skips the case.
func (c *Cell) Resources(ctx context.Context, side string) Resources {
	p := c.Peer(ctx, side)
	r, err := ResourcesOf(ctx, p.pid())
	if err != nil {
		panic(&Unsupported{Impl: p.Impl.Name, What: "reading a peer's resources here (" + err.Error() + ")"})
	}
	return r
}

// Heap asks a side's peer for its managed heap in use after a full collection (the optional
// heap op: docs/peer-protocol.md). ok is false for a peer without it (a protocol answer):
// its resident memory is the measure then.
func (c *Cell) Heap(ctx context.Context, side string) (bytes int64, ok bool) {
	p := c.Peer(ctx, side)
	step := "heap (" + side + ")"
	c.step(step)
	rep, err := p.Call(ctx, peer.Request{Op: peer.OpHeap}, 30*time.Second, step) // two full collections
	var f *Fault
	if errors.As(err, &f) {
		f.Role = side
		panic(f)
	}
	if peer.Category(err) == peer.ErrProtocol {
		return 0, false
	}
	if err != nil {
		panic(&StepError{Step: step, Err: err})
	}
	n, isNum := rep.Value.(float64)
	if !isNum || n <= 0 {
		panic(&StepError{Step: step, Err: fmt.Errorf("the peer answered value %v, not a positive number of bytes", rep.Value)})
	}
	return int64(n), true
}
