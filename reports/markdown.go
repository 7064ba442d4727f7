package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
)

// Markdown writes the report as GitHub-flavoured Markdown: short enough for a job summary,
// complete enough to publish. Collapsed <details> blocks hold what only some readers need.
func Markdown(w io.Writer, r harness.Results) error {
	bw := bufio.NewWriter(w)
	md := &mdWriter{w: bw}
	md.report(newView(r))
	if md.err != nil {
		return md.err
	}
	return bw.Flush()
}

type mdWriter struct {
	w   io.Writer
	err error
}

func (m *mdWriter) f(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

func (m *mdWriter) report(v view) {
	m.f("# zmqsuite report\n\n**%s**", mdText(v.Headline))
	if v.Generated != "" {
		m.f(" Generated %s.", mdText(v.Generated))
	}
	m.f("\n\n")
	if v.Scorecard != nil {
		m.scorecard(v.Scorecard)
	}
	m.environment(v)
	for _, c := range v.Suites {
		m.conformance(c)
	}
	m.ipc(v.Impls)
	if b := v.Bench; b != nil {
		m.bench("Benchmarks", b)
	}
	if b := v.BenchHosts; b != nil {
		m.bench("Benchmarks across hosts", b)
	}
}

func (m *mdWriter) environment(v view) {
	m.f("## Environment\n\n")
	m.table(append([]string{""}, v.Env.Cols...), len(v.Env.Rows), func(i int) []string {
		return append([]string{v.Env.Rows[i].Key}, v.Env.Rows[i].Values...)
	})
	m.f("## Implementations\n\n")
	if len(v.Impls) == 0 {
		m.f("The results name no implementations.\n\n")
		return
	}
	m.table([]string{"implementation", "version", "libzmq", "runtime", "transports (probed)", "transports (declared)", "ipc declared / probed"},
		len(v.Impls), func(i int) []string {
			im := v.Impls[i]
			return []string{mdBold(im.Name), im.Version, im.Libzmq, im.Runtime, im.Probed, im.Declared, im.IPC.Declared + " / " + im.IPC.Probed}
		})
	for _, im := range v.Impls {
		if im.Binding != "" || im.Notes != "" {
			m.f("- **%s**: %s\n", mdText(im.Name), mdText(strings.TrimSpace(im.Binding+" "+im.Notes)))
		}
	}
	m.f("\n")
}

// scorecard is what a reader choosing a binding reads first.
func (m *mdWriter) scorecard(sc *scorecard) {
	m.f("## Scorecard\n\n")
	m.f("Per implementation, every cell it took part in (either side, every suite); known failures are grouped by the upstream issue that tracks them. Standing: %s.\n\n", mdText(sc.Basis))
	m.table([]string{"implementation", "version", "libzmq", "cells", "pass", "known failures", "skip", "red", "crash", "hang", "throughput", "latency"},
		len(sc.Rows), func(i int) []string {
			r := sc.Rows[i]
			return []string{mdBold(r.Name), r.Version, r.Libzmq, fmt.Sprint(r.Cells), fmt.Sprint(r.Pass),
				fmt.Sprint(r.XFail), fmt.Sprint(r.Skip), fmt.Sprint(r.Red()), fmt.Sprint(r.Crash), fmt.Sprint(r.Hang),
				dash(r.Throughput), dash(r.Latency)}
		})
	for _, r := range sc.Rows {
		if len(r.Known) == 0 && len(r.Lacks) == 0 {
			continue
		}
		m.f("<details><summary><b>%s</b>: %d known failure groups; lacks %s</summary>\n\n", htmlText(r.Name), len(r.Known), htmlText(lackSummary(r.Lacks)))
		for _, k := range r.Known {
			if k.IsLink() {
				m.f("- [%s](%s): %d cells (%s). %s\n", mdText(shortLink(k.Link)), mdURL(k.Link), k.Cells, mdText(k.Cases), mdText(k.Reason))
			} else {
				m.f("- %s: %d cells (%s). %s\n", mdText(k.Link), k.Cells, mdText(k.Cases), mdText(k.Reason))
			}
		}
		for _, l := range r.Lacks {
			m.f("- lacks %s\n", mdText(l))
		}
		m.f("\n</details>\n\n")
	}
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// lackSummary is the short form of what an implementation lacks, for a summary line.
func lackSummary(l []string) string {
	if len(l) == 0 {
		return "nothing the protocol names"
	}
	var short []string
	for _, x := range l {
		if i := strings.Index(x, ": "); i > 0 {
			x = x[:i]
		}
		short = append(short, x)
	}
	return strings.Join(short, "; ")
}

// shortLink renders an upstream link compactly: "go-zeromq/zmq4#158".
func shortLink(u string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	s = strings.TrimPrefix(s, "github.com/")
	s = strings.Replace(s, "/issues/", "#", 1)
	s = strings.Replace(s, "/pull/", " PR #", 1)
	return s
}

func (m *mdWriter) conformance(c *conformanceView) {
	m.f("## %s summary\n\n", mdText(c.Title))
	if c.Scope != "" {
		m.f("%s\n\n", mdText(c.Scope))
	}
	if c.Cells == 0 {
		m.f("The %s run recorded no cells.\n\n", mdText(c.Suite))
		return
	}
	head := []string{"pairing"}
	for _, o := range c.Summary.Outcomes {
		head = append(head, o.Symbol+" "+string(o.Outcome))
	}
	head = append(head, "total", "red")
	m.table(head, len(c.Summary.Rows), func(i int) []string {
		row := c.Summary.Rows[i]
		cells := []string{row.Pairing}
		for _, n := range row.Counts {
			cells = append(cells, count(n))
		}
		return append(cells, fmt.Sprint(row.Total), fmt.Sprint(row.Red))
	})

	if len(c.Measured) > 0 {
		m.measured(c.Measured)
	}
	if c.Security != nil {
		m.security(c.Security)
	}
	m.f("## %s grid\n\nCells are bind→connect pairings. Legend: ", mdText(c.Title))
	for i, s := range c.Legend {
		if i > 0 {
			m.f(" · ")
		}
		m.f("`%s` %s", s.Symbol, mdText(s.Meaning))
	}
	m.f(". Known failures link to their upstream issue.\n\n")
	for _, g := range c.Grids {
		m.f("### %s\n\n", mdText(g.Transport))
		m.table(append([]string{"case", "title"}, g.Pairings...), len(g.Rows), func(i int) []string {
			row := g.Rows[i]
			cells := []string{mdBold(row.Case), row.Title}
			for _, cell := range row.Cells {
				cells = append(cells, mdCell(cell))
			}
			return cells
		})
	}
	m.problems(c.Title, c.Problems)
}

// security is the mechanism × pairing grid.
func (m *mdWriter) security(g *securityGrid) {
	m.f("### Security\n\nEach cell is the worst outcome of the mechanism's cases for the pairing, over tcp and ipc (a skip only when none of them ran).\n\n")
	m.table(append([]string{"mechanism", "cases"}, g.Pairings...), len(g.Rows), func(i int) []string {
		r := g.Rows[i]
		cells := []string{mdBold(r.Mechanism), r.Cases}
		for _, c := range r.Cells {
			if c.Present {
				cells = append(cells, c.Style.Symbol)
			} else {
				cells = append(cells, "")
			}
		}
		return cells
	})
}

// measuredIntro says what the measured tables hold.
const measuredIntro = "What the cells counted or timed, case by case. Fault cells account for their messages against the content pattern " +
	"(sent, delivered, lost, duplicated, reordered, malformed) and the time the connection took to recover; " +
	"other figures keep the case's own names. Recorded beside the verdict, which stays the case's."

// measured writes one table per case that recorded figures.
func (m *mdWriter) measured(ts []measuredTable) {
	m.f("### Measured\n\n%s\n\n", measuredIntro)
	for _, t := range ts {
		m.f("#### %s %s\n\n", mdText(t.Case), mdText(t.Title))
		head := append([]string{"transport", "pairing", "outcome"}, t.Columns...)
		m.table(head, len(t.Rows), func(i int) []string {
			r := t.Rows[i]
			return append([]string{r.Transport, r.Pairing, r.Style.Symbol + " " + string(r.Outcome)}, r.Values...)
		})
	}
}

// mdCell is the grid cell: the symbol, linked to the upstream issue for a known failure.
// The returned text is already Markdown; table() must not escape it again.
func mdCell(c cellView) string {
	if !c.Present {
		return ""
	}
	if c.Outcome == harness.XFail && c.Link != "" {
		return mdRaw(fmt.Sprintf("[%s](%s)", c.Style.Symbol, mdURL(c.Link)))
	}
	return c.Style.Symbol
}

func (m *mdWriter) problems(title string, groups []problemGroup) {
	m.f("## %s: non-pass cells\n\n", mdText(title))
	if len(groups) == 0 {
		m.f("Every cell passed.\n\n")
		return
	}
	for _, g := range groups {
		title := fmt.Sprintf("%s %s (%d)", g.Style.Symbol, g.Style.Outcome, len(g.Cells))
		if g.Red {
			m.f("### %s\n\n", mdText(title))
		} else {
			// Known, non-strict and skipped cells can be many: collapsed by default.
			m.f("<details><summary>%s</summary>\n\n", htmlText(title))
		}
		for _, c := range g.Cells {
			m.problem(c)
		}
		if !g.Red {
			m.f("</details>\n")
		}
		m.f("\n")
	}
}

func (m *mdWriter) problem(c cellView) {
	m.f("- **%s** %s — %s, %s", mdText(c.Case), mdText(c.Title), mdText(c.Transport), mdText(c.Pairing))
	if c.Reason != "" {
		m.f(": %s", mdText(strings.TrimSuffix(oneLine(c.Reason), ".")))
	}
	m.f(".")
	if c.Blame != "" {
		m.f(" Blame: `%s`.", strings.ReplaceAll(c.Blame, "`", "'"))
	}
	if c.Observed != "" {
		m.f(" Observed: %s.", mdText(c.Observed))
	}
	if c.Expectation != nil {
		m.f(" Expected: %s", mdText(oneLine(c.Expectation.Reason)))
		if c.Link != "" {
			m.f(" ([upstream](%s))", mdURL(c.Link))
		}
		m.f(".")
	}
	if c.Metrics != "" {
		m.f(" Metrics: %s.", mdText(c.Metrics))
	}
	m.f("\n")
	if s := c.Stderr(); s != "" {
		fence := codeFence(s)
		m.f("  <details><summary>stderr</summary>\n\n  %s\n%s\n  %s\n  </details>\n\n", fence, indent(s, "  "), fence)
	}
	if s := c.Wire(); s != "" {
		fence := codeFence(s)
		m.f("  <details><summary>wire transcript</summary>\n\n  %s\n%s\n  %s\n  </details>\n\n", fence, indent(s, "  "), fence)
	}
}

func (m *mdWriter) ipc(impls []implRow) {
	m.f("## ipc availability\n\n")
	if len(impls) == 0 {
		m.f("No implementation described itself.\n\n")
		return
	}
	m.table([]string{"implementation", "declared", "probed", "finding", "probe error"}, len(impls), func(i int) []string {
		r := impls[i].IPC
		return []string{mdBold(r.Name), r.Declared, r.Probed, r.Finding, oneLine(r.ProbeError)}
	})
}

func (m *mdWriter) bench(heading string, b *benchView) {
	m.f("## %s\n\n", heading)
	if c := b.Config; c.Repetitions > 0 {
		m.f("%s", mdText(profileText(c)))
		if c.Clock != "" {
			m.f("; clock: %s", mdText(c.Clock))
		}
		m.f(". Figures are the median [min–max] of the repetitions, with the 95 %% confidence interval reached; `%s` is the ceiling (the transport without ZeroMQ).", Ceiling)
		if b.Generated != "" {
			m.f(" Run ended %s.", mdText(b.Generated))
		}
		if b.ControlCost != "" {
			m.f(" The harness's own cost, a control request's round trip (never inside a timed loop): %s.", mdText(b.ControlCost))
		}
		m.f("\n\n")
	}
	for _, n := range b.Notes {
		m.f("- %s\n", mdText(n))
	}
	if len(b.Notes) > 0 {
		m.f("\n")
	}
	if len(b.Throughput)+len(b.Latency) == 0 {
		m.f("The benchmark run recorded no figures.\n\n")
		return
	}
	m.paths(b.Paths)
	if len(b.Throughput) > 0 {
		m.f("### Throughput\n\n")
	}
	for _, t := range b.Throughput {
		m.f("#### %s\n\n", mdText(t.Title()))
		head := []string{"size", "pairing", "msg/s", "% of " + Ceiling, "MB/s", "% of " + Ceiling, "95% CI"}
		if !t.Ceilinged {
			head = []string{"size", "pairing", "msg/s", "MB/s", "95% CI"}
		}
		m.table(head, len(t.Rows), func(i int) []string {
			r := t.Rows[i]
			if r.Problem != "" {
				return append([]string{r.Size, mdPairing(r), r.Problem}, make([]string, len(head)-3)...)
			}
			// Figures are generated text: raw, so "[min–max]" is not escaped.
			if !t.Ceilinged {
				return []string{r.Size, mdPairing(r), mdRaw(r.MsgS), mdRaw(r.MBs), r.CI}
			}
			return []string{r.Size, mdPairing(r), mdRaw(r.MsgS), r.MsgSPct, mdRaw(r.MBs), r.MBsPct, r.CI}
		})
	}
	if len(b.Latency) > 0 {
		m.f("### Latency\n\nHalf round trip, µs, medians of the repetitions.\n\n")
	}
	for _, t := range b.Latency {
		m.f("#### %s\n\n", mdText(t.Title()))
		m.table([]string{"size", "pairing", "p50", "p90", "p99", "p99.9", "max", "p50 95% CI"}, len(t.Rows), func(i int) []string {
			r := t.Rows[i]
			if r.Problem != "" {
				return []string{r.Size, mdPairing(r), r.Problem, "", "", "", "", ""}
			}
			return []string{r.Size, mdPairing(r), r.P50, r.P90, r.P99, r.P999, r.Max, r.CI}
		})
	}
}

// paths writes a cross-host run's figures a column per scenario, beside loopback's.
func (m *mdWriter) paths(ts []pathTable) {
	if len(ts) == 0 {
		return
	}
	m.f("### Each path beside loopback\n\n%s\n\n", pathIntro)
	for _, t := range ts {
		m.f("#### %s\n\n", mdText(t.Title))
		m.table(append([]string{"pairing"}, t.Scenarios...), len(t.Rows), func(i int) []string {
			r := t.Rows[i]
			return append([]string{mdPairingLabel(r.Pairing, r.Ceiling)}, r.Cells...)
		})
	}
}

func mdPairing(r benchRow) string { return mdPairingLabel(r.Pairing, r.Ceiling) }

// mdPairingLabel is a benchmark row's pairing cell: the ceiling in italics, set apart from
// the implementations' rows.
func mdPairingLabel(pairing string, ceiling bool) string {
	if ceiling {
		return mdRaw("*" + Ceiling + "*")
	}
	return pairing
}

// count leaves zero counts blank, so the outcomes that did occur stand out.
func count(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// table writes a GFM table; cells are escaped unless marked with mdRaw.
func (m *mdWriter) table(head []string, n int, row func(int) []string) {
	line := func(cells []string) {
		m.f("|")
		for _, c := range cells {
			m.f(" %s |", mdCellText(c))
		}
		m.f("\n")
	}
	line(head)
	m.f("|%s\n", strings.Repeat("---|", len(head)))
	for i := 0; i < n; i++ {
		line(row(i))
	}
	m.f("\n")
}
