package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/zmqsuite/zmqsuite/reports"
)

func init() {
	verbs["gate"] = verb{
		summary: "compare results with a baseline: exit 1 on new failures or regressions",
		run:     runGate,
	}
}

func runGate(args []string) int {
	fs := flag.NewFlagSet("zmqsuite gate", flag.ContinueOnError)
	var in reports.GateInput
	fs.StringVar(&in.Baseline, "baseline", "", "baseline results `file`")
	fs.StringVar(&in.BaselineDir, "baseline-dir", "", "`dir`ectory of <goos>-<goarch>.json baselines, picked by the current run's platform")
	fs.StringVar(&in.Current, "current", "out/report/results.json", "current results `file` (written by zmqsuite report)")
	threshold := fs.String("threshold", "10%", "smallest change of a benchmark series' median that fails the gate (10% or 0.1)")
	impls := fs.String("impl", "", "comma-separated `implementations` under test: their cells and figures must all be in the current run (default: every implementation)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: zmqsuite gate (--baseline FILE | --baseline-dir DIR) [--current FILE] [--impl NAME] [--threshold 10%]")
		fmt.Fprintln(fs.Output(), "exit status: 0 pass, 1 new failure or regression, 2 unusable input")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return reports.ExitUnusable
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "zmqsuite gate: "+format+"\n", a...)
		return reports.ExitUnusable
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	if (in.Baseline == "") == (in.BaselineDir == "") {
		return fail("give exactly one of --baseline FILE and --baseline-dir DIR")
	}
	t, err := reports.ParseThreshold(*threshold)
	if err != nil {
		return fail("%v", err)
	}
	in.Threshold = t
	for _, n := range strings.Split(*impls, ",") {
		if n = strings.TrimSpace(n); n != "" {
			in.Impls = append(in.Impls, n)
		}
	}
	return reports.RunGate(in, os.Stdout, os.Stderr)
}
