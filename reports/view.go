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

	// Conformance is nil when the results hold no conformance run.
	Conformance *conformanceView
	Bench       *benchView

	order order // shared with the charts, for consistent series colours
}

type conformanceView struct {
	Cells    int
	Red      int
	Summary  summary
	Legend   []outcomeStyle
	Grids    []grid
	Problems []problemGroup
}

type benchView struct {
	Records int
	Config  harness.BenchConfig
	Notes   []string
	// ControlCost lists each implementation's control round trip, e.g. "gozmq 70 µs, …".
	ControlCost string
	Throughput  []benchTable
	Latency     []benchTable
	groups      []benchGroup // for the charts
}

func newView(r harness.Results) view {
	o := newOrder(r)
	v := view{
		order:     o,
		Generated: r.Generated,
		Env:       buildEnv(r),
		Impls:     buildImpls(r),
	}
	if c := r.Suite("conformance"); c != nil {
		recs := indexRecords(c.Records)
		cv := &conformanceView{
			Cells:    len(recs),
			Summary:  buildSummary(recs, o),
			Legend:   outcomeStyles,
			Grids:    buildGrids(recs, o),
			Problems: buildProblems(recs, o),
		}
		for _, rec := range recs {
			if rec.Outcome.Red() {
				cv.Red++
			}
		}
		v.Conformance = cv
	}
	if r.Bench != nil {
		groups := groupBench(r.Bench, o)
		bv := &benchView{Records: len(r.Bench.Records), Config: r.Bench.Config, Notes: r.Bench.Notes, groups: groups,
			ControlCost: controlCost(r.Bench.Config.ControlRTTUS)}
		for _, t := range buildBenchTables(groups) {
			if t.Metric == metricLatency {
				bv.Latency = append(bv.Latency, t)
			} else {
				bv.Throughput = append(bv.Throughput, t)
			}
		}
		v.Bench = bv
	}
	v.Headline = headline(v)
	return v
}

// headline is the one sentence a reader of a job summary needs first.
func headline(v view) string {
	s := ""
	switch c := v.Conformance; {
	case c == nil:
		s = "No conformance results."
	case c.Cells == 0:
		s = "The conformance run recorded no cells."
	case c.Red == 0:
		s = fmt.Sprintf("Conformance: %d cells, none red.", c.Cells)
	default:
		s = fmt.Sprintf("Conformance: %d cells, %d red.", c.Cells, c.Red)
	}
	if v.Bench == nil {
		return s + " No benchmark results."
	}
	return s + fmt.Sprintf(" Benchmarks: %d figures.", v.Bench.Records)
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
