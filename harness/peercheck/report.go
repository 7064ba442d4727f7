package peercheck

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Level says whether the protocol requires an op (docs/peer-protocol.md, "Mandatory and
// optional ops").
type Level string

const (
	Mandatory Level = "mandatory"
	Optional  Level = "optional"
)

// Kind is what a finding means for the peer's writer.
type Kind int

const (
	// Problem is something the peer gets wrong: a mandatory op that misbehaves, or an
	// optional one that is implemented but wrong (the harness would trust its answers).
	Problem Kind = iota
	// NotImplemented is an optional op or flag the peer does not have. It is listed and does
	// not fail the check: the harness skips what needs it, with that reason.
	NotImplemented
	// Note is worth knowing but is not the peer's defect: a binding's refusal (go-zeromq has
	// no unbind), a declared transport that does not work here, a behaviour the check cannot
	// pin on the peer.
	Note
)

// DocPath is the document every finding points into.
const DocPath = "docs/peer-protocol.md"

// Finding is one line of the report.
type Finding struct {
	Kind  Kind
	Op    string // the op at fault: "recv_batch", "recv_batch digest", "quit"
	Level Level
	What  string // what the peer did, in context
	Fix   string // what to do about it; "" when the What says it
	// Anchor is the section of DocPath that says what is expected ("operations").
	Anchor string
}

// String is the finding's line: for a problem, `recv_batch (mandatory): answered protocol
// error "unknown op": implement it (docs/peer-protocol.md#operations)`.
func (f Finding) String() string {
	ref := ""
	if f.Anchor != "" {
		ref = " (" + DocPath + "#" + f.Anchor + ")"
	}
	fix := ""
	if f.Fix != "" {
		fix = ": " + f.Fix
	}
	switch f.Kind {
	case NotImplemented:
		return fmt.Sprintf("optional, not implemented: %s: %s%s%s", f.Op, f.What, fix, ref)
	case Note:
		return fmt.Sprintf("note: %s: %s%s%s", f.Op, f.What, fix, ref)
	}
	return fmt.Sprintf("%s (%s): %s%s%s", f.Op, f.Level, f.What, fix, ref)
}

// CheckResult records one check that ran.
type CheckResult struct {
	Name     string
	Problems int // problems this check found
	Elapsed  time.Duration
	// Restarted says a peer died (or was killed) during the check; the next request got a
	// fresh one.
	Restarted bool
	// NotRun says why the check did not run ("" = it ran).
	NotRun string
}

// Report is everything check-peer found about one peer command.
type Report struct {
	Command  []string
	Peer     *PeerInfo // who the peer said it is (nil if it never started)
	Findings []Finding
	Checks   []CheckResult
}

// PeerInfo is the part of the peer's hello the report prints.
type PeerInfo struct {
	Name, Version, Libzmq, Runtime, OS, Language string
	Transports                                   []string
}

// Exit statuses of check-peer.
const (
	ExitPass     = 0 // every mandatory check passed (optional ops may be missing)
	ExitProblems = 1 // at least one problem
	ExitUsage    = 2 // no command, or the command cannot be found
)

// Problems returns the findings of kind Problem.
func (r *Report) Problems() []Finding { return r.ofKind(Problem) }

func (r *Report) ofKind(k Kind) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

// ExitCode is ExitProblems when anything is wrong, else ExitPass.
func (r *Report) ExitCode() int {
	if len(r.Problems()) > 0 {
		return ExitProblems
	}
	return ExitPass
}

// Lines returns the report's finding lines: problems first, then optional ops not
// implemented, then notes.
func (r *Report) Lines() []string {
	var out []string
	for _, k := range []Kind{Problem, NotImplemented, Note} {
		for _, f := range r.ofKind(k) {
			out = append(out, f.String())
		}
	}
	return out
}

// Write prints the report: who the peer is, one line per finding, the checks that ran when
// verbose, and a summary line.
func (r *Report) Write(w io.Writer, verbose bool) {
	if h := r.Peer; h != nil {
		lz := ""
		if h.Libzmq != "" {
			lz = ", libzmq " + h.Libzmq
		}
		fmt.Fprintf(w, "peer: %s %s (%s, %s%s) on %s; transports %s\n", h.Name, h.Version, h.Language, h.Runtime, lz, h.OS, strings.Join(h.Transports, ","))
	}
	for _, l := range r.Lines() {
		fmt.Fprintln(w, l)
	}
	if verbose {
		for _, c := range r.Checks {
			status := "ok"
			switch {
			case c.NotRun != "":
				status = "not run: " + c.NotRun
			case c.Problems > 0:
				status = fmt.Sprintf("%d problem(s)", c.Problems)
			}
			if c.Restarted {
				status += "; peer restarted"
			}
			fmt.Fprintf(w, "  check %-24s %-8s %s\n", c.Name, c.Elapsed.Round(time.Millisecond), status)
		}
	}
	ran := 0
	for _, c := range r.Checks {
		if c.NotRun == "" {
			ran++
		}
	}
	verdict := "PASS"
	if r.ExitCode() != ExitPass {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "check-peer: %s: %d checks run, %d problem(s), %d optional op(s) not implemented, %d note(s)\n",
		verdict, ran, len(r.Problems()), len(r.ofKind(NotImplemented)), len(r.ofKind(Note)))
}
