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
// why it cannot run. Exit 0 when at least one implementation works.
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
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	found := harness.Discover(ctx, sel)
	fmt.Printf("zmqsuite doctor on %s/%s (%s)\n", runtime.GOOS, runtime.GOARCH, runtime.Version())
	if py, tried, err := harness.FindPython(); err == nil {
		fmt.Printf("python for pyzmq: %s (tried %s)\n", py, strings.Join(tried, ", "))
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "IMPLEMENTATION\tSTATUS\tVERSION\tLIBZMQ\tRUNTIME\tTRANSPORTS (probed)\tDECLARED\tSOCKET TYPES")
	ok := 0
	for _, d := range found {
		if d.Err != nil {
			fmt.Fprintf(w, "%s\tunavailable (below)\t\t\t\t\t\t\n", d.Impl.Name)
			continue
		}
		ok++
		h := d.Hello
		fmt.Fprintf(w, "%s\tok\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, h.Version, dash(h.Libzmq), h.Runtime,
			transports(h), dash(strings.Join(h.Caps.Declared, ",")), strings.Join(h.Caps.SocketTypes, ","))
	}
	w.Flush()
	for _, d := range found {
		if d.Err != nil {
			fmt.Printf("  %s unavailable: %s\n", d.Impl.Name, oneLine(d.Err.Error()))
		}
		if d.Hello == nil {
			continue
		}
		for t, why := range d.Hello.Caps.ProbeErrors {
			fmt.Printf("  %s: %s probe failed: %s\n", d.Impl.Name, t, why)
		}
	}
	if ok == 0 {
		fmt.Fprintln(os.Stderr, "zmqsuite doctor: no implementation works here; run `make deps`")
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
