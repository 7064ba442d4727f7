package matrix

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// RunnerEnv names the process that runs a suite across netsim's hosts ("pid:starttime"):
// `zmqsuite suite --net` owns the network, and a Ginkgo process outlives it only by accident
// (the runner was killed with SIGKILL, which it cannot pass on). Such a process would go on
// running cells in a network nobody will close, and write results nobody reads: it ends
// itself instead, and the next run's start sweeps the network away.
const RunnerEnv = "ZMQSUITE_RUNNER"

// RunnerID identifies this process for RunnerEnv: its pid and its start time, so that a pid
// the kernel reuses later is not taken for it.
func RunnerID() string {
	st, _ := startTime(os.Getpid())
	return fmt.Sprintf("%d:%s", os.Getpid(), st)
}

// watchRunner starts the watch when RunnerEnv names a runner: once a second, is it still
// there? When it is gone, the process exits (its peers see their input end and quit).
func watchRunner() {
	spec := os.Getenv(RunnerEnv)
	pidS, want, ok := strings.Cut(spec, ":")
	pid, err := strconv.Atoi(pidS)
	if spec == "" || !ok || err != nil {
		return
	}
	go func() {
		for range time.Tick(time.Second) {
			if st, err := startTime(pid); err != nil || st != want {
				fmt.Fprintf(os.Stderr, "zmqsuite: the runner (pid %d) that owns this run's network is gone: ending this suite process\n", pid)
				os.Exit(3)
			}
		}
	}()
}

// startTime is field 22 of /proc/<pid>/stat: when the process started, in clock ticks.
func startTime(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	return f[19], nil // field 22 is the 20th after the name
}
