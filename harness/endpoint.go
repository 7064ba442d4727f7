package harness

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
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
		ipcDir, ipcDirErr = os.MkdirTemp(base, "zs")
	})
	return ipcDir, ipcDirErr
}

// RemoveIPCDir removes the ipc directory of this process.
func RemoveIPCDir() {
	if ipcDir != "" {
		_ = os.RemoveAll(ipcDir)
	}
}

// NewEndpoint returns an endpoint to bind for transport that no other spec of any process
// uses: tcp asks for an ephemeral port (the bind reply names it), ipc is a fresh path in this
// process's directory, inproc a fresh name.
func NewEndpoint(transport string) (string, error) {
	n := endpointSeq.Add(1)
	switch transport {
	case TCP:
		return "tcp://127.0.0.1:*", nil
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

// UnboundEndpoint returns an endpoint of transport that nothing listens on, for cases that
// connect before anything binds. A tcp port is drawn below the kernel's ephemeral range and
// checked free. A port from that range (what listening on port 0 hands out, then releases) can
// meanwhile become another spec's wildcard bind or a connection's source port, and a connector
// that keeps redialling it then reaches that socket or itself (a TCP self-connect). Seen once
// in CI: LNG.1 tcp libzmq→gozmq, whose go-zeromq PUSH redials for 2.5 s, connected and sent.
func UnboundEndpoint(transport string) (string, error) {
	if transport != TCP {
		return NewEndpoint(transport)
	}
	top := ephemeralLow()
	for range 50 {
		port := unboundPortMin + rand.IntN(top-unboundPortMin)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // taken
		}
		_ = l.Close()
		return fmt.Sprintf("tcp://127.0.0.1:%d", port), nil
	}
	return "", fmt.Errorf("no free tcp port in %d-%d after 50 tries", unboundPortMin, top-1)
}

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
