package bench_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/reports"
	"github.com/zmqsuite/zmqsuite/suites/bench"
)

// The regression gate is only worth something if it stays quiet between two runs of one build
// (A/A) and speaks up for a real slowdown. This check uses real peers: the same measurements
// as make bench, with runs A and B interleaved repetition by repetition, and for the slowdown
// trials B's peer started with ZMQPEER_SLOWDOWN=1.25 (cmd/zmqpeer/slowdown.go).
var _ = Describe("regression gate on real peers", Label("kind:gatecheck"), Serial, func() {
	const (
		trials = 5
		reps   = 10
		window = 300 * time.Millisecond
		size   = 1024
	)

	// run measures the figure reps times for two implementations definitions, interleaved,
	// and returns both as results the gate reads.
	run := func(ctx SpecContext, a, b *harness.Impl) (harness.Results, harness.Results) {
		poolA, poolB := harness.NewPool(), harness.NewPool()
		defer poolA.Close()
		defer poolB.Close()
		var ma, mb []bench.Measurement
		for rep := 1; rep <= reps; rep++ {
			k := bench.Key{Pattern: bench.PushPull, Transport: harness.TCP, Bind: a.Name, Connect: a.Name, Size: size}
			x := bench.Measure(ctx, poolA, k, a, a, window)
			y := bench.Measure(ctx, poolB, k, b, b, window)
			Expect(x.Outcome).To(Equal(harness.Pass), x.Reason)
			Expect(y.Outcome).To(Equal(harness.Pass), y.Reason)
			x.Rep, y.Rep = rep, rep
			ma, mb = append(ma, x), append(mb, y)
		}
		wrap := func(ms []bench.Measurement) harness.Results {
			env := harness.CurrentEnv()
			return harness.Results{Schema: harness.ResultsSchema, Env: env,
				Bench: &harness.Bench{Schema: harness.BenchSchema, Env: env, Records: bench.Summarise(ms)}}
		}
		return wrap(ma), wrap(mb)
	}

	impl := func() *harness.Impl {
		im, err := mustImpl(harness.GoZMQ)
		Expect(err).NotTo(HaveOccurred())
		return im
	}

	It("does not fail two runs of one build (A/A), five times", func(ctx SpecContext) {
		im := impl()
		for t := 1; t <= trials; t++ {
			base, cur := run(ctx, im, im)
			d, err := reports.Compare(base, cur, 0.10)
			Expect(err).NotTo(HaveOccurred())
			var sb strings.Builder
			Expect(d.WriteText(&sb)).To(Succeed())
			fmt.Fprintf(os.Stderr, "gatecheck A/A trial %d: failed=%v medians %.0f vs %.0f msg/s\n", t, d.Failed(),
				base.Bench.Records[0].MsgPerSec.Median, cur.Bench.Records[0].MsgPerSec.Median)
			Expect(d.Failed()).To(BeFalse(), "A/A trial %d failed the gate:\n%s", t, sb.String())
		}
	}, SpecTimeout(5*time.Minute))

	It("catches a 25 % slowdown injected into one implementation's peer, five times", func(ctx SpecContext) {
		im := impl()
		slow := *im
		slow.Env = append(append([]string(nil), im.Env...), "ZMQPEER_SLOWDOWN=1.25")
		for t := 1; t <= trials; t++ {
			base, cur := run(ctx, im, &slow)
			d, err := reports.Compare(base, cur, 0.10)
			Expect(err).NotTo(HaveOccurred())
			var sb strings.Builder
			Expect(d.WriteText(&sb)).To(Succeed())
			fmt.Fprintf(os.Stderr, "gatecheck slowdown trial %d: failed=%v medians %.0f vs %.0f msg/s (%.0f vs %.0f)\n", t, d.Failed(),
				base.Bench.Records[0].MsgPerSec.Median, cur.Bench.Records[0].MsgPerSec.Median,
				base.Bench.Records[0].MsgPerSec.Values, cur.Bench.Records[0].MsgPerSec.Values)
			Expect(d.Failed()).To(BeTrue(), "slowdown trial %d passed the gate:\n%s", t, sb.String())
			Expect(d.Regressions).NotTo(BeEmpty())
		}
	}, SpecTimeout(5*time.Minute))
})
