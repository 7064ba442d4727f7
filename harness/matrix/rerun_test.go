package matrix

import (
	"strings"
	"testing"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// A cell's rerun runs exactly it again: on loopback its filter; across netsim's hosts NET= its
// scenario (the runner builds that network); across hosts a person placed, the placement in
// front. A red cell's line ends with it.
func TestRerunAcrossHosts(t *testing.T) {
	s := NewSuite("hosts")
	s.Case("PP.1", scenarios.Must, "pipeline", "x", nil)
	d := s.Cases()[0]
	c := &CellSpec{Def: d, Transport: harness.TCP, Bind: impl("gozmq"), Connect: impl("libzmq")}
	filter := "FILTER='case:PP.1 && transport:tcp && bind:gozmq && connect:libzmq'"
	if got := c.Rerun("conformance"); got != "make conformance "+filter {
		t.Errorf("loopback: %s", got)
	}
	c.Hosts = &harness.Placement{Scenario: "20ms-1%", Network: "netsim tun",
		Bind: &harness.Host{Name: "hostB", Addr: "10.254.2.2"}, Connect: &harness.Host{Name: "hostA", Addr: "10.254.1.2"}}
	c.Scenario = "20ms-1%"
	if got := c.Rerun("hosts"); got != "make hosts NET=20ms-1% "+filter {
		t.Errorf("netsim: %s", got)
	}
	if got := strings.Join(c.Labels(), " "); !strings.Contains(got, "scenario:20ms-1%") || c.ID() != "PP.1 tcp@20ms-1% gozmq→libzmq" {
		t.Errorf("labels %q id %q", got, c.ID())
	}
	c.Hosts = &harness.Placement{Scenario: "lan", Network: "hosts",
		Bind:    &harness.Host{Name: "h2", Addr: "10.0.0.2", Prefix: []string{"ssh", "-T", "h2"}, Shell: true},
		Connect: &harness.Host{Name: "h1", Addr: "10.0.0.1"}}
	c.Scenario = "lan"
	want := "ZMQSUITE_HOST_BIND='name=h2;addr=10.0.0.2;prefix=ssh -T h2' ZMQSUITE_HOST_CONNECT='name=h1;addr=10.0.0.1' ZMQSUITE_SCENARIO=lan make hosts " + filter
	if got := c.Rerun("hosts"); got != want {
		t.Errorf("placed hosts:\n got %s\nwant %s", got, want)
	}
	rec := harness.Record{ID: c.ID(), Outcome: harness.Fail, Reason: "r", Blame: "pairing", Rerun: c.Rerun("hosts")}
	if got := CellLine(rec); got != "fail PP.1 tcp@lan gozmq→libzmq: r [blame pairing] — rerun: "+want {
		t.Errorf("red line %q", got)
	}
	rec.Outcome = harness.XFail
	if got := CellLine(rec); strings.Contains(got, "rerun") {
		t.Errorf("a cell that is not red got a rerun: %q", got)
	}
	// What is not across hosts, and why.
	for tr, want := range map[string]string{harness.IPC: "ipc never leaves one machine", harness.InProc: "inproc never leaves one process", harness.TCP: ""} {
		c.Transport = tr
		if got := notAcross(c); !strings.Contains(got, want) || (want == "") != (got == "") {
			t.Errorf("%s: %q", tr, got)
		}
	}
	c.Transport = harness.TCP
	if ep := loopbackStep(c, []string{"connect tcp://10.0.0.2:5 (connect PUSH)", "connect tcp://localhost:41 (connect PUSH)"}); ep != "tcp://localhost:41" {
		t.Errorf("loopback step %q", ep)
	}
}
