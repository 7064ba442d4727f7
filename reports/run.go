package reports

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
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
	Conformance, Bench, OutDir string
}

// RunReport renders the inputs into in.OutDir and prints the path of index.html. A missing
// input is reported and skipped; both missing, or an unreadable one, is unusable input.
func RunReport(in ReportInput, stdout, stderr io.Writer) int {
	c, cerr := LoadConformance(in.Conformance)
	b, berr := LoadBench(in.Bench)
	var skipped []string
	for _, err := range []error{cerr, berr} {
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrNotExist):
			skipped = append(skipped, oneLine(err.Error()))
		default:
			fmt.Fprintf(stderr, "zmqsuite report: %s; give the results.json a suite run wrote\n", oneLine(err.Error()))
			return ExitUnusable
		}
	}
	if c == nil && b == nil {
		fmt.Fprintf(stderr, "zmqsuite report: nothing to report: neither %s nor %s exists; run the suites first or pass --conformance/--bench\n",
			in.Conformance, in.Bench)
		return ExitUnusable
	}
	for _, s := range skipped {
		fmt.Fprintf(stderr, "zmqsuite report: skipping %s\n", s)
	}
	files, err := Write(in.OutDir, Merge(c, b))
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
	d, err := Compare(baseline, current, in.Threshold)
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
