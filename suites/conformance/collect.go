package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/peer"
)

// OutDir is where the conformance results go: $ZMQSUITE_OUT/conformance, else out/conformance
// at the repository root.
func OutDir() string {
	if d := os.Getenv("ZMQSUITE_OUT"); d != "" {
		return filepath.Join(d, "conformance")
	}
	return filepath.Join(harness.RepoRoot(), "out", "conformance")
}

// Collect gathers the records of every spec of the aggregated report (all parallel processes)
// and fills in the reference verdicts, which need the libzmq↔libzmq cell of each case.
func Collect(report types.Report, m *Matrix) (*harness.Conformance, error) {
	res := &harness.Conformance{Schema: harness.ConformanceSchema, Generated: time.Now().UTC().Format(time.RFC3339),
		Env: harness.CurrentEnv()}
	for _, im := range m.Impls {
		res.Implementations = append(res.Implementations, *m.Hellos[im.Name])
	}
	for name, why := range m.Unavailable {
		res.Implementations = append(res.Implementations, peer.Hello{Name: name, Notes: "unavailable: " + why})
	}
	for _, sr := range report.SpecReports {
		for _, e := range sr.ReportEntries {
			if e.Name != RecordEntry {
				continue
			}
			// In one process the entry keeps its Go value; from parallel processes it
			// arrives as JSON.
			r, ok := e.GetRawValue().(harness.Record)
			if !ok {
				if err := json.Unmarshal([]byte(e.Value.AsJSON), &r); err != nil {
					return nil, fmt.Errorf("record of %q: %w", sr.FullText(), err)
				}
			}
			// A spec that Ginkgo itself timed out or interrupted never reached its verdict
			// code; the Ginkgo state is then the truth.
			if sr.State.Is(types.SpecStateTimedout | types.SpecStateInterrupted) {
				r.Outcome = harness.Hang
			}
			res.Records = append(res.Records, r)
		}
	}
	SetReference(res.Records)
	return res, nil
}

// SetReference sets each record's reference verdict: does the cell behave as libzmq↔libzmq
// does in the same case and transport (same pass/fail and same observed alternative)?
func SetReference(recs []harness.Record) {
	ref := map[string]*harness.Record{}
	for i := range recs {
		r := &recs[i]
		if r.Bind == harness.LibZMQ && r.Connect == harness.LibZMQ {
			ref[r.Case+"|"+r.Transport] = r
		}
	}
	for i := range recs {
		r := &recs[i]
		l := ref[r.Case+"|"+r.Transport]
		switch {
		case l == nil || l.Outcome == harness.Skip || r.Outcome == harness.Skip:
			r.Reference = harness.VerdictNA
		case behaviour(r) == behaviour(l):
			r.Reference = harness.VerdictPass
		default:
			r.Reference = harness.VerdictFail
		}
	}
}

func behaviour(r *harness.Record) string {
	ok := r.RFC != harness.VerdictFail && r.Outcome != harness.NonStrict && r.Outcome != harness.Crash && r.Outcome != harness.Hang
	return fmt.Sprintf("%v|%s", ok, r.Observed)
}
