// Command zmqsuite is what users run: doctor (which implementations work here), report
// (render results), gate (compare with a baseline). Each verb lives in its own file and
// registers itself in verbs.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// verb is one subcommand. run returns the process exit code.
type verb struct {
	summary string
	run     func(args []string) int
}

var verbs = map[string]verb{}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	v, ok := verbs[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "zmqsuite: unknown command %q (want one of: %s)\n", os.Args[1], strings.Join(names(), ", "))
		os.Exit(2)
	}
	os.Exit(v.run(os.Args[2:]))
}

func names() []string {
	var n []string
	for k := range verbs {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: zmqsuite <command> [flags]")
	for _, n := range names() {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, verbs[n].summary)
	}
}
