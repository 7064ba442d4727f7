package reports

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
)

// The verbs' behaviour lives here rather than in cmd/zmqsuite, so that the exit statuses
// CI depends on are tested with the rest of the package.

// Exit statuses of the report and gate verbs.
const (
	ExitOK       = 0
	ExitFail     = 1 // the gate found a new failure or a regression
	ExitUnusable = 2 // an input is missing or unreadable: fix the invocation, not the code
)

// ReportInput names the result files to render and where.
type ReportInput struct {
	Suites []string // cell suites' results.json (conformance, wire, faults, hosts)
	// Found are suites' results.json files taken if they exist, without a word if they do not
	// (a suite that was not run).
	Found []string
	Bench string
	// BenchHosts is the cross-host benchmark run's results.json, taken if it exists.
	BenchHosts string
	OutDir     string
}

// RunReport renders the inputs into in.OutDir and prints the path of index.html. A missing
// input is reported and skipped; all missing, or an unreadable one, is unusable input.
func RunReport(in ReportInput, stdout, stderr io.Writer) int {
	var (
		suites  []*harness.SuiteResults
		skipped []string
	)
	usable := func(err error) bool {
		switch {
		case err == nil:
			return true
		case errors.Is(err, fs.ErrNotExist):
			skipped = append(skipped, oneLine(err.Error()))
			return true
		}
		fmt.Fprintf(stderr, "zmqsuite report: %s; give the results.json a suite run wrote\n", oneLine(err.Error()))
		return false
	}
	for _, p := range in.Suites {
		s, err := LoadSuite(p)
		if !usable(err) {
			return ExitUnusable
		}
		if s != nil {
			suites = append(suites, s)
		}
	}
	for _, p := range in.Found {
		s, err := LoadSuite(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if !usable(err) {
			return ExitUnusable
		}
		suites = append(suites, s)
	}
	b, berr := LoadBench(in.Bench)
	if !usable(berr) {
		return ExitUnusable
	}
	// Taken if it exists, as Found are: a cross-host run is not part of every run.
	bh, err := LoadBench(in.BenchHosts)
	if !errors.Is(err, fs.ErrNotExist) && !usable(err) {
		return ExitUnusable
	}
	if len(suites) == 0 && b == nil && bh == nil {
		tried := append(append(append([]string(nil), in.Suites...), in.Found...), in.Bench)
		if in.BenchHosts != "" {
			tried = append(tried, in.BenchHosts)
		}
		fmt.Fprintf(stderr, "zmqsuite report: nothing to report: none of %s exists; run the suites first\n", strings.Join(tried, ", "))
		return ExitUnusable
	}
	for _, s := range skipped {
		fmt.Fprintf(stderr, "zmqsuite report: skipping %s\n", s)
	}
	files, err := Write(in.OutDir, MergeWithHosts(suites, b, bh))
	if err != nil {
		fmt.Fprintf(stderr, "zmqsuite report: %s\n", oneLine(err.Error()))
		return ExitUnusable
	}
	fmt.Fprintln(stdout, files.HTML)
	return ExitOK
}

// GateInput names the runs the gate compares.
type GateInput struct {
	Baseline    string // a baseline results.json, or
	BaselineDir string // a directory of <goos>-<goarch>.json, picked by the current run's platform
	Current     string
	Threshold   float64
	// Impls are the implementations under test (--impl): their cells and figures must not
	// vanish. Empty: every implementation is under test.
	Impls []string
}

// RunGate compares the current run with its baseline, prints the diff and returns the exit
// status: 0 pass, 1 fail, 2 unusable input (one line on stderr naming the file and the fix).
func RunGate(in GateInput, stdout, stderr io.Writer) int {
	unusable := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "zmqsuite gate: %s\n", oneLine(fmt.Sprintf(format, args...)))
		return ExitUnusable
	}
	current, err := LoadResults(in.Current)
	if err != nil {
		return unusable("%v; %s", err, fixFor(err, "--current"))
	}
	path := in.Baseline
	if path == "" {
		goos, goarch := current.Env.OS, current.Env.Arch
		if goos == "" || goarch == "" {
			goos, goarch = runtime.GOOS, runtime.GOARCH
		}
		if path, err = SelectBaseline(in.BaselineDir, goos, goarch); err != nil {
			return unusable("%v", err)
		}
	}
	baseline, err := LoadResults(path)
	if err != nil {
		return unusable("%v; %s", err, fixFor(err, "--baseline"))
	}
	d, err := Compare(baseline, current, in.Threshold, in.Impls...)
	if err != nil {
		return unusable("%s: %v", path, err)
	}
	fmt.Fprintf(stdout, "baseline %s, current %s\n", path, in.Current)
	if err := d.WriteText(stdout); err != nil {
		return unusable("writing the diff: %v", err)
	}
	if d.Failed() {
		return ExitFail
	}
	return ExitOK
}

// fixFor says what to do about a results file that could not be read.
func fixFor(err error, flag string) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "pass " + flag + " the results.json `zmqsuite report` wrote"
	}
	return "give the merged results.json that `zmqsuite report` writes"
}

// CellSuites are the suites whose results are cells, in report order.
var CellSuites = []string{"conformance", "wire", "faults", "hosts"}

// SuiteFiles lists <dir>/<suite>/results.json for every cell suite, conformance first.
func SuiteFiles(dir string) []string {
	var out []string
	for _, s := range CellSuites {
		out = append(out, filepath.Join(dir, s, "results.json"))
	}
	return out
}
