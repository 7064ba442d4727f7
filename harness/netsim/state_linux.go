package netsim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runState is what state.json says about a run. It is written before anything else of the
// run exists, so every leftover has an owner to ask about.
type runState struct {
	Run         string    `json:"run"`
	OwnerPID    int       `json:"owner_pid"`
	OwnerStart  uint64    `json:"owner_start"` // /proc/<pid>/stat starttime: a reused pid is not the owner
	Persistent  bool      `json:"persistent"`
	Backend     string    `json:"backend,omitempty"`
	Block       string    `json:"block,omitempty"`   // first two octets of the addresses, "10.254"
	Scenario    string    `json:"scenario"`          // what Apply was last given
	Applied     string    `json:"applied,omitempty"` // what the router does now (differs during a partition)
	Created     time.Time `json:"created"`
	ShaperPID   int       `json:"shaper_pid,omitempty"`
	ShaperStart uint64    `json:"shaper_start,omitempty"`
}

func stateDir(run string) string { return filepath.Join(StateRoot, run) }

func writeState(st runState) error {
	dir := stateDir(st.Run)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("netsim: state dir %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("netsim: encode state of %s: %w", st.Run, err)
	}
	// Written aside and renamed, so a reader never sees half a file.
	tmp := filepath.Join(dir, ".state.json.tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("netsim: write state of %s: %w", st.Run, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "state.json")); err != nil {
		return fmt.Errorf("netsim: write state of %s: %w", st.Run, err)
	}
	return nil
}

func readState(run string) (runState, error) {
	var st runState
	b, err := os.ReadFile(filepath.Join(stateDir(run), "state.json"))
	if err != nil {
		return st, fmt.Errorf("netsim: state of %s: %w", run, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("netsim: state of %s: %w", run, err)
	}
	return st, nil
}

// listStateDirs returns the run ids that have a state directory.
func listStateDirs() ([]string, error) {
	ents, err := os.ReadDir(StateRoot)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netsim: list %s: %w", StateRoot, err)
	}
	var runs []string
	for _, e := range ents {
		if e.IsDir() && runRe.MatchString(e.Name()) {
			runs = append(runs, e.Name())
		}
	}
	return runs, nil
}

// procStart returns the start time of pid (field 22 of /proc/<pid>/stat, in clock ticks
// since boot), which together with the pid names one process for good.
func procStart(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may contain spaces: count from the
	// last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("netsim: /proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("netsim: /proc/%d/stat: %d fields after the name", pid, len(f))
	}
	return strconv.ParseUint(f[19], 10, 64) // field 22 overall
}

// alive says whether the process pid that started at start still runs (a zombie does not).
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	got, err := procStart(pid)
	if err != nil || got != start {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// selfIdentity is this process's pid and start time.
func selfIdentity() (int, uint64, error) {
	pid := os.Getpid()
	st, err := procStart(pid)
	if err != nil {
		return 0, 0, fmt.Errorf("netsim: own start time: %w", err)
	}
	return pid, st, nil
}
