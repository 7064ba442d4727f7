package reports

import (
	"github.com/zmqsuite/zmqsuite/harness"
)

// LoadConformance reads a conformance results.json. Errors name the file; a missing file
// wraps fs.ErrNotExist so that callers can skip it.
func LoadConformance(path string) (*harness.Conformance, error) {
	var c harness.Conformance
	if err := harness.ReadJSON(path, harness.ConformanceSchema, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadBench reads a benchmark results.json, with errors as LoadConformance.
func LoadBench(path string) (*harness.Bench, error) {
	var b harness.Bench
	if err := harness.ReadJSON(path, harness.BenchSchema, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// LoadResults reads a merged results.json, the file the gate compares.
func LoadResults(path string) (harness.Results, error) {
	var r harness.Results
	err := harness.ReadJSON(path, harness.ResultsSchema, &r)
	return r, err
}

// Merge combines a conformance run and a benchmark run (either may be nil) into one Results.
// The environment is the conformance run's when there is one, since the gate's OS/arch check
// must see the machine the red/green verdicts came from; Generated is the later of the two
// runs, which keeps the merge deterministic (no clock).
func Merge(c *harness.Conformance, b *harness.Bench) harness.Results {
	r := harness.Results{Schema: harness.ResultsSchema, Conformance: c, Bench: b}
	if c != nil {
		r.Env = c.Env
		r.Generated = c.Generated
	}
	if b != nil {
		if c == nil {
			r.Env = b.Env
		}
		// RFC 3339 timestamps in one zone compare as strings.
		if b.Generated > r.Generated {
			r.Generated = b.Generated
		}
	}
	return r
}
