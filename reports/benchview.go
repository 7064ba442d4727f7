package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
)

// Benchmark record metrics and outcomes as the bench suite writes them.
const (
	metricThroughput = "throughput"
	metricLatency    = "latency"
	benchOK          = harness.Pass
)

// benchGroup is what one table and one set of charts show: one metric of one pattern over
// one transport (and one fan-out, for pub_sub), every size and pairing.
type benchGroup struct {
	Metric, Pattern, Transport string
	Subscribers                int
	Records                    []harness.BenchRecord // by size, then pairing, the ceiling first
}

func (g benchGroup) Title() string {
	return fmt.Sprintf("%s over %s", g.Pattern, g.Transport) + fanOut(g.Subscribers)
}

// fanOut names a pub_sub figure's subscribers in a title (", 4 subscribers"); "" for the
// patterns without fan-out.
func fanOut(subs int) string {
	switch {
	case subs == 1:
		return ", 1 subscriber"
	case subs > 1:
		return fmt.Sprintf(", %d subscribers", subs)
	}
	return ""
}

// ID is the group's HTML anchor.
func (g benchGroup) ID() string {
	return strings.NewReplacer(" ", "-", ",", "").Replace(g.Metric + "-" + g.Title())
}

// ceilingAt returns the ceiling's figure record for a size, if the run measured one.
func (g benchGroup) ceilingAt(size int) *harness.BenchRecord {
	for i, r := range g.Records {
		if r.Size == size && pairingOf(r).ceiling() && r.Outcome == benchOK {
			return &g.Records[i]
		}
	}
	return nil
}

func pairingOf(r harness.BenchRecord) pairing { return pairing{r.Bind, r.Connect} }

// figureKey names a benchmark figure up to its pairing; size 0 where a table holds every size.
type figureKey struct {
	metric, pattern, transport string
	size, subs                 int
}

// less is the reading order: throughput before latency, then pattern, transport (tcp first,
// each scenario right after it), size and fan-out.
func (a figureKey) less(b figureKey) bool {
	switch {
	case a.metric != b.metric:
		return a.metric > b.metric
	case a.pattern != b.pattern:
		return a.pattern < b.pattern
	case a.transport != b.transport:
		return lessTransport(a.transport, b.transport)
	case a.size != b.size:
		return a.size < b.size
	}
	return a.subs < b.subs
}

func groupBench(b *harness.Bench, o order) []benchGroup {
	if b == nil {
		return nil
	}
	m := map[figureKey]*benchGroup{}
	var keys []figureKey
	for _, r := range b.Records {
		// A figure across simulated hosts is its own group beside loopback's: "tcp@20ms".
		tr := r.Transport
		if r.Scenario != "" {
			tr += "@" + r.Scenario
		}
		k := figureKey{metric: r.Metric, pattern: r.Pattern, transport: tr, subs: r.Subscribers}
		if m[k] == nil {
			m[k] = &benchGroup{Metric: r.Metric, Pattern: r.Pattern, Transport: tr, Subscribers: r.Subscribers}
			keys = append(keys, k)
		}
		m[k].Records = append(m[k].Records, r)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
	var groups []benchGroup
	for _, k := range keys {
		g := m[k]
		sort.SliceStable(g.Records, func(i, j int) bool {
			a, b := g.Records[i], g.Records[j]
			if a.Size != b.Size {
				return a.Size < b.Size
			}
			return o.lessPairing(pairingOf(a), pairingOf(b))
		})
		groups = append(groups, *g)
	}
	return groups
}

// benchRow is one size × pairing line of a benchmark table.
type benchRow struct {
	Size, Pairing string
	Ceiling       bool
	Problem       string // why there is no figure
	// Throughput: "median [min–max]" and the median as a percentage of the ceiling's.
	MsgS, MsgSPct, MBs, MBsPct string
	// Latency medians, µs.
	P50, P90, P99, P999, Max string
	// CI is the 95 % confidence interval reached by the gated figure ("±6 %, n=4").
	CI string
}

type benchTable struct {
	benchGroup
	Rows []benchRow
	// Ceilinged says the group has a ceiling row to compare with. Fan-out has none (raw has no
	// PUB/SUB): its tables leave out the "% of raw" columns rather than show them empty.
	Ceilinged bool
}

func buildBenchTables(groups []benchGroup) []benchTable {
	var tables []benchTable
	for _, g := range groups {
		t := benchTable{benchGroup: g}
		for _, r := range g.Records {
			row := benchRow{Size: sizeLabel(r.Size), Pairing: pairingOf(r).String(), Ceiling: pairingOf(r).ceiling(), CI: ciText(r)}
			t.Ceilinged = t.Ceilinged || row.Ceiling
			if r.Outcome != benchOK {
				row.Problem = benchProblem(r)
				t.Rows = append(t.Rows, row)
				continue
			}
			ceil := g.ceilingAt(r.Size)
			if ceil == nil {
				ceil = &harness.BenchRecord{}
			}
			row.MsgS, row.MsgSPct = spread(r.MsgPerSec), percentOf(r.MsgPerSec, ceil.MsgPerSec)
			row.MBs, row.MBsPct = spread(r.MBPerSec), percentOf(r.MBPerSec, ceil.MBPerSec)
			row.P50, row.P90, row.P99 = median(r.P50US), median(r.P90US), median(r.P99US)
			row.P999, row.Max = median(r.P999US), median(r.MaxUS)
			t.Rows = append(t.Rows, row)
		}
		tables = append(tables, t)
	}
	return tables
}

func benchProblem(r harness.BenchRecord) string {
	s := string(r.Outcome)
	if r.Reason != "" {
		s += ": " + oneLine(r.Reason)
	}
	if r.Blame != "" {
		s += " (blame " + r.Blame + ")"
	}
	if e := r.Expectation; e != nil && e.Link != "" {
		s += " — known: " + e.Link
	}
	return s
}

// ciText says how well a figure is known: the 95 % confidence interval reached and over how
// many repetitions.
func ciText(r harness.BenchRecord) string {
	switch {
	case r.CI != nil && r.Repetitions > 0:
		return fmt.Sprintf("±%.0f %% (n=%d)", 100*r.CI.Rel, r.Repetitions)
	case r.CI != nil:
		return fmt.Sprintf("±%.0f %%", 100*r.CI.Rel)
	case r.Repetitions > 0:
		return fmt.Sprintf("n=%d", r.Repetitions)
	}
	return ""
}

// profileText describes the benchmark configuration in one sentence.
func profileText(c harness.BenchConfig) string {
	var parts []string
	if c.Profile != "" {
		parts = append(parts, c.Profile+" profile")
	}
	switch c.Pairings {
	case "grid":
		parts = append(parts, "every ordered pairing (grid)")
	case "linear":
		parts = append(parts, "each implementation with itself and both ways with libzmq (linear)")
	}
	switch {
	case c.MinRepetitions > 0 && c.MinRepetitions < c.Repetitions:
		parts = append(parts, fmt.Sprintf("%d–%d repetitions, stopping once the 95 %% CI is within ±%.0f %%", c.MinRepetitions, c.Repetitions, 100*c.TargetCI))
	case c.Repetitions > 0:
		parts = append(parts, fmt.Sprintf("%d repetitions", c.Repetitions))
	}
	if c.WindowMS > 0 {
		parts = append(parts, fmt.Sprintf("windows of %d ms", c.WindowMS))
	}
	if c.Interleaved {
		parts = append(parts, "implementations interleaved within each repetition")
	}
	return strings.Join(parts, ", ")
}
