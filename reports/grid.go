package reports

import (
	"sort"

	"github.com/zmqsuite/zmqsuite/harness"
)

// summary counts cells per pairing and outcome, all transports together.
type summary struct {
	Outcomes []outcomeStyle // columns: the outcomes that occur, in legend order
	Rows     []summaryRow   // one per pairing, then the total
}

type summaryRow struct {
	Pairing string
	Counts  []int // aligned with Outcomes
	Total   int
	Red     int
}

// grid is the conformance matrix of one transport: cases down, pairings across.
type grid struct {
	Transport string
	Pairings  []string
	Rows      []gridRow
}

type gridRow struct {
	Case, Title, Level string
	Cells              []cellView
}

// problemGroup lists the non-pass cells of one outcome.
type problemGroup struct {
	Style outcomeStyle
	Red   bool
	Cells []cellView
}

func buildSummary(recs map[cellKey]harness.Record, o order) summary {
	counts := map[pairing]map[harness.Outcome]int{}
	seen := map[harness.Outcome]bool{}
	for _, r := range recs {
		p := pairing{r.Bind, r.Connect}
		if counts[p] == nil {
			counts[p] = map[harness.Outcome]int{}
		}
		counts[p][r.Outcome]++
		seen[r.Outcome] = true
	}
	var s summary
	for _, st := range outcomeStyles {
		if seen[st.Outcome] {
			s.Outcomes = append(s.Outcomes, st)
			delete(seen, st.Outcome)
		}
	}
	for out := range seen { // outcomes this build does not know
		s.Outcomes = append(s.Outcomes, styleOf(out))
	}
	ps := make([]pairing, 0, len(counts))
	for p := range counts {
		ps = append(ps, p)
	}
	o.sortPairings(ps)
	total := summaryRow{Pairing: "total", Counts: make([]int, len(s.Outcomes))}
	for _, p := range ps {
		row := summaryRow{Pairing: p.String()}
		for i, st := range s.Outcomes {
			n := counts[p][st.Outcome]
			row.Counts = append(row.Counts, n)
			row.Total += n
			total.Counts[i] += n
			if st.Outcome.Red() {
				row.Red += n
			}
		}
		total.Total += row.Total
		total.Red += row.Red
		s.Rows = append(s.Rows, row)
	}
	if len(ps) > 0 {
		s.Rows = append(s.Rows, total)
	}
	return s
}

func buildGrids(recs map[cellKey]harness.Record, o order) []grid {
	byTransport := map[string][]harness.Record{}
	for _, r := range recs {
		byTransport[r.Transport] = append(byTransport[r.Transport], r)
	}
	transports := make([]string, 0, len(byTransport))
	for t := range byTransport {
		transports = append(transports, t)
	}
	sort.Slice(transports, func(i, j int) bool { return lessTransport(transports[i], transports[j]) })

	var grids []grid
	for _, t := range transports {
		grids = append(grids, buildGrid(t, byTransport[t], o))
	}
	return grids
}

func buildGrid(transport string, recs []harness.Record, o order) grid {
	col := map[pairing]int{}
	var ps []pairing
	rows := map[string]*gridRow{}
	var cases []string
	for _, r := range recs {
		p := pairing{r.Bind, r.Connect}
		if _, ok := col[p]; !ok {
			col[p] = 0
			ps = append(ps, p)
		}
		if rows[r.Case] == nil {
			rows[r.Case] = &gridRow{Case: r.Case, Title: r.Title, Level: r.Level}
			cases = append(cases, r.Case)
		}
	}
	o.sortPairings(ps)
	g := grid{Transport: transport}
	for i, p := range ps {
		col[p] = i
		g.Pairings = append(g.Pairings, p.String())
	}
	for _, row := range rows {
		row.Cells = make([]cellView, len(ps))
	}
	for _, r := range recs {
		rows[r.Case].Cells[col[pairing{r.Bind, r.Connect}]] = newCellView(r)
	}
	sort.Slice(cases, func(i, j int) bool { return naturalLess(cases[i], cases[j]) })
	for _, c := range cases {
		g.Rows = append(g.Rows, *rows[c])
	}
	return g
}

// buildProblems lists every non-pass cell, grouped by outcome, worst outcome first.
func buildProblems(recs map[cellKey]harness.Record, o order) []problemGroup {
	byOutcome := map[harness.Outcome][]cellView{}
	for _, r := range recs {
		if r.Outcome != harness.Pass {
			byOutcome[r.Outcome] = append(byOutcome[r.Outcome], newCellView(r))
		}
	}
	var groups []problemGroup
	for out, cells := range byOutcome {
		sort.Slice(cells, func(i, j int) bool {
			a, b := cells[i], cells[j]
			if a.Case != b.Case {
				return naturalLess(a.Case, b.Case)
			}
			if a.Transport != b.Transport {
				return lessTransport(a.Transport, b.Transport)
			}
			return o.lessPairing(pairing{a.Bind, a.Connect}, pairing{b.Bind, b.Connect})
		})
		groups = append(groups, problemGroup{Style: styleOf(out), Red: out.Red(), Cells: cells})
	}
	sort.Slice(groups, func(i, j int) bool {
		return severityOf(groups[i].Style.Outcome) < severityOf(groups[j].Style.Outcome)
	})
	return groups
}
