package matrix

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// OutDir is where a suite's results go: $ZMQSUITE_OUT/<suite>, else out/<suite> at the
// repository root.
func OutDir(suite string) string {
	if d := os.Getenv("ZMQSUITE_OUT"); d != "" {
		return filepath.Join(d, suite)
	}
	return filepath.Join(harness.RepoRoot(), "out", suite)
}

// entryValue decodes a report entry's value: in one process it keeps its Go value, from
// parallel processes it arrives as JSON.
func entryValue[T any](e types.ReportEntry) (T, error) {
	if v, ok := e.GetRawValue().(T); ok {
		return v, nil
	}
	var v T
	err := json.Unmarshal([]byte(e.Value.AsJSON), &v)
	return v, err
}

// Collect gathers every cell of the aggregated report (all parallel processes) into the
// suite's results: a cell that Ginkgo ended before its verdict (a spec timeout, a panic in
// the harness) gets its record from Ginkgo's state; late crashes replace the verdict of the
// cell after which the peer died; then the reference verdicts and the blame of red cells,
// which need every cell.
func (r *Run) Collect(rep types.Report) (*harness.SuiteResults, error) {
	res := &harness.SuiteResults{Schema: harness.SuiteSchema, Suite: r.Suite.Name,
		Generated: time.Now().UTC().Format(time.RFC3339), Env: harness.CurrentEnv(),
		Selection: r.selection()}
	for _, im := range r.Found.Impls {
		res.Implementations = append(res.Implementations, *r.Found.Hellos[im.Name])
	}
	var (
		late  []*harness.LateCrash
		stale []interopStale
	)
	byID := map[string]int{}
	for _, sr := range rep.SpecReports {
		var (
			st     *started
			rec    *harness.Record
			broken error
		)
		for _, e := range sr.ReportEntries {
			switch e.Name {
			case StartEntry:
				v, err := entryValue[started](e)
				st, broken = &v, err
			case RecordEntry:
				v, err := entryValue[harness.Record](e)
				rec, broken = &v, err
			case LateEntry:
				v, err := entryValue[*harness.LateCrash](e)
				if err == nil && v != nil {
					late = append(late, v)
				}
				broken = err
			case InteropEntry:
				v, err := entryValue[interopStale](e)
				stale = append(stale, v)
				broken = err
			}
			if broken != nil {
				return nil, fmt.Errorf("%s: report entry %s of %q: %w", r.Suite.Name, e.Name, sr.FullText(), broken)
			}
		}
		switch {
		case rec != nil && sr.State.Is(types.SpecStateTimedout|types.SpecStateInterrupted):
			// The verdict code ran, but Ginkgo's deadline fell during cleanup.
			rec.Outcome, rec.Blame = harness.Hang, "harness"
			rec.Reason, rec.Detail = splitReason("the cell's cleanup did not finish within its time bound: " + sr.Failure.Message)
		case rec == nil && st != nil:
			rec = r.unfinished(*st, sr)
		}
		if rec == nil {
			continue
		}
		byID[rec.ID] = len(res.Records)
		res.Records = append(res.Records, *rec)
	}
	for _, lc := range late {
		if i, ok := byID[lc.Cell]; ok {
			r.applyLate(&res.Records[i], lc)
		}
	}
	res.Records = append(res.Records, staleInterop(r.Suite.Name, stale)...)
	SetReference(res.Records)
	SetBlame(res.Records)
	sort.SliceStable(res.Records, func(i, j int) bool { return recordLess(&res.Records[i], &res.Records[j]) })
	return res, nil
}

// unfinished is the record of a cell Ginkgo ended before the engine could judge it.
func (r *Run) unfinished(st started, sr types.SpecReport) *harness.Record {
	a := harness.Attempt{Err: fmt.Errorf("%s", strings.TrimSpace(sr.Failure.Message))}
	rec := r.judge(st, scenarios.Level(st.Level), a, nil)
	switch {
	case sr.State.Is(types.SpecStateTimedout | types.SpecStateInterrupted):
		rec.Outcome, rec.RFC = harness.Hang, harness.VerdictFail
		rec.Reason, rec.Detail = splitReason("the cell did not finish within its time bound (" + sr.State.String() + "): " + sr.Failure.Message)
		rec.Blame = "undetermined: no peer missed its own deadline"
	case sr.State.Is(types.SpecStatePanicked):
		rec.Outcome, rec.RFC = harness.Fail, harness.VerdictFail
		rec.Reason, rec.Detail = splitReason("the harness panicked in this cell: " + sr.Failure.Message)
		rec.Blame = "harness"
	}
	rec.DurationS = sr.RunTime.Seconds()
	return &rec
}

// applyLate makes a peer's death after a cell that cell's outcome: judged as a crash (a known
// crash stays a known failure), with the body's own verdict kept in the detail.
func (r *Run) applyLate(rec *harness.Record, lc *harness.LateCrash) {
	if rec.Outcome == harness.Crash || rec.Outcome == harness.Hang {
		return
	}
	before := rec.Outcome
	st := started{ID: rec.ID, Case: rec.Case, Title: rec.Title, Level: rec.Level, Pattern: rec.Pattern,
		Transport: rec.Transport, Scenario: rec.Scenario, Bind: rec.Bind, Connect: rec.Connect, Rerun: rec.Rerun}
	j := r.judge(st, scenarios.Level(rec.Level), harness.Attempt{Fault: lc.Fault}, rec.Steps)
	j.DurationS, j.Observed, j.Metrics = rec.DurationS, rec.Observed, rec.Metrics
	j.LateCrash = lc.Found
	j.Reason, _ = splitReason(fmt.Sprintf("its %s peer died after the cell ended (found dead by %s): %s", lc.Fault.Role, lc.Found, j.Reason))
	j.Detail = fmt.Sprintf("the cell's own verdict was %s before its peer died", before)
	*rec = j
}

// recordLess orders records as reports list them: by case id, transport, pairing.
func recordLess(a, b *harness.Record) bool {
	switch {
	case a.Case != b.Case:
		return CaseLess(a.Case, b.Case)
	case a.Transport != b.Transport:
		return transportRank(a.Transport) < transportRank(b.Transport)
	case a.Scenario != b.Scenario:
		return a.Scenario < b.Scenario
	case a.Bind != b.Bind:
		return a.Bind < b.Bind
	}
	return a.Connect < b.Connect
}

func transportRank(t string) int {
	for i, v := range harness.Transports {
		if v == t {
			return i
		}
	}
	return len(harness.Transports)
}

// SetReference sets each record's reference verdict: does the cell behave as libzmq↔libzmq
// does in the same case, transport and scenario (same pass/fail and same observed
// alternative)? The reference of a cell with a pseudo-implementation on one side (the wire
// suite's own peer) is the same cell with libzmq on the other.
func SetReference(recs []harness.Record) {
	ref := map[string]*harness.Record{}
	refKey := func(r *harness.Record, bind, connect string) string {
		return strings.Join([]string{r.Suite, r.Case, r.Transport, r.Scenario, bind, connect}, "|")
	}
	for i := range recs {
		r := &recs[i]
		if r.Bind == harness.LibZMQ || r.Connect == harness.LibZMQ {
			ref[refKey(r, r.Bind, r.Connect)] = r
		}
	}
	for i := range recs {
		r := &recs[i]
		b, c := referenceSides(r)
		l := ref[refKey(r, b, c)]
		switch {
		case l == nil || l.Outcome == harness.Skip || r.Outcome == harness.Skip:
			r.Reference = harness.VerdictNA
		case behaviour(r) == behaviour(l):
			r.Reference = harness.VerdictPass
		default:
			r.Reference = harness.VerdictFail
		}
	}
}

// Pseudo-implementations: a side of a cell that is the suite's own instrument, not a binding.
// The wire suite's ZMTP peer is known here so that a merge of its shards (which links no
// suite) still treats it as one; a run adds its Run.Pseudo.
var pseudo = map[string]bool{"zmtp": true}

// referenceSides replaces every real implementation of a cell by libzmq.
func referenceSides(r *harness.Record) (string, string) {
	b, c := harness.LibZMQ, harness.LibZMQ
	if pseudo[r.Bind] {
		b = r.Bind
	}
	if pseudo[r.Connect] {
		c = r.Connect
	}
	return b, c
}

func behaviour(r *harness.Record) string {
	ok := r.RFC != harness.VerdictFail && r.Outcome != harness.NonStrict && r.Outcome != harness.Crash && r.Outcome != harness.Hang
	return fmt.Sprintf("%v|%s", ok, r.Observed)
}

// SetBlame names who is at fault in every red cell that does not say yet: an xpass blames
// its expectations entry; a failure between two implementations is triangulated against each
// one's pairing with itself in the same case and transport (the implementation whose own
// pairing fails too is blamed; "pairing" when both pass with themselves, so the fault is in
// how they meet; "both" when both fail alone too). Against a pseudo-implementation (the wire
// suite's ZMTP peer) the real implementation is blamed.
func SetBlame(recs []harness.Record) {
	self := map[string]*harness.Record{}
	key := func(r *harness.Record, impl string) string {
		return strings.Join([]string{r.Suite, r.Case, r.Transport, r.Scenario, impl}, "|")
	}
	for i := range recs {
		if r := &recs[i]; r.Bind == r.Connect {
			self[key(r, r.Bind)] = r
		}
	}
	failsAlone := func(r *harness.Record, impl string) (bool, bool) {
		s := self[key(r, impl)]
		if s == nil || s.Outcome == harness.Skip {
			return false, false
		}
		return s.Outcome != harness.Pass && s.Outcome != harness.NonStrict, true
	}
	for i := range recs {
		r := &recs[i]
		if !r.Outcome.Red() || r.Blame != "" {
			continue
		}
		r.BlameDerived = true
		switch {
		case r.Outcome == harness.XPass:
			r.Blame = "expectations"
		case r.Bind == r.Connect:
			r.Blame = r.Bind
		case pseudo[r.Connect] && !pseudo[r.Bind]:
			// Against the suite's own instrument, the implementation is the only party.
			r.Blame = "bind:" + r.Bind
		case pseudo[r.Bind] && !pseudo[r.Connect]:
			r.Blame = "connect:" + r.Connect
		default:
			bf, bk := failsAlone(r, r.Bind)
			cf, ck := failsAlone(r, r.Connect)
			switch {
			case !bk || !ck:
				r.Blame = "undetermined"
			case bf && cf:
				r.Blame = "both"
			case bf:
				r.Blame = "bind:" + r.Bind
			case cf:
				r.Blame = "connect:" + r.Connect
			default:
				r.Blame = "pairing"
			}
		}
	}
}

// finish is the suite's ReportAfterSuite: it writes the results (all processes' cells) and
// says where, with the tally; a late crash that made a cell red fails the run here, since the
// spec of that cell has already passed.
func (r *Run) finish(rep types.Report) {
	res, err := r.Collect(rep)
	if err != nil {
		Emit(Event{Kind: "fatal", Suite: r.Suite.Name, Line: err.Error()})
		ginkgo.Fail(err.Error())
		return
	}
	path := filepath.Join(OutDir(r.Suite.Name), "results.json")
	if err := harness.WriteJSON(path, res); err != nil {
		Emit(Event{Kind: "fatal", Suite: r.Suite.Name, Line: "writing results: " + err.Error()})
		ginkgo.Fail(err.Error())
		return
	}
	Emit(Event{Kind: "done", Suite: r.Suite.Name, Path: path, Total: len(res.Records), Line: Tally(res.Records) + "; results in " + path})
	// Verdicts that only the whole run can give (a late crash, a stale interop entry) have no
	// spec of their own to fail: the suite fails here.
	var lateRed []string
	for _, rec := range res.Records {
		if (rec.LateCrash != "" || rec.Case == interopCase) && rec.Outcome.Red() {
			lateRed = append(lateRed, CellLine(rec))
			Emit(Event{Kind: "cell", Suite: r.Suite.Name, Line: CellLine(rec), Outcome: rec.Outcome})
		}
	}
	if len(lateRed) > 0 {
		ginkgo.Fail("red after the cells ran:\n" + strings.Join(lateRed, "\n"))
	}
}

// Tally counts records by outcome in the vocabulary's order: "2127 cells: 1290 pass, …".
func Tally(recs []harness.Record) string {
	n := map[harness.Outcome]int{}
	for _, r := range recs {
		n[r.Outcome]++
	}
	parts := []string{}
	for _, o := range harness.Outcomes {
		if n[o] > 0 || o.Red() {
			parts = append(parts, fmt.Sprintf("%d %s", n[o], o))
		}
	}
	return fmt.Sprintf("%d cells: %s", len(recs), strings.Join(parts, ", "))
}
