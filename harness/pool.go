package harness

import (
	"context"
	"sync"
	"time"
)

// Pool keeps one long-lived peer per implementation and side for this (Ginkgo) process, so a
// case pays for sockets, not for process start-up (~5 ms Go, ~70 ms Python). A peer that
// faulted is replaced on the next Get: a crash is the result of one case, never the end of
// the run.
type Pool struct {
	mu    sync.Mutex
	peers map[poolKey]*Peer
	// StartTimeout bounds a peer's start and hello.
	StartTimeout time.Duration
}

type poolKey struct{ impl, role string }

// NewPool returns an empty pool.
func NewPool() *Pool { return &Pool{peers: map[poolKey]*Peer{}, StartTimeout: 30 * time.Second} }

var (
	sharedPool     *Pool
	sharedPoolOnce sync.Once
)

// Shared is the pool of this process.
func Shared() *Pool {
	sharedPoolOnce.Do(func() { sharedPool = NewPool() })
	return sharedPool
}

// Get returns a live peer of impl for role, starting one if there is none or the last one
// died. Roles keep the two sides of a cell in different processes so that blame is exact and
// a blocked call on one side never stalls the other.
func (p *Pool) Get(ctx context.Context, impl *Impl, role string) (*Peer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := poolKey{impl.Name, role}
	if pr := p.peers[k]; pr != nil {
		if pr.Alive() {
			return pr, nil
		}
		delete(p.peers, k)
	}
	pr, err := StartPeer(ctx, impl, role, p.StartTimeout)
	if err != nil {
		return nil, err
	}
	p.peers[k] = pr
	return pr, nil
}

// Close quits every peer of the pool.
func (p *Pool) Close() {
	p.mu.Lock()
	peers := p.peers
	p.peers = map[poolKey]*Peer{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, pr := range peers {
		wg.Add(1)
		go func() { defer wg.Done(); pr.Quit() }()
	}
	wg.Wait()
}
