package harness

import (
	"fmt"
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
