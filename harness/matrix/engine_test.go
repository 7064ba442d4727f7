package matrix

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

func impl(name string) *harness.Impl { return &harness.Impl{Name: name} }

// cells builds the matrix of a two-case suite over three implementations.
func cells() []*CellSpec {
	s := NewSuite("t")
	s.Case("A.1", scenarios.Must, "p", "a", nil)
	s.Case("A.2", scenarios.Must, "p", "b", nil, On(harness.TCP))
	impls := []*harness.Impl{impl("gozmq"), impl("libzmq"), impl("pyzmq")}
	var out []*CellSpec
	for _, d := range s.Cases() {
		for _, tr := range d.transports() {
			for _, p := range AllPairs(d, tr, impls) {
				out = append(out, &CellSpec{Def: d, Transport: tr, Bind: p[0], Connect: p[1]})
			}
		}
	}
	return out
}

func ids(cs []*CellSpec) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID())
	}
	return out
}

func TestMatrixShapeAndLabels(t *testing.T) {
	all := cells()
	// A.1: tcp and ipc 9 pairings each, inproc 3; A.2: tcp 9.
	if len(all) != 9+9+3+9 {
		t.Fatalf("%d cells, want 30", len(all))
	}
	c := all[0]
	if got := strings.Join(c.Labels(), " "); got != "case:A.1 pattern:p transport:tcp bind:gozmq connect:gozmq level:M" {
		t.Errorf("labels %q", got)
	}
	if got := c.Rerun("conformance"); got != "make conformance FILTER='case:A.1 && transport:tcp && bind:gozmq && connect:gozmq'" {
		t.Errorf("rerun %q", got)
	}
	for _, c := range all {
		if c.Transport == harness.InProc && c.Bind != c.Connect {
			t.Errorf("%s crosses implementations over inproc", c.ID())
		}
	}
}

// Shards are disjoint, cover the matrix, and do not depend on the order cells were built in.
func TestShardsPartitionTheMatrix(t *testing.T) {
	all := cells()
	seen := map[string]int{}
	for i := 1; i <= 4; i++ {
		got, err := Select(all, "", Shard{I: i, N: 4})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) < len(all)/4 || len(got) > len(all)/4+1 {
			t.Errorf("shard %d/4 has %d of %d cells", i, len(got), len(all))
		}
		for _, id := range ids(got) {
			seen[id]++
		}
	}
	for _, id := range ids(all) {
		if seen[id] != 1 {
			t.Errorf("%s in %d shards", id, seen[id])
		}
	}
	rev := append([]*CellSpec(nil), all...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	a, _ := Select(all, "", Shard{I: 2, N: 3})
	b, _ := Select(rev, "", Shard{I: 2, N: 3})
	am, bm := map[string]bool{}, map[string]bool{}
	for _, id := range ids(a) {
		am[id] = true
	}
	for _, id := range ids(b) {
		bm[id] = true
	}
	if fmt.Sprint(am) != fmt.Sprint(bm) {
		t.Errorf("shard 2/3 depends on build order")
	}
	for _, bad := range []string{"0/4", "5/4", "1", "a/b", "1/0"} {
		if _, err := ParseShard(bad); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseShard(%q): %v", bad, err)
		}
	}
}

func TestSelectionByLabels(t *testing.T) {
	all := cells()
	got, err := Select(all, "bind:gozmq && !transport:inproc", Shard{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got {
		if c.Bind.Name != "gozmq" || c.Transport == harness.InProc {
			t.Errorf("%s selected", c.ID())
		}
	}
	if len(got) != 3+3+3 {
		t.Errorf("%d cells, want 9", len(got))
	}
	if _, err := Select(all, "bind:gozmq &&", Shard{}); err == nil || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), `FILTER="bind:gozmq &&": syntax error`) {
		t.Errorf("syntax error: %v", err)
	}
	err = NothingSelected("t", "transport:tpc", Shard{}, all)
	for _, want := range []string{`FILTER="transport:tpc" selects none of the 30 t cells`, "transport:inproc|ipc|tcp", "bind:gozmq|libzmq|pyzmq", "no results were written"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func rec(id, bind, connect string, o harness.Outcome) harness.Record {
	return harness.Record{Suite: "t", ID: id + " tcp " + bind + "→" + connect, Case: id, Transport: "tcp",
		Bind: bind, Connect: connect, Outcome: o, RFC: harness.VerdictPass}
}

// Blame: a failure between two implementations is triangulated against each one's own
// pairing; every red record says who.
func TestBlameTriangulates(t *testing.T) {
	recs := []harness.Record{
		rec("A.1", "gozmq", "gozmq", harness.XFail), rec("A.1", "libzmq", "libzmq", harness.Pass),
		rec("A.1", "gozmq", "libzmq", harness.Fail), rec("A.1", "libzmq", "gozmq", harness.Fail),
		rec("A.2", "gozmq", "gozmq", harness.Pass), rec("A.2", "libzmq", "libzmq", harness.Pass),
		rec("A.2", "gozmq", "libzmq", harness.Fail),
		rec("A.3", "gozmq", "gozmq", harness.Fail), rec("A.3", "libzmq", "libzmq", harness.Fail),
		rec("A.3", "gozmq", "libzmq", harness.Fail),
		rec("A.4", "gozmq", "libzmq", harness.XPass),
		rec("A.5", "gozmq", "libzmq", harness.Fail),
		rec("W.1", "gozmq", "zmtp", harness.Fail), rec("W.1", "zmtp", "libzmq", harness.Hang),
	}
	crash := rec("A.6", "gozmq", "libzmq", harness.Crash)
	crash.Blame = "connect:libzmq"
	recs = append(recs, crash)
	SetBlame(recs)
	want := map[string]string{
		"A.1 tcp gozmq→libzmq": "bind:gozmq", "A.1 tcp libzmq→gozmq": "connect:gozmq",
		"A.2 tcp gozmq→libzmq": "pairing", "A.3 tcp gozmq→libzmq": "both", "A.3 tcp gozmq→gozmq": "gozmq",
		"A.4 tcp gozmq→libzmq": "expectations", "A.5 tcp gozmq→libzmq": "undetermined",
		"A.6 tcp gozmq→libzmq": "connect:libzmq",
		"W.1 tcp gozmq→zmtp":   "bind:gozmq", "W.1 tcp zmtp→libzmq": "connect:libzmq",
	}
	for _, r := range recs {
		if w, ok := want[r.ID]; ok && r.Blame != w {
			t.Errorf("%s: blame %q, want %q", r.ID, r.Blame, w)
		}
		if r.Outcome.Red() && r.Blame == "" {
			t.Errorf("%s: red without blame", r.ID)
		}
		if !r.Outcome.Red() && r.Blame != "" {
			t.Errorf("%s: %s blamed %q", r.ID, r.Outcome, r.Blame)
		}
	}
}

func TestReferenceIsLibzmqInTheSameCell(t *testing.T) {
	recs := []harness.Record{rec("A.1", "libzmq", "libzmq", harness.Pass), rec("A.1", "gozmq", "pyzmq", harness.Fail),
		rec("A.1", "pyzmq", "pyzmq", harness.Pass), rec("A.2", "gozmq", "gozmq", harness.Pass)}
	recs[1].RFC = harness.VerdictFail
	SetReference(recs)
	for i, want := range []harness.Verdict{harness.VerdictPass, harness.VerdictFail, harness.VerdictPass, harness.VerdictNA} {
		if recs[i].Reference != want {
			t.Errorf("%s: reference %s, want %s", recs[i].ID, recs[i].Reference, want)
		}
	}
}

func TestReasonsAreOneLine(t *testing.T) {
	r, d := splitReason("a second request\nExpected\n    <string>: \nto equal\n    <string>: efsm")
	if r != `a second request Expected "" to equal "efsm"` || !strings.Contains(d, "\n") {
		t.Errorf("reason %q detail %q", r, d)
	}
	r, d = splitReason("simple")
	if r != "simple" || d != "" {
		t.Errorf("reason %q detail %q", r, d)
	}
	r, _ = splitReason(strings.Repeat("x", 1000))
	if len(r) > 310 {
		t.Errorf("reason of %d bytes", len(r))
	}
}

// runFor is a Run over given cells, without discovery.
func runFor(t *testing.T, exps string) *Run {
	t.Helper()
	x, err := scenarios.ParseExpectations("t.yaml", []byte(exps))
	if err != nil {
		t.Fatal(err)
	}
	return &Run{Suite: NewSuite("faults"), Found: &Found{}, Expectations: x}
}

func entry(name string, v any) types.ReportEntry {
	e := types.ReportEntry{Name: name}
	e.Value = types.WrapEntryValue(v)
	return e
}

// Collect: a cell whose peer died after the cell ended becomes that cell's crash (a known
// crash stays known); a cell Ginkgo timed out before its verdict is a hang; nothing is lost.
func TestCollectAppliesLateCrashesAndUnfinishedCells(t *testing.T) {
	r := runFor(t, "- suite: faults\n  case: A.9\n  reason: known crash\n  link: not reported upstream\n")
	st := func(id string) started {
		return started{ID: id + " tcp gozmq→gozmq", Case: id, Level: "M", Transport: "tcp", Bind: "gozmq", Connect: "gozmq"}
	}
	passed := func(id string) harness.Record {
		x := rec(id, "gozmq", "gozmq", harness.Pass)
		return x
	}
	late := &harness.LateCrash{Cell: "A.1 tcp gozmq→gozmq", Found: "A.2 tcp gozmq→gozmq",
		Fault: &harness.Fault{Kind: harness.FaultCrash, Impl: "gozmq", Role: "bind", Step: "the time after the cell ended", Detail: "exited: exit status 2",
			StderrTail: "fatal error: out of memory\n"}}
	late9 := *late
	late9.Cell = "A.9 tcp gozmq→gozmq"
	rep := types.Report{SpecReports: types.SpecReports{
		{State: types.SpecStatePassed, ReportEntries: types.ReportEntries{entry(StartEntry, st("A.1")), entry(RecordEntry, passed("A.1"))}},
		{State: types.SpecStatePassed, ReportEntries: types.ReportEntries{entry(StartEntry, st("A.2")), entry(LateEntry, late), entry(LateEntry, &late9), entry(RecordEntry, passed("A.2"))}},
		{State: types.SpecStateTimedout, RunTime: 30 * time.Second, Failure: types.Failure{Message: "A spec timeout occurred"},
			ReportEntries: types.ReportEntries{entry(StartEntry, st("A.3"))}},
		{State: types.SpecStatePassed, ReportEntries: types.ReportEntries{entry(StartEntry, st("A.9")), entry(RecordEntry, passed("A.9"))}},
	}}
	res, err := r.Collect(rep)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]harness.Record{}
	for _, x := range res.Records {
		got[x.Case] = x
	}
	if len(got) != 4 {
		t.Fatalf("%d records, want 4: %+v", len(got), res.Records)
	}
	if a := got["A.1"]; a.Outcome != harness.Crash || a.LateCrash != "A.2 tcp gozmq→gozmq" || a.Blame != "bind:gozmq" ||
		!strings.Contains(a.Reason, "died after the cell ended") || !strings.Contains(a.StderrTail, "out of memory") {
		t.Errorf("A.1: %+v", a)
	}
	if a := got["A.2"]; a.Outcome != harness.Pass {
		t.Errorf("A.2, which found the dead peer, is %s", a.Outcome)
	}
	if a := got["A.3"]; a.Outcome != harness.Hang || a.Blame == "" {
		t.Errorf("A.3: %+v", a)
	}
	if a := got["A.9"]; a.Outcome != harness.XFail || a.Expectation == nil {
		t.Errorf("A.9 (a known crash): %+v", a)
	}
}

func TestTallyNamesEveryRedOutcome(t *testing.T) {
	got := Tally([]harness.Record{rec("A.1", "a", "a", harness.Pass), rec("A.2", "a", "a", harness.XFail)})
	if got != "2 cells: 1 pass, 1 xfail, 0 fail, 0 xpass, 0 crash, 0 hang" {
		t.Errorf("%q", got)
	}
}

func TestCaseOrder(t *testing.T) {
	for _, p := range [][2]string{{"REQ.2", "REQ.10"}, {"PP.9", "PUB.1"}, {"W.FR.3", "W.FR.4"}} {
		if !CaseLess(p[0], p[1]) || CaseLess(p[1], p[0]) {
			t.Errorf("%s vs %s", p[0], p[1])
		}
	}
}
