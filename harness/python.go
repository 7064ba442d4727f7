package harness

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"
)

var (
	pythonOnce  sync.Once
	pythonPath  string
	pythonTried []string
	pythonErr   error
)

// PythonCandidates lists the interpreters tried for pyzmq, in order. An explicit
// ZMQSUITE_PYTHON is the only candidate: a user who names an interpreter means that one, and a
// silent fall-back to another Python would test a pyzmq they did not ask for. Otherwise the
// usual names: the first python3 on PATH often lacks zmq (pyenv, venvs), while Debian's
// python3-zmq lives under /usr/bin/python3.
func PythonCandidates() []string {
	if p := os.Getenv("ZMQSUITE_PYTHON"); p != "" {
		return []string{p}
	}
	if runtime.GOOS == "windows" {
		return []string{"python", "py", "python3"}
	}
	return []string{"python3", "/usr/bin/python3", "/usr/local/bin/python3", "/opt/homebrew/bin/python3", "python"}
}

// FindPython returns the first candidate that imports zmq, the candidates tried (with why
// each failed), and an error when none does. The answer is computed once per process.
func FindPython() (string, []string, error) {
	pythonOnce.Do(func() {
		pythonPath, pythonTried, pythonErr = findPython(PythonCandidates())
		if pythonErr != nil && os.Getenv("ZMQSUITE_PYTHON") != "" {
			pythonTried[0] = "ZMQSUITE_PYTHON=" + pythonTried[0]
		}
	})
	return pythonPath, pythonTried, pythonErr
}

// findPython tries candidates in order.
func findPython(candidates []string) (string, []string, error) {
	var tried []string
	for _, c := range candidates {
		path, err := exec.LookPath(c)
		if err != nil {
			tried = append(tried, c+" (not found)")
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err = exec.CommandContext(ctx, path, "-c", "import zmq").Run()
		cancel()
		if err != nil {
			tried = append(tried, c+" (no zmq module)")
			continue
		}
		return path, append(tried, c+" (ok)"), nil
	}
	return "", tried, os.ErrNotExist
}
