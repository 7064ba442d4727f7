package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/matrix"
)

func init() {
	verbs["suite"] = verb{
		summary: "run a suite (conformance, bench, …): one line per non-pass cell, progress, tally",
		run:     runSuite,
	}
}

// suiteDefaults are each suite's Ginkgo settings: cell suites run in parallel processes
// (cells mostly wait); benchmarks run alone, one measurement at a time.
var suiteDefaults = map[string]struct {
	procs   int
	timeout time.Duration
}{
	"conformance": {8, 40 * time.Minute},
	"wire":        {8, 40 * time.Minute},
	"faults":      {4, 60 * time.Minute},
	"hosts":       {4, 60 * time.Minute},
	"bench":       {1, 3 * time.Hour},
}

func runSuite(args []string) int {
	fs := flag.NewFlagSet("zmqsuite suite", flag.ContinueOnError)
	filter := fs.String("filter", "", "Ginkgo label `filter`: 'transport:ipc && bind:pyzmq'")
	procs := fs.Int("procs", 0, "parallel Ginkgo `processes` (default: the suite's)")
	shard := fs.String("shard", "", "run one deterministic shard `i/n` of the matrix")
	timeout := fs.Duration("timeout", 0, "the suite's time bound (default: the suite's)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: zmqsuite suite NAME [--filter F] [--procs N] [--shard i/n] [--timeout D] [-- ginkgo flags]")
		fmt.Fprintln(fs.Output(), "exit status: 0 green, 1 red, 2 bad input (nothing run)")
		fs.PrintDefaults()
	}
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		fs.Usage()
		return matrix.ExitUnusable
	}
	name := args[0]
	def, ok := suiteDefaults[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "zmqsuite suite: unknown suite %q (want conformance, bench, wire, faults or hosts)\n", name)
		return matrix.ExitUnusable
	}
	if _, err := os.Stat("suites/" + name); err != nil && os.Getenv("ZMQSUITE_ROOT") == "" {
		fmt.Fprintf(os.Stderr, "zmqsuite suite: run it from the repository root (no suites/%s here)\n", name)
		return matrix.ExitUnusable
	}
	if err := fs.Parse(args[1:]); err != nil {
		return matrix.ExitUnusable
	}
	o := matrix.RunOptions{Suite: name, Filter: *filter, Procs: def.procs, Shard: *shard, Timeout: def.timeout, Extra: fs.Args()}
	if *procs > 0 {
		o.Procs = *procs
	}
	if *timeout > 0 {
		o.Timeout = *timeout
	}
	return matrix.RunSuite(o, os.Stdout, os.Stderr)
}
