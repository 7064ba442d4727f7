package matrix_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
)

// These tests run a real suite (testdata/selftest: a passing, a failing and a skipped case)
// through `zmqsuite suite`'s runner, with real gozmq peers, and check what a person at the
// terminal and the results file get for each kind of bad input. Each of them was green, or
// silent, before the engine.

type selftestRun struct {
	code           int
	stdout, stderr string
	out            string // ZMQSUITE_OUT of the run
	tmp            string // TMPDIR of the run
}

// runSelftest runs the selftest suite with env set on top of a private output directory and
// a private TMPDIR (so that leftovers can be counted).
func runSelftest(t *testing.T, filter string, env ...string) selftestRun {
	t.Helper()
	if testing.Short() {
		t.Skip("runs Ginkgo and real peers")
	}
	root := harness.RepoRoot()
	out := t.TempDir()
	tmp := t.TempDir()
	bin, err := harness.PeerBinary()
	if err != nil {
		t.Fatalf("zmqpeer: %v", err)
	}
	vars := append([]string{"ZMQSUITE_OUT=" + out, "TMPDIR=" + tmp, "ZMQSUITE_ROOT=" + root, "ZMQSUITE_ZMQPEER=" + bin,
		"ZMQSUITE_IMPLS=gozmq", "ZMQSUITE_PEERS=", "ZMQSUITE_OPTIONAL=", "ZMQSUITE_SHARD="}, env...)
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	var so, se bytes.Buffer
	code := matrix.RunSuite(matrix.RunOptions{Suite: "selftest", Package: "./harness/matrix/testdata/selftest",
		Filter: filter, Procs: 2, Timeout: 5 * time.Minute}, &so, &se)
	return selftestRun{code: code, stdout: so.String(), stderr: se.String(), out: out, tmp: tmp}
}

func (r selftestRun) results(t *testing.T) *harness.SuiteResults {
	t.Helper()
	var s harness.SuiteResults
	if err := harness.ReadJSON(filepath.Join(r.out, "selftest", "results.json"), harness.SuiteSchema, &s); err != nil {
		t.Fatalf("results: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return &s
}

func TestRunnerReportsEveryCellAndCleansUp(t *testing.T) {
	r := runSelftest(t, "")
	if r.code != matrix.ExitRed {
		t.Fatalf("exit %d, want %d (ST.2 fails on purpose)\n%s%s", r.code, matrix.ExitRed, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"selftest: 3 cells of 3",
		"fail ST.2 tcp gozmq→gozmq: one is not two",
		"skip ST.3 tcp gozmq→gozmq: gozmq does not support socket type NOSUCH",
		"selftest: 3 cells: 1 pass, 1 skip, 1 fail, 0 xpass, 0 crash, 0 hang; results in ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "pass ST.1") {
		t.Errorf("a passing cell got a line of its own:\n%s", r.stdout)
	}
	res := r.results(t)
	if res.Selection.Cells != 3 || len(res.Records) != 3 {
		t.Fatalf("selection %d cells, %d records, want 3 and 3", res.Selection.Cells, len(res.Records))
	}
	for _, rec := range res.Records {
		if strings.Contains(rec.Reason, "\n") {
			t.Errorf("%s: reason is not one line: %q", rec.ID, rec.Reason)
		}
		if rec.Outcome.Red() && rec.Blame == "" {
			t.Errorf("%s: red without blame", rec.ID)
		}
		if !strings.Contains(rec.Rerun, "case:"+rec.Case+" && transport:tcp && bind:gozmq && connect:gozmq") {
			t.Errorf("%s: rerun %q does not select exactly this cell", rec.ID, rec.Rerun)
		}
	}
	left, _ := filepath.Glob(filepath.Join(r.tmp, "zs*"))
	if len(left) > 0 {
		t.Errorf("the run left its ipc directories behind: %v", left)
	}
}

// A filter that selects nothing is an error in one line, and the results of the run before
// stay as they were.
func TestRunnerRefusesAFilterThatSelectsNothing(t *testing.T) {
	r := runSelftest(t, "transport:tpc")
	if r.code != matrix.ExitUnusable {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, matrix.ExitUnusable, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, `FILTER="transport:tpc" selects none of the 3 selftest cells (labels here: `) ||
		!strings.Contains(r.stderr, "transport:tcp") {
		t.Errorf("stderr does not name the filter and the labels there are:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(r.out, "selftest", "results.json")); err == nil {
		t.Errorf("a run that selected nothing wrote results")
	}
	r = runSelftest(t, "case:ST.1 &&")
	if r.code != matrix.ExitUnusable || !strings.Contains(r.stderr, `FILTER="case:ST.1 &&": syntax error: Unexpected EOF.`) {
		t.Errorf("a filter with a syntax error: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// An implementation the run was asked for that cannot start ends the run at once, naming it;
// marked optional, the run goes on without it and says so.
func TestRunnerRequiresEveryImplementationAskedFor(t *testing.T) {
	for _, peers := range []string{"x=/no/such/binary", "x=/bin/true"} {
		r := runSelftest(t, "", "ZMQSUITE_PEERS="+peers, "ZMQSUITE_IMPLS=gozmq,x")
		if r.code != matrix.ExitUnusable || !strings.Contains(r.stderr, "selftest: x is required but unavailable: ") ||
			!strings.Contains(r.stderr, "ZMQSUITE_OPTIONAL=x") {
			t.Errorf("ZMQSUITE_PEERS=%s: exit %d, stderr:\n%s", peers, r.code, r.stderr)
		}
	}
	r := runSelftest(t, "case:ST.1", "ZMQSUITE_PEERS=x=/bin/true", "ZMQSUITE_IMPLS=gozmq,x", "ZMQSUITE_OPTIONAL=x")
	if r.code != matrix.ExitGreen || !strings.Contains(r.stdout, "x left out (optional: ZMQSUITE_OPTIONAL names it)") {
		t.Errorf("optional x: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if res := r.results(t); len(res.Selection.Absent) != 1 {
		t.Errorf("the results do not say x was left out: %v", res.Selection.Absent)
	}
}

// A relative path in a ZMQSUITE_PEERS command means the same wherever the suite runs (go test
// starts it in its package directory): peers start in the repository root.
func TestRunnerResolvesRelativePeerCommandsAgainstTheRoot(t *testing.T) {
	bin, err := harness.PeerBinary()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(harness.RepoRoot(), bin)
	if err != nil || strings.HasPrefix(rel, "..") {
		t.Skipf("zmqpeer %s is not under the repository root", bin)
	}
	r := runSelftest(t, "case:ST.1 && bind:rel", "ZMQSUITE_PEERS=rel="+rel+" gozmq", "ZMQSUITE_IMPLS=gozmq,rel")
	if r.code != matrix.ExitGreen {
		t.Fatalf("relative command %q: exit %d\n%s%s", rel, r.code, r.stdout, r.stderr)
	}
	res := r.results(t)
	var ids []string
	for _, rec := range res.Records {
		ids = append(ids, rec.ID+"="+string(rec.Outcome))
	}
	if b, _ := json.Marshal(ids); !strings.Contains(string(b), "ST.1 tcp rel→gozmq=pass") {
		t.Errorf("cells: %s", b)
	}
}

// An interop entry (case "*") that holds: the pairing's cells are known failures, not run one
// by one. One that no longer holds (a message crosses): the cells run and the run is red,
// asking for the entry to go.
func TestRunnerChecksInteropEntries(t *testing.T) {
	bin, err := harness.PeerBinary()
	if err != nil {
		t.Fatal(err)
	}
	exps := filepath.Join(t.TempDir(), "interop.yaml")
	if err := os.WriteFile(exps, []byte(`- suite: selftest
  case: "*"
  transport: tcp
  bind: gozmq
  connect: other
  reason: these two never exchange a message
  link: not reported upstream
`), 0o644); err != nil {
		t.Fatal(err)
	}
	// "other" is a gozmq peer whose sends vanish: the entry holds.
	r := runSelftest(t, "bind:gozmq && connect:other", "ZMQSUITE_PEERS=other="+bin+" fault mute", "ZMQSUITE_IMPLS=gozmq,other",
		"ZMQSUITE_EXPECTATIONS="+exps)
	if r.code != matrix.ExitGreen {
		t.Fatalf("holding interop entry: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, rec := range r.results(t).Records {
		if rec.Bind == "gozmq" && rec.Connect == "other" && (rec.Outcome != harness.XFail || !strings.HasPrefix(rec.Reason, "not run: gozmq and other do not interoperate over tcp")) {
			t.Errorf("%s: %s %q", rec.ID, rec.Outcome, rec.Reason)
		}
	}
	// "other" is a plain gozmq peer: the entry is stale.
	r = runSelftest(t, "bind:gozmq && connect:other && case:ST.1", "ZMQSUITE_PEERS=other="+bin+" gozmq", "ZMQSUITE_IMPLS=gozmq,other",
		"ZMQSUITE_EXPECTATIONS="+exps)
	if r.code != matrix.ExitRed || !strings.Contains(r.stdout, "xpass INTEROP tcp gozmq→other: expected not to interoperate but a message crossed both ways: remove the entry at "+exps+":1") {
		t.Errorf("stale interop entry: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A suite's own probe (Run.Probe) checks an interop entry instead of the PAIR probe: the entry
// holds when the probe fails (the cells are known failures naming the probe), and is stale
// when it passes, even though a PAIR probe would have failed ("other" loses every message).
func TestRunnerSuiteProbe(t *testing.T) {
	bin, err := harness.PeerBinary()
	if err != nil {
		t.Fatal(err)
	}
	exps := filepath.Join(t.TempDir(), "interop.yaml")
	if err := os.WriteFile(exps, []byte(`- suite: selftest
  case: "*"
  transport: tcp
  bind: gozmq
  connect: other
  reason: these two never exchange a message
  link: not reported upstream
`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"ZMQSUITE_PEERS=other=" + bin + " fault mute", "ZMQSUITE_IMPLS=gozmq,other", "ZMQSUITE_EXPECTATIONS=" + exps}
	r := runSelftest(t, "bind:gozmq && connect:other && case:ST.1", append(env, "SELFTEST_PROBE=holds")...)
	if r.code != matrix.ExitGreen {
		t.Fatalf("holding interop entry, suite probe: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	got := map[string]string{}
	for _, rec := range r.results(t).Records {
		got[rec.Case] = string(rec.Outcome) + ": " + rec.Reason + rec.Observed
	}
	if want := "xfail: not run: gozmq and other do not interoperate over tcp (the selftest probe: compare protocols: no common protocol)no interoperation"; got["ST.1"] != want {
		t.Errorf("ST.1: %q, want %q", got["ST.1"], want)
	}
	r = runSelftest(t, "bind:gozmq && connect:other && case:ST.1", append(env, "SELFTEST_PROBE=stale")...)
	if r.code != matrix.ExitRed || !strings.Contains(r.stdout, "xpass INTEROP tcp gozmq→other: expected not to interoperate but a message crossed both ways: remove the entry at "+exps+":1") {
		t.Errorf("stale interop entry, suite probe: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestMain removes this process's ipc directory (the in-process specs' endpoints) at the end,
// as the runner does for a suite's processes.
func TestMain(m *testing.M) {
	code := m.Run()
	harness.RemoveIPCDir()
	os.Exit(code)
}
