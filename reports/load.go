package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
)

// LoadSuite reads a cell suite's results.json (conformance, wire, faults, hosts). Errors name
// the file; a missing file wraps fs.ErrNotExist so that callers can skip it.
func LoadSuite(path string) (*harness.SuiteResults, error) {
	var s harness.SuiteResults
	if err := harness.ReadJSON(path, harness.SuiteSchema, &s); err != nil {
		return nil, err
	}
	if s.Suite == "" {
		return nil, fmt.Errorf("%s: no \"suite\" field: not a suite's results.json", path)
	}
	return &s, nil
}

// LoadBench reads a benchmark results.json, with errors as LoadSuite.
func LoadBench(path string) (*harness.Bench, error) {
	var b harness.Bench
	if err := harness.ReadJSON(path, harness.BenchSchema, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// LoadResults reads a merged results.json, the file the gate compares. A file of the previous
// schema (zmqsuite.results/v1: one conformance slot, benchmark outcomes "ok") is read too and
// upgraded, so that a baseline kept from before the change still gates.
func LoadResults(path string) (harness.Results, error) {
	var r harness.Results
	b, err := os.ReadFile(path)
	if err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if json.Unmarshal(b, &head) == nil && head.Schema == "zmqsuite.results/v1" {
		return upgradeV1(path, b)
	}
	err = harness.ReadJSON(path, harness.ResultsSchema, &r)
	return r, err
}

// upgradeV1 converts a zmqsuite.results/v1 file: its conformance run becomes the conformance
// suite (cell ids computed as the engine names them), its benchmark outcomes take the cell
// vocabulary.
func upgradeV1(path string, b []byte) (harness.Results, error) {
	var v1 struct {
		Generated   string
		Env         harness.Env
		Conformance *struct {
			Generated       string
			Env             harness.Env
			Implementations json.RawMessage
			Records         []harness.Record
		}
		Bench *json.RawMessage
	}
	if err := json.Unmarshal(b, &v1); err != nil {
		return harness.Results{}, fmt.Errorf("%s: %v", path, err)
	}
	r := harness.Results{Schema: harness.ResultsSchema, Generated: v1.Generated, Env: v1.Env}
	if c := v1.Conformance; c != nil {
		s := &harness.SuiteResults{Schema: harness.SuiteSchema, Suite: "conformance", Generated: c.Generated, Env: c.Env,
			Records: c.Records}
		_ = json.Unmarshal(c.Implementations, &s.Implementations)
		for i := range s.Records {
			rec := &s.Records[i]
			rec.Suite = "conformance"
			rec.ID = fmt.Sprintf("%s %s %s→%s", rec.Case, rec.Transport, rec.Bind, rec.Connect)
			rec.Reason = oneLine(rec.Reason)
		}
		s.Selection.Cells = len(s.Records)
		r.Suites = map[string]*harness.SuiteResults{"conformance": s}
	}
	if v1.Bench != nil {
		fixed := strings.NewReplacer(`"outcome": "ok"`, `"outcome": "pass"`, `"outcome":"ok"`, `"outcome":"pass"`,
			`"outcome": "unsupported"`, `"outcome": "skip"`, `"outcome": "error"`, `"outcome": "fail"`).Replace(string(*v1.Bench))
		var bench harness.Bench
		if err := json.Unmarshal([]byte(fixed), &bench); err != nil {
			return harness.Results{}, fmt.Errorf("%s: bench: %v", path, err)
		}
		bench.Schema = harness.BenchSchema
		bench.Selection.Cells = len(bench.Records)
		r.Bench = &bench
	}
	return r, nil
}

// Merge combines suite runs and a benchmark run (any may be nil) into one Results. The
// environment is the first suite run's when there is one, since the gate's OS/arch check
// must see the machine the red/green verdicts came from; Generated is the latest of the
// runs, which keeps the merge deterministic (no clock).
func Merge(suites []*harness.SuiteResults, b *harness.Bench) harness.Results {
	return MergeWithHosts(suites, b, nil)
}

// MergeWithHosts is Merge with the cross-host benchmark run too (nil: none), which takes the
// environment only when nothing else gave one.
func MergeWithHosts(suites []*harness.SuiteResults, b, hosts *harness.Bench) harness.Results {
	r := harness.Results{Schema: harness.ResultsSchema}
	haveEnv := false
	adopt := func(env harness.Env, generated string) {
		if !haveEnv {
			r.Env, haveEnv = env, true
		}
		// RFC 3339 timestamps in one zone compare as strings.
		if generated > r.Generated {
			r.Generated = generated
		}
	}
	for _, s := range suites {
		if s == nil {
			continue
		}
		if r.Suites == nil {
			r.Suites = map[string]*harness.SuiteResults{}
		}
		r.Suites[s.Suite] = s
		adopt(s.Env, s.Generated)
	}
	if b != nil {
		r.Bench = b
		adopt(b.Env, b.Generated)
	}
	if hosts != nil {
		r.BenchHosts = hosts
		adopt(hosts.Env, hosts.Generated)
	}
	return r
}
