package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// The result model: every outcome and measurement flows into these records, which reports
// render and the gate compares. docs/results-schema.md documents the JSON; a change that
// removes or renames a field bumps the schema version.
const (
	ConformanceSchema = "zmqsuite.conformance/v1"
	BenchSchema       = "zmqsuite.bench/v1"
	ResultsSchema     = "zmqsuite.results/v1"
)

// Outcome of one conformance cell.
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

// Verdict is one of the two per-cell judgements: against the RFC, and against libzmq's own
// behaviour in the same cell (libzmq↔libzmq).
type Verdict string

const (
	VerdictPass Verdict = "pass"
	VerdictFail Verdict = "fail"
	VerdictNA   Verdict = "n/a" // not judged: skipped, or no libzmq reference in this run
)

// Record is one conformance cell: a case × transport × (bind implementation, connect
// implementation).
type Record struct {
	Case      string  `json:"case"`
	Title     string  `json:"title"`
	Level     string  `json:"level"` // M, S, L, O (CASES.md legend)
	Pattern   string  `json:"pattern"`
	Transport string  `json:"transport"`
	Bind      string  `json:"bind"`
	Connect   string  `json:"connect"`
	Outcome   Outcome `json:"outcome"`
	RFC       Verdict `json:"rfc"`
	Reference Verdict `json:"reference"`
	// Observed names what happened where the RFC allows alternatives ("blocked", "again") or
	// what a measured case saw; the reference verdict compares it with libzmq's.
	Observed string `json:"observed,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Blame is the side at fault for a crash or hang: "bind:gozmq", "connect:pyzmq".
	Blame      string             `json:"blame,omitempty"`
	StderrTail string             `json:"stderr_tail,omitempty"`
	Metrics    map[string]float64 `json:"metrics,omitempty"`
	// Expectation is the expectations entry that matched, if any.
	Expectation *ExpectationRef `json:"expectation,omitempty"`
	DurationS   float64         `json:"duration_s"`
}

// ExpectationRef names the expectations entry a record matched.
type ExpectationRef struct {
	Reason       string `json:"reason"`
	Link         string `json:"link"`
	Intermittent bool   `json:"intermittent,omitempty"`
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

// Conformance is the results.json of a conformance run.
type Conformance struct {
	Schema          string       `json:"schema"`
	Generated       string       `json:"generated"` // RFC 3339
	Env             Env          `json:"env"`
	Implementations []peer.Hello `json:"implementations"`
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
	Pattern     string `json:"pattern"`   // "push_pull", "req_rep", "pub_sub"
	Metric      string `json:"metric"`    // "throughput" or "latency"
	Transport   string `json:"transport"` // tcp, ipc, inproc
	Bind        string `json:"bind"`      // implementation of the binding side (PULL, REP, PUB)
	Connect     string `json:"connect"`   // implementation of the connecting side
	Size        int    `json:"size"`
	Subscribers int    `json:"subscribers,omitempty"` // pub_sub fan-out
	// Outcome is "ok", or why there is no figure: "crash", "hang", "unsupported", "error".
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	Blame   string `json:"blame,omitempty"`
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

// Bench is the results.json of a benchmark run.
type Bench struct {
	Schema          string        `json:"schema"`
	Generated       string        `json:"generated"`
	Env             Env           `json:"env"`
	Implementations []peer.Hello  `json:"implementations"`
	Config          BenchConfig   `json:"config"`
	Records         []BenchRecord `json:"records"`
	Notes           []string      `json:"notes,omitempty"`
}

// BenchConfig says how the figures were taken.
type BenchConfig struct {
	Repetitions int    `json:"repetitions"`
	WindowMS    int    `json:"window_ms"`
	Sizes       []int  `json:"sizes"`
	Quick       bool   `json:"quick"`
	Interleaved bool   `json:"interleaved"`
	Clock       string `json:"clock"` // where the clock runs, e.g. "inside the peer, from the first message"
	// ControlRTTUS is, per implementation, the median round trip of one control request in
	// microseconds: what the harness adds per request, paid only outside timed loops.
	ControlRTTUS map[string]float64 `json:"control_rtt_us,omitempty"`
}

// Results is the merged file reports read and the gate compares.
type Results struct {
	Schema      string       `json:"schema"`
	Generated   string       `json:"generated"`
	Env         Env          `json:"env"`
	Conformance *Conformance `json:"conformance,omitempty"`
	Bench       *Bench       `json:"bench,omitempty"`
}

// WriteJSON writes v as indented JSON to path, creating its directory.
func WriteJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
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
