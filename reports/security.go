package reports

import (
	"sort"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
)

// The security grid: for each mechanism, how each pairing fares over all of that mechanism's
// cases and transports — the worst outcome, so one refused handshake or one leaked message
// shows. It is what a reader asks first about security between two bindings: does PLAIN work
// between A and B, does CURVE, and does a wrong credential stay out.

// mechanismOf names a security case's mechanism by its id's family (docs/cases.md part N).
func mechanismOf(caseID string) string {
	switch {
	case strings.HasPrefix(caseID, "PLN."):
		return "PLAIN"
	case strings.HasPrefix(caseID, "CRV."):
		return "CURVE"
	case strings.HasPrefix(caseID, "SEC."):
		return "NULL + ZAP"
	}
	return ""
}

// gridRank orders outcomes for the grid, worst first; a skip is shown only when nothing of
// the mechanism ran for the pairing.
func gridRank(o harness.Outcome) int {
	if o == harness.Skip {
		return 100
	}
	return severityOf(o)
}

type securityGrid struct {
	Pairings []string
	Rows     []securityRow
}

type securityRow struct {
	Mechanism string
	Cases     string // the case ids that make the row
	Cells     []securityCell
}

type securityCell struct {
	Present bool
	Style   outcomeStyle
	Tip     string // which case and transport decided the cell, and why
}

func buildSecurityGrid(recs map[cellKey]harness.Record, o order) *securityGrid {
	type key struct {
		mech string
		p    pairing
	}
	worst := map[key]harness.Record{}
	cases := map[string]map[string]bool{}
	pairs := map[pairing]bool{}
	for _, r := range recs {
		m := mechanismOf(r.Case)
		if m == "" || r.Pattern != "security" {
			continue
		}
		p := pairing{r.Bind, r.Connect}
		pairs[p] = true
		if cases[m] == nil {
			cases[m] = map[string]bool{}
		}
		cases[m][r.Case] = true
		k := key{m, p}
		if w, ok := worst[k]; !ok || worseCell(r, w) {
			worst[k] = r
		}
	}
	if len(worst) == 0 {
		return nil
	}
	var ps []pairing
	for p := range pairs {
		ps = append(ps, p)
	}
	o.sortPairings(ps)
	g := &securityGrid{}
	for _, p := range ps {
		g.Pairings = append(g.Pairings, p.String())
	}
	for _, m := range []string{"PLAIN", "CURVE", "NULL + ZAP"} {
		if cases[m] == nil {
			continue
		}
		var ids []string
		for id := range cases[m] {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return naturalLess(ids[i], ids[j]) })
		row := securityRow{Mechanism: m, Cases: strings.Join(ids, ", ")}
		for _, p := range ps {
			r, ok := worst[key{m, p}]
			c := securityCell{Present: ok}
			if ok {
				c.Style = styleOf(r.Outcome)
				c.Tip = r.Case + " " + r.Transport + ": " + string(r.Outcome)
				if r.Reason != "" {
					c.Tip += " — " + oneLine(r.Reason)
				}
			}
			row.Cells = append(row.Cells, c)
		}
		g.Rows = append(g.Rows, row)
	}
	return g
}

// worseCell says whether r stands for its grid cell rather than w: the worse outcome, and
// among equal ones the first case and transport in reading order, so that the cell's tip
// does not depend on the order a map hands the records out (it did: two renderings of one
// run differed in which PLN.2 cell, tcp or ipc, the tip quoted).
func worseCell(r, w harness.Record) bool {
	if a, b := gridRank(r.Outcome), gridRank(w.Outcome); a != b {
		return a < b
	}
	if r.Case != w.Case {
		return naturalLess(r.Case, w.Case)
	}
	return lessTransport(r.Transport, w.Transport)
}
