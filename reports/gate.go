package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
)

// Alpha is the significance level of the benchmark comparisons.
const Alpha = 0.05

// Diff is what changed between a baseline run and the current one, and whether the change
// fails the gate.
type Diff struct {
	Threshold float64 // relative change of medians a regression must exceed
	Alpha     float64

	// Conformance. Each cell is in at most one list.
	NewFailures []CellChange // red now (fail, crash, hang), not red in the baseline: fails the gate
	XPasses     []CellChange // passed although expected to fail: fails the gate until the entry goes
	Fixed       []CellChange // red in the baseline, not red now
	StillRed    []CellChange // red in both: known to the baseline, not a new failure
	Changed     []CellChange // any other outcome change (pass→skip, xfail→pass, …)
	Vanished    []CellChange // a cell of the implementation under test in the baseline, missing now: fails the gate
	Removed     []CellChange // any other cell in the baseline, missing now
	SameCells   int          // cells whose outcome did not change, or new cells that are not red
	// UnderTest are the implementations the gate judges (--impl); empty means all of them.
	UnderTest []string

	// Benchmarks, judged per series (see gatebench.go).
	BenchFailures []LostFigure   // a figure measured in the baseline now ends in crash, hang or error, or is missing (of the implementation under test): fails the gate
	Regressions   []SeriesChange // significant and beyond the threshold, for the worse: fails the gate
	Improvements  []SeriesChange // significant and beyond the threshold, for the better
	Unconfirmed   []SeriesChange // beyond the threshold but not significant: noise until more repetitions say otherwise
	SameSeries    int            // series compared and not changed significantly beyond the threshold
	Uncompared    int            // figures in only one run, or without repetitions to test
}

// CellChange is one conformance cell whose outcome matters to the gate.
type CellChange struct {
	Suite, ID                             string
	Case, Title, Transport, Bind, Connect string
	Before, After                         harness.Outcome // Before is "" for a cell new in this run
	Reason                                string          // the current run's reason (the baseline's for a removed cell)
}

// Failed reports the verdict: a new red cell, an xpass, a benchmark that stopped
// producing figures, or a significant regression beyond the threshold.
func (d *Diff) Failed() bool {
	return len(d.NewFailures)+len(d.XPasses)+len(d.Vanished)+len(d.BenchFailures)+len(d.Regressions) > 0
}

// Compare diffs current against baseline, judging the implementations under test (all of
// them when underTest is empty). It refuses (with an error, exit status 2 for a command)
// results that cannot be compared: a baseline from another OS or architecture says nothing
// about this machine's figures, and a run with nothing of the implementation under test in
// it would pass by comparing nothing.
func Compare(baseline, current harness.Results, threshold float64, underTest ...string) (*Diff, error) {
	if err := CheckComparable(baseline, current); err != nil {
		return nil, err
	}
	if threshold < 0 {
		return nil, fmt.Errorf("threshold %v is negative", threshold)
	}
	d := &Diff{Threshold: threshold, Alpha: Alpha, UnderTest: underTest}
	for _, side := range []struct {
		name string
		r    harness.Results
	}{{"baseline", baseline}, {"current run", current}} {
		if cells, figures := d.owned(side.r); cells+figures == 0 {
			return nil, fmt.Errorf("the %s holds no cells and no figures%s: nothing to compare (check its filter and that the implementation ran)",
				side.name, d.ofUnderTest())
		}
	}
	compareCells(d, baseline.AllRecords(), current.AllRecords())
	compareBench(d, benchRecords(baseline.Bench), benchRecords(current.Bench))
	return d, nil
}

// judges reports whether a cell or figure between bind and connect is the gate's business:
// one of its sides is an implementation under test.
func (d *Diff) judges(bind, connect string) bool {
	if len(d.UnderTest) == 0 {
		return true
	}
	for _, n := range d.UnderTest {
		if bind == n || connect == n {
			return true
		}
	}
	return false
}

// owned counts a run's cells and figures of the implementations under test.
func (d *Diff) owned(r harness.Results) (cells, figures int) {
	for _, rec := range r.AllRecords() {
		if d.judges(rec.Bind, rec.Connect) {
			cells++
		}
	}
	for _, f := range benchRecords(r.Bench) {
		if d.judges(f.Bind, f.Connect) {
			figures++
		}
	}
	return cells, figures
}

func (d *Diff) ofUnderTest() string {
	if len(d.UnderTest) == 0 {
		return ""
	}
	return " of " + strings.Join(d.UnderTest, ", ")
}

// CheckComparable returns why baseline cannot be compared with current, or nil.
func CheckComparable(baseline, current harness.Results) error {
	b, c := baseline.Env, current.Env
	if b.OS == "" || b.Arch == "" {
		return fmt.Errorf("the baseline names no OS/arch (env.os, env.arch): regenerate it with `zmqsuite report`")
	}
	if c.OS == "" || c.Arch == "" {
		return fmt.Errorf("the current results name no OS/arch (env.os, env.arch): regenerate them with `zmqsuite report`")
	}
	if b.OS != c.OS || b.Arch != c.Arch {
		return fmt.Errorf("the baseline is from %s/%s but the current run is %s/%s: use a baseline recorded on %s/%s (%s under --baseline-dir)",
			b.OS, b.Arch, c.OS, c.Arch, c.OS, c.Arch, BaselineName(c.OS, c.Arch))
	}
	return nil
}

func benchRecords(b *harness.Bench) []harness.BenchRecord {
	if b == nil {
		return nil
	}
	return b.Records
}

func compareCells(d *Diff, baseline, current []harness.Record) {
	before, after := indexRecords(baseline), indexRecords(current)
	for k, now := range after {
		was, had := before[k]
		ch := CellChange{Suite: now.Suite, ID: now.ID, Case: now.Case, Title: now.Title, Transport: now.Transport, Bind: now.Bind,
			Connect: now.Connect, After: now.Outcome, Reason: now.Reason}
		if had {
			ch.Before = was.Outcome
		}
		wasRed := had && was.Outcome.Red()
		switch {
		case now.Outcome == harness.XPass:
			d.XPasses = append(d.XPasses, ch)
		case now.Outcome.Red() && !wasRed:
			d.NewFailures = append(d.NewFailures, ch)
		case now.Outcome.Red():
			d.StillRed = append(d.StillRed, ch)
		case wasRed:
			d.Fixed = append(d.Fixed, ch)
		case had && was.Outcome != now.Outcome:
			d.Changed = append(d.Changed, ch)
		default:
			// The same outcome, or a new cell that is not red: nothing to say.
			d.SameCells++
		}
	}
	for k, was := range before {
		if _, ok := after[k]; ok {
			continue
		}
		ch := CellChange{Suite: was.Suite, ID: was.ID, Case: was.Case, Title: was.Title, Transport: was.Transport,
			Bind: was.Bind, Connect: was.Connect, Before: was.Outcome, Reason: was.Reason}
		// A cell of the implementation under test that is gone is a result it no longer
		// delivers: the binding dropped out of the matrix, or the filter lost it.
		if d.judges(was.Bind, was.Connect) {
			d.Vanished = append(d.Vanished, ch)
		} else {
			d.Removed = append(d.Removed, ch)
		}
	}
	for _, l := range [][]CellChange{d.NewFailures, d.XPasses, d.Fixed, d.StillRed, d.Changed, d.Vanished, d.Removed} {
		sortCells(l)
	}
}

func sortCells(l []CellChange) {
	sort.Slice(l, func(i, j int) bool {
		a, b := l[i], l[j]
		switch {
		case a.Suite != b.Suite:
			return a.Suite < b.Suite
		case a.Case != b.Case:
			return naturalLess(a.Case, b.Case)
		case a.Transport != b.Transport:
			return lessTransport(a.Transport, b.Transport)
		case a.Bind != b.Bind:
			return a.Bind < b.Bind
		}
		return a.Connect < b.Connect
	})
}
