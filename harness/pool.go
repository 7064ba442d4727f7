package harness

import (
	"context"
	"sync"
	"time"
)

// Pool keeps one long-lived peer per implementation and side for this (Ginkgo) process, so a
// case pays for sockets, not for process start-up (~5 ms Go, ~70 ms Python, ~400 ms Java). A
// peer that faulted is replaced on the next Get: a crash is the result of one case, never the
// end of the run.
type Pool struct {
	mu    sync.Mutex
	slots map[poolKey]*slot
	// StartTimeout bounds a peer's start and hello.
	StartTimeout time.Duration
}

type poolKey struct{ impl, role string }

// slot holds one implementation and role's peer; its own lock lets the two sides of a cell
// start their peers at the same time (a JVM takes half a second).
type slot struct {
	mu   sync.Mutex
	peer *Peer
}

// NewPool returns an empty pool.
func NewPool() *Pool { return &Pool{slots: map[poolKey]*slot{}, StartTimeout: 30 * time.Second} }

func (p *Pool) slot(k poolKey) *slot {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.slots[k]
	if s == nil {
		s = &slot{}
		p.slots[k] = s
	}
	return s
}

var (
	sharedPool     *Pool
	sharedPoolOnce sync.Once
)

// Shared is the pool of this process.
func Shared() *Pool {
	sharedPoolOnce.Do(func() { sharedPool = NewPool() })
	return sharedPool
}

// LateCrash is a pooled peer that died after the cell that last used it had ended, and before
// the next cell asked for it: go-zeromq's accept loop, for one, can still be parsing a finished
// cell's connection. The death is a result of that earlier cell.
type LateCrash struct {
	Cell  string // id of the cell that used the peer last
	Found string // id of the cell that found it dead
	Fault *Fault
}

// pingTimeout bounds the liveness round trip at a peer's first use in a cell.
const pingTimeout = 5 * time.Second

// Get returns a live peer of impl for role, starting one if there is none or the last one
// died. cell is the id of the cell asking: at a peer's first use in a cell the pool makes one
// control round trip (about 80 µs), and a peer found dead then, with no fault charged to
// anyone yet, comes back as a *LateCrash of the cell that used it last — the current cell runs
// on a fresh peer. Roles keep the two sides of a cell in different processes, so blame is exact
// and a blocked call on one side never stalls the other.
func (p *Pool) Get(ctx context.Context, impl *Impl, role, cell string) (*Peer, *LateCrash, error) {
	sl := p.slot(poolKey{impl.Name, role})
	sl.mu.Lock()
	defer sl.mu.Unlock()
	var late *LateCrash
	if pr := sl.peer; pr != nil {
		if pr.lastCell == cell && pr.Alive() {
			return pr, nil, nil
		}
		if pr.lastCell != cell && pr.Alive() {
			if f := pr.Ping(ctx, pingTimeout); f == nil {
				pr.lastCell = cell
				return pr, nil, nil
			} else if pr.lastCell != "" {
				late = &LateCrash{Cell: pr.lastCell, Found: cell, Fault: f}
			}
		} else if pr.diedOnItsOwn() && pr.lastCell != "" {
			late = &LateCrash{Cell: pr.lastCell, Found: cell, Fault: pr.deathFault("the time after the cell ended")}
		}
		sl.peer = nil
	}
	pr, err := StartPeer(ctx, impl, role, p.StartTimeout)
	if err != nil {
		return nil, late, err
	}
	pr.lastCell = cell
	sl.peer = pr
	return pr, late, nil
}

// Close quits every peer of the pool.
func (p *Pool) Close() { _ = p.Shutdown() }

// Shutdown is Close that also returns, as LateCrashes of their last cells, the peers that had
// died on their own since (found by "the end of the run").
func (p *Pool) Shutdown() []*LateCrash {
	p.mu.Lock()
	slots := p.slots
	p.slots = map[poolKey]*slot{}
	p.mu.Unlock()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		late []*LateCrash
	)
	for _, sl := range slots {
		sl.mu.Lock()
		pr := sl.peer
		sl.mu.Unlock()
		if pr == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A round trip tells whether the peer is still there: a process that exited a
			// moment ago may not have been noticed yet (Alive still true).
			var f *Fault
			switch {
			case pr.diedOnItsOwn():
				f = pr.deathFault("the time after the cell ended")
			case pr.dead.Load() == nil && pr.lastCell != "":
				f = pr.Ping(context.Background(), pingTimeout)
			}
			if f != nil && pr.lastCell != "" {
				mu.Lock()
				late = append(late, &LateCrash{Cell: pr.lastCell, Found: "the end of the run", Fault: f})
				mu.Unlock()
				return
			}
			pr.Quit()
		}()
	}
	wg.Wait()
	return late
}
