package netsim

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/vishvananda/netlink"
)

// RunInfo describes one run found on the machine.
type RunInfo struct {
	Run        string   `json:"run"`
	Namespaces []string `json:"namespaces"`           // of the run's namespaces, those that exist
	RootLinks  []string `json:"root_links,omitempty"` // links with the run's names in the root namespace (never made there: leftovers of something else's crash)
	HasState   bool     `json:"has_state"`
	OwnerPID   int      `json:"owner_pid,omitempty"`
	Persistent bool     `json:"persistent,omitempty"`
	Backend    string   `json:"backend,omitempty"`
	Scenario   string   `json:"scenario,omitempty"`
	// Orphan: Sweep removes it. A run is an orphan when it has no state, when its owner is
	// dead (not persistent), or when its shaper is dead (tun backend).
	Orphan bool   `json:"orphan"`
	Why    string `json:"why"`
}

// Runs lists every run with the prefix on this machine: its namespaces, root-namespace
// links and state directory, each run judged orphan or live.
func Runs() ([]RunInfo, error) {
	byRun := map[string]*RunInfo{}
	get := func(run string) *RunInfo {
		if byRun[run] == nil {
			byRun[run] = &RunInfo{Run: run}
		}
		return byRun[run]
	}
	nss, err := listNS()
	if err != nil {
		return nil, err
	}
	for _, ns := range nss {
		m := nsRe.FindStringSubmatch(ns)
		ri := get(m[2])
		ri.Namespaces = append(ri.Namespaces, ns)
	}
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("netsim: list links of the root namespace: %w", err)
	}
	for _, l := range links {
		if m := linkRe.FindStringSubmatch(l.Attrs().Name); m != nil {
			ri := get(m[1])
			ri.RootLinks = append(ri.RootLinks, l.Attrs().Name)
		}
	}
	dirs, err := listStateDirs()
	if err != nil {
		return nil, err
	}
	for _, run := range dirs {
		get(run).HasState = true
	}
	var out []RunInfo
	for _, ri := range byRun {
		judge(ri)
		sort.Strings(ri.Namespaces)
		out = append(out, *ri)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Run < out[j].Run })
	return out, nil
}

// judge fills the owner fields and decides whether the run is an orphan.
func judge(ri *RunInfo) {
	if !ri.HasState {
		// State is written before anything else exists, so a run without it was left
		// half-removed (or made by something that is not netsim, under our prefix).
		ri.Orphan, ri.Why = true, "no state file"
		return
	}
	st, err := readState(ri.Run)
	if err != nil {
		ri.Orphan, ri.Why = true, "unreadable state: "+err.Error()
		return
	}
	ri.OwnerPID, ri.Persistent, ri.Backend, ri.Scenario = st.OwnerPID, st.Persistent, st.Backend, st.Scenario
	switch {
	case !st.Persistent && !alive(st.OwnerPID, st.OwnerStart):
		ri.Orphan, ri.Why = true, fmt.Sprintf("owner pid %d is gone", st.OwnerPID)
	case st.Persistent && st.Backend == BackendTun && st.ShaperPID != 0 && !alive(st.ShaperPID, st.ShaperStart):
		ri.Orphan, ri.Why = true, fmt.Sprintf("shaper pid %d is gone (the path is cut)", st.ShaperPID)
	case st.Persistent:
		ri.Why = "persistent (zmqsuite netsim down " + ri.Run + " removes it)"
	default:
		ri.Why = fmt.Sprintf("owner pid %d is running", st.OwnerPID)
	}
}

// Sweep removes every orphan run (see RunInfo.Orphan) and returns their ids. Live runs,
// this process's and other processes', are left alone, so it is safe at every start.
func Sweep() ([]string, error) {
	runs, err := Runs()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, ri := range runs {
		if !ri.Orphan {
			continue
		}
		if err := teardown(ri.Run); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, ri.Run)
	}
	return removed, errors.Join(errs...)
}

// Down removes the run whatever its state: zmqsuite netsim down, or a test's cleanup of a
// run it knows is its own.
func Down(run string) error {
	if !runRe.MatchString(run) {
		return fmt.Errorf("netsim: %q is not a run id (six characters [a-z0-9])", run)
	}
	return teardown(run)
}

// teardown removes what the run has: processes inside its namespaces, the namespaces,
// links with its names in the root namespace, its state directory. What is already gone is
// no error.
func teardown(run string) error {
	var errs []error
	// Hosts first, so their peers die before the router's shaper does and see a reset or
	// nothing at all rather than an unreachable path.
	for _, role := range []string{"A", "B", "R", "P"} {
		if err := deleteNS(nsName(role, run)); err != nil {
			errs = append(errs, err)
		}
	}
	for _, side := range []string{"a", "b", "ra", "rb"} {
		name := linkName(run, side)
		l, err := netlink.LinkByName(name)
		if err != nil {
			continue // not there: the usual case
		}
		if err := netlink.LinkDel(l); err != nil {
			errs = append(errs, fmt.Errorf("netsim: delete link %s: %w", name, err))
		}
	}
	if err := os.RemoveAll(stateDir(run)); err != nil {
		errs = append(errs, fmt.Errorf("netsim: remove state of %s: %w", run, err))
	}
	return errors.Join(errs...)
}
