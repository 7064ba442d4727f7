package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peercheck"
)

func init() {
	verbs["check-peer"] = verb{summary: "drive a peer command through every op of the peer protocol and list what it gets wrong", run: checkPeer}
}

// checkPeer is `zmqsuite check-peer [-v] [-timeout D] -- CMD ARGS`: the check a binding's
// maintainer runs before naming a peer in ZMQSUITE_PEERS. Exit 0 when every mandatory check
// passes, 1 when something is wrong, 2 when the command is missing or cannot be found.
func checkPeer(args []string) int {
	fs := flag.NewFlagSet("check-peer", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "list every check that ran, with its time")
	progress := fs.Bool("progress", false, "name each check on stderr as it starts")
	timeout := fs.Duration("timeout", 60*time.Second, "bound on each check")
	impls := fs.String("impls", "", "check the registry's peers instead of a command: `names` (comma-separated) or \"all\"")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: zmqsuite check-peer [-v] [-progress] [-timeout 60s] -- CMD ARGS")
		fmt.Fprintln(os.Stderr, "       zmqsuite check-peer [-v] -impls all|NAME,NAME   (the registry's peers; an optional one that is unavailable is skipped, saying so)")
		fmt.Fprintln(os.Stderr, "  e.g. zmqsuite check-peer -- /usr/bin/python3 -u pyclients/peer.py")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return peercheck.ExitUsage
	}
	if *impls != "" {
		return checkRegistryPeers(*impls, *verbose, *timeout)
	}
	cfg := peercheck.Config{Command: fs.Args(), CheckTimeout: *timeout}
	if *progress {
		cfg.Progress = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	defer harness.RemoveIPCDir()
	rep, err := peercheck.Run(ctx, cfg)
	var usage *peercheck.UsageError
	if errors.As(err, &usage) {
		fmt.Fprintln(os.Stderr, usage.Msg)
		return peercheck.ExitUsage
	}
	if rep != nil {
		rep.Write(os.Stdout, *verbose)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return peercheck.ExitUsage
	}
	return rep.ExitCode()
}

// checkRegistryPeers runs the contract check on implementations of the registry, one after
// the other, and exits with the worst status. An optional implementation whose peer cannot
// start is skipped with its reason; a required one that cannot is a failure, as in a run.
func checkRegistryPeers(list string, verbose bool, timeout time.Duration) int {
	reg, err := harness.DefaultRegistry()
	if err != nil {
		fmt.Fprintln(os.Stderr, "zmqsuite check-peer:", err)
		return peercheck.ExitUsage
	}
	if list == "all" {
		list = ""
	}
	sel, err := reg.Select(list)
	if err != nil {
		fmt.Fprintln(os.Stderr, "zmqsuite check-peer:", err)
		return peercheck.ExitUsage
	}
	defer harness.RemoveIPCDir()
	worst := 0
	for _, im := range sel {
		fmt.Printf("== %s: %s\n", im.Name, strings.Join(im.Command, " "))
		// Can it start at all? That decides between a skip (optional) and a failure (required)
		// before the contract is checked.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		if d := harness.Discover(ctx, []*harness.Impl{im})[0]; d.Err != nil {
			stop()
			if im.Optional != "" {
				fmt.Printf("skipped (optional: %s): %s\n", im.Optional, d.Err)
				continue
			}
			fmt.Printf("FAIL: required, but its peer does not start: %s\n", d.Err)
			worst = max(worst, 1)
			continue
		}
		rep, err := peercheck.Run(ctx, peercheck.Config{Command: im.Command, CheckTimeout: timeout, Env: im.Env})
		stop()
		if err != nil {
			fmt.Println("FAIL:", err)
			worst = max(worst, 1)
			continue
		}
		rep.Write(os.Stdout, verbose)
		worst = max(worst, rep.ExitCode())
	}
	return worst
}
