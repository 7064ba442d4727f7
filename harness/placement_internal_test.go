package harness

import (
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// usePlacement makes p this process's placement for the rest of the test.
func usePlacement(t *testing.T, p *Placement) {
	t.Helper()
	placementOnce.Do(func() {}) // the environment is never read after this
	old := placement
	placement, placementErr = p, nil
	t.Cleanup(func() { placement = old })
}

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestPlacementParsesBothHosts(t *testing.T) {
	p, err := PlacementFrom(env(map[string]string{
		HostBindEnv:    "name=h2; addr=10.0.0.2; prefix=ssh -T h2; root=/srv/zmqsuite",
		HostConnectEnv: "addr=10.0.0.1",
		ScenarioEnv:    "lab-1g",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if b := p.Bind; b.Name != "h2" || b.Addr != "10.0.0.2" || strings.Join(b.Prefix, " ") != "ssh -T h2" || !b.Shell || b.Root != "/srv/zmqsuite" {
		t.Errorf("bind host %+v", b)
	}
	if c := p.Connect; c.Name != "10.0.0.1" || c.Prefix != nil || c.Shell {
		t.Errorf("connect host %+v (name defaults to the address, no prefix = this machine)", c)
	}
	if p.Scenario != "lab-1g" || p.Network != "hosts" || p.Netsim() {
		t.Errorf("scenario %q network %q", p.Scenario, p.Network)
	}
	if got := p.Hosts(); got["bind"] != "h2" || got["connect"] != "10.0.0.1" {
		t.Errorf("hosts %v", got)
	}
	// What a rerun puts in front of make parses back to the same placement.
	again, err := PlacementFrom(env(map[string]string{
		HostBindEnv: p.Bind.Spec(), HostConnectEnv: p.Connect.Spec(), ScenarioEnv: p.Scenario}))
	if err != nil || again.Bind.Spec() != p.Bind.Spec() || again.Connect.Spec() != p.Connect.Spec() {
		t.Errorf("spec round trip: %v %+v", err, again)
	}
	if e := p.Env(); !strings.Contains(e, `ZMQSUITE_HOST_BIND='name=h2;addr=10.0.0.2;prefix=ssh -T h2;root=/srv/zmqsuite'`) {
		t.Errorf("env %s", e)
	}

	n, err := PlacementFrom(env(map[string]string{
		HostBindEnv:    "name=hostB;addr=10.254.2.2;prefix=ip netns exec zsnB-abc123",
		HostConnectEnv: "name=hostA;addr=10.254.1.2;prefix=ip netns exec zsnA-abc123",
		ScenarioEnv:    "20ms-1%", NetworkEnv: "netsim tun"}))
	if err != nil {
		t.Fatal(err)
	}
	if n.Bind.NetNS != "zsnB-abc123" || n.Bind.Shell || !n.Netsim() || n.Scenario != "20ms-1%" {
		t.Errorf("netsim placement %+v %+v", n, n.Bind)
	}
	if p, err := PlacementFrom(env(nil)); p != nil || err != nil {
		t.Errorf("no variables: %v %v, want no placement", p, err)
	}
}

// Every malformed value is refused in one line that names the variable and what is wrong.
func TestPlacementRefusesMalformedValuesInOneLine(t *testing.T) {
	good := "name=h1;addr=10.0.0.1"
	for _, c := range []struct {
		bind, connect, scenario string
		want                    string
	}{
		{"name=h2;addr=10.0.0.2", "", "", "ZMQSUITE_HOST_CONNECT is not set"},
		{"", good, "", "ZMQSUITE_HOST_BIND is not set"},
		{"", "", "20ms", `ZMQSUITE_SCENARIO="20ms" names a path between hosts`},
		{"name=h2", good, "", "addr is missing"},
		{"addr=h2.example.com", good, "", "is not an IPv4 address"},
		{"addr=fd00::2", good, "", "is IPv6"},
		{"addr=127.0.0.1", good, "", "not reachable from another host"},
		{"addr=0.0.0.0", good, "", "not reachable from another host"},
		{"addr=10.0.0.2;port=1", good, "", `unknown key "port"`},
		{"addr=10.0.0.2;addr=10.0.0.3", good, "", "addr given twice"},
		{"addr=10.0.0.2;prefix", good, "", `"prefix" is not key=value`},
		{"addr=10.0.0.2;name=a b", good, "", `name "a b"`},
		{"addr=10.0.0.2;shell=maybe", good, "", `shell="maybe"`},
		{"addr=10.0.0.2;shell=1", good, "", "shell=1 needs a prefix"},
		{"addr=10.0.0.2;prefix=ip netns exec x;root=/x", good, "", "root is for shell prefixes"},
		{"addr=10.0.0.2;prefix=ssh h2;root=x", good, "", "not an absolute path"},
		{"addr=10.0.0.1", good, "", "both this machine"},
		{"addr=10.0.0.2", good, "a b", `ZMQSUITE_SCENARIO="a b"`},
		{"addr=10.0.0.2", good, "x&&y", `ZMQSUITE_SCENARIO="x&&y"`},
	} {
		_, err := PlacementFrom(env(map[string]string{HostBindEnv: c.bind, HostConnectEnv: c.connect, ScenarioEnv: c.scenario}))
		switch {
		case err == nil:
			t.Errorf("bind %q connect %q scenario %q: accepted", c.bind, c.connect, c.scenario)
		case strings.Contains(err.Error(), "\n"):
			t.Errorf("more than one line: %q", err)
		case !strings.Contains(err.Error(), c.want):
			t.Errorf("bind %q: %q lacks %q", c.bind, err, c.want)
		}
	}
}

func TestPlacedCommandLines(t *testing.T) {
	root := RepoRoot()
	peerBin := filepath.Join(root, "out", "bin", "zmqpeer")
	ns := &Host{Name: "B", Addr: "10.254.2.2", Prefix: []string{"ip", "netns", "exec", "zsnB-x"}, NetNS: "zsnB-x"}
	if got := strings.Join(ns.Command([]string{peerBin, "gozmq"}, []string{"TMPDIR=/tmp/zs1"}, root), " "); got != "ip netns exec zsnB-x "+peerBin+" gozmq" {
		t.Errorf("netns: %s", got)
	}
	ssh := &Host{Name: "h2", Addr: "10.0.0.2", Prefix: []string{"ssh", "-T", "h2"}, Shell: true, Root: "/srv/zs"}
	got := ssh.Command([]string{peerBin, "libzmq", "it's"}, []string{"ZMQPEER_X=a b"}, root)
	if len(got) != 4 || got[3] != `cd /srv/zs && exec env 'ZMQPEER_X=a b' /srv/zs/out/bin/zmqpeer libzmq 'it'\''s'` {
		t.Errorf("ssh: %q", got)
	}
	here := &Host{Name: "h1", Addr: "10.0.0.1"}
	if got := here.Command([]string{"a", "b"}, nil, root); strings.Join(got, " ") != "a b" {
		t.Errorf("this machine: %q", got)
	}
}

// A shell prefix (what ssh is) runs a real peer: `sh -c` takes the one command line ssh would
// hand to the remote shell.
func TestPeerStartsThroughAShellPrefix(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil || runtime.GOOS == "windows" {
		t.Skip("no POSIX sh here")
	}
	bin, err := PeerBinary()
	if err != nil {
		t.Skip(err)
	}
	usePlacement(t, &Placement{Scenario: "real", Network: "hosts",
		Bind:    &Host{Name: "h2", Addr: "10.0.0.2", Prefix: []string{"sh", "-c"}, Shell: true},
		Connect: &Host{Name: "h1", Addr: "10.0.0.1"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := StartPeer(ctx, &Impl{Name: GoZMQ, Command: []string{bin, GoZMQ}}, BindSide, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Quit()
	if p.Hello.Name != GoZMQ {
		t.Errorf("hello from %q", p.Hello.Name)
	}
	ep, _ := NewEndpoint(TCP)
	if ep != "tcp://10.0.0.2:*" {
		t.Errorf("a bind-side endpoint across hosts: %s", ep)
	}
}
