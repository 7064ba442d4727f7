package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
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
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: zmqsuite check-peer [-v] [-progress] [-timeout 60s] -- CMD ARGS")
		fmt.Fprintln(os.Stderr, "  e.g. zmqsuite check-peer -- /usr/bin/python3 -u pyclients/peer.py")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return peercheck.ExitUsage
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
