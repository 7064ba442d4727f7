package bench_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/suites/bench"
)

var plan *bench.Plan

// TestBench discovers the implementations and declares the benchmark specs before RunSpecs. A
// bad input (configuration, a required implementation missing, a filter that selects nothing)
// ends the run here in one line, with nothing measured and no results written.
func TestBench(t *testing.T) {
	RegisterFailHandler(Fail)
	defer harness.RemoveIPCDir()
	cfg, err := bench.FromEnv()
	if err != nil {
		matrix.Fatal(t, "bench", err)
		return
	}
	p, err := bench.NewPlan(cfg)
	if err != nil {
		matrix.Fatal(t, "bench", err)
		return
	}
	for _, n := range p.Notes {
		matrix.Emit(matrix.Event{Kind: "note", Suite: "bench", Line: n})
	}
	plan = p
	if err := p.Build(); err != nil {
		matrix.Fatal(t, "bench", err)
		return
	}
	if matrix.Counting() {
		matrix.Emit(matrix.Event{Kind: "count", Suite: bench.Name(), Total: p.Total()})
		return
	}
	if p.Total() > 0 {
		matrix.Emit(matrix.Event{Kind: "plan", Suite: bench.Name(), Total: p.Total(), Line: p.Describe()})
	}
	RunSpecs(t, "zmqsuite bench")
}

var _ = AfterSuite(func() {
	harness.Shared().Close()
	harness.RemoveIPCDir()
})

var _ = ReportAfterSuite("bench results", func(r Report) {
	if plan == nil || plan.Total() == 0 {
		return
	}
	path, err := plan.Write(r)
	Expect(err).NotTo(HaveOccurred())
	matrix.Emit(matrix.Event{Kind: "done", Suite: bench.Name(), Path: path, Line: "results in " + path})
})
