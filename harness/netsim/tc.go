package netsim

import "strconv"

// The router's qdiscs on each of its two interfaces (egress, so each direction is shaped by
// the interface it leaves through):
//
//	root 1: htb default 1
//	  class 1:1 htb rate <cap or uncappedRate>
//	    qdisc 10: netem ...          (netem backend only; tun leaves HTB's default fifo)
//
// The structure is built once; Apply changes the class rate and the netem parameters in
// place, so packets queued at the moment of a change are kept.

// uncappedRate is the HTB rate when the scenario has no cap: far above what veths forward
// on this kind of machine, so the class never holds anything back.
const uncappedRate = 10_000_000_000

// netemLimit is netem's queue length in packets. Its default (1000) is what a 20 ms delay
// holds at ~600 Mbit/s of full-size packets: the queue itself would become the bottleneck.
const netemLimit = 100000

func htbRootArgs(ns, dev string) []string {
	return []string{"-n", ns, "qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb", "default", "1"}
}

func htbClassArgs(ns, dev string, rate uint64) []string {
	if rate == 0 {
		rate = uncappedRate
	}
	r := strconv.FormatUint(rate, 10) + "bit"
	// quantum is set because HTB derives it from the rate (rate/r2q) and complains on stderr
	// when that is huge; with a single class it only sets the dequeue batch.
	return []string{"-n", ns, "class", "replace", "dev", dev, "parent", "1:", "classid", "1:1",
		"htb", "rate", r, "ceil", r, "quantum", "1514"}
}

// netemArgs is the tc command for the netem leaf: verb is "add" or "change".
func netemArgs(verb, ns, dev string, s Scenario) []string {
	a := []string{"-n", ns, "qdisc", verb, "dev", dev, "parent", "1:1", "handle", "10:",
		"netem", "limit", strconv.Itoa(netemLimit), "delay", usec(s.Delay.Microseconds())}
	if s.Jitter > 0 {
		// No distribution table: netem then draws uniformly in [-jitter, +jitter], which is
		// what the tun backend does.
		a = append(a, usec(s.Jitter.Microseconds()))
	}
	if s.Loss > 0 {
		a = append(a, "loss", fmtPercent(s.Loss))
	}
	if s.Reorder > 0 {
		a = append(a, "reorder", fmtPercent(s.Reorder))
	}
	return a
}

func usec(n int64) string { return strconv.FormatInt(n, 10) + "us" }
