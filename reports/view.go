package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
)

// view is everything a report shows, computed once from the results; the Markdown and HTML
// templates only lay it out.
type view struct {
	Generated string
	Headline  string
	Env       envTable
	Impls     []implRow

	// Scorecard is the per-implementation summary at the top; nil without implementations.
	Scorecard *scorecard
	// Suites are the cell suites' sections, conformance first; Conformance is that one (nil
	// when the results hold no conformance run).
	Suites      []*conformanceView
	Conformance *conformanceView
	Bench       *benchView
	// BenchHosts is the benchmark run across simulated hosts (make bench-hosts): every
	// scenario's figures, its own ceiling over the same path, and the paths' summary tables.
	BenchHosts *benchView

	order order // shared with the charts, for consistent series colours
}

type conformanceView struct {
	// Suite is the suite's name ("conformance", "wire", …); Title its heading; Anchor the
	// prefix of its HTML ids.
	Suite, Title, Anchor string
	// Scope says what the run selected and when it ended ("every cell"; "filter
	// "transport:tcp": 2800 cells selected"), so that a slice is never read as the suite.
	Scope string
	// Measured is what the suite's cells counted or timed, one table per case (measured.go).
	Measured []measuredTable
	// Security is the mechanism × pairing grid of the security cells.
	Security *securityGrid
	Cells    int
	Red      int
	Summary  summary
	Legend   []outcomeStyle
	Grids    []grid
	Problems []problemGroup
}

type benchView struct {
	Records int
	// Generated is when the run ended: the cross-host run is usually not the same day's as
	// the loopback one beside it.
	Generated string
	// Profile describes how the figures were taken, in one sentence.
	Profile string
	Config  harness.BenchConfig
	Notes   []string
	// ControlCost lists each implementation's control round trip, e.g. "gozmq 70 µs, …".
	ControlCost string
	Throughput  []benchTable
	Latency     []benchTable
	// Paths sets each figure of a cross-host run beside the same run's loopback one, a column
	// per scenario (pathview.go); empty for a loopback run.
	Paths  []pathTable
	groups []benchGroup // for the charts
}

func newView(r harness.Results) view {
	o := newOrder(r)
	v := view{
		order:     o,
		Generated: r.Generated,
		Env:       buildEnv(r),
		Impls:     buildImpls(r),
	}
	for _, name := range r.SuiteNames() {
		recs := indexRecords(r.Suites[name].Records)
		cv := &conformanceView{
			Suite:    name,
			Scope:    scopeText(r.Suites[name]),
			Title:    suiteTitle(name),
			Anchor:   name,
			Cells:    len(recs),
			Summary:  buildSummary(recs, o),
			Legend:   outcomeStyles,
			Grids:    buildGrids(recs, o),
			Problems: buildProblems(recs, o),
			Measured: buildMeasured(recs, o),
			Security: buildSecurityGrid(recs, o),
		}
		for _, rec := range recs {
			if rec.Outcome.Red() {
				cv.Red++
			}
		}
		v.Suites = append(v.Suites, cv)
		if name == "conformance" {
			v.Conformance = cv
		}
	}
	v.Scorecard = buildScorecard(r, o)
	v.Bench = newBenchView(r.Bench, o)
	if v.BenchHosts = newBenchView(r.BenchHosts, o); v.BenchHosts != nil {
		v.BenchHosts.Paths = buildPathTables(r.BenchHosts, o)
	}
	v.Headline = headline(v)
	return v
}

// newBenchView lays out one benchmark run's figures; nil without a run.
func newBenchView(b *harness.Bench, o order) *benchView {
	if b == nil {
		return nil
	}
	groups := groupBench(b, o)
	bv := &benchView{Records: len(b.Records), Generated: b.Generated, Config: b.Config, Notes: b.Notes, groups: groups,
		Profile:     profileText(b.Config),
		ControlCost: controlCost(b.Config.ControlRTTUS)}
	for _, t := range buildBenchTables(groups) {
		if t.Metric == metricLatency {
			bv.Latency = append(bv.Latency, t)
		} else {
			bv.Throughput = append(bv.Throughput, t)
		}
	}
	return bv
}

// scopeText says in one sentence what a suite's run covered: the selection (filter, shard,
// scenarios, merged shards) and when it ended. A report renders whatever results it finds,
// and a slice run last week must not read as this run's whole suite.
func scopeText(s *harness.SuiteResults) string {
	sel := s.Selection
	var parts []string
	switch {
	case sel.Filter != "" && sel.Total > 0:
		parts = append(parts, fmt.Sprintf("filter %q: %d cells selected", sel.Filter, sel.Total))
	case sel.Filter != "":
		parts = append(parts, fmt.Sprintf("filter %q", sel.Filter))
	default:
		parts = append(parts, "every cell of the catalogue")
	}
	if sel.Shard != "" {
		parts = append(parts, fmt.Sprintf("shard %s (%d cells)", sel.Shard, sel.Cells))
	}
	if len(sel.Merged) > 0 {
		parts = append(parts, "merged from shards "+strings.Join(sel.Merged, ", "))
	}
	if len(sel.Scenarios) > 0 {
		parts = append(parts, "scenarios "+strings.Join(sel.Scenarios, ", "))
	}
	if len(sel.Absent) > 0 {
		parts = append(parts, "absent: "+strings.Join(sel.Absent, "; "))
	}
	t := "Run: " + strings.Join(parts, "; ")
	if s.Generated != "" {
		t += "; ended " + s.Generated
	}
	return t + "."
}

// suiteTitle is a suite's heading.
func suiteTitle(name string) string {
	switch name {
	case "conformance":
		return "Conformance"
	case "wire":
		return "Wire level"
	case "faults":
		return "Faults and load"
	case "hosts":
		return "Across hosts"
	}
	return name
}

// headline is the one sentence a reader of a job summary needs first.
func headline(v view) string {
	s := ""
	if v.Conformance == nil {
		s = "No conformance results."
	}
	for _, c := range v.Suites {
		if s != "" {
			s += " "
		}
		switch {
		case c.Cells == 0:
			s += fmt.Sprintf("The %s run recorded no cells.", c.Suite)
		case c.Red == 0:
			s += fmt.Sprintf("%s: %d cells, none red.", c.Title, c.Cells)
		default:
			s += fmt.Sprintf("%s: %d cells, %d red.", c.Title, c.Cells, c.Red)
		}
	}
	if v.Bench == nil {
		s += " No benchmark results."
	} else {
		s += fmt.Sprintf(" Benchmarks: %d figures.", v.Bench.Records)
	}
	if v.BenchHosts != nil {
		s += fmt.Sprintf(" Benchmarks across hosts: %d figures.", v.BenchHosts.Records)
	}
	return s
}

// controlCost formats the per-implementation control round trips in name order.
func controlCost(us map[string]float64) string {
	names := make([]string, 0, len(us))
	for n := range us {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %.0f µs", n, us[n])
	}
	return strings.Join(parts, ", ")
}
