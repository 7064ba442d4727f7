package peercheck_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/harness/peercheck"
)

func TestMain(m *testing.M) {
	code := m.Run()
	harness.RemoveIPCDir()
	os.Exit(code)
}

// runBound is the most one check-peer run may take here; a run is a few seconds, plus one
// hang (7 s) for the mutant that hangs.
const runBound = 3 * time.Minute

// check runs check-peer on argv and logs the report.
func check(t *testing.T, argv ...string) *peercheck.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runBound)
	defer cancel()
	rep, err := peercheck.Run(ctx, peercheck.Config{Command: argv})
	if err != nil {
		t.Fatalf("check-peer %v: %v", argv, err)
	}
	var b strings.Builder
	rep.Write(&b, true)
	t.Logf("check-peer %s:\n%s", strings.Join(argv, " "), b.String())
	for _, c := range rep.Checks {
		if c.NotRun != "" {
			t.Errorf("check %q did not run: %s", c.Name, c.NotRun)
		}
	}
	return rep
}

func zmqpeer(t *testing.T) string {
	t.Helper()
	bin, err := harness.PeerBinary()
	if err != nil {
		t.Fatalf("zmqpeer: %v", err)
	}
	return bin
}

var (
	mutantOnce sync.Once
	mutantBin  string
	mutantErr  error
)

// mutant builds testdata/mutant once per test process.
func mutant(t *testing.T) string {
	t.Helper()
	mutantOnce.Do(func() {
		dir, err := os.MkdirTemp("", "peercheck")
		if err != nil {
			mutantErr = err
			return
		}
		mutantBin = filepath.Join(dir, "mutant")
		out, err := exec.Command("go", "build", "-o", mutantBin, "./testdata/mutant").CombinedOutput()
		if err != nil {
			mutantErr = errors.New(string(out) + err.Error())
		}
	})
	if mutantErr != nil {
		t.Fatalf("build testdata/mutant: %v", mutantErr)
	}
	return mutantBin
}

func lines(rep *peercheck.Report) string { return strings.Join(rep.Lines(), "\n") }

func expectPass(t *testing.T, rep *peercheck.Report) {
	t.Helper()
	if rep.ExitCode() != peercheck.ExitPass {
		t.Fatalf("exit %d, want %d; problems:\n%s", rep.ExitCode(), peercheck.ExitPass, lines(rep))
	}
}

func TestGoZMQPeerPasses(t *testing.T) {
	rep := check(t, zmqpeer(t), "gozmq")
	expectPass(t, rep)
	// go-zeromq's inproc registry is process-wide: the check says so without failing the
	// peer, since it cannot tell that from a peer sharing one context between names.
	if !strings.Contains(lines(rep), `note: socket: a message crossed from context`) {
		t.Errorf("no note on go-zeromq's process-wide inproc:\n%s", lines(rep))
	}
}

func TestLibzmqPeerPasses(t *testing.T) {
	bin := zmqpeer(t)
	cmd := exec.Command(bin, "libzmq")
	cmd.Stdin = strings.NewReader("")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("zmqpeer has no libzmq backend here (built without -tags libzmq, or libzmq missing): %v: %s", err, strings.TrimSpace(string(out)))
	}
	expectPass(t, check(t, bin, "libzmq"))
}

func TestPyzmqPeerPasses(t *testing.T) {
	py, tried, err := harness.FindPython()
	if err != nil {
		t.Skipf("no Python with zmq (tried %s)", strings.Join(tried, ", "))
	}
	rep := check(t, py, "-u", filepath.Join(harness.RepoRoot(), "pyclients", "peer.py"))
	expectPass(t, rep)
	// heap is for runtimes whose resident memory hides a leak (a JVM's); CPython's does not.
	var others []peercheck.Finding
	for _, f := range rep.Findings {
		if f.Op != peer.OpHeap {
			others = append(others, f)
		}
	}
	if n := len(others); n != 0 {
		t.Errorf("pyzmq implements every optional op but heap, and libzmq isolates contexts: want no other findings, got %d:\n%s", n, lines(rep))
	}
}

// The mutants are zmqpeer gozmq with one defect each: check-peer must fail them, and name
// the op and its level.
func TestMutantsFailNamingTheOp(t *testing.T) {
	bin := mutant(t)
	for _, m := range []struct {
		mode string
		want []string // line prefixes (a finding each)
	}{
		{"no-recv-batch", []string{
			`recv_batch (mandatory): recv_batch (async): answered protocol error "unknown op \"recv_batch\"": implement it (docs/peer-protocol.md#operations)`,
			`recv_batch (mandatory): count 5 with 2 messages sent, timeout_ms 200: answered protocol error`,
			`optional, not implemented: recv_batch digest: `,
		}},
		{"eager-again", []string{
			`recv (mandatory): timeout_ms 200 answered again after `,
			`recv (mandatory): without timeout_ms it answered again within 700ms`,
			`recv_batch (mandatory): count 5 with 2 messages sent, timeout_ms 200: answered again after `,
		}},
		{"bad-digest", []string{
			`recv_batch digest (optional): recv_batch of 105 messages with "digest": true: the plan's messages: message 5 (seq 5, 4 frames, as expected): content differs from the plan (corrupted`,
		}},
		{"crash-hang", []string{
			`unbind (mandatory): the peer hung during unbind in check "connect/unbind/disconnect"`,
			`getopt (mandatory): the peer crashed during getopt in check "options": exited: exit status 2; last stderr: panic: mutant crash-hang: getopt`,
		}},
	} {
		t.Run(m.mode, func(t *testing.T) {
			rep := check(t, bin, m.mode)
			if rep.ExitCode() != peercheck.ExitProblems {
				t.Errorf("exit %d, want %d", rep.ExitCode(), peercheck.ExitProblems)
			}
			got := lines(rep)
			for _, w := range m.want {
				found := false
				for _, l := range rep.Lines() {
					found = found || strings.HasPrefix(l, w)
				}
				if !found {
					t.Errorf("no finding starting with\n  %s\nin\n%s", w, got)
				}
			}
			if m.mode == "bad-digest" {
				for _, f := range rep.Problems() {
					if f.Level == peercheck.Mandatory {
						t.Errorf("a wrong digest is the optional feature's problem only, got %s", f)
					}
				}
			}
			if m.mode == "crash-hang" {
				// Never stop at the first problem: every check after the crash and the hang ran
				// on a fresh peer and passed.
				for i, c := range rep.Checks {
					if i > 7 && c.Problems != 0 {
						t.Errorf("check %q after the crash: %d problems", c.Name, c.Problems)
					}
				}
			}
		})
	}
}

// A peer that does not start is one finding, and the rest is not run (it would only say so
// again).
func TestPeerThatDoesNotStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), runBound)
	defer cancel()
	rep, err := peercheck.Run(ctx, peercheck.Config{Command: []string{zmqpeer(t), "fault", "exit-at-start"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ExitCode() != peercheck.ExitProblems {
		t.Fatalf("exit %d", rep.ExitCode())
	}
	ps := rep.Problems()
	if len(ps) == 0 || ps[0].Op != peer.OpHello || !strings.Contains(ps[0].What, "exit-at-start: exiting with status 1") {
		t.Fatalf("problems: %v", ps)
	}
	notRun := 0
	for _, c := range rep.Checks {
		if c.NotRun != "" {
			notRun++
		}
	}
	if notRun < len(rep.Checks)-2 {
		t.Errorf("%d of %d checks not run", notRun, len(rep.Checks))
	}
}

func TestUnusableInput(t *testing.T) {
	for _, argv := range [][]string{nil, {"/nonexistent/zmqsuite-peer"}, {"zmqsuite-no-such-command-on-path"}} {
		_, err := peercheck.Run(context.Background(), peercheck.Config{Command: argv})
		var u *peercheck.UsageError
		if !errors.As(err, &u) || strings.Contains(u.Msg, "\n") {
			t.Errorf("%q: %v, want a one-line UsageError", argv, err)
		}
	}
}

func TestFindingLines(t *testing.T) {
	for _, c := range []struct {
		f    peercheck.Finding
		want string
	}{
		{peercheck.Finding{Kind: peercheck.Problem, Op: "recv_batch", Level: peercheck.Mandatory, What: `answered protocol error "unknown op"`, Fix: "implement it", Anchor: "operations"},
			`recv_batch (mandatory): answered protocol error "unknown op": implement it (docs/peer-protocol.md#operations)`},
		{peercheck.Finding{Kind: peercheck.NotImplemented, Op: "ping", Level: peercheck.Optional, What: `answered protocol error "unknown op \"ping\""`, Anchor: "ping"},
			`optional, not implemented: ping: answered protocol error "unknown op \"ping\"" (docs/peer-protocol.md#ping)`},
		{peercheck.Finding{Kind: peercheck.Note, Op: "unbind", What: "the binding refuses it"},
			`note: unbind: the binding refuses it`},
	} {
		if got := c.f.String(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

// Every option of the protocol has a probe, so a peer listing it gets it checked.
func TestEveryOptionHasAProbe(t *testing.T) {
	for name := range peer.Options {
		p, ok := peercheck.OptionProbes[name]
		if !ok {
			t.Errorf("no probe for option %q", name)
			continue
		}
		if !peer.Has(peer.SocketTypes, p.SockType()) {
			t.Errorf("option %q probed on %q, not a protocol socket type", name, p.SockType())
		}
	}
}
