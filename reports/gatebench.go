package reports

import (
	"math"
	"sort"

	"golang.org/x/perf/benchmath"

	"github.com/zmqsuite/zmqsuite/harness"
)

// The benchmark half of the gate.
//
// The unit of judgement is a series: one figure (msg/s, p50, p99) of one pattern and one
// pairing, over every transport and size both runs measured. Judging each figure alone
// does not work with the few repetitions a run affords: with 5 a side and tens of figures
// per report, two runs of the same code would flag a few figures every time at alpha 0.05
// (about 7 pairs of identical runs in 10, simulated on ±20 % noise), and correcting the
// per-figure tests for their number leaves no power at all (the smallest p of 5 against 5
// is 0.008). Pooling a series' repetitions gives one test of 15–30 values a side, which
// catches a 25 % drop of one pairing every time and rarely (<1 %) flags identical runs;
// the Benjamini-Hochberg procedure then keeps the expected share of false findings among
// the flagged series at alpha. What it gives up is a change confined to one size of one
// transport, which 5 repetitions cannot tell from noise anyway.

// SeriesChange is one series compared between the runs.
type SeriesChange struct {
	Pattern, Figure, Bind, Connect string
	// Change is the relative change of the series' median (normalised repetitions):
	// negative is slower for msg/s, faster for latencies.
	Change float64
	// P is the two-sided p-value of benchmath's Mann-Whitney U test over the series'
	// normalised repetitions.
	P       float64
	Figures []FigureChange // each figure of the series
}

// FigureChange is one figure of a series: medians before and after.
type FigureChange struct {
	Transport         string
	Size, Subscribers int
	Before, After     float64
	Change            float64 // (After-Before)/Before
}

// LostFigure is a benchmark cell that produced figures in the baseline and none now.
type LostFigure struct {
	Pattern, Metric, Transport, Bind, Connect string
	Size, Subscribers                         int
	Outcome                                   string // the current outcome, reason and blame
}

// benchKey identifies a benchmark cell across runs.
type benchKey struct {
	Pattern, Metric, Transport, Bind, Connect string
	Size, Subscribers                         int
}

func benchKeyOf(r harness.BenchRecord) benchKey {
	tr := r.Transport
	if r.Scenario != "" {
		tr += "@" + r.Scenario
	}
	return benchKey{r.Pattern, r.Metric, tr, r.Bind, r.Connect, r.Size, r.Subscribers}
}

// gateFigure is one figure the gate compares, and which direction is better.
type gateFigure struct {
	name         string
	higherIsBest bool
	stat         func(harness.BenchRecord) *harness.Stat
}

// The gate compares msg/s (MB/s is the same measurement times the size: comparing both
// would count one change twice) and the p50 and p99 latencies (p99.9 and max are too
// noisy over a few seconds' window to gate on).
var gateFigures = map[string][]gateFigure{
	metricThroughput: {
		{"msg/s", true, func(r harness.BenchRecord) *harness.Stat {
			if r.MsgPerSec == nil {
				return r.MBPerSec
			}
			return r.MsgPerSec
		}},
	},
	metricLatency: {
		{"p50 µs", false, func(r harness.BenchRecord) *harness.Stat { return r.P50US }},
		{"p99 µs", false, func(r harness.BenchRecord) *harness.Stat { return r.P99US }},
	},
}

// Bench outcomes that mean a figure was lost: the implementation broke, not the machine.
var lostFigure = map[harness.Outcome]bool{harness.Crash: true, harness.Hang: true, harness.Fail: true}

type seriesKey struct{ Pattern, Figure, Bind, Connect string }

// series gathers one series' repetitions, each figure's normalised by the median of its
// ten (or so) values from both runs: that puts every figure of the series on one scale
// while treating the two runs alike, so that under "nothing changed" their values stay
// exchangeable, which the U test assumes.
type series struct {
	SeriesChange
	higherIsBest bool
	before       []float64
	after        []float64
}

func compareBench(d *Diff, baseline, current []harness.BenchRecord) {
	before := map[benchKey]harness.BenchRecord{}
	for _, r := range baseline {
		before[benchKeyOf(r)] = r
	}
	seen := map[benchKey]bool{}
	all := map[seriesKey]*series{}
	var keys []seriesKey
	for _, now := range current {
		k := benchKeyOf(now)
		seen[k] = true
		was, ok := before[k]
		if !ok {
			d.Uncompared++
			continue
		}
		if was.Outcome == benchOK && lostFigure[now.Outcome] && d.judges(now.Bind, now.Connect) {
			d.BenchFailures = append(d.BenchFailures, LostFigure{Pattern: now.Pattern, Metric: now.Metric,
				Transport: now.Transport, Bind: now.Bind, Connect: now.Connect, Size: now.Size,
				Subscribers: now.Subscribers, Outcome: benchProblem(now)})
			continue
		}
		for _, f := range gateFigures[now.Metric] {
			a, b := f.stat(was), f.stat(now)
			if was.Outcome != benchOK || now.Outcome != benchOK || !testable(a) || !testable(b) {
				d.Uncompared++
				continue
			}
			sk := seriesKey{now.Pattern, f.name, now.Bind, now.Connect}
			s := all[sk]
			if s == nil {
				s = &series{SeriesChange: SeriesChange{Pattern: now.Pattern, Figure: f.name, Bind: now.Bind,
					Connect: now.Connect}, higherIsBest: f.higherIsBest}
				all[sk] = s
				keys = append(keys, sk)
			}
			s.add(now, a, b)
		}
	}
	for k, was := range before {
		if seen[k] {
			continue
		}
		// A figure of the implementation under test that the current run no longer has is
		// lost as surely as one that crashed.
		if was.Outcome == benchOK && d.judges(was.Bind, was.Connect) {
			d.BenchFailures = append(d.BenchFailures, LostFigure{Pattern: was.Pattern, Metric: was.Metric,
				Transport: was.Transport, Bind: was.Bind, Connect: was.Connect, Size: was.Size,
				Subscribers: was.Subscribers, Outcome: "missing from the current run"})
			continue
		}
		d.Uncompared++
	}
	var ss []*series
	for _, k := range keys {
		ss = append(ss, all[k].test())
	}
	classify(d, ss)
}

// testable: the U test needs at least two repetitions a side, and normalising needs
// positive figures.
func testable(s *harness.Stat) bool {
	if s == nil || len(s.Values) < 2 {
		return false
	}
	for _, v := range s.Values {
		if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func (s *series) add(r harness.BenchRecord, a, b *harness.Stat) {
	m := medianOf(append(append([]float64(nil), a.Values...), b.Values...))
	for _, v := range a.Values {
		s.before = append(s.before, v/m)
	}
	for _, v := range b.Values {
		s.after = append(s.after, v/m)
	}
	s.Figures = append(s.Figures, FigureChange{Transport: r.Transport, Size: r.Size, Subscribers: r.Subscribers,
		Before: a.Median, After: b.Median, Change: (b.Median - a.Median) / a.Median})
}

// test runs the U test over the pooled repetitions and measures the series' change.
func (s *series) test() *series {
	// NewSample sorts in place: it gets copies.
	sa := benchmath.NewSample(append([]float64(nil), s.before...), &benchmath.DefaultThresholds)
	sb := benchmath.NewSample(append([]float64(nil), s.after...), &benchmath.DefaultThresholds)
	s.P = benchmath.AssumeNothing.Compare(sa, sb).P
	s.Change = medianOf(s.after)/medianOf(s.before) - 1
	sort.Slice(s.Figures, func(i, j int) bool {
		a, b := s.Figures[i], s.Figures[j]
		if a.Transport != b.Transport {
			return lessTransport(a.Transport, b.Transport)
		}
		if a.Size != b.Size {
			return a.Size < b.Size
		}
		return a.Subscribers < b.Subscribers
	})
	return s
}

func (s *series) worse() bool { return s.Change != 0 && (s.Change < 0) == s.higherIsBest }

func classify(d *Diff, ss []*series) {
	ps := make([]float64, len(ss))
	for i, s := range ss {
		ps[i] = s.P
	}
	significant := benjaminiHochberg(ps, d.Alpha)
	for i, s := range ss {
		beyond := math.Abs(s.Change) > d.Threshold
		switch {
		case beyond && significant[i] && s.worse():
			d.Regressions = append(d.Regressions, s.SeriesChange)
		case beyond && significant[i]:
			d.Improvements = append(d.Improvements, s.SeriesChange)
		case beyond:
			d.Unconfirmed = append(d.Unconfirmed, s.SeriesChange)
		default:
			d.SameSeries++
		}
	}
	for _, l := range [][]SeriesChange{d.Regressions, d.Improvements, d.Unconfirmed} {
		sort.Slice(l, func(i, j int) bool { return math.Abs(l[i].Change) > math.Abs(l[j].Change) })
	}
}

// benjaminiHochberg marks the p-values that survive the step-up procedure at level q:
// sort ascending, find the largest rank k with p(k) <= k/m·q, keep ranks 1..k. With one
// series it is the plain test at level q.
func benjaminiHochberg(ps []float64, q float64) []bool {
	m := len(ps)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	k := 0
	for rank := 1; rank <= m; rank++ {
		if ps[idx[rank-1]] <= float64(rank)/float64(m)*q {
			k = rank
		}
	}
	out := make([]bool, m)
	for rank := 1; rank <= k; rank++ {
		out[idx[rank-1]] = true
	}
	return out
}

func medianOf(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
