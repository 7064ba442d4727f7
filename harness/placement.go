package harness

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Placement says where each side of a cell runs its peer when the two sides are on different
// hosts, and which address each host's sockets bind to (and the other host connects to). A
// run without a placement keeps both sides on this machine, over loopback.
//
// It comes from the environment, so that every Ginkgo process of a run (and any producer:
// `zmqsuite suite --net` with netsim's namespaces, a person with two machines and ssh) says it
// the same way:
//
//	ZMQSUITE_HOST_BIND="name=h2;addr=10.0.0.2;prefix=ssh -T h2;root=/home/me/zmqsuite"
//	ZMQSUITE_HOST_CONNECT="name=h1;addr=10.0.0.1"
//	ZMQSUITE_SCENARIO=lab            # the path's name in cell ids: "PP.1 tcp@lab gozmq→libzmq"
//
// Each host spec is key=value pairs separated by ';':
//   - addr (required): the IPv4 address of that host that the other one reaches. Sockets of
//     that host bind to it, so the endpoint a bind reports is already the one to connect to.
//   - name: what records call the host (default: the address).
//   - prefix: the command that runs a program on that host, split on white space ("ip netns
//     exec zsnB-k3x9qp", "ssh -T h2"); empty: this machine.
//   - shell: 1 when the prefix takes one shell command line rather than an argv (ssh does:
//     it joins its arguments and hands them to the remote shell, and passes neither the
//     environment nor the working directory). Default: 1 when the prefix's program is ssh.
//     The harness then sends "cd ROOT && exec env K=V … PEER ARGS", quoted for a POSIX shell.
//   - root: with shell, the zmqsuite checkout on that host (default: the same path as here):
//     the peer's command and its arguments that lie under this checkout are mapped to it.
//
// docs/hosts.md has the whole story and examples.
type Placement struct {
	Bind, Connect *Host
	// Scenario names the path between the hosts in cell ids and labels ("20ms-1%" from
	// netsim, ZMQSUITE_SCENARIO otherwise, "real" by default).
	Scenario string
	// Network says what made the path, for the results: "netsim tun", "netsim netem", or
	// "hosts" (the user's own machines).
	Network string
}

// Host is one machine (or namespace) a side's peers run on.
type Host struct {
	Name   string
	Addr   string   // IPv4 address: sockets bind to it, the other host connects to it
	Prefix []string // runs a program there; nil: this machine
	Shell  bool     // Prefix takes one shell command line (ssh)
	Root   string   // the checkout there (Shell only); "" = the same path as here
	// NetNS is the network namespace the prefix enters ("ip netns exec NAME"), "" otherwise:
	// there the harness can check from this process that a port is free.
	NetNS string
}

// Environment variables of a placement.
const (
	HostBindEnv    = "ZMQSUITE_HOST_BIND"
	HostConnectEnv = "ZMQSUITE_HOST_CONNECT"
	ScenarioEnv    = "ZMQSUITE_SCENARIO"
	// NetworkEnv says what made the placement: set by `zmqsuite suite --net` to "netsim
	// <backend>"; absent (or "hosts") for a placement a person wrote.
	NetworkEnv = "ZMQSUITE_NETWORK"
)

// DefaultScenario names the path between hosts a person placed, when ZMQSUITE_SCENARIO does
// not.
const DefaultScenario = "real"

var (
	placementOnce sync.Once
	placement     *Placement
	placementErr  error
)

// CurrentPlacement is this process's placement from the environment (computed once): nil
// when neither ZMQSUITE_HOST_BIND nor ZMQSUITE_HOST_CONNECT is set, an error (one line, naming
// the variable) when one is malformed or only one is set.
func CurrentPlacement() (*Placement, error) {
	placementOnce.Do(func() {
		placement, placementErr = PlacementFrom(os.Getenv)
	})
	return placement, placementErr
}

// PlacementFrom reads a placement through getenv (os.Getenv, or a map in tests).
func PlacementFrom(getenv func(string) string) (*Placement, error) {
	bs, cs := strings.TrimSpace(getenv(HostBindEnv)), strings.TrimSpace(getenv(HostConnectEnv))
	if bs == "" && cs == "" {
		if s := getenv(ScenarioEnv); s != "" {
			return nil, fmt.Errorf("%s=%q names a path between hosts, but %s and %s do not say where the sides run", ScenarioEnv, s, HostBindEnv, HostConnectEnv)
		}
		return nil, nil
	}
	if bs == "" || cs == "" {
		missing := HostBindEnv
		if cs == "" {
			missing = HostConnectEnv
		}
		return nil, fmt.Errorf("%s is not set: a cross-host run names both sides' hosts (a side on this machine: %s=\"name=here;addr=<this machine's address>\")", missing, missing)
	}
	b, err := ParseHost(HostBindEnv, bs)
	if err != nil {
		return nil, err
	}
	c, err := ParseHost(HostConnectEnv, cs)
	if err != nil {
		return nil, err
	}
	if b.Addr == c.Addr && b.NetNS == c.NetNS && len(b.Prefix) == 0 && len(c.Prefix) == 0 {
		return nil, fmt.Errorf("%s and %s are both this machine at %s: that is loopback, not two hosts", HostBindEnv, HostConnectEnv, b.Addr)
	}
	p := &Placement{Bind: b, Connect: c, Scenario: strings.TrimSpace(getenv(ScenarioEnv)), Network: strings.TrimSpace(getenv(NetworkEnv))}
	if p.Scenario == "" {
		p.Scenario = DefaultScenario
	}
	if !scenarioRe.MatchString(p.Scenario) {
		return nil, fmt.Errorf("%s=%q: want a short name of letters, digits and . _ %% - (it goes into cell ids and labels: tcp@%s)", ScenarioEnv, p.Scenario, "lab")
	}
	if p.Network == "" {
		p.Network = "hosts"
	}
	return p, nil
}

// scenarioRe is what a scenario name may hold: it becomes a Ginkgo label value
// ("scenario:20ms-1%"), which may not contain the filter language's & | ! , ( ) / or spaces.
var scenarioRe = regexp.MustCompile(`^[A-Za-z0-9._%-]{1,40}$`)

// ParseHost reads one host spec (the value of ZMQSUITE_HOST_BIND or ZMQSUITE_HOST_CONNECT);
// an error is one line naming the variable and what is wrong.
func ParseHost(env, spec string) (*Host, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s=%q: %s (example: %s=\"name=h2;addr=10.0.0.2;prefix=ssh -T h2\")", env, spec, fmt.Sprintf(format, a...), env)
	}
	h := &Host{}
	seen := map[string]bool{}
	shell := ""
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, bad("%q is not key=value", part)
		}
		if seen[k] {
			return nil, bad("%s given twice", k)
		}
		seen[k] = true
		switch k {
		case "name":
			if !nameRe.MatchString(v) {
				return nil, bad("name %q: want letters, digits and . _ - only", v)
			}
			h.Name = v
		case "addr":
			h.Addr = v
		case "prefix":
			h.Prefix = strings.Fields(v)
		case "shell":
			shell = v
		case "root":
			if !filepath.IsAbs(v) && !strings.HasPrefix(v, "/") {
				return nil, bad("root %q is not an absolute path", v)
			}
			h.Root = v
		default:
			return nil, bad("unknown key %q (want name, addr, prefix, shell, root)", k)
		}
	}
	if h.Addr == "" {
		return nil, bad("addr is missing: the address the other host reaches this one at")
	}
	a, err := netip.ParseAddr(h.Addr)
	switch {
	case err != nil:
		return nil, bad("addr %q is not an IPv4 address (sockets bind to it, and ZeroMQ binds to addresses, not names)", h.Addr)
	case a.Is6() && !a.Is4In6():
		// libzmq refuses IPv6 endpoints unless ZMQ_IPV6 is set, which the peer protocol
		// does not carry yet.
		return nil, bad("addr %s is IPv6: libzmq needs ZMQ_IPV6 for that, which the peer protocol lacks; use an IPv4 address", h.Addr)
	case a.IsLoopback() || a.IsUnspecified():
		return nil, bad("addr %s is not reachable from another host", h.Addr)
	}
	h.Addr = a.Unmap().String()
	if h.Name == "" {
		h.Name = h.Addr
	}
	switch shell {
	case "":
		h.Shell = len(h.Prefix) > 0 && filepath.Base(h.Prefix[0]) == "ssh"
	case "1", "yes", "true":
		h.Shell = true
	case "0", "no", "false":
	default:
		return nil, bad("shell=%q: want 1 or 0", shell)
	}
	if h.Shell && len(h.Prefix) == 0 {
		return nil, bad("shell=1 needs a prefix (the command that runs a shell line on that host)")
	}
	if h.Root != "" && !h.Shell {
		return nil, bad("root is for shell prefixes (ssh): a non-shell prefix runs the peer in this checkout")
	}
	if len(h.Prefix) == 4 && h.Prefix[0] == "ip" && h.Prefix[1] == "netns" && h.Prefix[2] == "exec" {
		h.NetNS = h.Prefix[3]
	}
	return h, nil
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Host returns the host of a side ("bind", "connect"). Discovery's peers (role "") say hello
// on the bind side's host: that is where the versions the results record come from.
func (p *Placement) Host(role string) *Host {
	if role == ConnectSide {
		return p.Connect
	}
	return p.Bind
}

// Hosts names each side's host, for Record.Hosts.
func (p *Placement) Hosts() map[string]string {
	return map[string]string{BindSide: p.Bind.Name, ConnectSide: p.Connect.Name}
}

// Addresses maps each host's name to its address, for the results' selection.
func (p *Placement) Addresses() map[string]string {
	return map[string]string{p.Bind.Name: p.Bind.Addr, p.Connect.Name: p.Connect.Addr}
}

// Netsim reports whether the placement is one `zmqsuite suite --net` made with netsim (a
// rerun then names the scenario, not the hosts).
func (p *Placement) Netsim() bool { return strings.HasPrefix(p.Network, "netsim") }

// Env renders the placement as the environment a person sets to reproduce it (for reruns of
// cells on hosts they placed): ZMQSUITE_HOST_BIND='…' ZMQSUITE_HOST_CONNECT='…'
// ZMQSUITE_SCENARIO=….
func (p *Placement) Env() string {
	return fmt.Sprintf("%s=%s %s=%s %s=%s", HostBindEnv, ShellQuote(p.Bind.Spec()), HostConnectEnv, ShellQuote(p.Connect.Spec()), ScenarioEnv, ShellQuote(p.Scenario))
}

// Spec renders the host as ParseHost reads it.
func (h *Host) Spec() string {
	parts := []string{"name=" + h.Name, "addr=" + h.Addr}
	if len(h.Prefix) > 0 {
		parts = append(parts, "prefix="+strings.Join(h.Prefix, " "))
	}
	if h.Shell != (len(h.Prefix) > 0 && filepath.Base(h.Prefix[0]) == "ssh") {
		s := "0"
		if h.Shell {
			s = "1"
		}
		parts = append(parts, "shell="+s)
	}
	if h.Root != "" {
		parts = append(parts, "root="+h.Root)
	}
	return strings.Join(parts, ";")
}

// Command is the argv that runs a peer (argv, with env on top of the harness's own and dir
// its working directory) on the host. Without a shell, the prefix runs argv as it is and
// passes on the environment and the working directory (ip netns exec, sudo, nsenter do); with
// one (ssh), one POSIX shell line carries the directory, the peer's own environment and the
// command, with this checkout's paths mapped to the host's.
func (h *Host) Command(argv, env []string, dir string) []string {
	if len(h.Prefix) == 0 {
		return argv
	}
	if !h.Shell {
		return append(append([]string(nil), h.Prefix...), argv...)
	}
	line := []string{"cd", ShellQuote(h.mapPath(dir)), "&&", "exec"}
	if len(env) > 0 {
		line = append(line, "env")
		keys := append([]string(nil), env...)
		sort.Strings(keys)
		for _, kv := range keys {
			line = append(line, ShellQuote(kv))
		}
	}
	for _, a := range argv {
		line = append(line, ShellQuote(h.mapPath(a)))
	}
	return append(append([]string(nil), h.Prefix...), strings.Join(line, " "))
}

// mapPath maps a path under this checkout to the host's checkout (root=); anything else is
// left as it is.
func (h *Host) mapPath(s string) string {
	if h.Root == "" {
		return s
	}
	root := RepoRoot()
	if s == root {
		return h.Root
	}
	if rel, ok := strings.CutPrefix(s, root+string(filepath.Separator)); ok {
		return strings.TrimRight(h.Root, "/") + "/" + filepath.ToSlash(rel)
	}
	return s
}

// ShellQuote quotes s for a POSIX shell in single quotes (a quote inside closes them, adds an
// escaped quote and reopens them), and leaves words that need no quoting as they are.
func ShellQuote(s string) string {
	if s != "" && shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// placedCommand is how StartPeer runs impl's peer for role: the argv and the environment to
// add. Without a placement, that is impl's command and environment, in this checkout, with
// TMPDIR in this process's private directory. On a placed host the prefix goes in front; a
// shell host (ssh) gets only impl's own environment, since this machine's TMPDIR does not
// exist there.
func placedCommand(role string, impl *Impl) (argv, env []string, err error) {
	env = append([]string(nil), impl.Env...)
	p, err := CurrentPlacement()
	if err != nil {
		return nil, nil, err
	}
	var h *Host
	if p != nil {
		h = p.Host(role)
	}
	if h == nil || !h.Shell {
		// Files a binding creates on its own (libzmq's ipc://* picks a path under TMPDIR)
		// belong in this process's private directory, not in the suite's working tree.
		if dir, err := IPCDir(); err == nil {
			env = append(env, "TMPDIR="+dir)
		}
	}
	if h == nil {
		return impl.Command, env, nil
	}
	return h.Command(impl.Command, env, RepoRoot()), env, nil
}
