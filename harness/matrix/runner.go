package matrix

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
)

// RunOptions is one invocation of a suite by `zmqsuite suite` (what make runs).
type RunOptions struct {
	Suite   string        // conformance, bench, wire, faults, hosts
	Filter  string        // Ginkgo label filter
	Procs   int           // parallel Ginkgo processes (1 = serial)
	Shard   string        // "i/n"
	Timeout time.Duration // Ginkgo's suite timeout
	Extra   []string      // more Ginkgo flags
	// Package is the suite's Go package, relative to the repository root (default
	// ./suites/<Suite>).
	Package string
	// Progress is how often the progress line is printed.
	Progress time.Duration
	// Net runs the suite across two simulated hosts (netsim), one Ginkgo run per entry in a
	// network of its own: a scenario name ("20ms-1%", see netsim.Names) or "loopback" (both
	// sides on this machine, for figures beside the others). The records carry the suite's
	// cross-host name (NetSuiteName: hosts for conformance), the runs are merged into one
	// results file. Suite "hosts" is conformance across DefaultNets when Net is empty.
	Net []string
	// Count prints how many cells the filter and shard select, and runs nothing.
	Count bool
}

// Exit statuses of RunSuite.
const (
	ExitGreen    = 0
	ExitRed      = 1 // some cell is red, or the suite failed
	ExitUnusable = 2 // bad input: nothing (more) was run; the line above says what to fix
	// ExitUnavailable: this machine cannot build the simulated network (no root, no
	// iproute2, a kernel with neither netem nor TUN); nothing was run, the line says why.
	ExitUnavailable = 3
)

// RunSuite runs a suite's Ginkgo processes with their output in out/<suite>/ginkgo.log, and
// prints what a person needs instead: the run's header, one line per non-pass cell, a progress
// line, the closing tally and where the results are — or the one line that says why nothing
// ran.
func RunSuite(o RunOptions, stdout, stderr io.Writer) int {
	if _, err := ParseShard(o.Shard); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", o.Suite, err)
		return ExitUnusable
	}
	if o.Count {
		return countCells(o, stdout, stderr)
	}
	if acrossHosts(o) {
		return runAcross(o, stdout, stderr)
	}
	return runGinkgo(o, ginkgoRun{dir: OutDir(o.Suite)}, stdout, stderr)
}

// ginkgoRun is where one run of a suite's Ginkgo processes happens: dir holds their output,
// events and reports, env is added to their environment, and prefix runs them elsewhere (in
// the connect side's host, across netsim's).
type ginkgoRun struct {
	dir    string
	env    []string
	prefix []string
}

// runGinkgo runs the suite's Ginkgo processes once.
func runGinkgo(o RunOptions, g ginkgoRun, stdout, stderr io.Writer) int {
	dir := g.dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", o.Suite, err)
		return ExitUnusable
	}
	events := filepath.Join(dir, "events.jsonl")
	logPath := filepath.Join(dir, "ginkgo.log")
	if err := os.WriteFile(events, nil, 0o644); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", o.Suite, err)
		return ExitUnusable
	}
	logf, err := os.Create(logPath)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", o.Suite, err)
		return ExitUnusable
	}
	defer logf.Close()

	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	args := []string{"tool", "ginkgo"}
	if o.Procs > 1 {
		args = append(args, "-p", fmt.Sprintf("--procs=%d", o.Procs))
	}
	args = append(args, "--keep-going", fmt.Sprintf("--timeout=%s", o.Timeout), "--poll-progress-after=60s",
		"--output-dir="+dir, "--json-report=ginkgo.json", "--junit-report=junit.xml")
	if o.Filter != "" {
		args = append(args, "--label-filter="+o.Filter)
	}
	args = append(args, o.Extra...)
	pkg := o.Package
	if pkg == "" {
		pkg = "./suites/" + o.Suite
	}
	args = append(args, pkg)
	argv := append(append([]string(nil), g.prefix...), append([]string{goCmd}, args...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = harness.RepoRoot()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(append(os.Environ(), EventsEnv+"="+events, "ZMQSUITE_SHARD="+o.Shard), g.env...)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "%s: cannot run %s %s: %v\n", o.Suite, goCmd, strings.Join(args, " "), err)
		return ExitUnusable
	}
	// An interrupt goes to Ginkgo, which ends the specs and still writes what was gathered.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	t := newTerminal(o.Suite, stdout, stderr, start)
	tail := &eventTail{path: events}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	every := o.Progress
	if every <= 0 {
		every = 10 * time.Second
	}
	lastProgress := time.Now()
	var runErr error
loop:
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case runErr = <-exited:
			break loop
		case <-tick.C:
			for _, e := range tail.read() {
				t.event(e)
			}
			if time.Since(lastProgress) >= every {
				t.progress()
				lastProgress = time.Now()
			}
		}
	}
	for _, e := range tail.read() {
		t.event(e)
	}
	return t.finish(runErr, logPath)
}

// eventTail reads the events file as it grows, a whole line at a time.
type eventTail struct {
	path    string
	offset  int64
	partial []byte
}

func (t *eventTail) read() []Event {
	f, err := os.Open(t.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(t.offset, io.SeekStart); err != nil {
		return nil
	}
	b, _ := io.ReadAll(f)
	t.offset += int64(len(b))
	b = append(t.partial, b...)
	var out []Event
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		var e Event
		if json.Unmarshal(b[:i], &e) == nil {
			out = append(out, e)
		}
		b = b[i+1:]
	}
	t.partial = append([]byte(nil), b...)
	return out
}

// terminal keeps what the person at the terminal has been told.
type terminal struct {
	suite          string
	out, err       io.Writer
	start          time.Time
	total, done    int
	red            int
	told           map[string]bool
	fatal          []string
	doneLine, path string
}

func newTerminal(suite string, out, err io.Writer, start time.Time) *terminal {
	return &terminal{suite: suite, out: out, err: err, start: start, told: map[string]bool{}}
}

// once prints a line the first time any process sends it (every parallel process sends the
// same plan, notes and set-up errors).
func (t *terminal) once(w io.Writer, line string) {
	if t.told[line] {
		return
	}
	t.told[line] = true
	fmt.Fprintln(w, line)
}

func (t *terminal) event(e Event) {
	switch e.Kind {
	case "plan":
		if t.total == 0 {
			t.total = e.Total
		}
		t.once(t.out, t.suite+": "+e.Line)
	case "note":
		t.once(t.out, t.suite+": "+e.Line)
	case "fatal":
		if !t.told[e.Line] {
			t.fatal = append(t.fatal, e.Line)
		}
		t.once(t.err, t.suite+": "+e.Line)
	case "cell":
		if e.ID != "" {
			t.done++
		}
		if e.Outcome.Red() {
			t.red++
		}
		if e.Outcome != harness.Pass {
			fmt.Fprintln(t.out, e.Line)
		}
	case "figure":
		t.done++
		if e.Outcome.Red() {
			t.red++
		}
		fmt.Fprintln(t.out, e.Line)
	case "done":
		t.doneLine, t.path = e.Line, e.Path
	}
}

func (t *terminal) progress() {
	if t.total == 0 || t.done >= t.total {
		return
	}
	fmt.Fprintf(t.out, "%s: cells %d/%d, %d red, %s\n", t.suite, t.done, t.total, t.red, time.Since(t.start).Round(time.Second))
}

// finish prints the closing lines and decides the exit status.
func (t *terminal) finish(runErr error, logPath string) int {
	took := time.Since(t.start).Round(time.Second)
	switch {
	case len(t.fatal) > 0:
		fmt.Fprintf(t.err, "%s: nothing run (%s)\n", t.suite, took)
		return ExitUnusable
	case t.doneLine != "":
		fmt.Fprintf(t.out, "%s: %s (%s)\n", t.suite, t.doneLine, took)
	}
	if runErr == nil {
		return ExitGreen
	}
	if t.doneLine == "" || t.red == 0 {
		// Ginkgo failed without a red cell to show for it: say so and show its last words.
		fmt.Fprintf(t.err, "%s: the suite failed (%v); the end of %s:\n", t.suite, runErr, logPath)
		for _, l := range lastLines(logPath, 15) {
			fmt.Fprintln(t.err, "  "+l)
		}
	}
	return ExitRed
}

func lastLines(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		if l := strings.TrimSpace(s.Text()); l != "" {
			lines = append(lines, stripANSI(l))
		}
		if len(lines) > 4*n {
			lines = lines[len(lines)-n:]
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// stripANSI removes terminal colour codes Ginkgo writes to its log.
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < '@' || s[j] > '~') {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
