package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
)

// mergeCLI runs `zmqsuite merge` as a user does, and returns its exit status and output.
func mergeCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "zmqsuite")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"merge"}, args...)...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, so.String(), se.String()
}

// conformanceShard runs a slice of the conformance matrix for real (gozmq and libzmq peers,
// the PAIR cases over tcp) as one shard, and returns its results file.
func conformanceShard(t *testing.T, shard string) string {
	t.Helper()
	out := t.TempDir()
	bin, err := harness.PeerBinary()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"ZMQSUITE_OUT": out, "ZMQSUITE_ROOT": harness.RepoRoot(), "ZMQSUITE_ZMQPEER": bin,
		"ZMQSUITE_IMPLS": "gozmq,libzmq", "ZMQSUITE_PEERS": "", "ZMQSUITE_OPTIONAL": "",
		harness.HostBindEnv: "", harness.HostConnectEnv: "", harness.ScenarioEnv: ""} {
		t.Setenv(k, v)
	}
	var so, se bytes.Buffer
	code := matrix.RunSuite(matrix.RunOptions{Suite: "conformance", Filter: "pattern:pair && transport:tcp", Shard: shard,
		Procs: 2, Timeout: 10 * time.Minute}, &so, &se)
	if code != matrix.ExitGreen && code != matrix.ExitRed {
		t.Fatalf("shard %q: exit %d\n%s%s", shard, code, so.String(), se.String())
	}
	return filepath.Join(out, "conformance", "results.json")
}

func outcomes(t *testing.T, path string) map[string]string {
	t.Helper()
	var r harness.SuiteResults
	if err := harness.ReadJSON(path, harness.SuiteSchema, &r); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, rec := range r.Records {
		m[rec.ID] = string(rec.Outcome) + " reference=" + string(rec.Reference) + " blame=" + rec.Blame
	}
	return m
}

// Two shards of a real slice of the conformance matrix, merged, give cell by cell what one
// unsharded run gives; shards of different filters, a lone shard and overlapping shards are
// refused in one line with exit status 2.
func TestMergeOfRealShardsEqualsTheUnshardedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a slice of the conformance matrix three times")
	}
	whole := conformanceShard(t, "")
	s1, s2 := conformanceShard(t, "1/2"), conformanceShard(t, "2/2")
	merged := filepath.Join(t.TempDir(), "results.json")
	code, so, se := mergeCLI(t, "-o", merged, s1, s2)
	if code != 0 {
		t.Fatalf("merge: exit %d\n%s%s", code, so, se)
	}
	got, want := outcomes(t, merged), outcomes(t, whole)
	if len(want) < 8 {
		t.Fatalf("the slice has %d cells: too few to say anything", len(want))
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: merged %q, unsharded %q", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("merged %d cells, unsharded %d", len(got), len(want))
	}
	// stdout is the merged file too.
	code, so, _ = mergeCLI(t, s2, s1)
	var r harness.SuiteResults
	if code != 0 || json.Unmarshal([]byte(so), &r) != nil || len(r.Records) != len(want) || strings.Join(r.Selection.Merged, ",") != "1/2,2/2" {
		t.Errorf("merge to stdout: exit %d, %d records, merged %v", code, len(r.Records), r.Selection.Merged)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{s1}, "shard 2/2 missing (have 1/2)"},
		{[]string{s1, s1}, "are both shard 1/2"},
		{[]string{s1, whole}, "is not a shard"},
	} {
		code, so, se := mergeCLI(t, c.args...)
		if code != 2 || so != "" || strings.Count(strings.TrimSpace(se), "\n") != 0 || !strings.Contains(se, c.want) {
			t.Errorf("merge %v: exit %d, stdout %d bytes, stderr %q (want one line with %q)", c.args, code, len(so), se, c.want)
		}
	}
	// A shard of another filter.
	var other harness.SuiteResults
	if err := harness.ReadJSON(s2, harness.SuiteSchema, &other); err != nil {
		t.Fatal(err)
	}
	other.Selection.Filter = "pattern:pair"
	odd := filepath.Join(t.TempDir(), "odd.json")
	if err := harness.WriteJSON(odd, other); err != nil {
		t.Fatal(err)
	}
	if code, _, se := mergeCLI(t, s1, odd); code != 2 || !strings.Contains(se, "filters differ") {
		t.Errorf("a shard of another filter: exit %d, %q", code, se)
	}
	_ = os.Remove(odd)
}
