package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	g "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/harness/peer"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

// MeasurementEntry names the report entries that carry measurements to ReportAfterSuite.
const MeasurementEntry = "zmqsuite.bench"

// Plan is the benchmark run: which implementations answered here, and the configuration.
type Plan struct {
	Config  Config
	Impls   []*harness.Impl
	Ceiling *harness.Impl // nil when zmqpeer raw cannot run
	Hellos  []peer.Hello
	Notes   []string
	// ControlRTTUS is each implementation's median control round trip (µs), timed once
	// before the measurements.
	ControlRTTUS map[string]float64
	// Hosts is where the sides run when the figures are taken across hosts (nil: loopback).
	Hosts *harness.Placement
	// versions (of the implementations found) and exps are for the interop entries: a
	// pairing that never exchanges a message is not measured (Plan.interop).
	versions map[string]string
	exps     *scenarios.Expectations
	interops map[string]interopVerdict

	total   int // figures selected (this shard)
	whole   int // figures the filter selects before sharding
	shard   matrix.Shard
	filter  string
	done    atomic.Int64
	started time.Time
}

// NewPlan discovers the implementations (ZMQSUITE_IMPLS selects) and the ceiling peer with the
// cell engine's rules: every asked-for implementation is required unless marked optional. A
// required implementation whose peer does not run bench loops is an error too, since a
// benchmark run without it would look complete.
func NewPlan(cfg Config) (*Plan, error) {
	hosts, err := harness.CurrentPlacement()
	if err != nil {
		return nil, err
	}
	shard, err := matrix.ParseShard(os.Getenv("ZMQSUITE_SHARD"))
	if err != nil {
		return nil, err
	}
	var found *matrix.Found
	if matrix.Counting() {
		found, err = matrix.RegistryImpls(harness.Raw)
	} else {
		found, err = matrix.DiscoverImpls(harness.Raw)
	}
	if err != nil {
		return nil, err
	}
	exps, err := matrix.LoadExpectations(Name(), func(string) bool { return false }, found.Registry)
	if err != nil {
		return nil, err
	}
	p := &Plan{Config: cfg, Notes: found.AbsentNotes(), started: time.Now(), Hosts: hosts, shard: shard,
		versions: found.Versions(), exps: exps, interops: map[string]interopVerdict{}}
	for _, im := range found.Impls {
		h := found.Hellos[im.Name]
		switch {
		case !h.Caps.Bench && im.Optional == "":
			return nil, fmt.Errorf("%s is required but its peer does not run bench loops (capabilities.bench is false): implement the bench op, or set ZMQSUITE_OPTIONAL=%s", im.Name, im.Name)
		case !h.Caps.Bench:
			p.Notes = append(p.Notes, fmt.Sprintf("%s left out (optional: %s): its peer does not run bench loops", im.Name, im.Optional))
			continue
		case im.Ceiling:
			p.Ceiling = im
		default:
			p.Impls = append(p.Impls, im)
		}
		p.Hellos = append(p.Hellos, *h)
	}
	if matrix.Counting() {
		return p, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p.ControlRTTUS = map[string]float64{}
	pool := harness.NewPool() // its own peers, ended before the first measurement
	defer pool.Close()
	for _, im := range p.all() {
		ns, err := ControlRTT(ctx, pool, im, controlSamples)
		if err != nil {
			p.Notes = append(p.Notes, err.Error())
			continue
		}
		p.ControlRTTUS[im.Name] = ns / 1e3
	}
	return p, nil
}

// controlSamples is how many control round trips NewPlan times per implementation.
const controlSamples = 200

// all is the implementations measured, the ceiling last.
func (p *Plan) all() []*harness.Impl {
	if p.Ceiling == nil {
		return p.Impls
	}
	return append(append([]*harness.Impl(nil), p.Impls...), p.Ceiling)
}

// pairings lists who measures against whom in one figure: every ordered pairing (inproc:
// within one implementation), then the ceiling where it has the transport and pattern.
func (p *Plan) pairings(pattern, transport string) [][2]*harness.Impl {
	var out [][2]*harness.Impl
	ref := p.reference()
	for _, b := range p.Impls {
		for _, c := range p.Impls {
			if transport == harness.InProc && b != c {
				continue
			}
			// Linear: each with itself, and each both ways with the reference.
			if !p.Config.Grid && b != c && b != ref && c != ref {
				continue
			}
			out = append(out, [2]*harness.Impl{b, c})
		}
	}
	if p.Ceiling != nil && transport != harness.InProc && pattern != PubSub {
		out = append(out, [2]*harness.Impl{p.Ceiling, p.Ceiling})
	}
	return out
}

// reference is the implementation every other one is measured against in the linear
// profile: libzmq when it runs here, else the first implementation.
func (p *Plan) reference() *harness.Impl {
	for _, im := range p.Impls {
		if im.Name == harness.LibZMQ {
			return im
		}
	}
	if len(p.Impls) > 0 {
		return p.Impls[0]
	}
	return nil
}

type group struct {
	pattern, transport string
	scenario           string // the path across hosts, "" on loopback
	size, subs         int
}

func (p *Plan) groups() []group {
	scen := ""
	if p.Hosts != nil {
		scen = p.Hosts.Scenario
	}
	var gs []group
	for _, pattern := range []string{PushPull, ReqRep, PubSub} {
		for _, tr := range harness.Transports {
			for _, size := range p.Config.Sizes {
				if pattern != PubSub {
					gs = append(gs, group{pattern, tr, scen, size, 0})
					continue
				}
				for _, n := range p.Config.Subscribers {
					gs = append(gs, group{pattern, tr, scen, size, n})
				}
			}
		}
	}
	return gs
}

func (gr group) labels() []string {
	l := []string{"kind:bench", "pattern:" + gr.pattern, "transport:" + gr.transport, fmt.Sprintf("size:%d", gr.size)}
	if gr.scenario != "" {
		l = append(l, "scenario:"+gr.scenario)
	}
	return l
}

// figureID names one figure for sharding: the group and the pairing, as FigureLine writes
// them.
func figureID(gr group, pr [2]*harness.Impl) string {
	s := fmt.Sprintf("%s %s %s %s→%s", gr.pattern, transportLabel(gr.transport, gr.scenario), sizeLabel(gr.size), pr[0].Name, pr[1].Name)
	if gr.subs > 0 {
		s += fmt.Sprintf(" ×%d", gr.subs)
	}
	return s
}

// Selection is one benchmark group with the pairings a label filter selected, and the labels
// its spec carries (the union of its pairings' labels, for Ginkgo's own filter).
type Selection struct {
	group  group
	Pairs  [][2]*harness.Impl
	Labels []string
}

// Selected lists the groups with at least one pairing whose own labels match (and that is in
// the plan's shard: of the figure ids sorted, every n-th).
func (p *Plan) Selected(match func([]string) bool) []Selection {
	inShard := p.shardOf(match)
	var out []Selection
	for _, gr := range p.groups() {
		sel := Selection{group: gr}
		labels := map[string]bool{}
		for _, pr := range p.pairings(gr.pattern, gr.transport) {
			if match(pairLabels(gr, pr)) && inShard[figureID(gr, pr)] {
				sel.Pairs = append(sel.Pairs, pr)
				for _, l := range pairLabels(gr, pr) {
					labels[l] = true
				}
			}
		}
		if len(sel.Pairs) == 0 {
			continue
		}
		for l := range labels {
			sel.Labels = append(sel.Labels, l)
		}
		sort.Strings(sel.Labels)
		out = append(out, sel)
	}
	return out
}

// shardOf is the set of figure ids the filter selects that are in the plan's shard, and
// counts the figures the filter selects before sharding.
func (p *Plan) shardOf(match func([]string) bool) map[string]bool {
	var ids []string
	for _, gr := range p.groups() {
		for _, pr := range p.pairings(gr.pattern, gr.transport) {
			if match(pairLabels(gr, pr)) {
				ids = append(ids, figureID(gr, pr))
			}
		}
	}
	sort.Strings(ids)
	p.whole = len(ids)
	in := map[string]bool{}
	for k, id := range ids {
		if p.shard.N == 0 || k%p.shard.N == p.shard.I-1 {
			in[id] = true
		}
	}
	return in
}

// pairLabels are one figure's labels: its group's, and the pairing's bind:/connect: labels as
// conformance cells carry them, so that one filter ("bind:gozmq || connect:gozmq") selects a
// binding's slice of both suites.
func pairLabels(gr group, pr [2]*harness.Impl) []string {
	return append(gr.labels(), "bind:"+pr[0].Name, "connect:"+pr[1].Name)
}

// Build declares one Serial spec per pattern × transport × size (× fan-out) with the pairings
// the label filter selects; inside it the pairings are interleaved within each repetition, so
// slow drift of the machine hits every implementation alike. The spec carries every label of
// its pairings, for Ginkgo's own filter; the engine keeps only the pairings whose own labels
// match. A filter that selects no figure is an error, before anything runs.
func (p *Plan) Build() error {
	filter := g.GinkgoLabelFilter()
	match, err := matrix.ParseFilter(filter)
	if err != nil {
		return err
	}
	for _, sel := range p.Selected(match) {
		gr, pairs, specLabels := sel.group, sel.Pairs, sel.Labels
		p.total += len(pairs)
		budget := time.Duration(len(pairs)*p.Config.MaxReps) * (p.Config.Window + 30*time.Second)
		name := fmt.Sprintf("%s %s %s", gr.pattern, gr.transport, sizeLabel(gr.size))
		if gr.subs > 0 {
			name += fmt.Sprintf(" ×%d subscribers", gr.subs)
		}
		g.It(name, g.Serial, g.Label(specLabels...), g.SpecTimeout(budget), func(ctx g.SpecContext) {
			p.measureGroup(ctx, gr, pairs)
		})
	}
	// The suite's self-checks (make bench-check) are the other specs a filter may select.
	if p.total == 0 && !match([]string{"kind:fidelity"}) && !match([]string{"kind:gatecheck"}) && !matrix.Counting() {
		return fmt.Errorf("FILTER=%q selects no benchmark figure (labels: kind:bench, pattern:push_pull|req_rep|pub_sub, transport:tcp|ipc|inproc, size:<bytes>, bind:<impl>, connect:<impl>); nothing was run and no results were written", filter)
	}
	p.filter = filter
	return nil
}

// measureGroup measures one group's pairings, interleaved within each repetition so that
// slow drift of the machine hits every implementation alike. After MinReps, a pairing whose
// figure's 95 % confidence interval is within the target leaves the rotation (its spread is
// small enough to gate on); a pairing that produced no figure in a repetition is not
// measured again after MinReps (its outcome is the result). Each finished figure is a line on
// the terminal.
func (p *Plan) measureGroup(ctx g.SpecContext, gr group, pairs [][2]*harness.Impl) {
	type state struct {
		ms     []Measurement
		failed bool
	}
	st := make([]state, len(pairs))
	if p.Hosts != nil && gr.transport != harness.TCP {
		// ipc and inproc never leave one machine: no figure of them is about two hosts, and
		// one taken here would be a loopback figure under a scenario's name.
		for _, pr := range pairs {
			m := Measurement{Key: Key{Pattern: gr.pattern, Transport: gr.transport, Scenario: gr.scenario, Bind: pr[0].Name, Connect: pr[1].Name,
				Size: gr.size, Subscribers: gr.subs}, Rep: 1, Outcome: harness.Skip, Reason: "not across hosts: " + gr.transport + " never leaves one machine"}
			g.AddReportEntry(MeasurementEntry, m, g.ReportEntryVisibilityNever)
			p.progress([]Measurement{m})
		}
		return
	}
	key := func(pr [2]*harness.Impl) Key {
		return Key{Pattern: gr.pattern, Transport: gr.transport, Scenario: gr.scenario, Bind: pr[0].Name, Connect: pr[1].Name, Size: gr.size, Subscribers: gr.subs}
	}
	stale := make([]*interopVerdict, len(pairs))
	var pending []int
	for i, pr := range pairs {
		switch v := p.interop(ctx, gr.transport, pr); {
		case v == nil:
		case v.why != nil:
			// Known not to interoperate: the figure is that known failure, not ten seconds of
			// waiting for a first message in each repetition.
			m := Measurement{Key: key(pr), Rep: 1, Outcome: harness.XFail, Expectation: v.ref,
				Reason: matrix.InteropReason(gr.transport, pr[0].Name, pr[1].Name, v.why)}
			g.AddReportEntry(MeasurementEntry, m, g.ReportEntryVisibilityNever)
			p.progress([]Measurement{m})
			continue
		default:
			stale[i] = v
		}
		pending = append(pending, i)
	}
	for rep := 1; rep <= p.Config.MaxReps && len(pending) > 0; rep++ {
		for _, i := range pending {
			pr := pairs[i]
			m := measureIsolated(ctx, key(pr), pr[0], pr[1], p.Config.Window)
			m.Rep = rep
			if v := stale[i]; v != nil && m.Outcome == harness.Pass {
				m.Outcome, m.Expectation = harness.XPass, v.ref
				m.Reason = fmt.Sprintf("the interop entry at %s says %s and %s never exchange a message over %s, but a PAIR probe's did and this figure was measured: the entry is stale, remove it",
					v.ref.Where, pr[0].Name, pr[1].Name, gr.transport)
			}
			g.AddReportEntry(MeasurementEntry, m, g.ReportEntryVisibilityNever)
			st[i].ms = append(st[i].ms, m)
			st[i].failed = st[i].failed || m.Outcome != harness.Pass
		}
		var next []int
		for _, i := range pending {
			done := rep >= p.Config.MinReps && (st[i].failed || withinTarget(st[i].ms, p.Config.TargetCI))
			if done || rep == p.Config.MaxReps {
				p.progress(st[i].ms)
				continue
			}
			next = append(next, i)
		}
		pending = next
	}
}

// interopVerdict is what the PAIR probe found for a pairing an interop entry covers: why no
// message crossed, or nil when one did (the entry is stale).
type interopVerdict struct {
	ref *harness.ExpectationRef
	why error
}

// interop checks the interop entry that covers a pairing over transport, once per run (the
// engine's PAIR probe, in fresh peers); nil when no entry covers it.
func (p *Plan) interop(ctx g.SpecContext, transport string, pr [2]*harness.Impl) *interopVerdict {
	k := transport + "|" + pr[0].Name + "|" + pr[1].Name
	if v, ok := p.interops[k]; ok {
		return &v
	}
	e, why := matrix.PairingInterop(ctx, p.exps, Name(), p.versions, transport, pr[0], pr[1])
	if e == nil {
		return nil
	}
	v := interopVerdict{ref: matrix.RefOf(e), why: why}
	p.interops[k] = v
	return &v
}

// withinTarget reports whether a figure's repetitions have reached the target confidence.
func withinTarget(ms []Measurement, target float64) bool {
	if target <= 0 {
		return false
	}
	ci := confidence(gatedValues(ms))
	return ci != nil && ci.Rel <= target
}

// measureIsolated runs one measurement in peer processes started for it alone, and ends them
// afterwards. Peers shared across measurements carried one measurement's leftovers into the
// next: in the full run of 2026-11-23, a go-zeromq peer that had published 1 MiB messages kept
// about 1.3 cores busy and grew to 1.3 GB after its sockets were closed, and every figure
// taken in the following minutes fell, by half (raw tcp 64 B: 1.5 M against 3.3 M msg/s in
// a fresh run) to a tenth (go-zeromq tcp 64 B: 4 k against 49 k). Starting peers costs far
// less than a window, and no figure can depend on what ran before it.
func measureIsolated(ctx context.Context, k Key, bind, connect *harness.Impl, window time.Duration) Measurement {
	pool := harness.NewPool()
	m := Measure(ctx, pool, k, bind, connect, window)
	// A peer that died on its own after the loops ended died in this measurement.
	if late := pool.Shutdown(); len(late) > 0 && m.Outcome == harness.Pass {
		m.judge(harness.Attempt{Fault: late[0].Fault})
	}
	return m
}

// progress reports one finished figure.
func (p *Plan) progress(ms []Measurement) {
	n := p.done.Add(1)
	rec := Summarise(ms)[0]
	matrix.Emit(matrix.Event{Kind: "figure", Suite: Name(), Outcome: rec.Outcome,
		Line: fmt.Sprintf("bench [%d/%d, %s] %s", n, p.total, time.Since(p.started).Round(time.Second), FigureLine(rec))})
}

// Describe is the run's header line: the configuration, the shard, and the hosts.
func (p *Plan) Describe() string {
	s := p.Config.Describe()
	if p.shard.N > 0 {
		s += fmt.Sprintf("; shard %s: %d of %d figures", p.shard, p.total, p.whole)
	}
	if h := p.Hosts; h != nil {
		s += fmt.Sprintf("; across hosts (%s, scenario %s): bind side on %s %s, connect side on %s %s", h.Network, h.Scenario,
			h.Bind.Name, h.Bind.Addr, h.Connect.Name, h.Connect.Addr)
	}
	return s
}

// Total is the number of figures the label filter selects.
func (p *Plan) Total() int { return p.total }

// Write gathers the measurements of the report and writes results.json and bench.txt.
func (p *Plan) Write(r types.Report) (string, error) {
	var ms []Measurement
	for _, sr := range r.SpecReports {
		for _, e := range sr.ReportEntries {
			if e.Name != MeasurementEntry {
				continue
			}
			m, ok := e.GetRawValue().(Measurement)
			if !ok {
				if err := json.Unmarshal([]byte(e.Value.AsJSON), &m); err != nil {
					return "", fmt.Errorf("measurement of %q: %w", sr.FullText(), err)
				}
			}
			ms = append(ms, m)
		}
	}
	env := harness.CurrentEnv()
	sel := harness.Selection{Filter: p.filter, Shard: p.shard.String(), Cells: p.total, Total: p.whole}
	recs := Summarise(ms)
	if h := p.Hosts; h != nil {
		sel.Scenarios, sel.Network, sel.Hosts = []string{h.Scenario}, h.Network, h.Addresses()
		for i := range recs {
			if recs[i].Transport == harness.TCP {
				recs[i].Hosts = h.Hosts()
			}
		}
	}
	res := harness.Bench{Schema: harness.BenchSchema, Generated: time.Now().UTC().Format(time.RFC3339), Env: env,
		Implementations: p.Hellos, Records: recs, Notes: p.Notes,
		Selection: sel,
		Config: harness.BenchConfig{Profile: p.Config.Profile, Pairings: p.Config.Pairings(), Repetitions: p.Config.MaxReps,
			MinRepetitions: p.Config.MinReps, TargetCI: p.Config.TargetCI, WindowMS: int(p.Config.Window.Milliseconds()),
			Sizes: p.Config.Sizes, Quick: p.Config.Quick, Interleaved: true,
			Clock:        "inside the peer: throughput from the first message received (as libzmq's local_thr), latency as half round trips",
			ControlRTTUS: p.ControlRTTUS}}
	dir := OutDir()
	path := filepath.Join(dir, "results.json")
	if err := harness.WriteJSON(path, res); err != nil {
		return "", err
	}
	f, err := os.Create(filepath.Join(dir, "bench.txt"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := WriteBenchFmt(f, env, ms); err != nil {
		return "", err
	}
	return path, nil
}
