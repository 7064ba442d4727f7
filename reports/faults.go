package reports

import (
	"sort"

	"github.com/zmqsuite/zmqsuite/harness"
)

// The faults table: what the fault cells counted, per pairing (messages sent, delivered,
// lost, duplicated, reordered, malformed against the content pattern, and the time to
// recover), next to the outcomes. The numbers come from the cells' metrics of those names.

// faultMetrics are the accounting metrics, in column order.
var faultMetrics = []string{"sent", "delivered", "lost", "duplicated", "reordered", "malformed"}

type faultRow struct {
	Case, Title, Transport, Pairing string
	Outcome                         harness.Outcome
	Style                           outcomeStyle
	Counts                          []string // aligned with faultMetrics; "" where not counted
	RecoveryMS                      string
}

// buildFaults lists the cells that counted messages (any of the accounting metrics).
func buildFaults(recs map[cellKey]harness.Record, o order) []faultRow {
	var rows []faultRow
	var keys []harness.Record
	for _, r := range recs {
		counted := false
		for _, m := range faultMetrics {
			_, ok := r.Metrics[m]
			counted = counted || ok
		}
		if _, ok := r.Metrics["recovery_ms"]; counted || ok {
			keys = append(keys, r)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		switch {
		case a.Case != b.Case:
			return naturalLess(a.Case, b.Case)
		case a.Transport != b.Transport:
			return lessTransport(a.Transport, b.Transport)
		}
		return o.lessPairing(pairing{a.Bind, a.Connect}, pairing{b.Bind, b.Connect})
	})
	for _, r := range keys {
		row := faultRow{Case: r.Case, Title: r.Title, Transport: r.Transport, Pairing: pairing{r.Bind, r.Connect}.String(),
			Outcome: r.Outcome, Style: styleOf(r.Outcome)}
		for _, m := range faultMetrics {
			v, ok := r.Metrics[m]
			if ok {
				row.Counts = append(row.Counts, si(v))
			} else {
				row.Counts = append(row.Counts, "")
			}
		}
		if v, ok := r.Metrics["recovery_ms"]; ok {
			row.RecoveryMS = sig3(v)
		}
		rows = append(rows, row)
	}
	return rows
}
