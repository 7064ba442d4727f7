package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

var (
	rootOnce sync.Once
	rootDir  string

	binOnce sync.Once
	binPath string
	binErr  error
)

// RepoRoot is the directory of zmqsuite's go.mod: found from ZMQSUITE_ROOT, else by walking up
// from the working directory (go test runs in the package directory).
func RepoRoot() string {
	rootOnce.Do(func() {
		if r := os.Getenv("ZMQSUITE_ROOT"); r != "" {
			rootDir = r
			return
		}
		dir, _ := os.Getwd()
		for d := dir; ; d = filepath.Dir(d) {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/zmqsuite/zmqsuite")) {
				rootDir = d
				return
			}
			if filepath.Dir(d) == d {
				rootDir = dir
				return
			}
		}
	})
	return rootDir
}

// PeerBinary returns the zmqpeer executable: $ZMQSUITE_ZMQPEER when set (the Makefile builds it
// once), else a build of cmd/zmqpeer into out/bin under the repository root (where make puts
// it) — with libzmq (cgo) when that builds here, and without it otherwise, in which case
// `zmqpeer libzmq` says it was built without cgo and doctor reports so. The build goes to a
// temporary name in that directory and is renamed into place, so parallel test processes
// never run a half-written binary, and nothing is left in the temporary directory.
func PeerBinary() (string, error) {
	binOnce.Do(func() {
		if p := os.Getenv("ZMQSUITE_ZMQPEER"); p != "" {
			if _, err := os.Stat(p); err != nil {
				binErr = fmt.Errorf("ZMQSUITE_ZMQPEER=%s: %v (unset it to let the harness build zmqpeer)", p, err)
			}
			binPath = p
			return
		}
		dir := filepath.Join(RepoRoot(), "out", "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			binErr = err
			return
		}
		exe := filepath.Join(dir, "zmqpeer")
		if runtime.GOOS == "windows" {
			exe += ".exe"
		}
		tmp := fmt.Sprintf("%s.%d.tmp", exe, os.Getpid())
		defer os.Remove(tmp)
		out, err := goBuild(tmp, "-tags", "libzmq")
		if err != nil {
			if out2, err2 := goBuild(tmp); err2 != nil {
				binErr = fmt.Errorf("cannot build cmd/zmqpeer: %v\n%s%s", err2, out, out2)
				return
			}
		}
		if err := os.Rename(tmp, exe); err != nil {
			binErr = err
			return
		}
		binPath = exe
	})
	return binPath, binErr
}

func goBuild(exe string, flags ...string) ([]byte, error) {
	args := append([]string{"build", "-o", exe}, flags...)
	cmd := exec.Command("go", append(args, "./cmd/zmqpeer")...)
	cmd.Dir = RepoRoot()
	return cmd.CombinedOutput()
}
