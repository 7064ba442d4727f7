package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// A killed process's ipc directory ("zs<pid>-…") is removed by the next process that makes
// one; a running owner's, and names that are not ipc directories, are left alone.
func TestSweepIPCDirsRemovesOnlyDeadOwners(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no liveness check on Windows: nothing is swept")
	}
	gone := exec.Command(os.Args[0], "-test.run=^$")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	dead := filepath.Join(base, fmt.Sprintf("zs%d-123", gone.Process.Pid))
	mine := filepath.Join(base, fmt.Sprintf("zs%d-456", os.Getpid()))
	other := filepath.Join(base, "zs-netsim")
	for _, d := range []string{dead, mine, other} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sweepIPCDirs(base)
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead process's %s is still there (%v)", dead, err)
	}
	for _, d := range []string{mine, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
}
