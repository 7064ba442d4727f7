package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

func init() {
	verbs["suite"] = verb{
		summary: "run a suite (conformance, bench, …): one line per non-pass cell, progress, tally",
		run:     runSuite,
	}
}

// suiteDefaults are each suite's Ginkgo settings: cell suites run in parallel processes
// (cells mostly wait); benchmarks run alone, one measurement at a time. faults' cells wait
// the longest (reconnect intervals, stalled links, restarted peers: 254 CPU-s in a 6 min 38 s
// run alone), and beside the conformance matrix its 4 processes were make suites' long
// pole: 2,407 s of cells, 10 min 15 s of wall, with conformance and wire done after 8 min.
var suiteDefaults = map[string]struct {
	procs   int
	timeout time.Duration
}{
	"conformance": {8, 40 * time.Minute},
	"wire":        {8, 40 * time.Minute},
	"faults":      {6, 60 * time.Minute},
	"hosts":       {4, 60 * time.Minute}, // per scenario
	"bench-hosts": {1, 3 * time.Hour},
	"bench":       {1, 3 * time.Hour},
}

func runSuite(args []string) int {
	fs := flag.NewFlagSet("zmqsuite suite", flag.ContinueOnError)
	filter := fs.String("filter", "", "Ginkgo label `filter`: 'transport:ipc && bind:pyzmq'")
	procs := fs.Int("procs", 0, "parallel Ginkgo `processes` (default: the suite's)")
	shard := fs.String("shard", "", "run one deterministic shard `i/n` of the matrix")
	timeout := fs.Duration("timeout", 0, "the suite's time bound (default: the suite's; across hosts, per scenario)")
	net := fs.String("net", "", "run across two simulated hosts, once per `scenario` in this comma list ("+
		strings.Join(netsim.Names(), ", ")+", or loopback); suite hosts defaults to "+strings.Join(matrix.DefaultNets, ","))
	count := fs.Bool("count", false, "print how many cells the filter and shard select (no peer starts) and run nothing")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: zmqsuite suite NAME [--filter F] [--procs N] [--shard i/n] [--net S1,S2] [--count] [--timeout D] [-- ginkgo flags]")
		fmt.Fprintln(fs.Output(), "NAME: conformance, bench, wire, faults, or hosts (conformance across hosts)")
		fmt.Fprintln(fs.Output(), "exit status: 0 green, 1 red, 2 bad input (nothing run), 3 across hosts on a machine that cannot simulate them (nothing run)")
		fs.PrintDefaults()
	}
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		fs.Usage()
		return matrix.ExitUnusable
	}
	name := args[0]
	if _, ok := suiteDefaults[name]; !ok || name == "bench-hosts" {
		fmt.Fprintf(os.Stderr, "zmqsuite suite: unknown suite %q (want conformance, bench, wire, faults or hosts)\n", name)
		return matrix.ExitUnusable
	}
	cat := name
	if name == "hosts" {
		cat = "conformance" // the conformance catalogue, across hosts
	}
	if _, err := os.Stat("suites/" + cat); err != nil && os.Getenv("ZMQSUITE_ROOT") == "" {
		fmt.Fprintf(os.Stderr, "zmqsuite suite: run it from the repository root (no suites/%s here)\n", cat)
		return matrix.ExitUnusable
	}
	if err := fs.Parse(args[1:]); err != nil {
		return matrix.ExitUnusable
	}
	var nets []string
	for _, n := range strings.Split(*net, ",") {
		if n = strings.TrimSpace(n); n != "" {
			nets = append(nets, n)
		}
	}
	// Across hosts, a suite's records are its cross-host twin's (conformance: hosts), with
	// that one's settings.
	def := suiteDefaults[name]
	if len(nets) > 0 || name == "hosts" || os.Getenv(harness.HostBindEnv) != "" || os.Getenv(harness.HostConnectEnv) != "" {
		if d, ok := suiteDefaults[matrix.NetSuiteName(cat)]; ok {
			def = d
		}
	}
	o := matrix.RunOptions{Suite: name, Filter: *filter, Procs: def.procs, Shard: *shard, Timeout: def.timeout, Extra: fs.Args(),
		Net: nets, Count: *count}
	if *procs > 0 {
		o.Procs = *procs
	}
	longer, err := runLength(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "zmqsuite suite: "+err.Error())
		return matrix.ExitUnusable
	}
	o.Timeout += longer
	if *timeout > 0 {
		o.Timeout = *timeout
	}
	return matrix.RunSuite(o, os.Stdout, os.Stderr)
}

// runLengths are the variables that make a suite's cells run for a given time (make soak, make
// fuzz), by suite: a malformed one is refused here, before anything runs, and a long one
// lengthens the suite's default bound by itself per implementation (each of those cells is
// per implementation; two load cases per implementation in a soak).
var runLengths = map[string]struct {
	env   string
	cells int // cells per implementation that run for the length
}{
	"faults": {"ZMQSUITE_SOAK_DURATION", 2},
	"wire":   {"ZMQSUITE_FUZZ_DURATION", 1},
}

// runLength checks the suite's run-length variable and returns how much longer its bound is.
func runLength(suite string) (time.Duration, error) {
	rl, ok := runLengths[suite]
	v := os.Getenv(rl.env)
	if !ok || v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q: want a Go duration such as 30m or 1h", rl.env, v)
	}
	reg, err := harness.DefaultRegistry()
	if err != nil {
		return 0, err
	}
	return d * time.Duration(rl.cells*len(reg.Names())), nil
}
