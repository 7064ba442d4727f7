package reports

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
)

// cellView is one conformance record as both renderers show it: in the grid, and in the
// list of non-pass cells.
type cellView struct {
	harness.Record
	Present bool // false for a grid position no record filled
	Pairing string
	Style   outcomeStyle
	Link    string // the matched expectation's upstream link, if it is a web link
	Metrics string // "k=v, k=v", sorted
}

func newCellView(rec harness.Record) cellView {
	c := cellView{
		Record:  rec,
		Present: true,
		Pairing: pairing{rec.Bind, rec.Connect}.String(),
		Style:   styleOf(rec.Outcome),
		Metrics: formatMetrics(rec.Metrics),
	}
	if rec.Expectation != nil && safeLink(rec.Expectation.Link) {
		c.Link = rec.Expectation.Link
	}
	return c
}

// Tip is the one-line text shown on hover: the outcome and why.
func (c cellView) Tip() string {
	if !c.Present {
		return "no record for this cell"
	}
	parts := []string{fmt.Sprintf("%s %s %s: %s", c.Case, c.Transport, c.Pairing, c.Outcome)}
	if c.Reason != "" {
		parts = append(parts, oneLine(c.Reason))
	}
	if c.Blame != "" {
		parts = append(parts, "blame "+c.Blame)
	}
	if c.Expectation != nil && c.Expectation.Reason != "" && c.Expectation.Reason != c.Reason {
		parts = append(parts, "expected: "+oneLine(c.Expectation.Reason))
	}
	return strings.Join(parts, " — ")
}

// Stderr is the last lines of the blamed peer's stderr: enough to see a panic's first frames.
func (c cellView) Stderr() string { return tail(c.StderrTail, 30) }

// Wire is the decoded transcripts of the cell's tcp connections, as text (each transcript's
// own rendering: "→ READY Socket-Type=REQ", "← MESSAGE more [0 B]"), bounded.
func (c cellView) Wire() string {
	var parts []string
	for _, raw := range c.Transcripts {
		var t struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(raw, &t) == nil && t.Text != "" {
			parts = append(parts, strings.TrimRight(t.Text, "\n"))
		}
	}
	s := strings.Join(parts, "\n\n")
	if lines := strings.Split(s, "\n"); len(lines) > 80 {
		s = strings.Join(lines[:80], "\n") + fmt.Sprintf("\n… %d more lines in results.json", len(lines)-80)
	}
	return s
}

func formatMetrics(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%s", k, si(m[k])))
	}
	return strings.Join(parts, ", ")
}

// cellKey identifies a cell across runs: its suite and everything that makes its id.
type cellKey struct{ Suite, Case, Transport, Scenario, Bind, Connect string }

func keyOf(r harness.Record) cellKey {
	return cellKey{r.Suite, r.Case, r.Transport, r.Scenario, r.Bind, r.Connect}
}

// indexRecords maps each cell to its record. A cell recorded twice (a retried spec) keeps
// its worst outcome: a report or a gate must never hide a red result behind a later green.
func indexRecords(recs []harness.Record) map[cellKey]harness.Record {
	m := make(map[cellKey]harness.Record, len(recs))
	for _, r := range recs {
		k := keyOf(r)
		if old, ok := m[k]; ok && severityOf(old.Outcome) <= severityOf(r.Outcome) {
			continue
		}
		m[k] = r
	}
	return m
}
