package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	g "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
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

	total   int
	done    atomic.Int64
	started time.Time
}

// NewPlan discovers the implementations (ZMQSUITE_IMPLS selects) and the ceiling peer.
func NewPlan(cfg Config) (*Plan, error) {
	reg, err := harness.DefaultRegistry()
	if err != nil {
		return nil, err
	}
	impls, err := reg.Select(os.Getenv("ZMQSUITE_IMPLS"))
	if err != nil {
		return nil, err
	}
	raw, _ := reg.Get(harness.Raw)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := &Plan{Config: cfg}
	for _, d := range harness.Discover(ctx, append(impls, raw)) {
		switch {
		case d.Err != nil:
			p.Notes = append(p.Notes, fmt.Sprintf("%s left out: %v", d.Impl.Name, d.Err))
		case !d.Hello.Caps.Bench:
			p.Notes = append(p.Notes, fmt.Sprintf("%s left out: its peer does not run bench loops", d.Impl.Name))
		case d.Impl.Ceiling:
			p.Ceiling = d.Impl
			p.Hellos = append(p.Hellos, *d.Hello)
		default:
			p.Impls = append(p.Impls, d.Impl)
			p.Hellos = append(p.Hellos, *d.Hello)
		}
	}
	if len(p.Impls) == 0 {
		return nil, fmt.Errorf("no implementation can run benchmarks here: %v (run `zmqsuite doctor`)", p.Notes)
	}
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

// pairings lists who measures against whom in one figure: every ordered pairing (inproc:
// within one implementation), then the ceiling where it has the transport and pattern.
// controlSamples is how many control round trips NewPlan times per implementation.
const controlSamples = 200

// all is the implementations measured, the ceiling last.
func (p *Plan) all() []*harness.Impl {
	if p.Ceiling == nil {
		return p.Impls
	}
	return append(append([]*harness.Impl(nil), p.Impls...), p.Ceiling)
}

func (p *Plan) pairings(pattern, transport string) [][2]*harness.Impl {
	var out [][2]*harness.Impl
	for _, b := range p.Impls {
		for _, c := range p.Impls {
			if transport == harness.InProc && b != c {
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

type group struct {
	pattern, transport string
	size, subs         int
}

func (p *Plan) groups() []group {
	var gs []group
	for _, pattern := range []string{PushPull, ReqRep, PubSub} {
		for _, tr := range harness.Transports {
			for _, size := range p.Config.Sizes {
				if pattern != PubSub {
					gs = append(gs, group{pattern, tr, size, 0})
					continue
				}
				for _, n := range p.Config.Subscribers {
					gs = append(gs, group{pattern, tr, size, n})
				}
			}
		}
	}
	return gs
}

func (gr group) labels() g.Labels {
	return g.Label("kind:bench", "pattern:"+gr.pattern, "transport:"+gr.transport, fmt.Sprintf("size:%d", gr.size))
}

// Build declares one Serial spec per pattern × transport × size (× fan-out). Inside it the
// pairings are interleaved within each repetition, so slow drift of the machine hits every
// implementation alike.
func (p *Plan) Build() {
	filter, err := types.ParseLabelFilter(g.GinkgoLabelFilter())
	if err != nil {
		filter = func([]string) bool { return true }
	}
	for _, gr := range p.groups() {
		gr := gr
		pairs := p.pairings(gr.pattern, gr.transport)
		if filter(gr.labels()) {
			p.total += len(pairs) * p.Config.Reps
		}
		budget := time.Duration(len(pairs)*p.Config.Reps) * (p.Config.Window + 30*time.Second)
		name := fmt.Sprintf("%s %s %s", gr.pattern, gr.transport, sizeLabel(gr.size))
		if gr.subs > 0 {
			name += fmt.Sprintf(" ×%d subscribers", gr.subs)
		}
		g.It(name, g.Serial, gr.labels(), g.SpecTimeout(budget), func(ctx g.SpecContext) {
			for rep := 1; rep <= p.Config.Reps; rep++ {
				for _, pr := range pairs {
					k := Key{Pattern: gr.pattern, Transport: gr.transport, Bind: pr[0].Name, Connect: pr[1].Name, Size: gr.size, Subscribers: gr.subs}
					m := measureIsolated(ctx, k, pr[0], pr[1], p.Config.Window)
					m.Rep = rep
					g.AddReportEntry(MeasurementEntry, m)
					p.progress(m)
				}
			}
		})
	}
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
	defer pool.Close()
	return Measure(ctx, pool, k, bind, connect, window)
}

func (p *Plan) progress(m Measurement) {
	if p.started.IsZero() {
		p.started = time.Now()
	}
	n := p.done.Add(1)
	fmt.Fprintf(os.Stderr, "bench [%d/%d, %s elapsed] %s\n", n, p.total, time.Since(p.started).Round(time.Second), Line(m))
}

// Total is the number of measurements the label filter selects.
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
	res := harness.Bench{Schema: harness.BenchSchema, Generated: time.Now().UTC().Format(time.RFC3339), Env: env,
		Implementations: p.Hellos, Records: Summarise(ms), Notes: p.Notes,
		Config: harness.BenchConfig{Repetitions: p.Config.Reps, WindowMS: int(p.Config.Window.Milliseconds()),
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
