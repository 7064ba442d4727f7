// Package peercheck is the peer contract check (zmqsuite check-peer): it drives a peer process
// through every op of the peer protocol and reports what the peer gets wrong, one line per
// problem, each naming the op and whether the protocol requires it.
//
// The peer is started with harness.StartPeer, so the checks see what the suite sees: the same
// environment (TMPDIR in the private ipc directory), the same deadlines (timeout + grace), and
// the same crash, hang and garbage detection. A peer that dies or hangs during a check is a
// finding of the op it was asked; the next check starts a fresh one. A few checks need what
// StartPeer hides (the raw hello line, the exit status after quit or the end of input) and
// start the command themselves with the same environment.
package peercheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// Config says which peer to check and how patiently.
type Config struct {
	// Command is the peer's argv, as a ZMQSUITE_PEERS entry would start it.
	Command []string
	// Env is added to the environment the peer inherits.
	Env []string
	// CheckTimeout bounds each check (default 60 s). A check that runs out is reported as a
	// hang of the op it was waiting for.
	CheckTimeout time.Duration
	// StartTimeout bounds the start and hello of each peer process (default 30 s).
	StartTimeout time.Duration
	// Progress, when set, gets one line per check as it starts.
	Progress io.Writer
}

// UsageError is input check-peer cannot use: no command, or one that does not exist.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// check is one subject of the contract, run against a live peer.
type check struct {
	name string
	run  func(c *checkCtx)
}

// checks is the contract, in the order it runs: what every later check relies on first
// (hello, transports, plain send and recv), the process lifecycle last.
var checks = []check{
	{"hello fields", checkHelloFields},
	{"transports", checkTransports},
	{"socket types", checkSocketTypes},
	{"payloads", checkPayloads},
	{"connect/unbind/disconnect", checkEndpoints},
	{"recv timeouts", checkRecvTimeouts},
	{"send timeouts", checkSendTimeouts},
	{"options", checkOptions},
	{"send_batch", checkSendBatch},
	{"recv_batch", checkRecvBatch},
	{"jobs", checkJobs},
	{"contexts", checkContexts},
	{"close", checkClose},
	{"malformed requests", checkMalformed},
	{"ping", checkPing},
	{"heap", checkHeap},
	{"digest", checkDigest},
	{"zap", checkZAP},
	{"bench", checkBench},
	{"quit", checkQuit},
	{"end of input", checkEndOfInput},
}

// Run checks the peer cfg.Command starts. The error is a *UsageError for input that cannot
// be checked at all; everything the peer does wrong is in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if len(cfg.Command) == 0 {
		return nil, &UsageError{Msg: "check-peer: no peer command (usage: zmqsuite check-peer -- CMD ARGS)"}
	}
	if _, err := exec.LookPath(cfg.Command[0]); err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("check-peer: cannot run %q: %v", cfg.Command[0], err)}
	}
	if cfg.CheckTimeout <= 0 {
		cfg.CheckTimeout = 60 * time.Second
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	r := &runner{cfg: cfg, report: &Report{Command: cfg.Command}, seen: map[string]bool{},
		impl: &harness.Impl{Name: "check", Command: cfg.Command, Env: cfg.Env, Source: "check-peer"}}
	defer r.stopPeer()
	for _, ch := range checks {
		if err := ctx.Err(); err != nil {
			r.report.Checks = append(r.report.Checks, CheckResult{Name: ch.name, NotRun: "interrupted: " + err.Error()})
			continue
		}
		if r.unstartable != "" {
			r.report.Checks = append(r.report.Checks, CheckResult{Name: ch.name, NotRun: r.unstartable})
			continue
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "check-peer: %s\n", ch.name)
		}
		if err := r.runCheck(ctx, ch); err != nil {
			return r.report, err
		}
	}
	return r.report, nil
}

// runner holds the peer process across checks and collects the findings.
type runner struct {
	cfg    Config
	impl   *harness.Impl
	report *Report
	seen   map[string]bool // finding lines already reported (a defect seen by two checks)
	peer   *harness.Peer
	// hello is the first hello a peer answered; later restarts are assumed to say the same.
	hello *peer.Hello
	// unstartable says why no further check can run (the peer does not start at all).
	unstartable string
}

// abort stops a check from deep inside a helper; runCheck recovers it. It never leaves this
// package.
type abort struct{}

func (r *runner) add(f Finding) bool {
	line := f.String()
	if r.seen[line] {
		return false
	}
	r.seen[line] = true
	r.report.Findings = append(r.report.Findings, f)
	return true
}

// runCheck runs one check within CheckTimeout, then puts the peer back in order: jobs the
// check left running are cancelled and collected, its sockets closed. A check that panics
// with anything but abort is a bug of peercheck, returned as an error.
func (r *runner) runCheck(parent context.Context, ch check) (err error) {
	ctx, cancel := context.WithTimeout(parent, r.cfg.CheckTimeout)
	defer cancel()
	c := &checkCtx{runner: r, ctx: ctx, name: ch.name}
	start := time.Now()
	before := len(r.report.Problems())
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(abort); !ok {
				err = fmt.Errorf("check-peer: internal error in check %q: %v", ch.name, p)
			}
		}
		c.cleanup()
		res := CheckResult{Name: ch.name, Elapsed: time.Since(start), Problems: len(r.report.Problems()) - before}
		res.Restarted = c.died
		r.report.Checks = append(r.report.Checks, res)
	}()
	ch.run(c)
	return nil
}

// livePeer returns the running peer, starting one if there is none or the last one died. A
// peer that does not start is a problem of hello and ends the run: every later check would
// only say so again.
func (r *runner) livePeer(c *checkCtx) *harness.Peer {
	if r.peer != nil && r.peer.Alive() {
		return r.peer
	}
	r.stopPeer()
	p, err := harness.StartPeer(c.ctx, r.impl, "", r.cfg.StartTimeout)
	if err != nil {
		var f *harness.Fault
		what := err.Error()
		if errors.As(err, &f) {
			what = "the peer did not start: " + faultText(f)
		}
		c.problem(peer.OpHello, Mandatory, what, "start, read one line, and answer hello with protocol 1", "hello")
		r.unstartable = "the peer does not start (see hello)"
		panic(abort{})
	}
	r.peer = p
	if r.hello == nil {
		r.hello = p.Hello
		h := p.Hello
		r.report.Peer = &PeerInfo{Name: h.Name, Version: h.Version, Libzmq: h.Libzmq, Runtime: h.Runtime,
			OS: h.OS, Language: h.Language, Transports: h.Caps.Transports}
	}
	return p
}

// killPeer ends the peer without ceremony and waits (a little) until it is gone: a peer
// killed but not yet reaped still looks alive, and the next check would be handed it.
func (r *runner) killPeer() {
	if r.peer == nil {
		return
	}
	r.peer.Kill()
	for end := time.Now().Add(5 * time.Second); r.peer.Alive() && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	r.peer = nil
}

func (r *runner) stopPeer() {
	if r.peer != nil {
		r.peer.Quit()
		r.peer = nil
	}
}

// faultText is a fault without the "check peer" it starts with.
func faultText(f *harness.Fault) string {
	return strings.TrimPrefix(f.Error(), f.Impl+" peer ")
}

// peerEnv is the environment StartPeer gives a peer, for the checks that start the command
// themselves.
func (r *runner) peerEnv() []string {
	env := append(os.Environ(), r.impl.Env...)
	if dir, err := harness.IPCDir(); err == nil {
		env = append(env, "TMPDIR="+dir)
	}
	return env
}
