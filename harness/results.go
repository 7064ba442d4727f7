package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// The result model: every outcome and measurement flows into these records, which reports
// render and the gate compares. docs/results-schema.md documents the JSON; a change that
// removes or renames a field bumps the schema version.
const (
	// SuiteSchema is the results.json of a cell suite (conformance, wire, faults, hosts): v2
	// added suite, id, rerun, detail, steps and selection, and made reason one line.
	SuiteSchema   = "zmqsuite.suite/v2"
	BenchSchema   = "zmqsuite.bench/v2" // v2: outcomes in the cell vocabulary, selection
	ResultsSchema = "zmqsuite.results/v2"
)

// Outcome of one cell of any suite, and of one benchmark figure (pass = a figure was taken).
type Outcome string

const (
	Pass      Outcome = "pass"
	Fail      Outcome = "fail"       // a MUST failed, not expected: red
	NonStrict Outcome = "non-strict" // a SHOULD or libzmq-default difference: reported, not red
	XFail     Outcome = "xfail"      // failed as an expectations entry says: reported, not red
	XPass     Outcome = "xpass"      // passed although expected to fail: red until the entry goes
	Skip      Outcome = "skip"       // a capability is missing: reason says which
	Crash     Outcome = "crash"      // a peer exited during the cell: blamed on that side
	Hang      Outcome = "hang"       // a peer missed a deadline: blamed on that side
)

// Red reports whether an outcome fails the run.
func (o Outcome) Red() bool { return o == Fail || o == XPass || o == Crash || o == Hang }

// Outcomes lists the vocabulary in report order.
var Outcomes = []Outcome{Pass, NonStrict, XFail, Skip, Fail, XPass, Crash, Hang}

// Outcome says what a peer fault makes of a cell or a figure: the process died (crash), missed
// a deadline (hang), or answered something that is not the protocol (fail: the peer broke its
// contract, which is a defect, not a death).
func (f *Fault) Outcome() Outcome {
	switch f.Kind {
	case FaultHang:
		return Hang
	case FaultCrash, FaultStart:
		return Crash
	}
	return Fail
}

// Verdict is one of the two per-cell judgements: against the RFC, and against libzmq's own
// behaviour in the same cell (libzmq↔libzmq).
type Verdict string

const (
	VerdictPass Verdict = "pass"
	VerdictFail Verdict = "fail"
	VerdictNA   Verdict = "n/a" // not judged: skipped, or no libzmq reference in this run
)

// Record is one cell of a suite: a case × transport (× network scenario) × (bind
// implementation, connect implementation).
type Record struct {
	Suite string `json:"suite"`
	// ID names the cell in every output: "PP.1 tcp gozmq→libzmq", "PP.1 tcp@20ms-1% gozmq→libzmq".
	ID        string `json:"id"`
	Case      string `json:"case"`
	Title     string `json:"title"`
	Level     string `json:"level"` // M, S, L, O (docs/cases.md legend)
	Pattern   string `json:"pattern"`
	Transport string `json:"transport"`
	// Scenario is the simulated network path of a cross-host cell ("20ms-1%"); "" on loopback.
	Scenario string `json:"scenario,omitempty"`
	// Hosts names where each side ran ("bind": "hostA"), for cells beyond one machine.
	Hosts     map[string]string `json:"hosts,omitempty"`
	Bind      string            `json:"bind"`
	Connect   string            `json:"connect"`
	Outcome   Outcome           `json:"outcome"`
	RFC       Verdict           `json:"rfc"`
	Reference Verdict           `json:"reference"`
	// Observed names what happened where the RFC allows alternatives ("blocked", "again") or
	// what a measured case saw; the reference verdict compares it with libzmq's.
	Observed string `json:"observed,omitempty"`
	// Reason is one line: why the cell is not a pass. Detail holds the rest (multi-line
	// assertion messages, the known failure's reason), Steps the last operations it ran.
	Reason string   `json:"reason,omitempty"`
	Detail string   `json:"detail,omitempty"`
	Steps  []string `json:"steps,omitempty"`
	// Blame says who is at fault in a red cell: the side of a crash or hang ("bind:gozmq"), the
	// implementation whose own pairing fails too, "pairing" when each side passes with itself,
	// "expectations" for an xpass (the entry should go).
	Blame string `json:"blame,omitempty"`
	// BlameDerived marks a blame that came from the other cells of the run (the
	// triangulation of SetBlame) rather than from the cell itself (the side whose peer
	// faulted): a merge of shards recomputes it with every cell at hand.
	BlameDerived bool               `json:"blame_derived,omitempty"`
	StderrTail   string             `json:"stderr_tail,omitempty"`
	Metrics      map[string]float64 `json:"metrics,omitempty"`
	// Expectation is the expectations entry that matched, if any.
	Expectation *ExpectationRef `json:"expectation,omitempty"`
	// LateCrash is the id of the cell that found this cell's peer dead after this cell had
	// ended (or "the end of the run"): the outcome is that death, not the body's verdict.
	LateCrash string  `json:"late_crash,omitempty"`
	DurationS float64 `json:"duration_s"`
	// Rerun is the command that runs exactly this cell again.
	Rerun string `json:"rerun,omitempty"`
	// Transcripts are the decoded ZMTP transcripts of the cell's tcp connections (our tap
	// between the two peers), kept for cells that did not pass: both directions' greetings,
	// handshake commands, first and last frames, where decoding failed, and a "text" rendering.
	Transcripts []json.RawMessage `json:"transcripts,omitempty"`
}

// Key identifies a cell across runs.
func (r *Record) Key() string { return r.Suite + "|" + r.ID }

// ExpectationRef names the expectations entry a record matched.
type ExpectationRef struct {
	Reason       string `json:"reason"`
	Link         string `json:"link"`
	Intermittent bool   `json:"intermittent,omitempty"`
	// Impls are the implementations the entry names (its bind, connect and version keys):
	// whose known failure it is. Empty: every implementation in the cell.
	Impls []string `json:"impls,omitempty"`
	// Where is the entry's file and line.
	Where string `json:"where,omitempty"`
}

// Env is the environment a run happened in: what a reader needs to reproduce a figure.
type Env struct {
	OS         string            `json:"os"`
	Arch       string            `json:"arch"`
	Kernel     string            `json:"kernel,omitempty"`
	CPU        string            `json:"cpu,omitempty"`
	Cores      int               `json:"cores"`
	GoVersion  string            `json:"go"`
	GOMAXPROCS int               `json:"gomaxprocs"`
	GODEBUG    string            `json:"godebug,omitempty"`
	Host       string            `json:"host,omitempty"`
	Extra      map[string]string `json:"extra,omitempty"`
}

// Selection says what a run was asked to measure, so that a reader (and the gate) can tell a
// run that measured little because little was asked from one that lost what it was asked for.
type Selection struct {
	Filter string `json:"filter,omitempty"` // the Ginkgo label filter
	Shard  string `json:"shard,omitempty"`  // "2/4": the second of four shards
	// Cells is how many cells the filter and shard selected; Records should hold as many.
	Cells int `json:"cells"`
	// Total is how many cells the filter selected before sharding: the shards of one run,
	// merged, hold exactly these.
	Total int `json:"total,omitempty"`
	// Expectations is a digest of the expectations files the run judged with ("sha256:…"):
	// shards judged with different entries do not merge.
	Expectations string `json:"expectations,omitempty"`
	// Absent lists optional implementations that were not in the run, and why.
	Absent []string `json:"absent,omitempty"`
	// Scenarios are the network paths of a cross-host run ("20ms", "20ms-1%"; "" is
	// loopback), Network what made them ("netsim tun", "netsim netem", "hosts"), Hosts each
	// host's address by name.
	Scenarios []string          `json:"scenarios,omitempty"`
	Network   string            `json:"network,omitempty"`
	Hosts     map[string]string `json:"hosts,omitempty"`
	// Merged lists the shards a `zmqsuite merge` combined into this file ("1/4", …).
	Merged []string `json:"merged,omitempty"`
}

// SuiteResults is the results.json of one cell suite.
type SuiteResults struct {
	Schema          string       `json:"schema"`
	Suite           string       `json:"suite"`
	Generated       string       `json:"generated"` // RFC 3339
	Env             Env          `json:"env"`
	Implementations []peer.Hello `json:"implementations"`
	Selection       Selection    `json:"selection"`
	Records         []Record     `json:"records"`
}

// Stat summarises repeated measurements of one figure.
type Stat struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Values []float64 `json:"values"` // every repetition, in run order, for significance tests
}

// BenchRecord is one benchmark cell: pattern × transport × pairing × size.
type BenchRecord struct {
	Pattern   string `json:"pattern"`   // "push_pull", "req_rep", "pub_sub"
	Metric    string `json:"metric"`    // "throughput" or "latency"
	Transport string `json:"transport"` // tcp, ipc, inproc
	// Scenario is the network path of a figure taken across hosts ("20ms-1%"), "" on loopback;
	// Hosts names where each side ran.
	Scenario    string            `json:"scenario,omitempty"`
	Hosts       map[string]string `json:"hosts,omitempty"`
	Bind        string            `json:"bind"`    // implementation of the binding side (PULL, REP, PUB)
	Connect     string            `json:"connect"` // implementation of the connecting side
	Size        int               `json:"size"`
	Subscribers int               `json:"subscribers,omitempty"` // pub_sub fan-out
	// Outcome is pass (figures were taken), or why some repetition has none: skip (a side
	// lacks what the figure needs), crash, hang, fail (an error, or a peer that broke the
	// protocol), xfail (an interop entry holds: the two never exchange a message, so nothing
	// was measured), xpass (an interop entry says so, but a probe's message crossed: the entry
	// is stale).
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason,omitempty"`
	Blame   string  `json:"blame,omitempty"`
	// Expectation is the interop entry behind an xfail or xpass.
	Expectation *ExpectationRef `json:"expectation,omitempty"`
	// Repetitions is how many times the figure was measured (adaptive: until its confidence
	// interval was within the target, or the most allowed).
	Repetitions int `json:"repetitions,omitempty"`
	// CI is the 95 % confidence interval reached by the gated figure (msg/s, or p50).
	CI *CI `json:"ci95,omitempty"`
	// Throughput, per second, measured at the receiver(s).
	MsgPerSec *Stat `json:"msg_per_sec,omitempty"`
	MBPerSec  *Stat `json:"mb_per_sec,omitempty"`
	// Half round-trip latency percentiles, microseconds.
	P50US  *Stat `json:"p50_us,omitempty"`
	P90US  *Stat `json:"p90_us,omitempty"`
	P99US  *Stat `json:"p99_us,omitempty"`
	P999US *Stat `json:"p999_us,omitempty"`
	MaxUS  *Stat `json:"max_us,omitempty"`
}

// CI is a 95 % confidence interval of a figure's geometric mean over its repetitions (a t
// interval on the logarithms: run-to-run noise on a shared machine is multiplicative).
type CI struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
	// Rel is the relative half-width: the figure is known within ±Rel.
	Rel float64 `json:"rel"`
}

// Bench is the results.json of a benchmark run.
type Bench struct {
	Schema          string        `json:"schema"`
	Generated       string        `json:"generated"`
	Env             Env           `json:"env"`
	Implementations []peer.Hello  `json:"implementations"`
	Config          BenchConfig   `json:"config"`
	Selection       Selection     `json:"selection"`
	Records         []BenchRecord `json:"records"`
	Notes           []string      `json:"notes,omitempty"`
}

// BenchConfig says how the figures were taken.
type BenchConfig struct {
	// Profile is the configuration's name: default (what make run measures), full (the
	// published report's), quick (CI's).
	Profile string `json:"profile,omitempty"`
	// Pairings: "linear" (each implementation with itself and both ways with libzmq) or "grid"
	// (every ordered pairing).
	Pairings string `json:"pairings,omitempty"`
	// Repetitions is the most a figure gets; MinRepetitions the least, after which a figure
	// whose 95 % confidence interval is within TargetCI (relative half-width) stops.
	Repetitions    int     `json:"repetitions"`
	MinRepetitions int     `json:"min_repetitions,omitempty"`
	TargetCI       float64 `json:"target_ci,omitempty"`
	WindowMS       int     `json:"window_ms"`
	Sizes          []int   `json:"sizes"`
	Quick          bool    `json:"quick"`
	Interleaved    bool    `json:"interleaved"`
	Clock          string  `json:"clock"` // where the clock runs, e.g. "inside the peer, from the first message"
	// ControlRTTUS is, per implementation, the median round trip of one control request in
	// microseconds: what the harness adds per request, paid only outside timed loops.
	ControlRTTUS map[string]float64 `json:"control_rtt_us,omitempty"`
}

// Results is the merged file reports read and the gate compares: one slot per cell suite,
// and the benchmark figures.
type Results struct {
	Schema    string                   `json:"schema"`
	Generated string                   `json:"generated"`
	Env       Env                      `json:"env"`
	Suites    map[string]*SuiteResults `json:"suites,omitempty"`
	Bench     *Bench                   `json:"bench,omitempty"`
	// BenchHosts is the benchmark run across simulated hosts (out/bench-hosts): loopback and
	// each scenario's figures, taken in one run. The gate does not compare it (figures over
	// a user-space shaper on a shared machine are the path's, not the binding's).
	BenchHosts *Bench `json:"bench_hosts,omitempty"`
}

// Suite returns the named suite's results, or nil.
func (r *Results) Suite(name string) *SuiteResults {
	if r.Suites == nil {
		return nil
	}
	return r.Suites[name]
}

// SuiteNames lists the suites of a run in report order: conformance first, then the others by
// name.
func (r *Results) SuiteNames() []string {
	var out []string
	if r.Suites["conformance"] != nil {
		out = append(out, "conformance")
	}
	var rest []string
	for n := range r.Suites {
		if n != "conformance" {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// AllRecords is every cell of every suite, in SuiteNames order.
func (r *Results) AllRecords() []Record {
	var out []Record
	for _, n := range r.SuiteNames() {
		out = append(out, r.Suites[n].Records...)
	}
	return out
}

// WriteJSON writes v as indented JSON to path, creating its directory. It writes a temporary
// file and renames it, so a reader (or a run that is killed meanwhile) never sees half a file
// and earlier results survive a failed write.
func WriteJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadJSON reads a results file of the expected schema into v, with an error that names the
// file and what is wrong with it.
func ReadJSON(path, schema string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("%s: not a zmqsuite results file (invalid JSON: %v)", path, err)
	}
	if head.Schema != schema {
		return fmt.Errorf("%s: schema %q, want %q", path, head.Schema, schema)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}
