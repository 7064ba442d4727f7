package matrix

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// Interop entries (`case: "*"` in the expectations) say that two implementations do not
// exchange messages at all over a transport: go-zeromq speaks only ZMTP 3.0 and does not
// downgrade, JeroMQ 0.3 speaks only ZMTP 2.0, and nothing ever crosses between them. Running
// every case of such a pairing would only measure timeouts (a CON.1 cell of it needed more
// than its 60 s bound), so the engine checks the claim once per pairing and process with a
// probe — a PAIR pair, one message each way — and when the probe fails as the entry says,
// each cell of the pairing is a known failure without its body being run. When a message does
// cross, the entry is stale: the cells run and are judged as any other, and a red record
// (INTEROP) asks for the entry to go.

// A suite whose pairings are not two real peers (the wire suite: its own ZMTP peer against one
// implementation) checks the claim with a Probe of its own (Run.Probe).

// Probe is a suite's own check of an interop entry's claim. Body runs in a cell of the
// pairing and transport (without the tap) as a case body does: it returns when the pairing
// interoperates (the entry is stale), and fails — a Gomega failure, a StepError, a fault —
// when it does not, saying why. Name says what it checks, in the cells' reason: "not run: A
// and B do not interoperate over tcp (<Name>: <why>)".
type Probe struct {
	Name string
	Body Body
}

// pairProbe is the default: a PAIR in each side's peer, one message each way.
var pairProbe = &Probe{Name: "a PAIR probe", Body: func(ctx SpecContext, cell *harness.Cell) {
	b := cell.Bind(ctx, harness.PAIR)
	conn := cell.Connect(ctx, harness.PAIR, b)
	for _, way := range [][2]*harness.Sock{{conn, b}, {b, conn}} {
		// Across a path each wait gains what the path adds to a bound (a lost SYN, a resend).
		if err := way[0].TrySend(ctx, 2*time.Second+harness.PathSlack.Arrive, harness.Msg("interop probe")); err != nil {
			panic(&harness.StepError{Step: way[0].Name + " send", Err: err})
		}
		if _, err := way[1].TryRecv(ctx, 3*time.Second+harness.PathSlack.Arrive); err != nil {
			panic(&harness.StepError{Step: way[1].Name + " receive", Err: err})
		}
	}
}}

func (r *Run) probe() *Probe {
	if r.Probe != nil {
		return r.Probe
	}
	return pairProbe
}

// InteropEntry is the report entry of a probe that found a pairing interoperating despite an
// interop entry.
const InteropEntry = "zmqsuite.interop"

// interopCase is the case id of the stale-entry records.
const interopCase = "INTEROP"

type interopProbe struct {
	once sync.Once
	err  error // why no message crossed; nil: one did
}

var interopProbes sync.Map // "transport|bind|connect" → *interopProbe

// interopVerdict decides a cell of a pairing an interop entry covers: (record, true) when the
// pairing indeed does not interoperate (the cell is a known failure, not run), (_, false) when
// it does (the cell runs; the stale entry is reported once per process).
func (r *Run) interopVerdict(ctx ginkgo.SpecContext, st started, c *CellSpec) (harness.Record, bool) {
	e := r.Expectations.Interop(scenarios.Cell{Suite: r.Suite.Name, Transport: st.Transport,
		Bind: st.Bind, Connect: st.Connect, OS: runtime.GOOS, Versions: r.versions})
	if e == nil {
		return harness.Record{}, false
	}
	key := st.Transport + "|" + st.Bind + "|" + st.Connect
	v, _ := interopProbes.LoadOrStore(key, &interopProbe{})
	p := v.(*interopProbe)
	fresh := false
	p.once.Do(func() {
		fresh = true
		// The probe has a bound of its own: the first cell of the pairing in each process
		// pays for it, and its spec has interopBudget more time for that (declare).
		pctx, cancel := context.WithTimeout(context.Background(), interopLimit())
		defer cancel()
		p.err = r.probePairing(ginkgoCtx{pctx, ctx}, c)
	})
	if p.err == nil {
		if fresh {
			ginkgo.AddReportEntry(InteropEntry, interopStale{Transport: st.Transport, Bind: st.Bind, Connect: st.Connect,
				Where: e.Where(), Reason: e.Reason, Link: e.Link}, ginkgo.ReportEntryVisibilityNever)
		}
		return harness.Record{}, false
	}
	rec := harness.Record{Suite: r.Suite.Name, ID: st.ID, Case: st.Case, Title: st.Title, Level: st.Level,
		Pattern: st.Pattern, Transport: st.Transport, Scenario: st.Scenario, Bind: st.Bind, Connect: st.Connect,
		Outcome: harness.XFail, RFC: harness.VerdictFail, Reference: harness.VerdictNA, Rerun: st.Rerun,
		Observed:    "no interoperation",
		Expectation: RefOf(e)}
	rec.Reason, _ = splitReason(interopReason(r.probe().Name, st.Transport, st.Bind, st.Connect, p.err))
	return rec, true
}

// interopBudget bounds an interop probe: peers start (a JVM: half a second), go-zeromq's dial
// retries for 2.5 s, and each message has 2–3 s to cross.
const interopBudget = 20 * time.Second

// interopLimit is interopBudget, plus across a path what it adds to the probe's four waits.
func interopLimit() time.Duration { return interopBudget + 4*harness.PathSlack.Arrive }

// probePairing runs the suite's probe (a PAIR pair by default) in a cell of its own; the
// error says why the pairing does not interoperate, nil that it does.
func (r *Run) probePairing(ctx SpecContext, c *CellSpec) error {
	return probeIn(ctx, r.pool, r.probe(), c.Transport, c.Bind, c.Connect)
}

// probeIn runs probe in a cell of pool's peers.
func probeIn(ctx SpecContext, pool *harness.Pool, probe *Probe, transport string, bind, connect *harness.Impl) error {
	cell := harness.NewCell(pool, transport, bind, connect)
	cell.ID = "interop probe " + transport + " " + bind.Name + "→" + connect.Name
	defer cell.Close(ctx)
	a := harness.Run(ctx, cell, func() { probe.Body(ctx, cell) })
	switch {
	case a.Fault != nil:
		return a.Fault
	case a.Err != nil:
		return a.Err
	case a.Unsupported != nil:
		return a.Unsupported
	}
	return nil
}

// ginkgoCtx is the probe's own deadline with the cell's SpecContext around it: a probe body
// takes a SpecContext, as a case body does, but must stop at interopBudget.
type ginkgoCtx struct {
	context.Context
	spec SpecContext
}

func (g ginkgoCtx) SpecReport() ginkgo.SpecReport { return g.spec.SpecReport() }
func (g ginkgoCtx) AttachProgressReporter(f func() string) func() {
	return g.spec.AttachProgressReporter(f)
}
func (g ginkgoCtx) WrappedContext() context.Context { return g.Context }

// interopStale is a pairing that interoperated although an interop entry says it does not.
type interopStale struct {
	Transport, Bind, Connect, Where, Reason, Link string
}

// staleInterop makes the stale-entry records: red, blamed on the expectations.
func staleInterop(suite string, seen []interopStale) []harness.Record {
	done := map[string]bool{}
	var out []harness.Record
	for _, s := range seen {
		id := CellID(interopCase, s.Transport, "", s.Bind, s.Connect)
		if done[id] {
			continue
		}
		done[id] = true
		out = append(out, harness.Record{Suite: suite, ID: id, Case: interopCase, Title: "the pairing exchanges messages",
			Level: "M", Pattern: "interop", Transport: s.Transport, Bind: s.Bind, Connect: s.Connect,
			Outcome: harness.XPass, RFC: harness.VerdictPass, Reference: harness.VerdictNA, Blame: "expectations",
			Reason:      "expected not to interoperate but a message crossed both ways: remove the entry at " + s.Where,
			Detail:      strings.TrimSpace(s.Reason),
			Expectation: &harness.ExpectationRef{Reason: s.Reason, Link: s.Link, Where: s.Where}})
	}
	return out
}

// PairingInterop is the interop check for a suite whose results are not case cells (the
// benchmarks, whose figures are pairings too): the entry of exps that covers suite's
// bind→connect pairing over transport, or nil, and with an entry what the PAIR probe found
// in fresh peers — why no message crossed, or nil when one did (the entry is stale). A
// benchmark of a pairing that never connects measured only its first-message timeout, as red
// figures, in every repetition: the full grid's go-zeromq↔JeroMQ figures, 10 s each.
// versions are Found.Versions(), which an expectation's version ranges are matched against.
func PairingInterop(ctx SpecContext, exps *scenarios.Expectations, suite string, versions map[string]string, transport string,
	bind, connect *harness.Impl) (*scenarios.Expectation, error) {
	e := exps.Interop(scenarios.Cell{Suite: suite, Transport: transport, Bind: bind.Name, Connect: connect.Name,
		OS: runtime.GOOS, Versions: versions})
	if e == nil {
		return nil, nil
	}
	pool := harness.NewPool()
	defer pool.Shutdown()
	pctx, cancel := context.WithTimeout(context.Background(), interopLimit())
	defer cancel()
	return e, probeIn(ginkgoCtx{pctx, ctx}, pool, pairProbe, transport, bind, connect)
}

// InteropReason is what a result of a pairing an interop entry holds for says instead of a
// verdict: "not run: A and B do not interoperate over tcp (a PAIR probe: why)".
func InteropReason(transport, bind, connect string, why error) string {
	return interopReason(pairProbe.Name, transport, bind, connect, why)
}

// interopReason is the one wording of a pairing that did not interoperate, for the cells of
// a suite (with its own probe's name) and the benchmarks' figures alike.
func interopReason(probe, transport, bind, connect string, why error) string {
	return fmt.Sprintf("not run: %s and %s do not interoperate over %s (%s: %s)", bind, connect, transport, probe, why)
}

// RefOf is how a result names the expectations entry behind it.
func RefOf(e *scenarios.Expectation) *harness.ExpectationRef {
	return &harness.ExpectationRef{Reason: e.Reason, Link: e.Link, Intermittent: e.Intermittent, Impls: e.Impls(), Where: e.Where()}
}
