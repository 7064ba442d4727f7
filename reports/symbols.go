package reports

import "github.com/zmqsuite/zmqsuite/harness"

// outcomeStyle is how one outcome looks: the same short symbol in Markdown and HTML, so a
// reader who learned the legend in one reads the other.
type outcomeStyle struct {
	Outcome harness.Outcome
	Symbol  string
	Class   string // CSS class of the HTML cell
	Meaning string // legend text
}

// Symbols are plain Unicode (no emoji) so that they render in any font with Latin and
// math coverage, including a headless browser's.
var outcomeStyles = []outcomeStyle{
	{harness.Pass, "✓", "o-pass", "pass"},
	{harness.NonStrict, "≈", "o-nonstrict", "non-strict: a SHOULD or libzmq-default difference (not red)"},
	{harness.XFail, "xf", "o-xfail", "known failure, listed in the expectations file (not red)"},
	{harness.Skip, "–", "o-skip", "skipped: a capability is missing"},
	{harness.Fail, "✗", "o-fail", "FAIL: a MUST failed (red)"},
	{harness.XPass, "XP", "o-xpass", "unexpected pass: remove the expectations entry (red)"},
	{harness.Crash, "☠", "o-crash", "crash: a peer exited during the cell (red)"},
	{harness.Hang, "∞", "o-hang", "hang: a peer missed a deadline (red)"},
}

// severity ranks outcomes for lists, worst first: a reader scanning problems meets the red
// ones before the known and the skipped ones.
var severity = map[harness.Outcome]int{
	harness.Crash: 0, harness.Hang: 1, harness.Fail: 2, harness.XPass: 3,
	harness.XFail: 4, harness.NonStrict: 5, harness.Skip: 6, harness.Pass: 7,
}

func styleOf(o harness.Outcome) outcomeStyle {
	for _, s := range outcomeStyles {
		if s.Outcome == o {
			return s
		}
	}
	// An outcome this build does not know (a newer harness) is shown, not dropped.
	return outcomeStyle{Outcome: o, Symbol: "?", Class: "o-unknown", Meaning: string(o)}
}

func severityOf(o harness.Outcome) int {
	if s, ok := severity[o]; ok {
		return s
	}
	return -1
}
