package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zmqsuite/zmqsuite/harness/netsim"
)

func init() {
	verbs["netsim"] = verb{summary: "simulated two-host network (up, apply, down, sweep, status)", run: netsimVerb}
}

// Exit codes of zmqsuite netsim, for scripts.
const (
	netsimOK          = 0
	netsimFailed      = 1
	netsimUsage       = 2
	netsimUnavailable = 3 // this machine cannot build networks: skip, the reason is on stderr
)

const netsimUsageText = `usage: zmqsuite netsim <command> [flags]
  up [-scenario NAME] [-backend netem|tun] [-format text|json|env]
                          build a network that stays until down; prints the run id,
                          namespaces, addresses and the exec prefix of each host
  apply RUN SCENARIO      put a scenario in force (a partition: waits until it heals)
  down RUN... | -all      remove runs (-all: every persistent or orphaned run; runs owned
                          by a live process are left to it)
  sweep                   remove what dead runs left (safe at any time)
  status [-json]          list the runs on this machine
scenarios: %s, or combinations such as 50ms-jitter10ms-0.5%%-bw100mbit
exit codes: 0 ok, 1 failed, 2 usage, 3 netsim unavailable here (reason on stderr)
`

func netsimVerb(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(os.Stderr, netsimUsageText, strings.Join(netsim.Names(), ", "))
		if len(args) == 0 {
			return netsimUsage
		}
		return netsimOK
	}
	cmds := map[string]func([]string) int{"up": netsimUp, "apply": netsimApply, "down": netsimDown, "sweep": netsimSweep, "status": netsimStatus}
	run, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "zmqsuite netsim: unknown command %q\n", args[0])
		fmt.Fprintf(os.Stderr, netsimUsageText, strings.Join(netsim.Names(), ", "))
		return netsimUsage
	}
	return run(args[1:])
}

func netsimFail(err error) int {
	fmt.Fprintln(os.Stderr, "zmqsuite netsim:", err)
	return netsimFailed
}

// netsimRequire prints why netsim cannot run here, if it cannot.
func netsimRequire() bool {
	if r := netsim.Available(); r != "" {
		fmt.Fprintln(os.Stderr, r)
		return false
	}
	return true
}

type hostOut struct {
	NS    string   `json:"ns"`
	Iface string   `json:"iface"`
	Addr  string   `json:"addr"`
	Exec  []string `json:"exec"`
}

type upOut struct {
	Run      string             `json:"run"`
	Backend  string             `json:"backend"`
	Scenario string             `json:"scenario"`
	Hosts    map[string]hostOut `json:"hosts"`
}

func netsimUp(args []string) int {
	fs := flag.NewFlagSet("netsim up", flag.ContinueOnError)
	scen := fs.String("scenario", "none", "scenario to apply once up")
	backend := fs.String("backend", "", "netem or tun (default: netem where the kernel has it)")
	format := fs.String("format", "text", "text, json, or env (NETSIM_* assignments for eval)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return netsimUsage
	}
	if *format != "text" && *format != "json" && *format != "env" {
		fmt.Fprintf(os.Stderr, "zmqsuite netsim up: -format %q: want text, json or env\n", *format)
		return netsimUsage
	}
	s, err := netsim.Lookup(*scen)
	if err != nil {
		return netsimFail(err)
	}
	if !netsimRequire() {
		return netsimUnavailable
	}
	n, err := netsim.New(netsim.Options{Scenario: s, Backend: *backend, Persist: true})
	if err != nil {
		return netsimFail(err)
	}
	out := upOut{Run: n.Run, Backend: n.Backend(), Scenario: n.Scenario().Name(), Hosts: map[string]hostOut{}}
	for _, h := range []*netsim.Host{n.A, n.B, n.Router} {
		out.Hosts[h.Name] = hostOut{NS: h.NS, Iface: h.Iface, Addr: h.Addr.String(), Exec: h.Argv()}
	}
	writeUp(os.Stdout, out, *format)
	return netsimOK
}

func writeUp(w io.Writer, o upOut, format string) {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(o)
	case "env":
		fmt.Fprintf(w, "NETSIM_RUN=%s\nNETSIM_BACKEND=%s\n", o.Run, o.Backend)
		for _, k := range []string{"A", "B", "router"} {
			h := o.Hosts[k]
			p := "NETSIM_" + strings.ToUpper(k)
			fmt.Fprintf(w, "%s_NS=%s\n%s_ADDR=%s\n%s_EXEC='%s'\n", p, h.NS, p, h.Addr, p, strings.Join(h.Exec, " "))
		}
	default:
		fmt.Fprintf(w, "run %s up (backend %s, scenario %s)\n", o.Run, o.Backend, o.Scenario)
		for _, k := range []string{"A", "B", "router"} {
			h := o.Hosts[k]
			fmt.Fprintf(w, "  %-6s %-12s %-12s run inside: %s <cmd>\n", k, h.NS, h.Addr, strings.Join(h.Exec, " "))
		}
		fmt.Fprintf(w, "bind in B: tcp://%s:*   connect from A: tcp://%s:<port>\n", o.Hosts["B"].Addr, o.Hosts["B"].Addr)
		fmt.Fprintf(w, "change:    zmqsuite netsim apply %s 20ms-1%%\nremove:    zmqsuite netsim down %s\n", o.Run, o.Run)
	}
}

func netsimApply(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: zmqsuite netsim apply RUN SCENARIO")
		return netsimUsage
	}
	s, err := netsim.Lookup(args[1])
	if err != nil {
		return netsimFail(err)
	}
	if !netsimRequire() {
		return netsimUnavailable
	}
	n, err := netsim.Open(args[0])
	if err != nil {
		return netsimFail(err)
	}
	if err := n.Apply(s); err != nil {
		return netsimFail(err)
	}
	if s.Partition > 0 {
		fmt.Printf("run %s: partitioned for %v\n", n.Run, s.Partition)
		select {
		case <-n.Healed():
		case <-time.After(s.Partition + 30*time.Second):
			return netsimFail(errors.New("the partition did not heal in time"))
		}
		if err := n.HealErr(); err != nil {
			return netsimFail(err)
		}
	}
	fmt.Printf("run %s: %s\n", n.Run, s.Name())
	return netsimOK
}

func netsimDown(args []string) int {
	fs := flag.NewFlagSet("netsim down", flag.ContinueOnError)
	all := fs.Bool("all", false, "remove every persistent or orphaned run")
	if err := fs.Parse(args); err != nil || (*all == (fs.NArg() > 0)) {
		fmt.Fprintln(os.Stderr, "usage: zmqsuite netsim down RUN... | -all")
		return netsimUsage
	}
	runs := fs.Args()
	if *all {
		infos, err := netsim.Runs()
		if err != nil {
			return netsimFail(err)
		}
		for _, ri := range infos {
			if ri.Persistent || ri.Orphan {
				runs = append(runs, ri.Run)
			}
		}
	}
	code := netsimOK
	for _, r := range runs {
		if err := netsim.Down(r); err != nil {
			code = netsimFail(err)
			continue
		}
		fmt.Printf("run %s removed\n", r)
	}
	return code
}

func netsimSweep(args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(os.Stderr, "usage: zmqsuite netsim sweep")
		return netsimUsage
	}
	removed, err := netsim.Sweep()
	for _, r := range removed {
		fmt.Printf("run %s removed (leftover)\n", r)
	}
	if err != nil {
		return netsimFail(err)
	}
	if len(removed) == 0 {
		fmt.Println("no leftovers")
	}
	return netsimOK
}

func netsimStatus(args []string) int {
	fs := flag.NewFlagSet("netsim status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return netsimUsage
	}
	runs, err := netsim.Runs()
	if err != nil {
		return netsimFail(err)
	}
	reason := netsim.Available()
	if *asJSON {
		backends := map[string]string{}
		for k, v := range netsim.Backends() {
			backends[k] = "ok"
			if v != nil {
				backends[k] = v.Error()
			}
		}
		_ = json.NewEncoder(os.Stdout).Encode(map[string]any{"available": reason == "", "reason": reason, "backends": backends, "runs": runs})
		return netsimOK
	}
	if reason != "" {
		fmt.Println("netsim unavailable:", reason)
	} else {
		b := netsim.Backends()
		for _, k := range []string{netsim.BackendNetem, netsim.BackendTun} {
			v := b[k]
			state := "ok"
			if v != nil {
				state = "unavailable: " + v.Error()
			}
			fmt.Printf("backend %-5s %s\n", k, state)
		}
	}
	if len(runs) == 0 {
		fmt.Println("no runs")
		return netsimOK
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "RUN\tSTATE\tBACKEND\tSCENARIO\tNAMESPACES\tWHY")
	for _, r := range runs {
		state := "live"
		switch {
		case r.Orphan:
			state = "orphan"
		case r.Persistent:
			state = "persistent"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Run, state, dash(r.Backend), dash(r.Scenario), dash(strings.Join(r.Namespaces, ",")), r.Why)
	}
	w.Flush()
	return netsimOK
}
