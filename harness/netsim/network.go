package netsim

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// Prefix starts the name of every namespace and link netsim creates, so leftovers can be
// found: namespaces zsnA-<run>, zsnB-<run>, zsnR-<run> (and zsnP-<run> for the capability
// probe), links zsn<run>a, zsn<run>b, zsn<run>ra, zsn<run>rb, with <run> six characters
// [a-z0-9].
const Prefix = "zsn"

// StateRoot holds one directory per run: state.json (owner, backend, scenario) and, with the
// tun backend, the shaper's control socket and log.
const StateRoot = "/run/zmqsuite-netsim"

// Backends.
const (
	BackendNetem = "netem"
	BackendTun   = "tun"
)

var (
	runRe  = regexp.MustCompile(`^[a-z0-9]{6}$`)
	nsRe   = regexp.MustCompile(`^` + Prefix + `([ABRP])-([a-z0-9]{6})$`)
	linkRe = regexp.MustCompile(`^` + Prefix + `([a-z0-9]{6})(a|b|ra|rb)$`)
)

// Options say how New builds the network.
type Options struct {
	// Scenario is applied once the network is up (the zero value is a clean path).
	Scenario Scenario
	// Backend is BackendNetem, BackendTun, or "" for netem when the kernel has it and tun
	// otherwise. ZMQSUITE_NETSIM_BACKEND overrides "".
	Backend string
	// Persist keeps the network after this process exits (zmqsuite netsim up): no signal
	// handler, and Sweep leaves it alone while it works; remove it with Down.
	Persist bool
	// NoSignalHandler leaves SIGINT, SIGTERM and SIGHUP alone. By default, while a network is
	// open, they close every open network and then kill the process as the signal would have.
	// Set it where something else cleans up on a signal (Ginkgo runs DeferCleanup on an
	// interrupt), so the process is not killed before that finishes.
	NoSignalHandler bool
}

// Host is one end of the network: a namespace with one routable address.
type Host struct {
	Name  string     // "A", "B", or "router"
	NS    string     // namespace name, e.g. zsnA-k3x9qp
	Iface string     // the interface towards the other side
	Addr  netip.Addr // the address peers bind or connect to
}

// Argv returns the command line that runs cmd inside the host: ip netns exec <ns> cmd...
func (h *Host) Argv(cmd ...string) []string {
	return append([]string{"ip", "netns", "exec", h.NS}, cmd...)
}

// Command is exec.Command for a program run inside the host. The process is the program
// itself (ip netns exec execs it), so its pid is the one to signal. Close kills it if it is
// still running then.
func (h *Host) Command(name string, args ...string) *exec.Cmd {
	argv := h.Argv(append([]string{name}, args...)...)
	return exec.Command(argv[0], argv[1:]...)
}

// CommandContext is Command with exec.CommandContext's cancellation.
func (h *Host) CommandContext(ctx context.Context, name string, args ...string) *exec.Cmd {
	argv := h.Argv(append([]string{name}, args...)...)
	return exec.CommandContext(ctx, argv[0], argv[1:]...)
}

// Endpoint is a ZeroMQ tcp endpoint on the host's address; port 0 gives the wildcard port
// ("tcp://10.254.2.2:*") for a bind.
func (h *Host) Endpoint(port int) string {
	p := "*"
	if port > 0 {
		p = strconv.Itoa(port)
	}
	return "tcp://" + h.Addr.String() + ":" + p
}

// HostPort is host:port on the host's address, for net.Dial and friends.
func (h *Host) HostPort(port int) string {
	return netip.AddrPortFrom(h.Addr, uint16(port)).String()
}

// Network is one run: hosts A and B and the router between them.
type Network struct {
	Run    string
	A, B   *Host
	Router *Host // Addr is the router's address on A's side

	backend string
	persist bool
	plat    platform // the OS-specific part (network_linux.go)

	mu      sync.Mutex
	current Scenario      // what Apply was last given
	applied Scenario      // what the router does right now (a blackout during a partition)
	gen     uint64        // bumped by every Apply, so a stale heal does nothing
	heal    *time.Timer   // pending end of a partition
	healed  chan struct{} // closed when the current scenario has no partition pending
	healErr error
	closed  bool
}

// Backend says how the router shapes: BackendNetem or BackendTun.
func (n *Network) Backend() string { return n.backend }

// Scenario returns what Apply was last given.
func (n *Network) Scenario() Scenario {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.current
}

// Healed is closed once the partition of the current scenario has healed (at once when it
// has none). Err then says whether restoring the path failed.
func (n *Network) Healed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.healed
}

// HealErr is the error from ending the last partition, if restoring the path failed.
func (n *Network) HealErr() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.healErr
}

// ApplyName parses name (see Parse) and applies it.
func (n *Network) ApplyName(name string) error {
	s, err := Lookup(name)
	if err != nil {
		return err
	}
	return n.Apply(s)
}

// Apply puts s in force on the router, replacing what was there, while traffic flows: queued
// packets are not flushed. With a partition, Apply returns at its start and the path heals
// by itself after s.Partition (see Healed); a later Apply cancels a pending heal.
func (n *Network) Apply(s Scenario) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("netsim: apply %s: %w", s.Name(), err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return fmt.Errorf("netsim: apply %s: network %s is closed", s.Name(), n.Run)
	}
	n.gen++
	if n.heal != nil {
		n.heal.Stop()
		n.heal = nil
	}
	n.closeHealed() // a partition still pending is superseded: its waiters go on
	now := s.steady()
	if s.Partition > 0 {
		now = s.blackout()
	}
	if err := n.setLocked(now); err != nil {
		return fmt.Errorf("netsim: apply %s to %s: %w", s.Name(), n.Run, err)
	}
	n.current = s
	n.healErr = nil
	if s.Partition > 0 {
		n.healed = make(chan struct{})
		gen := n.gen
		n.heal = time.AfterFunc(s.Partition, func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			if n.gen != gen || n.closed {
				return
			}
			if err := n.setLocked(s.steady()); err != nil {
				n.healErr = fmt.Errorf("netsim: heal partition of %s on %s: %w", s.Name(), n.Run, err)
			}
			n.heal = nil
			n.closeHealed()
		})
	}
	n.plat.noteScenario(s)
	return nil
}

// Clear restores the clean path.
func (n *Network) Clear() error { return n.Apply(Scenario{}) }

// closeHealed closes n.healed if it is open (n.mu held).
func (n *Network) closeHealed() {
	if n.healed == nil {
		n.healed = make(chan struct{})
	}
	select {
	case <-n.healed:
	default:
		close(n.healed)
	}
}

// setLocked makes the router do s (no partition in s), changing only what differs from
// n.applied (n.mu held).
func (n *Network) setLocked(s Scenario) error {
	if err := n.plat.set(n.applied, s); err != nil {
		return err
	}
	n.applied = s
	return nil
}

// newRunID returns six random characters from [a-z0-9].
func newRunID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux (it panics if it could not)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func nsName(role, run string) string   { return Prefix + role + "-" + run }
func linkName(run, side string) string { return Prefix + run + side }
