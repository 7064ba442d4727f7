package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zmqsuite/zmqsuite/reports"
)

func init() {
	verbs["report"] = verb{
		summary: "render results as index.html, report.md and results.json",
		run:     runReport,
	}
}

func runReport(args []string) int {
	fs := flag.NewFlagSet("zmqsuite report", flag.ContinueOnError)
	var in reports.ReportInput
	results := fs.String("results", "out", "`dir`ectory holding each suite's <suite>/results.json")
	conformance := fs.String("conformance", "", "conformance results `file` (default <results>/conformance/results.json)")
	fs.StringVar(&in.Bench, "bench", "", "benchmark results `file` (default <results>/bench/results.json)")
	fs.StringVar(&in.BenchHosts, "bench-hosts", "", "cross-host benchmark results `file`, shown if it exists (default <results>/bench-hosts/results.json)")
	fs.StringVar(&in.OutDir, "out", "out/report", "output `dir`ectory")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: zmqsuite report [--results DIR] [--conformance FILE] [--bench FILE] [--bench-hosts FILE] [--out DIR]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return reports.ExitUnusable
	}
	files := reports.SuiteFiles(*results)
	// The conformance run is expected (its absence is said); the other suites are reported
	// when they were run.
	in.Suites, in.Found = files[:1], files[1:]
	if *conformance != "" {
		in.Suites[0] = *conformance
	}
	if in.Bench == "" {
		in.Bench = filepath.Join(*results, "bench", "results.json")
	}
	if in.BenchHosts == "" {
		in.BenchHosts = filepath.Join(*results, "bench-hosts", "results.json")
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "zmqsuite report: unexpected argument %q\n", fs.Arg(0))
		return reports.ExitUnusable
	}
	return reports.RunReport(in, os.Stdout, os.Stderr)
}
