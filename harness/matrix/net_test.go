package matrix_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

// These tests run a real suite (testdata/nettest) across netsim's two hosts through `zmqsuite
// suite --net`'s runner, with real gozmq peers in the hosts' namespaces, and check the
// records, the terminal, and that nothing is left behind — after a normal run, and after the
// runner was killed with SIGKILL mid-run and the next run started.

// netEnv is the environment of a nettest run: a private output directory and TMPDIR.
func netEnv(t *testing.T, out string) []string {
	t.Helper()
	bin, err := harness.PeerBinary()
	if err != nil {
		t.Fatalf("zmqpeer: %v", err)
	}
	return []string{"ZMQSUITE_OUT=" + out, "ZMQSUITE_ROOT=" + harness.RepoRoot(), "ZMQSUITE_ZMQPEER=" + bin,
		"ZMQSUITE_IMPLS=gozmq", "ZMQSUITE_PEERS=", "ZMQSUITE_OPTIONAL=", "ZMQSUITE_SHARD=",
		harness.HostBindEnv + "=", harness.HostConnectEnv + "=", harness.ScenarioEnv + "=", harness.NetworkEnv + "="}
}

func needNetsim(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds networks and runs Ginkgo with real peers")
	}
	if why := netsim.Available(); why != "" {
		t.Skip(why)
	}
}

func nettestOptions(filter string, nets ...string) matrix.RunOptions {
	return matrix.RunOptions{Suite: "nettest", Package: "./harness/matrix/testdata/nettest", Filter: filter,
		Procs: 2, Timeout: 5 * time.Minute, Net: nets}
}

// ourNamespaces lists netsim's namespaces of the given runs (all of netsim's with none given).
func ourNamespaces(t *testing.T, runs ...string) []string {
	t.Helper()
	ents, err := os.ReadDir("/run/netns")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, netsim.Prefix) {
			continue
		}
		if len(runs) == 0 {
			out = append(out, n)
		}
		for _, r := range runs {
			if strings.HasSuffix(n, "-"+r) {
				out = append(out, n)
			}
		}
	}
	return out
}

var networkRe = regexp.MustCompile(`\(netsim (\w+) backend, network ([a-z0-9]{6})\)`)

func TestAcrossNetsimHostsRecordsScenarioAndHostsAndCleansUp(t *testing.T) {
	needNetsim(t)
	out := t.TempDir()
	for _, kv := range netEnv(t, out) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	var so, se bytes.Buffer
	code := matrix.RunSuite(nettestOptions("!case:NT.6", "20ms"), &so, &se)
	stdout := so.String()
	if code != matrix.ExitRed {
		t.Fatalf("exit %d, want %d (NT.2 fails on purpose)\n%s%s", code, matrix.ExitRed, stdout, se.String())
	}
	m := networkRe.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("stdout does not name the network:\n%s", stdout)
	}
	backend, run := m[1], m[2]
	for _, want := range []string{
		"nettest-hosts: scenario 20ms (netsim " + backend + " backend, network " + run + "): bind side on hostB ",
		"fail NT.2 tcp@20ms gozmq→gozmq: one is not two Expected 1 to equal 2 — rerun: make nettest-hosts NET=20ms FILTER='case:NT.2 && transport:tcp && bind:gozmq && connect:gozmq'",
		"skip NT.3 ipc@20ms gozmq→gozmq: not across hosts: ipc never leaves one machine",
		"skip NT.4 tcp@20ms gozmq→gozmq: not across hosts: the case went through the loopback address tcp://127.0.0.1:",
		"skip NT.5 tcp@20ms gozmq→gozmq: not across hosts: it compares two sockets of one machine",
		"nettest-hosts: merged 20ms: 6 cells: 2 pass, 3 skip, 1 fail, 0 xpass, 0 crash, 0 hang; results in " + filepath.Join(out, "nettest-hosts", "results.json"),
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	var res harness.SuiteResults
	if err := harness.ReadJSON(filepath.Join(out, "nettest-hosts", "results.json"), harness.SuiteSchema, &res); err != nil {
		t.Fatal(err)
	}
	sel := res.Selection
	if res.Suite != "nettest-hosts" || sel.Cells != 6 || sel.Total != 6 || strings.Join(sel.Scenarios, ",") != "20ms" ||
		sel.Network != "netsim "+backend || sel.Hosts["hostB"] == "" || sel.Hosts["hostA"] == "" || !strings.HasPrefix(sel.Expectations, "sha256:") {
		t.Errorf("suite %q selection %+v", res.Suite, sel)
	}
	for _, r := range res.Records {
		if r.Scenario != "20ms" || !strings.Contains(r.ID, "@20ms ") || !strings.Contains(r.Rerun, "NET=20ms ") {
			t.Errorf("%s: scenario %q rerun %q", r.ID, r.Scenario, r.Rerun)
		}
		crossed := r.Outcome != harness.Skip || r.Case == "NT.4" || r.Case == "NT.7"
		if crossed && (r.Hosts["bind"] != "hostB" || r.Hosts["connect"] != "hostA") {
			t.Errorf("%s took part across hosts but names hosts %v", r.ID, r.Hosts)
		}
		if !crossed && r.Hosts != nil {
			t.Errorf("%s never ran, yet names hosts %v", r.ID, r.Hosts)
		}
		if r.Case == "NT.7" && r.Outcome != harness.Pass {
			// A connect-side socket that binds does so on its own host (NewEndpointOn).
			t.Errorf("NT.7, a connect-side bind across hosts, is %s: %s", r.Outcome, r.Detail)
		}
		if r.Case == "NT.4" && !strings.Contains(r.Detail, "its verdict across hosts would have been fail") {
			t.Errorf("NT.4's detail does not keep what the loopback address did: %q", r.Detail)
		}
	}
	if left := ourNamespaces(t, run); len(left) > 0 {
		t.Errorf("the run left its namespaces: %v", left)
	}
	if _, err := os.Stat(filepath.Join(netsim.StateRoot, run)); err == nil {
		t.Errorf("the run left its state directory")
	}
}

// The runner's helper process for the kill test: it runs nettest's slow cell across hosts,
// and is killed with SIGKILL while that cell runs.
func TestHelperNetRunner(t *testing.T) {
	if os.Getenv("NETTEST_HELPER") != "1" {
		t.Skip("helper process of TestKilledRunnerLeavesNothingOnceTheNextRunStarts")
	}
	os.Exit(matrix.RunSuite(nettestOptions("case:NT.6", "20ms"), os.Stdout, os.Stderr))
}

// kill -9 of the runner mid-run: its Ginkgo processes and peers end by themselves within
// seconds (they watch the runner), the network it owned stays until the next run starts,
// which sweeps it: then nothing of it is left (namespaces, state, shaper, processes).
func TestKilledRunnerLeavesNothingOnceTheNextRunStarts(t *testing.T) {
	needNetsim(t)
	out := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNetRunner$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(append(os.Environ(), netEnv(t, out)...), "NETTEST_HELPER=1", "NETTEST_SLOW=1")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(pr)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	// Wait until the slow cell runs: its peers are up in both hosts.
	var run string
	deadline := time.After(4 * time.Minute)
	var seen []string
	for run == "" || !peersIn(run) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the runner ended before its cell ran:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if m := networkRe.FindStringSubmatch(l); m != nil {
				run = m[2]
			}
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("the slow cell did not start within 4 minutes:\n%s", strings.Join(seen, "\n"))
		}
	}
	runner := cmd.Process.Pid
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	pw.Close()
	// Everything the runner started carries its id in the environment: all of it ends.
	var alive []int
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if alive = processesOf(runner); len(alive) == 0 {
			break
		}
	}
	if len(alive) > 0 {
		t.Errorf("20 s after the runner's death, its processes %v still run", alive)
	}
	if left := ourNamespaces(t, run); len(left) != 3 {
		t.Logf("after the kill, before the next run: namespaces %v (expected the three of network %s)", left, run)
	}
	// The next run's start sweeps the dead run's network.
	for _, kv := range netEnv(t, t.TempDir()) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	var so, se bytes.Buffer
	code := matrix.RunSuite(nettestOptions("case:NT.1", "20ms"), &so, &se)
	if code != matrix.ExitGreen {
		t.Fatalf("the next run: exit %d\n%s%s", code, so.String(), se.String())
	}
	if !strings.Contains(so.String(), "removed network "+run+", left behind by a run that died") {
		t.Errorf("the next run does not say it removed network %s:\n%s", run, so.String())
	}
	next := networkRe.FindStringSubmatch(so.String())
	if next == nil {
		t.Fatalf("the next run does not name its network:\n%s", so.String())
	}
	// Other runs may be live on this machine (their owners alive): only these two count.
	if left := ourNamespaces(t, run, next[2]); len(left) > 0 {
		t.Errorf("namespaces left after the next run: %v", left)
	}
	if _, err := os.Stat(filepath.Join(netsim.StateRoot, run)); err == nil {
		t.Errorf("the dead run's state directory is still there")
	}
	if alive := processesOf(runner); len(alive) > 0 {
		t.Errorf("processes of the dead runner still run: %v", alive)
	}
	if links, _ := exec.Command("ip", "-o", "link", "show").Output(); bytes.Contains(links, []byte(netsim.Prefix+run)) {
		t.Errorf("links of network %s are left in the root namespace:\n%s", run, links)
	}
}

// peersIn reports whether both hosts of a network run a process (the slow cell's peers).
func peersIn(run string) bool {
	for _, h := range []string{"A", "B"} {
		out, err := exec.Command("ip", "netns", "pids", netsim.Prefix+h+"-"+run).Output()
		if err != nil || len(bytes.TrimSpace(out)) == 0 {
			return false
		}
	}
	return true
}

// processesOf lists the processes whose environment names runner as theirs (RunnerEnv): the
// Ginkgo tree and the peers it started.
func processesOf(runner int) []int {
	want := []byte(matrix.RunnerEnv + "=" + fmt.Sprint(runner) + ":")
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if bytes.HasPrefix(kv, want) {
				// A zombie has no environment to read; this one is still running.
				out = append(out, pid)
			}
		}
	}
	return out
}
