package netsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// platform is the Linux side of a Network: what it needs to change the router.
type platform struct {
	run     string
	block   string // "10.254"
	backend string
	persist bool
	router  string // router namespace name
	hosts   [2]string
	st      runState
	shaper  *shaperProc // tun backend
}

// New builds a network (see the package doc): it sweeps leftovers of dead runs first, then
// creates the namespaces, links and router shaping, and applies opts.Scenario. On any
// error everything made so far is removed again.
func New(opts Options) (*Network, error) {
	if r := Available(); r != "" {
		return nil, errors.New(r)
	}
	backend, err := chooseBackend(opts.Backend)
	if err != nil {
		return nil, err
	}
	if _, err := Sweep(); err != nil {
		return nil, fmt.Errorf("netsim: sweep before creating: %w", err)
	}
	block, err := pickBlock()
	if err != nil {
		return nil, err
	}
	pid, start, err := selfIdentity()
	if err != nil {
		return nil, err
	}
	run := newRunID()
	st := runState{Run: run, OwnerPID: pid, OwnerStart: start, Persistent: opts.Persist,
		Backend: backend, Block: block, Scenario: "none", Created: time.Now().UTC()}
	// The state comes first: from here on, a crash leaves something Sweep can attribute.
	if err := writeState(st); err != nil {
		return nil, err
	}
	n := newNetwork(run, block, backend, opts.Persist)
	n.plat.st = st
	if err := n.plat.build(); err != nil {
		return nil, errors.Join(err, teardown(run))
	}
	if opts.Scenario != (Scenario{}) {
		if err := n.Apply(opts.Scenario); err != nil {
			return nil, errors.Join(err, n.Close())
		}
	}
	if !opts.Persist && !opts.NoSignalHandler {
		registerSignals(n)
	}
	return n, nil
}

// Open returns the network of an existing run (one made by zmqsuite netsim up), to apply a
// scenario to it or Close it.
func Open(run string) (*Network, error) {
	if !runRe.MatchString(run) {
		return nil, fmt.Errorf("netsim: %q is not a run id (six characters [a-z0-9])", run)
	}
	st, err := readState(run)
	if err != nil {
		return nil, err
	}
	for _, role := range []string{"A", "B", "R"} {
		if !nsExists(nsName(role, run)) {
			return nil, fmt.Errorf("netsim: run %s has no namespace %s (swept, or never finished)", run, nsName(role, run))
		}
	}
	n := newNetwork(run, st.Block, st.Backend, st.Persistent)
	n.plat.st = st
	n.current, _ = Parse(st.Scenario)
	n.applied, _ = Parse(st.Applied)
	if st.Backend == BackendTun {
		n.plat.shaper = &shaperProc{dir: stateDir(run)}
	}
	return n, nil
}

func newNetwork(run, block, backend string, persist bool) *Network {
	addr := func(s string) netip.Addr { return netip.MustParseAddr(block + s) }
	n := &Network{
		Run:     run,
		A:       &Host{Name: "A", NS: nsName("A", run), Iface: linkName(run, "a"), Addr: addr(".1.2")},
		B:       &Host{Name: "B", NS: nsName("B", run), Iface: linkName(run, "b"), Addr: addr(".2.2")},
		Router:  &Host{Name: "router", NS: nsName("R", run), Iface: linkName(run, "ra"), Addr: addr(".1.1")},
		backend: backend,
		persist: persist,
	}
	n.plat = platform{run: run, block: block, backend: backend, persist: persist, router: n.Router.NS, hosts: [2]string{n.A.NS, n.B.NS}}
	return n
}

// Do runs fn inside the host's namespace, on a thread of its own: sockets fn opens (a
// net.Listen, a net.Dial) live there for good, so a test can be a client or server on the
// host without a process. Goroutines fn starts run in the root namespace.
func (h *Host) Do(fn func() error) error { return doIn(h.NS, fn) }

// Close removes everything of the run: processes inside its namespaces (killed), the
// namespaces, and its state. It may be called more than once.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	if n.heal != nil {
		n.heal.Stop()
		n.heal = nil
	}
	n.closeHealed()
	n.mu.Unlock()
	unregisterSignals(n)
	if err := teardown(n.Run); err != nil {
		return fmt.Errorf("netsim: close %s: %w", n.Run, err)
	}
	return nil
}

// addrs of the run: the two /30s.
type runAddrs struct {
	aNet, bNet             *net.IPNet
	a, b, routerA, routerB *net.IPNet // with their /30 mask
}

func (p *platform) addrs() runAddrs {
	ipn := func(s string, bits int) *net.IPNet {
		return &net.IPNet{IP: net.ParseIP(p.block + s).To4(), Mask: net.CIDRMask(bits, 32)}
	}
	return runAddrs{aNet: ipn(".1.0", 30), bNet: ipn(".2.0", 30),
		a: ipn(".1.2", 30), b: ipn(".2.2", 30), routerA: ipn(".1.1", 30), routerB: ipn(".2.1", 30)}
}

// build creates the namespaces, links, addresses, routes, sysctls and qdiscs.
func (p *platform) build() error {
	r, a, b := p.router, p.hosts[0], p.hosts[1]
	for _, ns := range []string{r, a, b} {
		if err := createNS(ns); err != nil {
			return err
		}
		// No IPv6 on the links: every endpoint is IPv4, and a link-local address would be one
		// more thing a host could talk to.
		if err := writeSysctl(ns, "net/ipv6/conf/default/disable_ipv6", "1"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err // (a kernel without IPv6 has no such file, and nothing to disable)
		}
	}
	hs := map[string]*netlink.Handle{}
	defer func() {
		for _, h := range hs {
			h.Close()
		}
	}()
	fds := map[string]netns.NsHandle{}
	defer func() {
		for _, f := range fds {
			f.Close()
		}
	}()
	for _, ns := range []string{r, a, b} {
		fd, err := netns.GetFromName(ns)
		if err != nil {
			return fmt.Errorf("netsim: open namespace %s: %w", ns, err)
		}
		fds[ns] = fd
		h, err := netlink.NewHandleAt(fd)
		if err != nil {
			return fmt.Errorf("netsim: netlink in %s: %w", ns, err)
		}
		hs[ns] = h
		lo, err := h.LinkByName("lo")
		if err != nil {
			return fmt.Errorf("netsim: loopback of %s: %w", ns, err)
		}
		if err := h.LinkSetUp(lo); err != nil {
			return fmt.Errorf("netsim: set loopback of %s up: %w", ns, err)
		}
	}
	ad := p.addrs()
	sides := []struct {
		host, hostIf, routerIf string
		hostAddr, routerAddr   *net.IPNet
		other                  *net.IPNet
	}{
		{a, linkName(p.run, "a"), linkName(p.run, "ra"), ad.a, ad.routerA, ad.bNet},
		{b, linkName(p.run, "b"), linkName(p.run, "rb"), ad.b, ad.routerB, ad.aNet},
	}
	for _, s := range sides {
		// Made inside the router with the peer born in the host: no end ever appears in the
		// root namespace, even for a moment.
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: s.routerIf, MTU: 1500, TxQLen: 1000},
			PeerName: s.hostIf, PeerNamespace: netlink.NsFd(fds[s.host])}
		if err := hs[r].LinkAdd(veth); err != nil {
			return fmt.Errorf("netsim: add veth %s/%s: %w", s.routerIf, s.hostIf, err)
		}
		if err := addrUp(hs[r], s.routerIf, s.routerAddr); err != nil {
			return err
		}
		if err := addrUp(hs[s.host], s.hostIf, s.hostAddr); err != nil {
			return err
		}
		hl, err := hs[s.host].LinkByName(s.hostIf)
		if err != nil {
			return fmt.Errorf("netsim: find %s in %s: %w", s.hostIf, s.host, err)
		}
		// The only route a host has besides its own /30: the other host's /30, via the router.
		gw := s.routerAddr.IP
		if err := hs[s.host].RouteAdd(&netlink.Route{LinkIndex: hl.Attrs().Index, Dst: s.other, Gw: gw}); err != nil {
			return fmt.Errorf("netsim: route %s via %s in %s: %w", s.other, gw, s.host, err)
		}
	}
	if err := writeSysctl(r, "net/ipv4/ip_forward", "1"); err != nil {
		return err
	}
	// A router that refuses a packet says so every time (unreachable, too big): the kernel's
	// default of one ICMP error per second per peer would turn a refusal into a silent loss.
	if err := writeSysctl(r, "net/ipv4/icmp_ratelimit", "0"); err != nil {
		return err
	}
	// The tun backend hands packets back to the kernel on the TUN device; strict reverse-path
	// filtering would drop them there (their source is reached via a veth, not the TUN).
	for _, k := range []string{"all", "default"} {
		if err := writeSysctl(r, "net/ipv4/conf/"+k+"/rp_filter", "0"); err != nil {
			return err
		}
	}
	for _, dev := range []string{linkName(p.run, "ra"), linkName(p.run, "rb")} {
		if err := runTC(htbRootArgs(r, dev)); err != nil {
			return err
		}
		if err := runTC(htbClassArgs(r, dev, 0)); err != nil {
			return err
		}
		if p.backend == BackendNetem {
			if err := runTC(netemArgs("add", r, dev, Scenario{})); err != nil {
				return err
			}
		}
	}
	if p.backend == BackendTun {
		sp, err := startShaper(p.run, r, p.persist)
		if err != nil {
			return err
		}
		p.shaper = sp
		p.st.ShaperPID, p.st.ShaperStart = sp.pid, sp.start
		if err := writeState(p.st); err != nil {
			return err
		}
		if err := routeThroughShaper(hs[r], p.run); err != nil {
			return err
		}
	}
	return nil
}

// addrUp gives the link its address and sets it up.
func addrUp(h *netlink.Handle, name string, addr *net.IPNet) error {
	l, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("netsim: find link %s: %w", name, err)
	}
	if err := h.AddrAdd(l, &netlink.Addr{IPNet: addr}); err != nil {
		return fmt.Errorf("netsim: address %s on %s: %w", addr, name, err)
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("netsim: set %s up: %w", name, err)
	}
	return nil
}

// shaperTable is the routing table (inside the router namespace only) that sends forwarded
// packets to the shaper.
const shaperTable = 100

// routeThroughShaper makes every packet arriving on a router veth go out through the shaper's
// TUN device; what the shaper writes back arrives on the TUN and takes the main table to the
// other veth. Should the shaper die, its TUN and route go with it and the unreachable route
// behind answers instead: a dead shaper cuts the path rather than letting it run unshaped.
func routeThroughShaper(h *netlink.Handle, run string) error {
	tun, err := h.LinkByName(tunName)
	if err != nil {
		return fmt.Errorf("netsim: shaper device %s: %w", tunName, err)
	}
	def := &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}
	if err := h.RouteAdd(&netlink.Route{Table: shaperTable, Dst: def, LinkIndex: tun.Attrs().Index, Scope: netlink.SCOPE_LINK}); err != nil {
		return fmt.Errorf("netsim: route table %d via %s: %w", shaperTable, tunName, err)
	}
	if err := h.RouteAdd(&netlink.Route{Table: shaperTable, Dst: def, Type: unix.RTN_UNREACHABLE, Priority: 100}); err != nil {
		return fmt.Errorf("netsim: unreachable fallback in table %d: %w", shaperTable, err)
	}
	for i, side := range []string{"ra", "rb"} {
		rule := netlink.NewRule()
		rule.IifName = linkName(run, side)
		rule.Table = shaperTable
		rule.Priority = 100 + i
		rule.Family = unix.AF_INET
		if err := h.RuleAdd(rule); err != nil {
			return fmt.Errorf("netsim: rule iif %s lookup %d: %w", rule.IifName, shaperTable, err)
		}
	}
	return nil
}

// set changes the router from doing from to doing to (neither has a partition).
func (p *platform) set(from, to Scenario) error {
	r := p.router
	if from.MTU != to.MTU {
		if err := p.setMTU(to.MTU); err != nil {
			return err
		}
	}
	if from.Rate != to.Rate {
		for _, dev := range []string{linkName(p.run, "ra"), linkName(p.run, "rb")} {
			if err := runTC(htbClassArgs(r, dev, to.Rate)); err != nil {
				return err
			}
		}
	}
	if from.Delay != to.Delay || from.Jitter != to.Jitter || from.Loss != to.Loss || from.Reorder != to.Reorder {
		switch p.backend {
		case BackendNetem:
			for _, dev := range []string{linkName(p.run, "ra"), linkName(p.run, "rb")} {
				if err := netemSet(r, dev, from, to); err != nil {
					return err
				}
			}
		case BackendTun:
			if err := p.shaper.set(to); err != nil {
				return err
			}
		}
	}
	p.st.Applied = to.Name()
	return writeState(p.st)
}

// netemSet changes the netem leaf in place. Dropping reorder is the exception: a change
// message without the reorder attribute keeps the old value in the kernel, so the leaf is
// replaced (what it holds is lost, as on a real link being reconfigured).
func netemSet(ns, dev string, from, to Scenario) error {
	if from.Reorder > 0 && to.Reorder == 0 {
		if err := runTC([]string{"-n", ns, "qdisc", "del", "dev", dev, "parent", "1:1", "handle", "10:"}); err != nil {
			return err
		}
		return runTC(netemArgs("add", ns, dev, to))
	}
	return runTC(netemArgs("change", ns, dev, to))
}

// setMTU puts the path MTU on the router's two connected routes (0: none). The router then
// refuses larger DF packets with "fragmentation needed" as a router before a smaller link
// does; the hosts' links stay at 1500, so they only learn it by path MTU discovery. The hosts'
// learned path MTUs are flushed so that raising it takes effect at once.
func (p *platform) setMTU(mtu int) error {
	fd, err := netns.GetFromName(p.router)
	if err != nil {
		return fmt.Errorf("netsim: open namespace %s: %w", p.router, err)
	}
	defer fd.Close()
	h, err := netlink.NewHandleAt(fd)
	if err != nil {
		return fmt.Errorf("netsim: netlink in %s: %w", p.router, err)
	}
	defer h.Close()
	ad := p.addrs()
	for _, s := range []struct {
		dev string
		dst *net.IPNet
		src net.IP
	}{{linkName(p.run, "ra"), ad.aNet, ad.routerA.IP}, {linkName(p.run, "rb"), ad.bNet, ad.routerB.IP}} {
		l, err := h.LinkByName(s.dev)
		if err != nil {
			return fmt.Errorf("netsim: find %s: %w", s.dev, err)
		}
		rt := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: s.dst, Src: s.src, Scope: netlink.SCOPE_LINK,
			Protocol: unix.RTPROT_KERNEL, Table: unix.RT_TABLE_MAIN, MTU: mtu}
		if err := h.RouteReplace(rt); err != nil {
			return fmt.Errorf("netsim: mtu %d on route %s dev %s: %w", mtu, s.dst, s.dev, err)
		}
	}
	for _, ns := range append([]string{p.router}, p.hosts[:]...) {
		if err := writeSysctl(ns, "net/ipv4/route/flush", "1"); err != nil {
			return err
		}
	}
	return nil
}

// noteScenario records what Apply was given, for status.
func (p *platform) noteScenario(s Scenario) {
	p.st.Scenario = s.Name()
	_ = writeState(p.st) // status only: the network does what it should either way
}

// runTC runs tc with args, bounded in time; its stderr becomes the error.
func runTC(args []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "tc", args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("netsim: tc %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// writeSysctl writes /proc/sys/<key> as seen inside the namespace (the /proc/sys/net tree
// belongs to the writing thread's namespace) and reads it back.
func writeSysctl(ns, key, val string) error {
	return doIn(ns, func() error {
		p := "/proc/sys/" + key
		if err := os.WriteFile(p, []byte(val), 0o644); err != nil {
			return fmt.Errorf("netsim: sysctl %s=%s in %s: %w", key, val, ns, err)
		}
		if strings.HasSuffix(key, "/flush") { // write-only
			return nil
		}
		got, err := os.ReadFile(p)
		if err != nil || strings.TrimSpace(string(got)) != val {
			return fmt.Errorf("netsim: sysctl %s in %s reads %q after writing %q (%v)", key, ns, strings.TrimSpace(string(got)), val, err)
		}
		return nil
	})
}

// pickBlock returns the first 10.x (x from 254 down to 240) whose /16 no route and no
// address of the root namespace overlaps, so a run's addresses never mean something else
// on this machine.
func pickBlock() (string, error) {
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return "", fmt.Errorf("netsim: list the machine's routes: %w", err)
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return "", fmt.Errorf("netsim: list the machine's addresses: %w", err)
	}
	var used []netip.Prefix
	for _, r := range routes {
		if r.Dst == nil {
			continue // the default route covers everything and says nothing
		}
		if p, ok := prefixOf(r.Dst); ok && p.Bits() > 0 {
			used = append(used, p)
		}
	}
	for _, a := range addrs {
		if p, ok := prefixOf(a.IPNet); ok {
			used = append(used, p)
		}
	}
	return freeBlock(used)
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	ip, ok := netip.AddrFromSlice(n.IP.To4())
	if !ok {
		return netip.Prefix{}, false
	}
	bits, _ := n.Mask.Size()
	return netip.PrefixFrom(ip, bits).Masked(), true
}
