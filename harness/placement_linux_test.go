package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

// Across netsim's two hosts: each side's peer runs in its own namespace, the bind reports an
// endpoint on host B's address, the connect side reaches it through the router, and an
// unbound endpoint is a port checked free inside host B.
func TestCellAcrossNetsimHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a network")
	}
	if r := netsim.Available(); r != "" {
		t.Skip(r)
	}
	n, err := netsim.New(netsim.Options{NoSignalHandler: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	usePlacement(t, &Placement{Scenario: "none", Network: "netsim " + n.Backend(),
		Bind:    &Host{Name: "hostB", Addr: n.B.Addr.String(), Prefix: n.B.Argv(), NetNS: n.B.NS},
		Connect: &Host{Name: "hostA", Addr: n.A.Addr.String(), Prefix: n.A.Argv(), NetNS: n.A.NS}})
	bin, err := PeerBinary()
	if err != nil {
		t.Skip(err)
	}
	im := &Impl{Name: GoZMQ, Command: []string{bin, GoZMQ}}
	pool := NewPool()
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cell := NewCell(pool, TCP, im, im)
	a := Run(ctx, cell, func() {
		pull := cell.Bind(ctx, PULL)
		if !regexp.MustCompile(`^tcp://` + regexp.QuoteMeta(n.B.Addr.String()) + `:[1-9][0-9]*$`).MatchString(pull.Endpoint) {
			t.Errorf("bound at %s, not on host B", pull.Endpoint)
		}
		push := cell.Connect(ctx, PUSH, pull)
		push.Send(ctx, "across")
		if got := pull.RecvStrings(ctx); len(got) != 1 || got[0] != "across" {
			t.Errorf("received %q", got)
		}
	})
	if f := cell.Close(ctx); f != nil || a.Err != nil || a.Fault != nil || a.Unsupported != nil {
		t.Fatalf("cell: %+v %v", a, f)
	}
	// The peers really are in the hosts' namespaces.
	for side, want := range map[string]string{BindSide: n.B.NS, ConnectSide: n.A.NS} {
		pr, _, err := pool.Get(ctx, im, side, "check")
		if err != nil {
			t.Fatal(err)
		}
		if got := netnsOf(t, pr.cmd.Process.Pid); got != nsInode(t, want) {
			t.Errorf("%s peer in namespace %s, want %s", side, got, want)
		}
	}
	// An unbound endpoint is on host B, and a port held there is never handed out.
	held := map[string]bool{}
	for range 5 {
		ep, err := UnboundEndpoint(TCP)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(ep, "tcp://"+n.B.Addr.String()+":") || held[ep] {
			t.Errorf("unbound endpoint %s", ep)
		}
		held[ep] = true
	}
	var l net.Listener
	if err := n.B.Do(func() (err error) { l, err = net.Listen("tcp", n.B.Addr.String()+":0"); return err }); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	if (&Host{NetNS: n.B.NS}).portFree(n.B.Addr.String(), taken) {
		t.Errorf("port %d is held in host B but was found free", taken)
	}
	if !(&Host{NetNS: n.B.NS}).portFree(n.B.Addr.String(), taken+1) && !(&Host{NetNS: n.B.NS}).portFree(n.B.Addr.String(), taken+2) {
		t.Errorf("ports next to %d are not free in a fresh host", taken)
	}
}

// netnsOf is the network namespace of a process, as /proc shows it ("net:[4026532]").
func netnsOf(t *testing.T, pid int) string {
	t.Helper()
	s, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// nsInode is a named namespace's identity in the same form.
func nsInode(t *testing.T, name string) string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat("/run/netns/"+name, &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("net:[%d]", st.Ino)
}
