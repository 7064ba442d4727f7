package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteText prints the diff for a CI log: the verdict first, then what changed, worst
// first; unchanged cells and series only as counts.
func (d *Diff) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	verdict := "PASS"
	if d.Failed() {
		verdict = "FAIL"
	}
	p("gate: %s — %s (threshold %.0f%%, alpha %.2g)\n", verdict, d.tally(), 100*d.Threshold, d.Alpha)

	cells := func(title string, l []CellChange) {
		if len(l) == 0 {
			return
		}
		p("\n%s (%d):\n", title, len(l))
		for _, c := range l {
			before := string(c.Before)
			if before == "" {
				before = "new"
			}
			after := string(c.After)
			if after == "" {
				after = "missing"
			}
			id := c.ID
			if id == "" {
				id = fmt.Sprintf("%s %s %s→%s", c.Case, c.Transport, c.Bind, c.Connect)
			}
			if c.Suite != "" && c.Suite != "conformance" {
				id = c.Suite + " " + id
			}
			p("  %s: %s → %s", id, before, after)
			if c.Reason != "" {
				p(": %s", oneLine(c.Reason))
			}
			p("\n")
		}
	}
	serieses := func(title string, l []SeriesChange) {
		if len(l) == 0 {
			return
		}
		p("\n%s (%d):\n", title, len(l))
		for _, s := range l {
			p("  %s %s %s: %+.1f%% (p=%.2g, %d figures)\n", s.Pattern, pairing{s.Bind, s.Connect}, s.Figure,
				100*s.Change, s.P, len(s.Figures))
			for _, f := range s.Figures {
				p("      %-7s %-7s %9s → %-9s %+.1f%%\n", f.Transport, sizeLabel(f.Size), si(f.Before), si(f.After), 100*f.Change)
			}
		}
	}

	cells("new failures (red now, not red in the baseline)", d.NewFailures)
	cells("unexpected passes (remove the expectations entry)", d.XPasses)
	if len(d.BenchFailures) > 0 {
		p("\nbenchmarks that lost their figures (%d):\n", len(d.BenchFailures))
		for _, l := range d.BenchFailures {
			p("  %s %s %s %s %s: %s\n", l.Pattern, l.Metric, l.Transport, sizeLabel(l.Size), pairing{l.Bind, l.Connect}, l.Outcome)
		}
	}
	serieses(fmt.Sprintf("regressions (significant and beyond %.0f%%)", 100*d.Threshold), d.Regressions)
	cells("fixed (red in the baseline, not now)", d.Fixed)
	serieses("improvements", d.Improvements)
	serieses(fmt.Sprintf("moved beyond %.0f%% but not significant (noise, unless more repetitions say otherwise)", 100*d.Threshold), d.Unconfirmed)
	cells("still red (red in the baseline too)", d.StillRed)
	cells("other outcome changes", d.Changed)
	cells("missing from the current run although the baseline had them (cells of the implementation under test)", d.Vanished)
	cells("missing from the current run (not of the implementation under test)", d.Removed)
	p("\nunchanged: %s, %d benchmark series", plural(d.SameCells, "cell", "cells"), d.SameSeries)
	if d.Uncompared > 0 {
		p("; %s not compared (in one run only, or without repetitions)", plural(d.Uncompared, "figure", "figures"))
	}
	p("\n")
	return bw.Flush()
}

// tally is the verdict line's summary: the counts that decide it.
func (d *Diff) tally() string {
	var parts []string
	add := func(n int, one, many string) {
		if n > 0 {
			parts = append(parts, plural(n, one, many))
		}
	}
	add(len(d.NewFailures), "new failure", "new failures")
	add(len(d.XPasses), "unexpected pass", "unexpected passes")
	add(len(d.Vanished), "vanished cell", "vanished cells")
	add(len(d.BenchFailures), "lost benchmark figure", "lost benchmark figures")
	add(len(d.Regressions), "regression", "regressions")
	add(len(d.Fixed), "fixed cell", "fixed cells")
	add(len(d.Improvements), "improvement", "improvements")
	if len(parts) == 0 {
		return "no change that matters"
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
