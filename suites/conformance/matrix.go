package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// Matrix is what the tree is built from: the implementations that answered hello here and
// the expectations file.
type Matrix struct {
	Impls        []*harness.Impl
	Hellos       map[string]*peer.Hello
	Unavailable  map[string]string // implementation → why it is not in the matrix
	Expectations *scenarios.Expectations
}

// Discover finds the implementations to run (ZMQSUITE_IMPLS selects, default all) and loads
// the expectations (ZMQSUITE_EXPECTATIONS, default scenarios/expectations.yaml). Errors are
// one line naming what to fix.
func Discover() (*Matrix, error) {
	reg, err := harness.DefaultRegistry()
	if err != nil {
		return nil, err
	}
	impls, err := reg.Select(os.Getenv("ZMQSUITE_IMPLS"))
	if err != nil {
		return nil, err
	}
	expPaths := filepath.SplitList(os.Getenv("ZMQSUITE_EXPECTATIONS"))
	if len(expPaths) == 0 {
		expPaths = scenarios.DefaultExpectationFiles(harness.RepoRoot())
	}
	exps, err := scenarios.LoadExpectations(expPaths...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m := &Matrix{Hellos: map[string]*peer.Hello{}, Unavailable: map[string]string{}, Expectations: exps}
	for _, d := range harness.Discover(ctx, impls) {
		if d.Err != nil {
			m.Unavailable[d.Impl.Name] = d.Err.Error()
			continue
		}
		m.Impls = append(m.Impls, d.Impl)
		m.Hellos[d.Impl.Name] = d.Hello
	}
	if len(m.Impls) == 0 {
		return m, fmt.Errorf("no implementation works here: %s (run `zmqsuite doctor`)", describe(m.Unavailable))
	}
	return m, nil
}

func describe(u map[string]string) string {
	var parts []string
	for k, v := range u {
		parts = append(parts, k+": "+v)
	}
	return strings.Join(parts, "; ")
}

// versions maps implementation names to binding versions and "<impl>/libzmq" to the libzmq
// underneath, for expectations' version ranges.
func (m *Matrix) versions() map[string]string {
	v := map[string]string{}
	for name, h := range m.Hellos {
		v[name] = h.Version
		if h.Libzmq != "" {
			v[name+"/libzmq"] = h.Libzmq
		}
	}
	return v
}

// Build declares one Ginkgo table per case with an entry per cell. It must run before
// RunSpecs, identically in every parallel process.
func (m *Matrix) Build() {
	versions := m.versions()
	for _, d := range Cases() {
		d := d
		var entries []TableEntry
		for _, tr := range d.transports() {
			for _, b := range m.Impls {
				for _, c := range m.Impls {
					if (tr == harness.InProc || d.SameImpl) && b != c {
						continue
					}
					entries = append(entries, m.entry(d, tr, b, c))
				}
			}
		}
		DescribeTable(d.ID+" "+d.Title, func(ctx SpecContext, tr string, b, c *harness.Impl) {
			m.runCell(ctx, d, tr, b, c, versions)
		}, entries)
	}
}

func (m *Matrix) entry(d *Def, tr string, b, c *harness.Impl) TableEntry {
	name := fmt.Sprintf("%s %s→%s", tr, b.Name, c.Name)
	return Entry(name, tr, b, c, Label("case:"+d.ID, "pattern:"+d.Pattern, "transport:"+tr,
		"bind:"+b.Name, "connect:"+c.Name, "level:"+string(d.Level)), SpecTimeout(d.Timeout))
}

// RecordEntry is the report entry name under which each cell's record travels to
// ReportAfterSuite (and into Ginkgo's JSON report).
const RecordEntry = "zmqsuite.record"

func (m *Matrix) runCell(ctx SpecContext, d *Def, tr string, b, c *harness.Impl, versions map[string]string) {
	cell := harness.NewCell(harness.Shared(), tr, b, c)
	DeferCleanup(func(ctx SpecContext) { cell.Close(ctx) }, NodeTimeout(20*time.Second))
	start := time.Now()
	a := harness.Run(ctx, cell, func() { d.Body(ctx, cell) })
	exp := m.Expectations.Match(scenarios.Cell{Case: d.ID, Transport: tr, Bind: b.Name, Connect: c.Name,
		OS: runtime.GOOS, Versions: versions})
	j := scenarios.Judge(d.Level, a, exp)
	rec := harness.Record{Case: d.ID, Title: d.Title, Level: string(d.Level), Pattern: d.Pattern,
		Transport: tr, Bind: b.Name, Connect: c.Name, Outcome: j.Outcome, RFC: j.RFC,
		Reference: harness.VerdictNA, Observed: a.Observed, Reason: j.Reason, Blame: j.Blame,
		StderrTail: tail(j.Stderr, 2000), Metrics: a.Metrics, DurationS: time.Since(start).Seconds()}
	if j.Match != nil {
		rec.Expectation = &harness.ExpectationRef{Reason: j.Match.Reason, Link: j.Match.Link, Intermittent: j.Match.Intermittent}
	}
	AddReportEntry(RecordEntry, rec)
	msg := fmt.Sprintf("%s [%s %s→%s] %s: %s", d.ID, tr, b.Name, c.Name, j.Outcome, j.Reason)
	switch {
	case j.Outcome.Red():
		if steps := cell.Steps(); len(steps) > 0 {
			msg += "\nsteps: " + strings.Join(lastN(steps, 8), " → ")
		}
		Fail(msg)
	case j.Outcome == harness.Skip:
		Skip(j.Reason)
	case j.Outcome != harness.Pass:
		GinkgoWriter.Println(msg)
	}
}

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
