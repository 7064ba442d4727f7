package reports

import (
	"fmt"
	"sort"

	"github.com/zmqsuite/zmqsuite/harness"
)

// What a path costs: the cross-host benchmark run (make bench-hosts) measures every figure on
// loopback and over each simulated path in one run, the ceiling included, so each figure can
// be read against the same pairing's loopback figure taken minutes apart, not against a run
// of another day or profile.

// pathIntro says how to read the path tables, in both renderings.
const pathIntro = "Medians from one run that took every figure on loopback and over each simulated path (docs/hosts.md), the ceiling (" + Ceiling + ") measured over the same path. Throughput is given with its share of the same pairing's loopback figure, latency (the p50 half round trip, µs) with what the path added to it; the ceiling's row is what the path costs without ZeroMQ. A throughput window of a few round trips (the quick profile's 200 ms over a 20 ms path's 40 ms round trip) holds TCP's slow start: compare such figures within their column, and take FULL=1's 1 s windows for what a path sustains."

// loopbackColumn is the heading of a figure taken with both sides on this machine.
const loopbackColumn = "loopback"

// pathTable is one figure (metric, pattern, transport, size, fan-out) with a column per
// scenario and a row per pairing, the ceiling first.
type pathTable struct {
	Title     string
	Metric    string
	Scenarios []string
	Rows      []pathRow
}

type pathRow struct {
	Pairing string
	Ceiling bool
	// Cells are per scenario, in Scenarios' order: "1.23M msg/s (45 %)" or "812 µs (+770)"
	// against the loopback column, the outcome where a figure is missing, "" where the run
	// measured none.
	Cells []string
}

// buildPathTables sets each figure of a cross-host run beside its loopback one. A run without
// any scenario but loopback has nothing to compare, and no table.
func buildPathTables(b *harness.Bench, o order) []pathTable {
	if b == nil {
		return nil
	}
	scens := pathScenarios(b)
	if len(scens) < 2 {
		return nil
	}
	col := map[string]int{}
	for i, s := range scens {
		col[s] = i
	}
	type cellsOf map[pairing][]*harness.BenchRecord
	tables := map[figureKey]cellsOf{} // a figure without its scenario
	var keys []figureKey
	for i := range b.Records {
		r := &b.Records[i]
		k := figureKey{r.Metric, r.Pattern, r.Transport, r.Size, r.Subscribers}
		if tables[k] == nil {
			tables[k] = cellsOf{}
			keys = append(keys, k)
		}
		p := pairingOf(*r)
		if tables[k][p] == nil {
			tables[k][p] = make([]*harness.BenchRecord, len(scens))
		}
		tables[k][p][col[scenarioColumn(r.Scenario)]] = r
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
	var out []pathTable
	for _, k := range keys {
		t := pathTable{Title: pathTitle(k), Metric: k.metric, Scenarios: scens}
		var ps []pairing
		for p := range tables[k] {
			ps = append(ps, p)
		}
		sort.Slice(ps, func(i, j int) bool {
			if ps[i].ceiling() != ps[j].ceiling() {
				return ps[i].ceiling()
			}
			return o.lessPairing(ps[i], ps[j])
		})
		for _, p := range ps {
			recs := tables[k][p]
			row := pathRow{Pairing: p.String(), Ceiling: p.ceiling()}
			for _, r := range recs {
				row.Cells = append(row.Cells, pathCell(r, recs[0]))
			}
			t.Rows = append(t.Rows, row)
		}
		out = append(out, t)
	}
	return out
}

// pathScenarios are the run's columns: loopback first, then the scenarios in the order the
// run took them, then any a record names that the selection does not (a hand-merged file).
func pathScenarios(b *harness.Bench) []string {
	scens := []string{loopbackColumn}
	seen := map[string]bool{loopbackColumn: true}
	add := func(s string) {
		if s = scenarioColumn(s); !seen[s] {
			seen[s] = true
			scens = append(scens, s)
		}
	}
	for _, s := range b.Selection.Scenarios {
		add(s)
	}
	for _, r := range b.Records {
		add(r.Scenario)
	}
	return scens
}

// scenarioColumn names a record's scenario: loopback for a figure taken on this machine.
func scenarioColumn(s string) string {
	if s == "" {
		return loopbackColumn
	}
	return s
}

func pathTitle(k figureKey) string {
	t := fmt.Sprintf("%s over %s, %s", k.pattern, k.transport, sizeLabel(k.size)) + fanOut(k.subs)
	if k.metric == metricLatency {
		return t + ": p50 half round trip"
	}
	return t + ": throughput"
}

// pathCell is one figure beside the loopback one: throughput as a share of it, latency with
// the µs it added.
func pathCell(r, loopback *harness.BenchRecord) string {
	switch {
	case r == nil:
		return ""
	case r.Outcome != benchOK:
		return string(r.Outcome)
	}
	ok := loopback != nil && loopback.Outcome == benchOK && loopback != r
	if r.Metric == metricLatency {
		if r.P50US == nil {
			return ""
		}
		// A path adds time to a round trip rather than multiplying it: the difference says
		// what the path cost (twice its one-way delay, for a round trip).
		s := si(r.P50US.Median) + " µs"
		if ok && loopback.P50US != nil {
			d := r.P50US.Median - loopback.P50US.Median
			sign := "+"
			if d < 0 {
				sign, d = "−", -d
			}
			s += fmt.Sprintf(" (%s%s)", sign, si(d))
		}
		return s
	}
	if r.MsgPerSec == nil {
		return ""
	}
	s := si(r.MsgPerSec.Median) + " msg/s"
	if ok && loopback.MsgPerSec != nil && loopback.MsgPerSec.Median > 0 {
		s += fmt.Sprintf(" (%.0f %%)", 100*r.MsgPerSec.Median/loopback.MsgPerSec.Median)
	}
	return s
}
