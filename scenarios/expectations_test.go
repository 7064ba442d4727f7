package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/zmqsuite/zmqsuite/harness"
)

// A malformed expectations file must fail loudly, in one line naming the file, the line and
// what to fix: one that silently expected nothing would turn known failures red, and one that
// matched too widely would hide new ones.
func TestExpectationsRejectMalformedFiles(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"not a list", "case: REQ.4\n", "expectations.yaml:1: want a list"},
		{"unknown key", "- case: REQ.4\n  reason: r\n  link: l\n  tranport: tcp\n", `expectations.yaml:1: unknown key "tranport"`},
		{"no reason", "- case: REQ.4\n  link: x\n", `missing "reason"`},
		{"no link", "- case: REQ.4\n  reason: r\n", `missing "link"`},
		{"bad transport", "- case: REQ.4\n  transport: udp\n  reason: r\n  link: l\n", `transport "udp"`},
		{"bad range", "- case: REQ.4\n  reason: r\n  link: l\n  versions: {libzmq: \"about 4\"}\n", "versions[libzmq]"},
		{"bad yaml", "- case: [\n", "expectations.yaml"},
	}
	for _, c := range cases {
		_, err := ParseExpectations("expectations.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want one line containing %q", c.name, err, c.want)
		}
	}
}

func TestExpectationsMatchScopeAndVersions(t *testing.T) {
	x, err := ParseExpectations("e.yaml", []byte(`
- case: PP.1
  bind: gozmq
  connect: "*"
  transport: tcp
  versions: {gozmq: ">=0.17.0 <0.18"}
  reason: go-zeromq PUSH copies each message to every PULL
  link: not reported upstream
`))
	if err != nil {
		t.Fatal(err)
	}
	cell := Cell{Case: "PP.1", Transport: "tcp", Bind: "gozmq", Connect: "pyzmq", OS: "linux", Versions: map[string]string{"gozmq": "v0.17.0"}}
	if x.Match(cell) == nil {
		t.Error("entry should match its own cell")
	}
	for _, other := range []Cell{
		{Case: "PP.2", Transport: "tcp", Bind: "gozmq", Connect: "pyzmq", Versions: cell.Versions},
		{Case: "PP.1", Transport: "ipc", Bind: "gozmq", Connect: "pyzmq", Versions: cell.Versions},
		{Case: "PP.1", Transport: "tcp", Bind: "libzmq", Connect: "gozmq", Versions: cell.Versions},
		{Case: "PP.1", Transport: "tcp", Bind: "gozmq", Connect: "pyzmq", Versions: map[string]string{"gozmq": "v0.18.1"}},
		{Case: "PP.1", Transport: "tcp", Bind: "gozmq", Connect: "pyzmq"},
	} {
		if x.Match(other) != nil {
			t.Errorf("entry must not match %+v", other)
		}
	}
}

// Judge decides colours: levels make a difference count, expectations make it known.
func TestJudge(t *testing.T) {
	failed := harness.Attempt{Err: errors.New("got 3, want 2")}
	exp := &Expectation{Reason: "known", Link: "l", file: "e.yaml", line: 3}
	flaky := &Expectation{Reason: "known", Link: "l", Intermittent: true}
	rows := []struct {
		name  string
		level Level
		a     harness.Attempt
		exp   *Expectation
		want  harness.Outcome
		rfc   harness.Verdict
	}{
		{"pass", Must, harness.Attempt{}, nil, harness.Pass, harness.VerdictPass},
		{"MUST failure is red", Must, failed, nil, harness.Fail, harness.VerdictFail},
		{"SHOULD failure is non-strict", Should, failed, nil, harness.NonStrict, harness.VerdictFail},
		{"libzmq-default difference is non-strict, RFC silent", Libzmq, failed, nil, harness.NonStrict, harness.VerdictNA},
		{"known failure", Must, failed, exp, harness.XFail, harness.VerdictFail},
		{"known failure that passes", Must, harness.Attempt{}, exp, harness.XPass, harness.VerdictPass},
		{"intermittent that passes", Must, harness.Attempt{}, flaky, harness.Pass, harness.VerdictPass},
		{"intermittent that fails", Must, failed, flaky, harness.XFail, harness.VerdictFail},
		{"crash", Must, harness.Attempt{Fault: &harness.Fault{Kind: harness.FaultCrash, Impl: "gozmq", Role: "bind"}}, nil, harness.Crash, harness.VerdictFail},
		{"hang", Must, harness.Attempt{Fault: &harness.Fault{Kind: harness.FaultHang, Impl: "pyzmq", Role: "connect"}}, nil, harness.Hang, harness.VerdictFail},
		{"unsupported", Option, harness.Attempt{Unsupported: &harness.Unsupported{Impl: "gozmq", What: "option conflate"}}, nil, harness.Skip, harness.VerdictNA},
	}
	for _, r := range rows {
		j := Judge(r.level, r.a, r.exp)
		if j.Outcome != r.want || j.RFC != r.rfc {
			t.Errorf("%s: got %s/%s, want %s/%s (%s)", r.name, j.Outcome, j.RFC, r.want, r.rfc, j.Reason)
		}
	}
	if j := Judge(Must, harness.Attempt{Fault: &harness.Fault{Kind: harness.FaultHang, Impl: "pyzmq", Role: "connect"}}, nil); j.Blame != "connect:pyzmq" {
		t.Errorf("blame = %q, want connect:pyzmq", j.Blame)
	}
}

// An entry that could never match expects nothing, silently: Check refuses it, naming the
// file, the line and what is unknown.
func TestExpectationsCheckRefusesEntriesThatCannotMatch(t *testing.T) {
	known := func(id string) bool { return id == "REQ.4" || id == "PP.1" }
	impls := []string{"gozmq", "libzmq", "pyzmq"}
	cases := []struct{ name, yaml, want string }{
		{"unknown implementation", "- case: REQ.4\n  bind: gozmqq\n  reason: r\n  link: l\n", `f.yaml:1: bind: unknown implementation "gozmqq" (known: gozmq, libzmq, pyzmq)`},
		{"unknown connect", "- case: REQ.4\n  reason: r\n  link: l\n- case: PP.1\n  connect: jeromq\n  reason: r\n  link: l\n", `f.yaml:4: connect: unknown implementation "jeromq"`},
		{"unknown case", "- case: REQ.44\n  reason: r\n  link: l\n", `f.yaml:1: no case "REQ.44" in the conformance suite`},
		{"unknown version key", "- case: REQ.4\n  reason: r\n  link: l\n  versions: {zmq: \"<4\"}\n", `versions: "zmq" names no implementation`},
	}
	for _, c := range cases {
		x, err := ParseExpectations("f.yaml", []byte(c.yaml))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		err = x.Check("conformance", known, impls)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	// Entries of another suite are that suite's to check, and never match here.
	x, err := ParseExpectations("f.yaml", []byte("- suite: wire\n  case: W.GR.1\n  bind: gozmq\n  reason: r\n  link: l\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Check("conformance", known, impls); err != nil {
		t.Errorf("a wire entry checked by conformance: %v", err)
	}
	if x.Match(Cell{Case: "W.GR.1", Transport: "tcp", Bind: "gozmq", Connect: "gozmq", OS: "linux"}) != nil {
		t.Errorf("a wire entry matched a conformance cell")
	}
	if x.Match(Cell{Suite: "wire", Case: "W.GR.1", Transport: "tcp", Bind: "gozmq", Connect: "zmtp", OS: "linux"}) == nil {
		t.Errorf("a wire entry did not match its wire cell")
	}
}

// A YAML error names the line at fault, not the start of the construct the parser was in.
func TestExpectationsYAMLErrorsNameTheRightLine(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"- case: REQ.4\n  reason: r\n  link: l\n- case: REQ.5\n  reason: [a\n  link: l\n", "f.yaml:5: "},
		{"- case: REQ.4\n  reason: r\n  link: l\n- case: REQ.5\n  reason: r\n  link: l\n  versions: 5\n", "f.yaml:7: "},
		{"- case: REQ.4\n  reason: r\n  link: l\n- case: REQ.5\n  reason: r\n  link: l\n  intermittent: maybe\n", "f.yaml:7: "},
		{"- case: REQ.4\n  reason: \"a\n    b\"\n  link: l\n- case: REQ.5\n   reason: r\n", "f.yaml:6: "},
	}
	for _, c := range cases {
		_, err := ParseExpectations("f.yaml", []byte(c.yaml))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: got %v, want one line starting %q", c.yaml, err, c.want)
		}
	}
}

// An interop entry (case "*") holds in every suite unless it names one: two implementations
// that never connect do not connect in the faults or hosts suites either.
func TestInteropEntriesHoldInEverySuite(t *testing.T) {
	x, err := ParseExpectations("e.yaml", []byte(`
- case: "*"
  bind: gozmq
  connect: jeromq
  transport: tcp
  reason: no common ZMTP revision
  link: not reported upstream
- case: "*"
  suite: faults
  bind: jeromq
  connect: gozmq
  transport: tcp
  reason: no common ZMTP revision
  link: not reported upstream
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, suite := range []string{"", "faults", "hosts"} {
		if x.Interop(Cell{Suite: suite, Case: "PP.4", Transport: "tcp", Bind: "gozmq", Connect: "jeromq", OS: "linux"}) == nil {
			t.Errorf("suite %q: the suite-less interop entry does not hold", suite)
		}
	}
	if x.Interop(Cell{Suite: "conformance", Case: "PP.4", Transport: "tcp", Bind: "jeromq", Connect: "gozmq", OS: "linux"}) != nil {
		t.Error("an interop entry of the faults suite holds in conformance")
	}
	if x.Interop(Cell{Suite: "faults", Case: "PP.4", Transport: "tcp", Bind: "jeromq", Connect: "gozmq", OS: "linux"}) == nil {
		t.Error("an interop entry of the faults suite does not hold there")
	}
	if err := x.Check("faults", func(string) bool { return true }, []string{"gozmq", "jeromq"}); err != nil {
		t.Errorf("check: %v", err)
	}
}
