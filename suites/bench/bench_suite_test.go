package bench_test

import (
	"fmt"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/suites/bench"
)

var plan *bench.Plan

// TestBench discovers the implementations and declares the benchmark specs before RunSpecs.
func TestBench(t *testing.T) {
	RegisterFailHandler(Fail)
	cfg, err := bench.FromEnv()
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	p, err := bench.NewPlan(cfg)
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	for _, n := range p.Notes {
		fmt.Fprintln(os.Stderr, "bench:", n)
	}
	plan = p
	p.Build()
	fmt.Fprintf(os.Stderr, "bench: %s; %d measurements\n", cfg.Describe(), p.Total())
	RunSpecs(t, "zmqsuite bench")
}

var _ = AfterSuite(func() {
	harness.Shared().Close()
	harness.RemoveIPCDir()
})

var _ = ReportAfterSuite("bench results", func(r Report) {
	if plan.Total() == 0 {
		return
	}
	path, err := plan.Write(r)
	Expect(err).NotTo(HaveOccurred())
	fmt.Fprintf(os.Stderr, "bench: results in %s\n", path)
})
