package reports

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
)

// What the cells measured: one table per case that records figures, a row per cell (transport
// and pairing), a column per figure the case records. Fault cells account for their messages
// against the content pattern (sent, delivered, lost, duplicated, reordered, malformed) and
// the time the connection took to recover; those columns come first, in that order, and every
// other figure a case records follows under its own name (blocked_after, detect_ms,
// msg_per_s, the leak cases' growth, the mutation run's counts…). A reader comparing bindings
// wants these numbers beside the outcomes; the verdict stays the case's.
//
// Left out: the before/after resource samples (fds_before, rss_kib_after, …) that a robust
// oracle takes around each cell. They are the oracle's bookkeeping, already judged, and a
// failing cell's detail says what grew.

// ledgerMetrics are the accounting columns, in order.
var ledgerMetrics = []string{"sent", "delivered", "lost", "duplicated", "reordered", "malformed", "recovery_ms"}

// measuredTable is one case's figures.
type measuredTable struct {
	Case, Title string
	Columns     []string // metric names
	Rows        []measuredRow
}

type measuredRow struct {
	Transport, Pairing string
	Outcome            harness.Outcome
	Style              outcomeStyle
	Values             []string // aligned with Columns; "" where the cell did not record it
}

// sampleMetric is a robust oracle's resource sample, not a figure of the case.
func sampleMetric(name string) bool {
	for _, what := range []string{"fds", "rss_kib", "threads"} {
		if name == what+"_before" || name == what+"_after" {
			return true
		}
	}
	return false
}

// buildMeasured lists, case by case, the cells that recorded figures.
func buildMeasured(recs map[cellKey]harness.Record, o order) []measuredTable {
	byCase := map[string][]harness.Record{}
	for _, r := range recs {
		for m := range r.Metrics {
			if !sampleMetric(m) {
				byCase[r.Case] = append(byCase[r.Case], r)
				break
			}
		}
	}
	var cases []string
	for c := range byCase {
		cases = append(cases, c)
	}
	sort.Slice(cases, func(i, j int) bool { return naturalLess(cases[i], cases[j]) })
	var out []measuredTable
	for _, c := range cases {
		rs := byCase[c]
		sort.Slice(rs, func(i, j int) bool {
			a, b := rs[i], rs[j]
			if a.Transport != b.Transport {
				return lessTransport(a.Transport, b.Transport)
			}
			if a.Scenario != b.Scenario {
				return a.Scenario < b.Scenario
			}
			return o.lessPairing(pairing{a.Bind, a.Connect}, pairing{b.Bind, b.Connect})
		})
		t := measuredTable{Case: c, Title: rs[0].Title, Columns: metricColumns(rs)}
		for _, r := range rs {
			row := measuredRow{Transport: transportLabel(r), Pairing: pairing{r.Bind, r.Connect}.String(),
				Outcome: r.Outcome, Style: styleOf(r.Outcome)}
			for _, m := range t.Columns {
				v, ok := r.Metrics[m]
				if ok {
					row.Values = append(row.Values, metricText(m, v))
				} else {
					row.Values = append(row.Values, "")
				}
			}
			t.Rows = append(t.Rows, row)
		}
		out = append(out, t)
	}
	return out
}

// transportLabel is the transport of a record, with its scenario across hosts (tcp@20ms).
func transportLabel(r harness.Record) string {
	if r.Scenario != "" {
		return r.Transport + "@" + r.Scenario
	}
	return r.Transport
}

// metricColumns are the figures the records carry: the ledger's first, in its order, then
// the others by name.
func metricColumns(rs []harness.Record) []string {
	have := map[string]bool{}
	for _, r := range rs {
		for m := range r.Metrics {
			if !sampleMetric(m) {
				have[m] = true
			}
		}
	}
	var cols, rest []string
	for _, m := range ledgerMetrics {
		if have[m] {
			cols = append(cols, m)
			delete(have, m)
		}
	}
	for m := range have {
		rest = append(rest, m)
	}
	sort.Strings(rest)
	return append(cols, rest...)
}

// metricText formats a figure: times (…_ms, …_s) and rates with three significant digits,
// counts whole with an SI suffix once they are large.
func metricText(name string, v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e4 {
		return strconv.FormatInt(int64(v), 10)
	}
	if strings.HasSuffix(name, "_ms") || strings.HasSuffix(name, "_s") || strings.Contains(name, "_per_") || strings.Contains(name, "_ms_") {
		return sig3(v)
	}
	return si(v)
}
