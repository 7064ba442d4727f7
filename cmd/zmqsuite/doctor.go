package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

func init() {
	verbs["doctor"] = verb{summary: "list the implementations found here, their versions and probed transports", run: doctor}
}

// doctor starts every implementation's peer once and prints what it says about itself, or
// why it cannot run. Exit 0 when every required implementation works (a run would be red
// otherwise), 1 when one does not, 2 for bad input.
func doctor(args []string) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	impls := fs.String("impls", os.Getenv("ZMQSUITE_IMPLS"), "comma-separated implementations to check (default: all)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	reg, err := harness.DefaultRegistry()
	if err != nil {
		fmt.Fprintln(os.Stderr, "zmqsuite doctor:", err)
		return 2
	}
	sel, err := reg.Select(*impls)
	if err != nil {
		fmt.Fprintln(os.Stderr, "zmqsuite doctor:", err)
		return 2
	}
	defer harness.RemoveIPCDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	found := harness.Discover(ctx, sel)
	_, _, missing := harness.Require(found)
	fmt.Printf("zmqsuite doctor on %s/%s (%s)\n", runtime.GOOS, runtime.GOARCH, runtime.Version())
	if py, tried, err := harness.FindPython(); err == nil {
		fmt.Printf("python for pyzmq: %s (tried %s)\n", py, strings.Join(tried, ", "))
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "IMPLEMENTATION\tSTATUS\tVERSION\tLIBZMQ\tRUNTIME\tTRANSPORTS (probed)\tDECLARED\tSOCKET TYPES")
	for _, d := range found {
		if d.Err != nil {
			fmt.Fprintf(w, "%s\tunavailable (below)\t\t\t\t\t\t\n", d.Impl.Name)
			continue
		}
		h := d.Hello
		fmt.Fprintf(w, "%s\tok\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, h.Version, dash(h.Libzmq), h.Runtime,
			transports(h), dash(strings.Join(h.Caps.Declared, ",")), strings.Join(h.Caps.SocketTypes, ","))
	}
	w.Flush()
	for _, d := range found {
		if d.Err != nil {
			what := "required"
			if d.Impl.Optional != "" {
				what = "optional: " + d.Impl.Optional
			}
			fmt.Printf("  %s unavailable (%s): %s\n", d.Impl.Name, what, oneLine(d.Err.Error()))
		}
		if d.Hello == nil {
			continue
		}
		for t, why := range d.Hello.Caps.ProbeErrors {
			fmt.Printf("  %s: %s probe failed: %s\n", d.Impl.Name, t, why)
		}
	}
	if missing != nil {
		for _, l := range strings.Split(missing.Error(), "\n") {
			fmt.Fprintln(os.Stderr, "zmqsuite doctor: "+l)
		}
		return 1
	}
	return 0
}

func transports(h *peer.Hello) string { return dash(strings.Join(h.Caps.Transports, ",")) }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
