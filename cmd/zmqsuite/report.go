package main

import (
	"flag"
	"fmt"
	"os"

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
	fs.StringVar(&in.Conformance, "conformance", "out/conformance/results.json", "conformance results `file`")
	fs.StringVar(&in.Bench, "bench", "out/bench/results.json", "benchmark results `file`")
	fs.StringVar(&in.OutDir, "out", "out/report", "output `dir`ectory")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: zmqsuite report [--conformance FILE] [--bench FILE] [--out DIR]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return reports.ExitUnusable
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "zmqsuite report: unexpected argument %q\n", fs.Arg(0))
		return reports.ExitUnusable
	}
	return reports.RunReport(in, os.Stdout, os.Stderr)
}
