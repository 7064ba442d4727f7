package matrix

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// shardRun is a small run's records: case A.1 over three implementations on tcp, where
// gozmq→libzmq fails and every implementation passes with itself (blame: the pairing), and
// A.2 where pyzmq fails with itself too (blame: pyzmq).
func shardRun() []harness.Record {
	var out []harness.Record
	for _, c := range []string{"A.1", "A.2"} {
		for _, b := range []string{"gozmq", "libzmq", "pyzmq"} {
			for _, k := range []string{"gozmq", "libzmq", "pyzmq"} {
				o := harness.Pass
				if (c == "A.1" && b == "gozmq" && k == "libzmq") || (c == "A.2" && (b == "pyzmq" || k == "pyzmq")) {
					o = harness.Fail
				}
				r := rec(c, b, k, o)
				r.Suite, r.Transport = "conformance", "tcp"
				r.ID = CellID(c, "tcp", "", b, k)
				if o == harness.Fail {
					r.RFC = harness.VerdictFail
				}
				out = append(out, r)
			}
		}
	}
	// A crash keeps the side its own fault named, whatever the merge finds.
	out[5].Outcome, out[5].Blame = harness.Crash, "connect:pyzmq"
	return out
}

// shards splits records as Select does (sorted ids, every n-th), and collects each shard as
// its own run would: reference and blame from its records alone.
func shards(t *testing.T, recs []harness.Record, n int, mut func(i int, r *harness.SuiteResults)) []SuitePart {
	t.Helper()
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	sort.Strings(ids)
	var parts []SuitePart
	for i := 1; i <= n; i++ {
		keep := map[string]bool{}
		for k, id := range ids {
			if k%n == i-1 {
				keep[id] = true
			}
		}
		res := &harness.SuiteResults{Schema: harness.SuiteSchema, Suite: "conformance", Generated: fmt.Sprintf("2026-12-01T10:0%d:00Z", i),
			Env:             harness.Env{OS: "linux", Arch: "amd64", Host: fmt.Sprintf("runner-%d", i)},
			Implementations: []peer.Hello{{Name: "gozmq", Version: "v0.17.0"}, {Name: "libzmq", Version: "v1.4.0", Libzmq: "4.3.4"}},
			Selection: harness.Selection{Filter: "transport:tcp", Shard: fmt.Sprintf("%d/%d", i, n), Total: len(recs),
				Expectations: "sha256:aa"}}
		for _, r := range recs {
			if keep[r.ID] {
				res.Records = append(res.Records, r)
			}
		}
		SetReference(res.Records)
		SetBlame(res.Records)
		res.Selection.Cells = len(res.Records)
		if mut != nil {
			mut(i, res)
		}
		parts = append(parts, SuitePart{Path: fmt.Sprintf("shard-%d.json", i), Res: res})
	}
	return parts
}

func verdicts(recs []harness.Record) map[string]string {
	out := map[string]string{}
	for _, r := range recs {
		out[r.ID] = fmt.Sprintf("%s ref=%s blame=%s", r.Outcome, r.Reference, r.Blame)
	}
	return out
}

// Merged shards give, cell by cell, what one unsharded run gives: the shards' own reference
// verdicts and triangulated blame (computed without the other shards' cells) are redone.
func TestMergedShardsEqualOneRun(t *testing.T) {
	whole := shardRun()
	SetReference(whole)
	SetBlame(whole)
	for _, n := range []int{2, 3, 18} {
		parts := shards(t, shardRun(), n, nil)
		if n == 2 {
			if v := verdicts(parts[0].Res.Records)["A.1 tcp gozmq→libzmq"] + verdicts(parts[1].Res.Records)["A.1 tcp gozmq→libzmq"]; !strings.Contains(v, "blame=undetermined") {
				t.Fatalf("the test needs a shard that cannot triangulate alone: %s", v)
			}
		}
		m, err := MergeShards(parts)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if got, want := verdicts(m.Records), verdicts(whole); !reflect.DeepEqual(got, want) {
			t.Errorf("n=%d: merged\n%v\nwant\n%v", n, got, want)
		}
		sel := m.Selection
		if sel.Shard != "" || sel.Cells != len(whole) || sel.Total != len(whole) || len(sel.Merged) != n || sel.Merged[0] != fmt.Sprintf("1/%d", n) {
			t.Errorf("n=%d: selection %+v", n, sel)
		}
		if m.Generated != fmt.Sprintf("2026-12-01T10:0%d:00Z", min(n, 9)) && n < 10 {
			t.Errorf("n=%d: generated %s, want the latest shard's", n, m.Generated)
		}
	}
	m, _ := MergeShards(shards(t, shardRun(), 2, nil))
	if v := verdicts(m.Records)["A.1 tcp gozmq→libzmq"]; v != "fail ref=fail blame=pairing" {
		t.Errorf("A.1 gozmq→libzmq: %s", v)
	}
	if v := verdicts(m.Records)["A.1 tcp libzmq→pyzmq"]; v != "crash ref=fail blame=connect:pyzmq" {
		t.Errorf("a crash's own blame: %s", v)
	}
}

// Shards that are not of one run, or not all of it, are refused in one line naming what
// differs.
func TestMergeRefusesInconsistentShards(t *testing.T) {
	for _, c := range []struct {
		name string
		mut  func(i int, r *harness.SuiteResults)
		drop int // drop the shard with this i
		n    int
		want string
	}{
		{name: "a missing shard", n: 3, drop: 2, want: "shard 2/3 missing (have 1/3, 3/3)"},
		{name: "different versions", n: 2, mut: func(i int, r *harness.SuiteResults) {
			if i == 2 {
				r.Implementations[0].Version = "v0.16.0"
			}
		}, want: "shard-1.json and shard-2.json are not of one run: implementations or versions differ (gozmq v0.17.0, libzmq v1.4.0 (libzmq 4.3.4) vs gozmq v0.16.0, libzmq v1.4.0 (libzmq 4.3.4))"},
		{name: "different filters", n: 2, mut: func(i int, r *harness.SuiteResults) {
			if i == 2 {
				r.Selection.Filter = "transport:ipc"
			}
		}, want: `filters differ ("transport:tcp" vs "transport:ipc")`},
		{name: "different expectations", n: 2, mut: func(i int, r *harness.SuiteResults) {
			if i == 2 {
				r.Selection.Expectations = "sha256:bb"
			}
		}, want: "expectations files differ (sha256:aa vs sha256:bb)"},
		{name: "another suite", n: 2, mut: func(i int, r *harness.SuiteResults) {
			if i == 2 {
				r.Suite = "wire"
			}
		}, want: "suites differ (conformance vs wire)"},
		{name: "another platform", n: 2, mut: func(i int, r *harness.SuiteResults) {
			if i == 2 {
				r.Env.OS = "darwin"
			}
		}, want: "platforms differ (linux/amd64 vs darwin/amd64)"},
		{name: "overlapping shards", n: 2, mut: func(i int, r *harness.SuiteResults) {
			if i == 2 {
				r.Records = append(r.Records, shardRun()[0])
				r.Selection.Cells++
			}
		}, want: `cell "A.1 tcp gozmq→gozmq" is in shard-1.json and in shard-2.json: the parts overlap`},
		{name: "different n", n: 2, mut: func(i int, r *harness.SuiteResults) {
			if i == 2 {
				r.Selection.Shard = "2/3"
			}
		}, want: "shard-1.json is shard 1/2, shard-2.json is shard 2/3: the shards of one run have one n"},
		{name: "the same shard twice", n: 2, mut: func(i int, r *harness.SuiteResults) {
			if i == 2 {
				r.Selection.Shard = "1/2"
			}
		}, want: "shard-1.json and shard-2.json are both shard 1/2"},
		{name: "not a shard", n: 2, mut: func(i int, r *harness.SuiteResults) {
			if i == 1 {
				r.Selection.Shard = ""
			}
		}, want: "shard-1.json is not a shard"},
		{name: "a shard that lost cells", n: 2, mut: func(i int, r *harness.SuiteResults) {
			if i == 2 {
				r.Records = r.Records[1:]
			}
		}, want: "shard-2.json holds 8 records for the 9 cells its selection has"},
		{name: "different selections", n: 2, mut: func(i int, r *harness.SuiteResults) {
			if i == 2 {
				r.Selection.Total = 17
			}
		}, want: "shard-1.json says the selection has 18 cells, shard-2.json says 17"},
		{name: "shards of a smaller selection", n: 2, mut: func(i int, r *harness.SuiteResults) {
			r.Selection.Total = 20
		}, want: "the shards hold 18 of the 20 cells their selection has"},
	} {
		parts := shards(t, shardRun(), c.n, c.mut)
		if c.drop > 0 {
			parts = append(parts[:c.drop-1], parts[c.drop:]...)
		}
		_, err := MergeShards(parts)
		switch {
		case err == nil:
			t.Errorf("%s: merged", c.name)
		case strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: more than one line: %q", c.name, err)
		case !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: %q lacks %q", c.name, err, c.want)
		}
	}
}

// The per-scenario runs of one cross-host run merge into one file; the same scenario twice,
// or another run's part, does not.
func TestMergeScenarios(t *testing.T) {
	part := func(scen string, mut func(*harness.SuiteResults)) SuitePart {
		var recs []harness.Record
		for _, r := range shardRun() {
			r.Suite, r.Scenario = "hosts", scen
			r.ID = CellID(r.Case, r.Transport, scen, r.Bind, r.Connect)
			recs = append(recs, r)
		}
		SetReference(recs)
		SetBlame(recs)
		res := &harness.SuiteResults{Schema: harness.SuiteSchema, Suite: "hosts", Env: harness.Env{OS: "linux", Arch: "amd64"},
			Selection: harness.Selection{Filter: "transport:tcp", Cells: len(recs), Total: len(recs), Scenarios: []string{scen},
				Network: "netsim tun", Hosts: map[string]string{"hostA": "10.254.1.2", "hostB": "10.254.2.2"}}, Records: recs}
		if mut != nil {
			mut(res)
		}
		return SuitePart{Path: scen + ".json", Res: res}
	}
	m, err := MergeScenarios([]SuitePart{part("20ms", nil), part("20ms-1%", nil), part("mtu1280", nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Records) != 54 || m.Selection.Cells != 54 || m.Selection.Total != 54 || strings.Join(m.Selection.Scenarios, ",") != "20ms,20ms-1%,mtu1280" {
		t.Errorf("merged %d records, selection %+v", len(m.Records), m.Selection)
	}
	if v := verdicts(m.Records)["A.1 tcp@20ms-1% gozmq→libzmq"]; v != "fail ref=fail blame=pairing" {
		t.Errorf("blame within a scenario: %s", v)
	}
	if _, err := MergeScenarios([]SuitePart{part("20ms", nil), part("20ms", nil)}); err == nil || !strings.Contains(err.Error(), "are both scenario 20ms") {
		t.Errorf("the same scenario twice: %v", err)
	}
	if _, err := MergeScenarios([]SuitePart{part("20ms", nil), part("mtu1280", func(r *harness.SuiteResults) { r.Selection.Filter = "" })}); err == nil ||
		!strings.Contains(err.Error(), "filters differ") {
		t.Errorf("another run's part: %v", err)
	}
}
