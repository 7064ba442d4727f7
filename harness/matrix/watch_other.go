//go:build !linux

package matrix

// RunnerEnv names the process that owns a run's network (netsim: Linux only).
const RunnerEnv = "ZMQSUITE_RUNNER"

// RunnerID is empty where there is no netsim: nothing to watch.
func RunnerID() string { return "" }

func watchRunner() {}
