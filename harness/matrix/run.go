package matrix

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/netsim"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// Run is one suite's run in this process: what discovery found, the expectations, and the
// cells the filter and shard selected.
type Run struct {
	Suite        *Suite
	Found        *Found
	Expectations *scenarios.Expectations
	Filter       string
	Shard        Shard
	Cells        []*CellSpec
	// Pairings decides the pairs each case runs over (default AllPairs).
	Pairings Pairings
	// Pseudo names implementations a suite adds beside the real ones (the wire suite's own
	// ZMTP peer), for expectations checks.
	Pseudo []string
	// Tap sends tcp cells through the decoding relay (harness/tap.go) so that a failing cell
	// carries its transcripts; ZMQSUITE_TAP=0 turns it off, a case opts out with NoTap.
	Tap bool
	// Hosts is where the sides run when they are on different hosts (ZMQSUITE_HOST_BIND and
	// ZMQSUITE_HOST_CONNECT, which `zmqsuite suite --net` sets for netsim's); nil on loopback.
	Hosts *harness.Placement
	// Probe checks the claim of an interop entry (case "*") in this suite's own terms; nil
	// is the PAIR probe between two real peers (interop.go). The wire suite's pairings have
	// its ZMTP peer on one side, which no PAIR can live in.
	Probe *Probe

	pool      *harness.Pool
	versions  map[string]string
	all       []*CellSpec
	total     int    // cells the filter selects before sharding
	expSuite  string // the catalogue the expectations entries name (conformance, for hosts)
	expDigest string
}

// SuiteNameEnv names the suite a run's records and results carry when it is not the
// catalogue's own: `zmqsuite suite --net` runs the conformance catalogue as suite hosts
// (out/hosts/results.json, records "suite": "hosts"), whose cells the conformance
// expectations still judge.
const SuiteNameEnv = "ZMQSUITE_SUITE_NAME"

// CountEnv makes a run count the cells its filter and shard select (one "count" event) and
// run nothing, without starting any peer: the cells as they would be if every implementation
// asked for answered. CI sizes its shards with it.
const CountEnv = "ZMQSUITE_COUNT"

// NetSuiteName is the suite a catalogue's cells belong to across hosts: hosts for
// conformance, <suite>-hosts for the others (bench-hosts).
func NetSuiteName(suite string) string {
	if suite == "conformance" {
		return "hosts"
	}
	return suite + "-hosts"
}

// Setting up a run can fail on bad input: each such error is one line naming what to fix.

// NewRun discovers the implementations, loads and checks the expectations, and selects the
// cells. It runs before RunSpecs, identically in every parallel process, since Ginkgo builds
// the same tree in each.
func NewRun(s *Suite, opts ...func(*Run)) (*Run, error) {
	r := &Run{Suite: s, Pairings: AllPairs, pool: harness.Shared(), Tap: os.Getenv("ZMQSUITE_TAP") != "0"}
	for _, o := range opts {
		o(r)
	}
	var err error
	if r.Shard, err = shardFromEnv(); err != nil {
		return nil, err
	}
	if r.Hosts, err = harness.CurrentPlacement(); err != nil {
		return nil, err
	}
	if harness.PathErr != "" {
		return nil, errors.New(harness.PathErr) // never a path run with loopback's waits
	}
	r.expSuite = s.Name
	name := os.Getenv(SuiteNameEnv)
	if name == "" && r.Hosts != nil {
		name = NetSuiteName(s.Name)
	}
	if name != "" && name != s.Name {
		renamed := *s
		renamed.Name = name
		r.Suite = &renamed
	}
	if Counting() {
		r.Found, err = RegistryImpls()
	} else {
		r.Found, err = DiscoverImpls()
	}
	if err != nil {
		return nil, err
	}
	for _, p := range r.Pseudo {
		pseudo[p] = true
	}
	if r.Expectations, err = LoadExpectations(r.expSuite, s.Known, append(r.Found.Registry, r.Pseudo...)); err != nil {
		return nil, err
	}
	if r.expDigest, err = ExpectationsDigest(); err != nil {
		return nil, err
	}
	r.versions = r.Found.Versions()
	for _, d := range s.Cases() {
		for _, tr := range d.transports() {
			for _, p := range r.Pairings(d, tr, r.Found.Impls) {
				c := &CellSpec{Def: d, Transport: tr, Bind: p[0], Connect: p[1], Hosts: r.Hosts}
				if r.Hosts != nil {
					c.Scenario = r.Hosts.Scenario
				}
				r.all = append(r.all, c)
			}
		}
	}
	r.Filter = labelFilter()
	whole, err := Select(r.all, r.Filter, Shard{})
	if err != nil {
		return nil, err
	}
	r.total = len(whole)
	if r.Cells, err = Select(r.all, r.Filter, r.Shard); err != nil {
		return nil, err
	}
	if len(r.Cells) == 0 && !Counting() {
		return nil, NothingSelected(r.Suite.Name, r.Filter, r.Shard, r.all)
	}
	watchRunner()
	return r, nil
}

// Counting reports whether this process only counts cells (ZMQSUITE_COUNT).
func Counting() bool { v := os.Getenv(CountEnv); return v != "" && v != "0" }

// RegistryImpls is what a counting run takes for discovery (DiscoverImpls' arguments): every
// implementation asked for, as the registry names them, none started.
func RegistryImpls(extra ...string) (*Found, error) {
	reg, impls, err := askedFor(extra)
	if err != nil {
		return nil, err
	}
	f := &Found{Impls: impls, Hellos: map[string]*peer.Hello{}, Registry: reg.Names()}
	for _, im := range impls {
		// What a bench-capable peer would say, so that counting sees every figure.
		f.Hellos[im.Name] = &peer.Hello{Name: im.Name, Caps: peer.Caps{Bench: true}}
	}
	return f, nil
}

// ExpectationsDigest is a digest of the expectations files a run judges with (the files
// LoadExpectations reads, by name relative to the repository and content), so that shards
// judged with different entries are told apart.
func ExpectationsDigest() (string, error) {
	paths := filepath.SplitList(os.Getenv("ZMQSUITE_EXPECTATIONS"))
	if len(paths) == 0 {
		paths = scenarios.DefaultExpectationFiles(harness.RepoRoot())
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("expectations: %w", err)
		}
		name := p
		if rel, err := filepath.Rel(harness.RepoRoot(), p); err == nil && !strings.HasPrefix(rel, "..") {
			name = filepath.ToSlash(rel)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// catalogue is the suite the expectations entries name for this run's cells: the run's own,
// or the catalogue it runs across hosts (conformance, for hosts).
func (r *Run) catalogue() string {
	if r.expSuite != "" {
		return r.expSuite
	}
	return r.Suite.Name
}

// selection is what the run was asked to measure, for its results.
func (r *Run) selection() harness.Selection {
	s := harness.Selection{Filter: r.Filter, Shard: r.Shard.String(), Cells: len(r.Cells), Total: r.total,
		Expectations: r.expDigest, Absent: r.Found.AbsentNotes()}
	if r.Hosts != nil {
		s.Scenarios, s.Network, s.Hosts = []string{r.Hosts.Scenario}, r.Hosts.Network, r.Hosts.Addresses()
	}
	return s
}

// Main is a cell suite's TestXxx: set up the run (a bad input ends it here, in one line, with
// nothing run and no results written), declare one table per case and the suite's own
// nodes, and run the specs.
func Main(t *testing.T, s *Suite, opts ...func(*Run)) {
	gomega.RegisterFailHandler(ginkgo.Fail)
	defer harness.RemoveIPCDir()
	r, err := NewRun(s, opts...)
	if err != nil {
		Fatal(t, s.Name, err)
		return
	}
	if Counting() {
		Emit(Event{Kind: "count", Suite: r.Suite.Name, Total: len(r.Cells), Line: r.header()})
		return
	}
	r.declare()
	ginkgo.RunSpecs(t, "zmqsuite "+s.Name)
}

// Fatal reports a set-up error as one event line (or one stderr line) and fails the test.
func Fatal(t *testing.T, suite string, err error) {
	for _, l := range strings.Split(err.Error(), "\n") {
		Emit(Event{Kind: "fatal", Suite: suite, Line: l})
	}
	t.Fail()
}

// declare builds the tree: one DescribeTable per case with an entry per selected cell, and
// the suite nodes that end the peers and write the results.
func (r *Run) declare() {
	Emit(Event{Kind: "plan", Suite: r.Suite.Name, Total: len(r.Cells), Line: r.header()})
	for _, n := range r.Found.AbsentNotes() {
		Emit(Event{Kind: "note", Suite: r.Suite.Name, Line: n})
	}
	byCase := map[*Def][]ginkgo.TableEntry{}
	var order []*Def
	for _, c := range r.Cells {
		if _, ok := byCase[c.Def]; !ok {
			order = append(order, c.Def)
		}
		name := fmt.Sprintf("%s %s→%s", c.Transport, c.Bind.Name, c.Connect.Name)
		timeout := harness.CellLimit(c.Def.Timeout, c.Def.Moves)
		if r.Expectations.Interop(scenarios.Cell{Suite: r.Suite.Name, Transport: c.Transport, Bind: c.Bind.Name,
			Connect: c.Connect.Name, OS: runtime.GOOS, Versions: r.versions}) != nil {
			timeout += interopLimit() // the first cell of the pairing in a process probes it
		}
		byCase[c.Def] = append(byCase[c.Def], ginkgo.Entry(name, c, ginkgo.Label(c.Labels()...), ginkgo.SpecTimeout(timeout),
			ginkgo.SpecPriority(priority(c.Def))))
	}
	for _, d := range order {
		ginkgo.DescribeTable(d.ID+" "+d.Title, func(ctx ginkgo.SpecContext, c *CellSpec) { r.runCell(ctx, c) }, byCase[d])
	}
	ginkgo.AfterSuite(func() {
		// Peers that died on their own after their last cell are that cell's crash.
		for _, lc := range r.pool.Shutdown() {
			ginkgo.AddReportEntry(LateEntry, lc, ginkgo.ReportEntryVisibilityNever)
		}
		harness.RemoveIPCDir()
	})
	ginkgo.ReportAfterSuite(r.Suite.Name+" results", func(rep ginkgo.Report) { r.finish(rep) })
}

// priority orders the cases' tables: a case's bound (Within) is its author's statement that
// its cells take long (100,000-message transfers, idle stretches of heartbeating), so those
// start first, and the run ends on short cells rather than on one 20 s cell that happened to
// be dealt last with the other processes idle (the conformance run's last 25 s before this).
// Ginkgo keeps the declaration order within one priority.
func priority(d *Def) int { return int(d.Timeout / time.Second) }

func (r *Run) header() string {
	s := fmt.Sprintf("%d cells of %d", len(r.Cells), len(r.all))
	if r.Filter != "" {
		s += fmt.Sprintf(" (FILTER=%q)", r.Filter)
	}
	if r.Shard.N > 0 {
		s += " shard " + r.Shard.String()
	}
	if h := r.Hosts; h != nil {
		s += fmt.Sprintf("; across hosts (%s, scenario %s): bind side on %s %s, connect side on %s %s", h.Network, h.Scenario,
			h.Bind.Name, h.Bind.Addr, h.Connect.Name, h.Connect.Addr)
	}
	if harness.PathSlack.Path != (netsim.Scenario{}) {
		s += "; " + harness.PathSlack.String()
	}
	return s + "; " + describeImpls(r.Found) + "; " + runtime.GOOS + "/" + runtime.GOARCH
}

// Report entries by which cells travel to ReportAfterSuite (and into Ginkgo's JSON report).
const (
	RecordEntry = "zmqsuite.record" // the cell's harness.Record
	StartEntry  = "zmqsuite.start"  // the cell's id and labels, written first: a cell Ginkgo ends early still has one
	LateEntry   = "zmqsuite.late"   // a *harness.LateCrash found by this cell
)

// started is what a cell records before its body runs.
type started struct {
	ID, Case, Title, Level, Pattern, Transport, Scenario, Bind, Connect, Rerun string
}

func (r *Run) runCell(ctx ginkgo.SpecContext, c *CellSpec) {
	d := c.Def
	st := started{ID: c.ID(), Case: d.ID, Title: d.Title, Level: string(d.Level), Pattern: d.Pattern,
		Transport: c.Transport, Scenario: c.Scenario, Bind: c.Bind.Name, Connect: c.Connect.Name, Rerun: c.Rerun(r.Suite.Name)}
	ginkgo.AddReportEntry(StartEntry, st, ginkgo.ReportEntryVisibilityNever)
	if why := notAcross(c); why != "" {
		// Decided before any peer starts: such a cell never crosses hosts, so it is no result
		// about them, and a pass here would be one that measured nothing.
		rec := r.judge(st, d.Level, harness.Attempt{}, nil)
		rec.Outcome, rec.RFC, rec.Reason, rec.Hosts = harness.Skip, harness.VerdictNA, why, nil
		ginkgo.AddReportEntry(RecordEntry, rec, ginkgo.ReportEntryVisibilityNever)
		Emit(Event{Kind: "cell", Suite: r.Suite.Name, ID: rec.ID, Outcome: rec.Outcome, Line: CellLine(rec)})
		ginkgo.Skip(rec.Reason)
	}
	if rec, known := r.interopVerdict(ctx, st, c); known {
		ginkgo.AddReportEntry(RecordEntry, rec, ginkgo.ReportEntryVisibilityNever)
		Emit(Event{Kind: "cell", Suite: r.Suite.Name, ID: rec.ID, Outcome: rec.Outcome, Line: CellLine(rec)})
		return
	}
	cell := harness.NewCell(r.pool, c.Transport, c.Bind, c.Connect)
	cell.ID = st.ID
	// The tap listens on this process's loopback: across hosts a connection through it would
	// no longer be between the two hosts.
	cell.Tap = r.Tap && !d.NoTap && r.Hosts == nil
	ginkgo.DeferCleanup(func(ctx ginkgo.SpecContext) { cell.Close(ctx) }, ginkgo.NodeTimeout(20*time.Second))
	begin := time.Now()
	a := harness.Run(ctx, cell, func() { d.Body(ctx, cell) })
	// Closing the sockets is part of the cell: a peer that dies while they close died here.
	if f := cell.Close(ctx); f != nil && a.Fault == nil {
		a.Fault = f
	}
	for _, lc := range cell.LateCrashes() {
		ginkgo.AddReportEntry(LateEntry, lc, ginkgo.ReportEntryVisibilityNever)
	}
	rec := r.judge(st, d.Level, a, cell.Steps())
	if ep := loopbackStep(c, cell.Steps()); ep != "" {
		// The case reached its peer through a loopback address, each host's own: whatever it
		// found, it was not about two hosts (TCP.1 connects to 127.0.0.1 and localhost). Cases
		// that know it say so with SameHost and are skipped before they run.
		was := string(rec.Outcome)
		if rec.Reason != "" {
			was += ": " + rec.Reason
		}
		rec.Outcome, rec.RFC, rec.Blame, rec.Expectation, rec.StderrTail = harness.Skip, harness.VerdictNA, "", nil, ""
		rec.Reason = "not across hosts: the case went through the loopback address " + ep + ", which is each host's own"
		rec.Detail = "its verdict across hosts would have been " + was
	}
	rec.DurationS = time.Since(begin).Seconds()
	if rec.Outcome != harness.Pass && rec.Outcome != harness.Skip {
		rec.Transcripts = cell.Transcripts()
	}
	ginkgo.AddReportEntry(RecordEntry, rec, ginkgo.ReportEntryVisibilityNever)
	Emit(Event{Kind: "cell", Suite: r.Suite.Name, ID: rec.ID, Outcome: rec.Outcome, Line: CellLine(rec)})
	switch {
	case rec.Outcome.Red():
		msg := CellLine(rec)
		if rec.Detail != "" {
			msg += "\n" + rec.Detail
		}
		if len(rec.Steps) > 0 {
			msg += "\nsteps: " + strings.Join(rec.Steps, " → ")
		}
		ginkgo.Fail(msg)
	case rec.Outcome == harness.Skip:
		ginkgo.Skip(rec.Reason)
	}
}

// judge turns an attempt into the cell's record: the level and the expectations decide the
// outcome, the reason is one line and the rest goes to detail.
func (r *Run) judge(st started, level scenarios.Level, a harness.Attempt, steps []string) harness.Record {
	exp := r.Expectations.Match(scenarios.Cell{Suite: r.catalogue(), Case: st.Case, Transport: st.Transport,
		Bind: st.Bind, Connect: st.Connect, OS: runtime.GOOS, Versions: r.versions})
	j := scenarios.Judge(level, a, exp)
	rec := harness.Record{Suite: r.Suite.Name, ID: st.ID, Case: st.Case, Title: st.Title, Level: st.Level,
		Pattern: st.Pattern, Transport: st.Transport, Scenario: st.Scenario, Bind: st.Bind, Connect: st.Connect,
		Outcome: j.Outcome, RFC: j.RFC, Reference: harness.VerdictNA, Observed: a.Observed, Blame: j.Blame,
		StderrTail: tail(j.Stderr, 2000), Metrics: a.Metrics, Rerun: st.Rerun}
	if r.Hosts != nil {
		rec.Hosts = r.Hosts.Hosts()
	}
	rec.Reason, rec.Detail = splitReason(j.Reason)
	if j.Outcome != harness.Pass && j.Outcome != harness.Skip {
		rec.Steps = lastN(steps, 8)
	}
	if j.Match != nil {
		rec.Expectation = &harness.ExpectationRef{Reason: j.Match.Reason, Link: j.Match.Link, Intermittent: j.Match.Intermittent,
			Impls: j.Match.Impls(), Where: j.Match.Where()}
	}
	return rec
}

// CellLine is a cell's one line on the terminal: "xfail PP.1 tcp gozmq→libzmq: <reason>"; a
// red cell's line ends with the command that reruns it.
func CellLine(rec harness.Record) string {
	s := fmt.Sprintf("%s %s", rec.Outcome, rec.ID)
	if rec.Reason != "" {
		s += ": " + rec.Reason
	}
	if rec.Blame != "" && rec.Outcome.Red() {
		s += " [blame " + rec.Blame + "]"
	}
	if rec.Rerun != "" && rec.Outcome.Red() {
		s += " — rerun: " + rec.Rerun
	}
	return s
}

// notAcross says why a cell cannot cross hosts ("" when it can, or the run is on one
// machine): ipc and inproc never leave one machine, and a case may declare itself SameHost.
func notAcross(c *CellSpec) string {
	switch {
	case c.Hosts == nil:
		return ""
	case c.Transport == harness.IPC:
		return "not across hosts: ipc never leaves one machine"
	case c.Transport == harness.InProc:
		return "not across hosts: inproc never leaves one process"
	case c.Def.SameHost != "":
		return "not across hosts: " + c.Def.SameHost
	case c.Def.NeedsFence != "" && !harness.FenceOrdersArrival():
		return "not across a path with delay or loss: " + c.Def.NeedsFence
	}
	return ""
}

// loopbackEP finds a loopback tcp endpoint in a step ("connect tcp://127.0.0.1:5555 (…)").
var loopbackEP = regexp.MustCompile(`tcp://(127\.[0-9.]+|localhost|\[::1\]|\[::ffff:127\.[0-9.]+\])(:[0-9*]+)?`)

// loopbackStep returns the first loopback endpoint a cross-host cell bound or connected to.
func loopbackStep(c *CellSpec, steps []string) string {
	if c.Hosts == nil {
		return ""
	}
	for _, st := range steps {
		if !strings.HasPrefix(st, "bind ") && !strings.HasPrefix(st, "connect ") {
			continue
		}
		if m := loopbackEP.FindString(st); m != "" {
			return m
		}
	}
	return ""
}

// splitReason makes a reason one line (bounded): Gomega's multi-line "Expected\n <string>:
// a\nto equal\n <string>: b" becomes "Expected "a" to equal "b""; the whole text is the detail
// when there was more to it.
func splitReason(s string) (reason, detail string) {
	s = strings.TrimSpace(s)
	one := gomegaString.ReplaceAllString(s, `"$1"`)
	one = strings.Join(strings.Fields(gomegaType.ReplaceAllString(one, "")), " ")
	const max = 300
	if len(one) > max {
		one = one[:max] + "…"
	}
	if !strings.Contains(s, "\n") && one == s {
		return one, ""
	}
	return one, s
}

// gomegaType matches the type annotations Gomega prints before values ("<string>: ",
// "<[]string | len:2, cap:2>: ").
var (
	gomegaType   = regexp.MustCompile(`<[^<>\n]{1,80}>: `)
	gomegaString = regexp.MustCompile(`<string>: ([^\n]*)`)
)

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func lastN(s []string, n int) []string {
	if len(s) > n {
		return append([]string{"…"}, s[len(s)-n:]...)
	}
	return s
}
