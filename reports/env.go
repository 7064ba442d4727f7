package reports

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// envTable shows the environment of the runs: one column when both runs (or the only one)
// share it, one per run when they differ, so a figure is never attributed to the wrong
// machine.
type envTable struct {
	Cols []string
	Rows []envRow
}

type envRow struct {
	Key    string
	Values []string
}

func buildEnv(r harness.Results) envTable {
	var cols []string
	var envs []harness.Env
	for _, n := range r.SuiteNames() {
		cols, envs = append(cols, n+" run"), append(envs, r.Suites[n].Env)
	}
	if r.Bench != nil {
		cols, envs = append(cols, "benchmark run"), append(envs, r.Bench.Env)
	}
	if len(envs) == 0 {
		cols, envs = []string{"value"}, []harness.Env{r.Env}
	}
	same := true
	for _, e := range envs[1:] {
		same = same && sameEnv(envs[0], e)
	}
	if len(envs) > 1 && same {
		cols, envs = []string{"value"}, envs[:1]
	}
	t := envTable{Cols: cols}
	add := func(key string, get func(harness.Env) string) {
		row := envRow{Key: key}
		present := false
		for _, e := range envs {
			v := get(e)
			present = present || v != ""
			row.Values = append(row.Values, v)
		}
		if present {
			t.Rows = append(t.Rows, row)
		}
	}
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return fmt.Sprint(n)
	}
	add("OS / arch", func(e harness.Env) string { return strings.Trim(e.OS+"/"+e.Arch, "/") })
	add("kernel", func(e harness.Env) string { return e.Kernel })
	add("CPU", func(e harness.Env) string { return e.CPU })
	add("cores", func(e harness.Env) string { return num(e.Cores) })
	add("Go", func(e harness.Env) string { return e.GoVersion })
	add("GOMAXPROCS", func(e harness.Env) string { return num(e.GOMAXPROCS) })
	add("GODEBUG", func(e harness.Env) string { return e.GODEBUG })
	add("host", func(e harness.Env) string { return e.Host })
	var extra []string
	seen := map[string]bool{}
	for _, e := range envs {
		for k := range e.Extra {
			if !seen[k] {
				seen[k] = true
				extra = append(extra, k)
			}
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		add(k, func(e harness.Env) string { return e.Extra[k] })
	}
	return t
}

func sameEnv(a, b harness.Env) bool {
	if len(a.Extra) == 0 && len(b.Extra) == 0 {
		a.Extra, b.Extra = nil, nil // an empty map and a missing one say the same
	}
	return reflect.DeepEqual(a, b)
}

// implRow is one implementation as its peer described itself.
type implRow struct {
	Name, Version, Libzmq, Runtime, Binding, Notes string
	Probed, Declared                               string
	IPC                                            ipcRow
}

// ipcRow compares what a binding declares about ipc with what the probe found on this
// machine: either disagreement is a finding (pyzmq wheels on Windows lack ipc; libzmq has it
// from 4.3.3 on Windows 10 1803+).
type ipcRow struct {
	Name, Declared, Probed, Finding, ProbeError string
	Class                                       string // ok, warn, off
}

func buildImpls(r harness.Results) []implRow {
	var rows []implRow
	for _, h := range hellos(r) {
		rows = append(rows, implRow{
			Name:     h.Name,
			Version:  h.Version,
			Libzmq:   h.Libzmq,
			Runtime:  h.Runtime,
			Binding:  h.Binding,
			Notes:    h.Notes,
			Probed:   listOrDash(h.Caps.Transports),
			Declared: listOrDash(h.Caps.Declared),
			IPC:      ipcOf(h),
		})
	}
	return rows
}

func listOrDash(l []string) string {
	if len(l) == 0 {
		return "–"
	}
	return strings.Join(l, ", ")
}

func ipcOf(h peer.Hello) ipcRow {
	probed := peer.Has(h.Caps.Transports, "ipc")
	row := ipcRow{Name: h.Name, Probed: yesNo(probed), ProbeError: h.Caps.ProbeErrors["ipc"]}
	if len(h.Caps.Declared) == 0 {
		// The binding has no zmq_has equivalent: only the probe speaks.
		row.Declared = "not reported"
		row.Finding, row.Class = "not available", "off"
		if probed {
			row.Finding, row.Class = "works", "ok"
		}
		return row
	}
	declared := peer.Has(h.Caps.Declared, "ipc")
	row.Declared = yesNo(declared)
	switch {
	case declared && probed:
		row.Finding, row.Class = "works as declared", "ok"
	case declared:
		row.Finding, row.Class = "declared, but the probe failed", "warn"
	case probed:
		row.Finding, row.Class = "works, but not declared", "warn"
	default:
		row.Finding, row.Class = "not available (as declared)", "off"
	}
	return row
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
