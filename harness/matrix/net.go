package matrix

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

// DefaultNets are the scenarios `zmqsuite suite hosts` runs when it is given none: a long
// path, a lossy one (retransmissions, reconnects) and a small path MTU (fragmentation needed:
// large frames split into more segments).
var DefaultNets = []string{"20ms", "20ms-1%", "mtu1280"}

// acrossHosts reports whether an invocation runs across hosts: suite hosts, a --net list, or a
// placement the environment gives.
func acrossHosts(o RunOptions) bool {
	return o.Suite == "hosts" || len(o.Net) > 0 ||
		os.Getenv(harness.HostBindEnv) != "" || os.Getenv(harness.HostConnectEnv) != ""
}

// catalogue is the suite whose cases an invocation runs: conformance for hosts.
func catalogue(suite string) string {
	if suite == "hosts" {
		return "conformance"
	}
	return suite
}

// netPart is one Ginkgo run of a cross-host invocation.
type netPart struct {
	entry    string // scenario name, "loopback", or "" for the environment's placement
	scenario netsim.Scenario
}

// runAcross runs a suite across hosts: once per --net entry, each in a network of its own
// that this process builds before and removes after (netsim: namespaces, links, the shaper;
// a killed run's leftovers are swept at the next start), or once with the placement the
// environment gives (the user's own hosts). The parts' results are merged into
// out/<cross-host suite>/results.json; each part's log, events and reports stay in
// out/<cross-host suite>/scenarios/<entry>/.
func runAcross(o RunOptions, stdout, stderr io.Writer) int {
	cat := catalogue(o.Suite)
	name := NetSuiteName(cat)
	placed := os.Getenv(harness.HostBindEnv) != "" || os.Getenv(harness.HostConnectEnv) != ""
	if placed && len(o.Net) > 0 {
		fmt.Fprintf(stderr, "%s: --net %s and %s/%s both say where the sides run: give one\n", name, strings.Join(o.Net, ","), harness.HostBindEnv, harness.HostConnectEnv)
		return ExitUnusable
	}
	var parts []netPart
	switch {
	case placed:
		if _, err := harness.PlacementFrom(os.Getenv); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return ExitUnusable
		}
		parts = []netPart{{entry: ""}}
	default:
		nets := o.Net
		if len(nets) == 0 {
			nets = DefaultNets
		}
		seen := map[string]bool{}
		for _, e := range nets {
			e = strings.TrimSpace(e)
			p := netPart{entry: Loopback}
			if e != Loopback {
				s, err := netsim.Lookup(e)
				if err != nil {
					fmt.Fprintf(stderr, "%s: --net %s: %v (scenarios: %s, or loopback)\n", name, e, err, strings.Join(netsim.Names(), ", "))
					return ExitUnusable
				}
				p = netPart{entry: s.Name(), scenario: s}
			}
			if seen[p.entry] {
				fmt.Fprintf(stderr, "%s: --net names %s twice\n", name, p.entry)
				return ExitUnusable
			}
			seen[p.entry] = true
			parts = append(parts, p)
		}
	}
	needNetsim := false
	for _, p := range parts {
		needNetsim = needNetsim || (p.entry != "" && p.entry != Loopback)
	}
	if needNetsim {
		if why := netsim.Available(); why != "" {
			fmt.Fprintf(stderr, "%s: skipped, nothing run: this machine cannot simulate two hosts: %s\n", name, why)
			return ExitUnavailable
		}
		// A run killed before (SIGKILL) left its network behind; its owner is dead, so this
		// removes it (New would too, silently).
		removed, err := netsim.Sweep()
		for _, r := range removed {
			fmt.Fprintf(stdout, "%s: removed network %s, left behind by a run that died\n", name, r)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: sweeping leftovers: %v\n", name, err)
			return ExitUnusable
		}
	}

	// An interrupt ends the current part (runGinkgo passes it to Ginkgo, which still writes
	// what it gathered) and no other starts; the network is removed either way.
	var interrupted atomic.Bool
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		for range sigs {
			interrupted.Store(true)
		}
	}()

	o.Package = firstNonEmpty(o.Package, "./suites/"+cat)
	o.Suite = name
	top := OutDir(name)
	status := ExitGreen
	var done []string
	for _, p := range parts {
		if interrupted.Load() {
			break
		}
		dirName := p.entry
		if dirName == "" {
			dirName = firstNonEmpty(os.Getenv(harness.ScenarioEnv), harness.DefaultScenario)
		}
		stage := filepath.Join(top, "scenarios", dirName)
		if err := os.RemoveAll(stage); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return ExitUnusable
		}
		env := []string{"ZMQSUITE_OUT=" + stage, SuiteNameEnv + "=" + name}
		var prefix []string
		code := func() int {
			switch p.entry {
			case "":
				fmt.Fprintf(stdout, "%s: across the hosts %s and %s name\n", name, harness.HostBindEnv, harness.HostConnectEnv)
			case Loopback:
				fmt.Fprintf(stdout, "%s: loopback (both sides on this machine)\n", name)
				env = append(env, harness.HostBindEnv+"=", harness.HostConnectEnv+"=", harness.ScenarioEnv+"=", harness.NetworkEnv+"=", harness.PathEnv+"=")
			default:
				n, err := netsim.New(netsim.Options{Scenario: p.scenario, NoSignalHandler: true})
				if err != nil {
					fmt.Fprintf(stderr, "%s: scenario %s: %v\n", name, p.entry, err)
					return ExitUnusable
				}
				defer func() {
					if err := n.Close(); err != nil {
						fmt.Fprintf(stderr, "%s: %v\n", name, err)
					}
				}()
				fmt.Fprintf(stdout, "%s: scenario %s (netsim %s backend, network %s): bind side on hostB %s, connect side on hostA %s\n",
					name, p.entry, n.Backend(), n.Run, n.B.Addr, n.A.Addr)
				env = append(env, netsimEnv(n, p.scenario)...)
				// The harness itself runs on the connect side's host, as it does on a person's
				// machine with the bind side behind ssh: what the Ginkgo processes open on
				// their own (the wire cases' raw ZMTP connections) starts where the connect
				// side's peers are, and crosses the router too. (The root namespace has no
				// route into a network, by design.)
				prefix = n.A.Argv()
			}
			return runGinkgo(o, ginkgoRun{dir: stage, env: env, prefix: prefix}, stdout, stderr)
		}()
		status = worse(status, code)
		if code == ExitUnusable {
			break // the same bad input would be refused again
		}
		done = append(done, stage)
	}
	if status == ExitUnusable || len(done) == 0 {
		return ExitUnusable
	}
	if interrupted.Load() && len(done) < len(parts) {
		fmt.Fprintf(stderr, "%s: interrupted after %d of %d parts: the merged results are not written (each part's are in %s)\n", name, len(done), len(parts), filepath.Join(top, "scenarios"))
		return worse(status, ExitRed)
	}
	path := filepath.Join(top, "results.json")
	line, err := mergeParts(cat, name, done, path)
	if err != nil {
		fmt.Fprintf(stderr, "%s: merging the parts: %v\n", name, err)
		return worse(status, ExitRed)
	}
	fmt.Fprintf(stdout, "%s: %s; results in %s\n", name, line, path)
	return status
}

// netsimEnv is the placement of a netsim network for the suite's processes: the bind side on
// host B, the connect side on host A, what the path between them does (so that the harness's
// waits grow with it: harness.PathEnv), and who owns the network (so they end if it dies).
func netsimEnv(n *netsim.Network, s netsim.Scenario) []string {
	host := func(name string, h *netsim.Host) string {
		return fmt.Sprintf("name=%s;addr=%s;prefix=%s", name, h.Addr, strings.Join(h.Argv(), " "))
	}
	return []string{
		harness.HostBindEnv + "=" + host("hostB", n.B),
		harness.HostConnectEnv + "=" + host("hostA", n.A),
		harness.ScenarioEnv + "=" + s.Name(),
		harness.PathEnv + "=" + s.Name(),
		harness.NetworkEnv + "=netsim " + n.Backend(),
		RunnerEnv + "=" + RunnerID(),
		"ZMQSUITE_NETSIM_RUN=" + n.Run,
	}
}

// mergeParts merges the parts' results files into path and returns the tally line.
func mergeParts(cat, name string, stages []string, path string) (string, error) {
	if cat == "bench" {
		var parts []BenchPart
		var txt bytes.Buffer
		for _, st := range stages {
			var b harness.Bench
			f := filepath.Join(st, name, "results.json")
			if err := harness.ReadJSON(f, harness.BenchSchema, &b); err != nil {
				return "", err
			}
			parts = append(parts, BenchPart{Path: f, Res: &b})
			if t, err := os.ReadFile(filepath.Join(st, name, "bench.txt")); err == nil {
				txt.Write(t)
			}
		}
		m, err := MergeBenchScenarios(parts)
		if err != nil {
			return "", err
		}
		if err := harness.WriteJSON(path, m); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(filepath.Dir(path), "bench.txt"), txt.Bytes(), 0o644); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d figures over %s", len(m.Records), strings.Join(m.Selection.Scenarios, ", ")), nil
	}
	var parts []SuitePart
	for _, st := range stages {
		var s harness.SuiteResults
		f := filepath.Join(st, name, "results.json")
		if err := harness.ReadJSON(f, harness.SuiteSchema, &s); err != nil {
			return "", err
		}
		parts = append(parts, SuitePart{Path: f, Res: &s})
	}
	m, err := MergeScenarios(parts)
	if err != nil {
		return "", err
	}
	if err := harness.WriteJSON(path, m); err != nil {
		return "", err
	}
	return "merged " + strings.Join(m.Selection.Scenarios, ", ") + ": " + Tally(m.Records), nil
}

// worse is the exit status that says more: unusable over red over green.
func worse(a, b int) int {
	rank := map[int]int{ExitGreen: 0, ExitRed: 1, ExitUnavailable: 2, ExitUnusable: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// countCells prints how many cells (or figures) the filter and shard select, running the
// suite's test binary in counting mode: no peer is started, every implementation asked for
// counts. Across hosts, every entry of --net counts its cells.
func countCells(o RunOptions, stdout, stderr io.Writer) int {
	cat := catalogue(o.Suite)
	pkg := firstNonEmpty(o.Package, "./suites/"+cat)
	events, err := os.CreateTemp("", "zmqsuite-count-*.jsonl")
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", o.Suite, err)
		return ExitUnusable
	}
	events.Close()
	defer os.Remove(events.Name())
	goCmd := firstNonEmpty(os.Getenv("GO"), "go")
	args := []string{"test", "-count=1", "-run", "^Test", pkg, "-args", "-ginkgo.label-filter=" + o.Filter}
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = harness.RepoRoot()
	cmd.Env = append(os.Environ(), CountEnv+"=1", EventsEnv+"="+events.Name(), "ZMQSUITE_SHARD="+o.Shard,
		harness.HostBindEnv+"=", harness.HostConnectEnv+"=", harness.ScenarioEnv+"=", harness.PathEnv+"=")
	if os.Getenv("ZMQSUITE_ZMQPEER") == "" {
		// Counting starts no peer: do not build one.
		cmd.Env = append(cmd.Env, "ZMQSUITE_ZMQPEER="+os.DevNull)
	}
	out, runErr := cmd.CombinedOutput()
	n, found := -1, false
	for _, e := range (&eventTail{path: events.Name()}).read() {
		switch e.Kind {
		case "fatal":
			fmt.Fprintf(stderr, "%s: %s\n", o.Suite, e.Line)
			return ExitUnusable
		case "count":
			n, found = e.Total, true
		}
	}
	if !found {
		fmt.Fprintf(stderr, "%s: counting failed (%v):\n%s", o.Suite, runErr, lastBytes(out, 2000))
		return ExitUnusable
	}
	if acrossHosts(o) && os.Getenv(harness.HostBindEnv) == "" {
		nets := o.Net
		if len(nets) == 0 {
			nets = DefaultNets
		}
		n *= len(nets)
	}
	fmt.Fprintln(stdout, n)
	return ExitGreen
}

func lastBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
