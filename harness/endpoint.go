package harness

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

// Transports the matrix runs over.
const (
	TCP    = "tcp"
	IPC    = "ipc"
	InProc = "inproc"
)

// Transports lists them in report order.
var Transports = []string{TCP, IPC, InProc}

var (
	endpointSeq atomic.Int64
	ipcDirOnce  sync.Once
	ipcDir      string
	ipcDirErr   error
)

// IPCDir is this process's directory for ipc paths: short (sun_path is 104 bytes on macOS),
// private, and removed by RemoveIPCDir at the end of the suite.
func IPCDir() (string, error) {
	ipcDirOnce.Do(func() {
		base := os.TempDir()
		if len(base) > 40 { // macOS's $TMPDIR is long: prefer /tmp where it exists
			if st, err := os.Stat("/tmp"); err == nil && st.IsDir() {
				base = "/tmp"
			}
		}
		sweepIPCDirs(base)
		ipcDir, ipcDirErr = os.MkdirTemp(base, fmt.Sprintf("zs%d-", os.Getpid()))
	})
	return ipcDir, ipcDirErr
}

// sweepIPCDirs removes the ipc directories of processes that no longer run: a runner or test
// killed with SIGKILL cannot remove its own, so the next process to make one does. The owner
// is in the name ("zs<pid>-…"); a pid reused since by an unrelated process keeps its
// directory until that process ends too, which errs on the safe side.
func sweepIPCDirs(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, "zs*-*"))
	for _, d := range dirs {
		name := strings.TrimPrefix(filepath.Base(d), "zs")
		pid, err := strconv.Atoi(name[:strings.IndexByte(name, '-')])
		if err != nil || pid <= 0 || pid == os.Getpid() || processRuns(pid) {
			continue
		}
		_ = os.RemoveAll(d)
	}
}

// RemoveIPCDir removes the ipc directory of this process.
func RemoveIPCDir() {
	if ipcDir != "" {
		_ = os.RemoveAll(ipcDir)
	}
}

// NewEndpoint returns an endpoint to bind for transport that no other spec of any process
// uses: tcp asks for an ephemeral port (the bind reply names it), ipc is a fresh path in this
// process's directory, inproc a fresh name. Across hosts (a Placement), tcp binds to the bind
// side's host address, so that the endpoint the bind reports is the one the other host
// connects to.
func NewEndpoint(transport string) (string, error) { return NewEndpointOn(BindSide, transport) }

// NewEndpointOn is NewEndpoint for a socket of a given side: across hosts, a socket of the
// connect side that binds must bind to its own host's address. (Sock.BindNew does not say its
// side yet: every case binds on the bind side today.)
func NewEndpointOn(side, transport string) (string, error) {
	n := endpointSeq.Add(1)
	switch transport {
	case TCP:
		return "tcp://" + tcpHost(side) + ":*", nil
	case IPC:
		dir, err := IPCDir()
		if err != nil {
			return "", fmt.Errorf("ipc directory: %w", err)
		}
		return "ipc://" + filepath.Join(dir, fmt.Sprintf("e%d", n)), nil
	case InProc:
		return fmt.Sprintf("inproc://zs-%d-%d", os.Getpid(), n), nil
	}
	return "", fmt.Errorf("unknown transport %q (want tcp, ipc or inproc)", transport)
}

// tcpHost is the address a side's tcp sockets bind to: loopback on one machine, the side's
// host address across hosts. A malformed placement never gets this far (the run refuses it
// at its start), so an error here means loopback.
func tcpHost(side string) string {
	if p, err := CurrentPlacement(); err == nil && p != nil {
		return p.Host(side).Addr
	}
	return "127.0.0.1"
}

// UnboundEndpoint returns an endpoint of transport that nothing listens on, for cases that
// connect before anything binds. A tcp port is drawn below the kernel's ephemeral range and
// checked free. A port from that range (what listening on port 0 hands out, then releases) can
// meanwhile become another spec's wildcard bind or a connection's source port, and a connector
// that keeps redialling it then reaches that socket or itself (a TCP self-connect). Seen once
// in CI: LNG.1 tcp libzmq→gozmq, whose go-zeromq PUSH redials for 2.5 s, connected and sent.
//
// Across hosts the port is on the bind side's host. It is checked free there when this
// process can look (the host is this machine, or a network namespace of it: netsim's hosts);
// on a remote host (ssh) it cannot, and only the ports this process handed out before are
// avoided.
func UnboundEndpoint(transport string) (string, error) {
	if transport != TCP {
		return NewEndpoint(transport)
	}
	host, free := "127.0.0.1", portFreeHere
	if p, err := CurrentPlacement(); err == nil && p != nil {
		h := p.Bind
		host, free = h.Addr, h.portFree
	}
	top := ephemeralLow()
	for range 50 {
		port := unboundPortMin + rand.IntN(top-unboundPortMin)
		if !claimPort(port) {
			continue // this process handed it out already
		}
		if !free(host, port) {
			continue // taken
		}
		return fmt.Sprintf("tcp://%s:%d", host, port), nil
	}
	return "", fmt.Errorf("no free tcp port in %d-%d of %s after 50 tries", unboundPortMin, top-1, host)
}

var (
	claimedMu sync.Mutex
	claimed   = map[int]bool{}
)

// claimPort records that this process handed out port, and says whether it had not before:
// a case may still hold the last one it got, and on a host that cannot be checked this is
// the only guard.
func claimPort(port int) bool {
	claimedMu.Lock()
	defer claimedMu.Unlock()
	if claimed[port] {
		return false
	}
	claimed[port] = true
	return true
}

// portFreeHere checks a port of this machine by listening on it.
func portFreeHere(host string, port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(host, fmt.Sprint(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// portFree checks a port of a placed host where this process can: in its network namespace
// (netsim's hosts, any "ip netns exec NAME" prefix), or here when the host is this machine.
// A remote host is taken to be free.
func (h *Host) portFree(host string, port int) bool {
	switch {
	case h.NetNS != "":
		return (&netsim.Host{NS: h.NetNS}).Do(func() error {
			if !portFreeHere(host, port) {
				return errPortTaken
			}
			return nil
		}) == nil
	case len(h.Prefix) == 0:
		return portFreeHere(host, port)
	}
	return true
}

var errPortTaken = errors.New("port taken")

// unboundPortMin is the lowest port UnboundEndpoint draws: above the ports services register.
const unboundPortMin = 20000

// ephemeralLow is the first port of the kernel's ephemeral range: Linux publishes it; Windows
// and macOS use IANA's 49152-65535 by default.
func ephemeralLow() int {
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var lo, hi int
		if _, err := fmt.Sscan(string(b), &lo, &hi); err == nil && lo > unboundPortMin+1000 {
			return lo
		}
	}
	return 49152
}
