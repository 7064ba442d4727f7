// Package scenarios is the declarative side of the suite: levels of obligation, the known
// failures (expectations.yaml) and how a case's attempt is judged, and the per-OS ipc table.
// Suites expand cases into Ginkgo entries; this package decides colours.
package scenarios

import "github.com/zmqsuite/zmqsuite/harness"

// Level is how strongly a behaviour is required (docs/cases.md legend).
type Level string

const (
	Must   Level = "M" // RFC SHALL/MUST: a difference is a failure
	Should Level = "S" // RFC SHOULD: a difference is non-strict
	Libzmq Level = "L" // libzmq default where the RFC is silent or says MAY: non-strict
	Option Level = "O" // an option or DRAFT API: unsupported where a peer lacks it
)

// Judgement is a case's verdicts before the reference comparison (which needs every cell).
type Judgement struct {
	Outcome harness.Outcome
	RFC     harness.Verdict
	Reason  string
	Blame   string
	Stderr  string
	Match   *Expectation
}

// Judge turns an attempt into an outcome: levels decide how a difference counts, and a
// matching expectation turns a failure into a known one (and a pass into xpass).
func Judge(level Level, a harness.Attempt, exp *Expectation) Judgement {
	var j Judgement
	switch {
	case a.Unsupported != nil:
		return Judgement{Outcome: harness.Skip, RFC: harness.VerdictNA, Reason: a.Unsupported.Error()}
	case a.Fault != nil:
		j = Judgement{Outcome: a.Fault.Outcome(), RFC: harness.VerdictFail, Reason: a.Fault.Error(),
			Blame: a.Fault.Role + ":" + a.Fault.Impl, Stderr: a.Fault.StderrTail}
	case a.Err != nil:
		j = Judgement{Outcome: harness.Fail, RFC: harness.VerdictFail, Reason: a.Err.Error()}
		if level == Should || level == Libzmq {
			j.Outcome = harness.NonStrict
		}
	default:
		j = Judgement{Outcome: harness.Pass, RFC: harness.VerdictPass}
	}
	if level == Libzmq {
		// The RFC is silent: only the reference verdict judges such a case.
		j.RFC = harness.VerdictNA
	}
	if exp == nil {
		return j
	}
	j.Match = exp
	switch {
	case j.Outcome == harness.Pass && exp.Intermittent:
		j.Reason = "known intermittent failure did not happen this time: " + exp.Reason
	case j.Outcome == harness.Pass:
		j.Outcome = harness.XPass
		j.Reason = "expected to fail but passed: remove the entry at " + exp.Where() + " (" + exp.Reason + ")"
	default:
		// The known failure's reason travels in the record's expectation, not in this text:
		// the reason says what happened in this cell.
		j.Outcome = harness.XFail
	}
	return j
}
