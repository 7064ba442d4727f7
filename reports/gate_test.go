package reports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/reports"
)

func compare(baseline, current harness.Results) *reports.Diff {
	GinkgoHelper()
	d, err := reports.Compare(baseline, current, 0.10)
	Expect(err).NotTo(HaveOccurred())
	return d
}

func text(d *reports.Diff) string {
	GinkgoHelper()
	var b bytes.Buffer
	Expect(d.WriteText(&b)).To(Succeed())
	return b.String()
}

var _ = Describe("the gate", func() {
	Describe("A/A: two runs of the same code", func() {
		It("passes identical results", func() {
			d := compare(gateable(1), gateable(1))
			Expect(d.Failed()).To(BeFalse(), text(d))
			Expect(d.Regressions).To(BeEmpty())
			Expect(d.Improvements).To(BeEmpty())
			Expect(d.SameSeries).To(BeNumerically(">", 0))
		})

		DescribeTable("passes runs with ±20 % noise of the same distribution",
			func(seed uint64) {
				d := compare(gateable(seed), gateable(seed+1000))
				Expect(d.Failed()).To(BeFalse(), text(d))
			},
			Entry("seed 1", uint64(1)), Entry("seed 2", uint64(2)), Entry("seed 3", uint64(3)),
			Entry("seed 4", uint64(4)), Entry("seed 5", uint64(5)),
		)
	})

	Describe("benchmarks", func() {
		It("fails a 25 % throughput drop of one figure, 5 repetitions a side", func() {
			before := oneFigure(100e3, 104e3, 97e3, 110e3, 92e3)
			after := oneFigure(75e3, 78e3, 72.75e3, 82.5e3, 69e3)
			d := compare(before, after)
			Expect(d.Failed()).To(BeTrue())
			Expect(d.Regressions).To(HaveLen(1))
			Expect(d.Regressions[0].Change).To(BeNumerically("~", -0.25, 0.001))
			Expect(d.Regressions[0].P).To(BeNumerically("<", 0.05))
			Expect(text(d)).To(ContainSubstring("push_pull gozmq→gozmq msg/s: -25.0%"))
		})

		It("fails a 25 % throughput drop of one pairing among all the noisy figures", func() {
			for seed := uint64(1); seed <= 5; seed++ {
				base := gateable(seed)
				d := compare(base, scaleThroughput(gateable(seed+1000), "gozmq", "gozmq", 0.75))
				Expect(d.Failed()).To(BeTrue(), text(d))
				Expect(d.Regressions).To(ContainElement(HaveField("Bind", "gozmq")))
			}
		})

		It("does not fail a drop within the threshold", func() {
			d := compare(oneFigure(100, 101, 102, 103, 104), oneFigure(95, 96, 97, 98, 99))
			Expect(d.Failed()).To(BeFalse(), text(d))
		})

		It("reports an improvement without failing", func() {
			d := compare(gateable(1), scaleThroughput(gateable(1), "libzmq", "libzmq", 1.4))
			Expect(d.Failed()).To(BeFalse(), text(d))
			Expect(d.Improvements).To(ContainElement(HaveField("Bind", "libzmq")))
			Expect(text(d)).To(ContainSubstring("improvements (2)")) // its push_pull and pub_sub series
		})

		It("fails a figure that now ends in a crash", func() {
			cur := gateable(1)
			b := *cur.Bench
			b.Records = append([]harness.BenchRecord(nil), b.Records...)
			b.Records[0].Outcome, b.Records[0].Reason, b.Records[0].MsgPerSec = "crash", "peer exited", nil
			cur.Bench = &b
			d := compare(gateable(1), cur)
			Expect(d.Failed()).To(BeTrue())
			Expect(d.BenchFailures).To(HaveLen(1))
		})
	})

	Describe("conformance", func() {
		It("fails a new failure", func() {
			d := compare(gateable(1), withOutcome(gateable(1), "RR.1", "tcp", "libzmq", "gozmq", harness.Fail))
			Expect(d.Failed()).To(BeTrue())
			Expect(d.NewFailures).To(ConsistOf(HaveField("Case", "RR.1")))
			Expect(text(d)).To(ContainSubstring("RR.1 tcp libzmq→gozmq: pass → fail"))
		})

		It("fails a crash or a hang where the baseline passed", func() {
			cur := withOutcome(gateable(1), "RR.1", "tcp", "libzmq", "gozmq", harness.Crash)
			cur = withOutcome(cur, "RR.1", "ipc", "libzmq", "gozmq", harness.Hang)
			Expect(compare(gateable(1), cur).NewFailures).To(HaveLen(2))
		})

		It("fails any unexpected pass, even one the baseline had", func() {
			d := compare(synthetic(1), synthetic(1))
			Expect(d.Failed()).To(BeTrue())
			Expect(d.XPasses).To(HaveLen(2))
			Expect(d.NewFailures).To(BeEmpty())
		})

		It("passes a cell that was already red, and reports one that was fixed", func() {
			d := compare(gateable(1), withOutcome(gateable(1), "PP.1", "tcp", "gozmq", "libzmq", harness.Pass))
			Expect(d.Failed()).To(BeFalse())
			Expect(d.Fixed).To(ConsistOf(HaveField("Case", "PP.1")))
			Expect(d.StillRed).NotTo(BeEmpty())
		})

		It("lists other changes without failing", func() {
			d := compare(gateable(1), withOutcome(gateable(1), "RR.1", "tcp", "libzmq", "gozmq", harness.Skip))
			Expect(d.Failed()).To(BeFalse())
			Expect(d.Changed).To(HaveLen(1))
		})
	})

	Describe("unusable input", func() {
		It("refuses a baseline from another OS/arch", func() {
			base := gateable(1)
			base.Env.OS, base.Env.Arch = "darwin", "arm64"
			_, err := reports.Compare(base, gateable(1), 0.1)
			Expect(err).To(MatchError(ContainSubstring("darwin/arm64")))
			Expect(err).To(MatchError(ContainSubstring("linux-amd64.json")))
		})

		It("exits 2 with one line naming a malformed baseline", func() {
			dir := GinkgoT().TempDir()
			cur, base := filepath.Join(dir, "current.json"), filepath.Join(dir, "baseline.json")
			Expect(harness.WriteJSON(cur, gateable(1))).To(Succeed())
			Expect(os.WriteFile(base, []byte("{\"schema\": \"zmqsuite.results/v1\",\n \"env\": [oops"), 0o644)).To(Succeed())
			var out, errw bytes.Buffer
			code := reports.RunGate(reports.GateInput{Baseline: base, Current: cur, Threshold: 0.1}, &out, &errw)
			Expect(code).To(Equal(reports.ExitUnusable))
			Expect(strings.TrimSuffix(errw.String(), "\n")).NotTo(ContainSubstring("\n"))
			Expect(errw.String()).To(ContainSubstring(base))
		})

		It("exits 2 naming a baseline of another OS/arch", func() {
			dir := GinkgoT().TempDir()
			cur, base := filepath.Join(dir, "current.json"), filepath.Join(dir, "baseline.json")
			other := gateable(1)
			other.Env.OS = "windows"
			Expect(harness.WriteJSON(cur, gateable(1))).To(Succeed())
			Expect(harness.WriteJSON(base, other)).To(Succeed())
			var out, errw bytes.Buffer
			Expect(reports.RunGate(reports.GateInput{Baseline: base, Current: cur, Threshold: 0.1}, &out, &errw)).
				To(Equal(reports.ExitUnusable))
			Expect(errw.String()).To(HavePrefix("zmqsuite gate: " + base + ": the baseline is from windows/amd64"))
			Expect(strings.Count(errw.String(), "\n")).To(Equal(1))
		})

		It("exits 2 on a results file of the wrong schema", func() {
			dir := GinkgoT().TempDir()
			cur, base := filepath.Join(dir, "current.json"), filepath.Join(dir, "bench.json")
			Expect(harness.WriteJSON(cur, gateable(1))).To(Succeed())
			Expect(harness.WriteJSON(base, bench(1))).To(Succeed())
			var out, errw bytes.Buffer
			Expect(reports.RunGate(reports.GateInput{Baseline: base, Current: cur}, &out, &errw)).To(Equal(reports.ExitUnusable))
			Expect(errw.String()).To(ContainSubstring(`schema "` + harness.BenchSchema + `", want "` + harness.ResultsSchema + `"`))
		})
	})

	Describe("exit statuses", func() {
		var dir string
		BeforeEach(func() { dir = GinkgoT().TempDir() })

		run := func(baseline, current harness.Results) (int, string) {
			GinkgoHelper()
			Expect(harness.WriteJSON(filepath.Join(dir, "baselines", "linux-amd64.json"), baseline)).To(Succeed())
			Expect(harness.WriteJSON(filepath.Join(dir, "current.json"), current)).To(Succeed())
			var out, errw bytes.Buffer
			code := reports.RunGate(reports.GateInput{BaselineDir: filepath.Join(dir, "baselines"),
				Current: filepath.Join(dir, "current.json"), Threshold: 0.1}, &out, &errw)
			return code, out.String() + errw.String()
		}

		It("is 0 when nothing that matters changed", func() {
			code, out := run(gateable(1), gateable(2))
			Expect(code).To(Equal(reports.ExitOK), out)
			Expect(out).To(ContainSubstring("gate: PASS"))
			Expect(out).To(ContainSubstring("linux-amd64.json"))
		})

		It("is 1 on a regression", func() {
			code, out := run(gateable(1), scaleThroughput(gateable(2), "gozmq", "gozmq", 0.7))
			Expect(code).To(Equal(reports.ExitFail), out)
			Expect(out).To(ContainSubstring("gate: FAIL"))
			Expect(out).To(ContainSubstring("regressions (significant and beyond 10%)"))
		})
	})

	DescribeTable("reads thresholds",
		func(in string, want float64, ok bool) {
			got, err := reports.ParseThreshold(in)
			if !ok {
				Expect(err).To(HaveOccurred())
				return
			}
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(BeNumerically("~", want, 1e-12))
		},
		Entry("percent", "10%", 0.10, true),
		Entry("fraction", "0.1", 0.10, true),
		Entry("fractional percent", "2.5 %", 0.025, true),
		Entry("bare number of 1 or more", "10", 0.0, false),
		Entry("negative", "-5%", 0.0, false),
		Entry("garbage", "ten", 0.0, false),
	)
})

// withoutImpl drops every cell and figure in which an implementation takes part, as a run
// does when that binding is silently missing.
func withoutImpl(r harness.Results, name string) harness.Results {
	out := r
	out.Suites = map[string]*harness.SuiteResults{}
	for n, s := range r.Suites {
		c := *s
		c.Records = nil
		for _, rec := range s.Records {
			if rec.Bind != name && rec.Connect != name {
				c.Records = append(c.Records, rec)
			}
		}
		out.Suites[n] = &c
	}
	if r.Bench != nil {
		b := *r.Bench
		b.Records = nil
		for _, rec := range r.Bench.Records {
			if rec.Bind != name && rec.Connect != name {
				b.Records = append(b.Records, rec)
			}
		}
		out.Bench = &b
	}
	return out
}

// The gate must never pass by comparing nothing: a binding that drops out of the current
// run, or a run that holds nothing, is a failure or unusable input, never a PASS.
var _ = Describe("the gate on runs that lost what they were to measure", func() {
	It("fails when the implementation under test vanishes from the current run", func() {
		d, err := reports.Compare(gateable(1), withoutImpl(gateable(1), "libzmq"), 0.1)
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Failed()).To(BeTrue())
		Expect(d.Vanished).NotTo(BeEmpty())
		Expect(d.BenchFailures).NotTo(BeEmpty(), "its benchmark figures vanished too")
		Expect(text(d)).To(ContainSubstring("gate: FAIL"))
		Expect(text(d)).To(ContainSubstring("vanished cells"))
	})

	It("with --impl, lists but does not fail on another implementation's vanished cells", func() {
		d, err := reports.Compare(gateable(1), withoutImpl(gateable(1), "libzmq"), 0.1, "pyzmq")
		Expect(err).NotTo(HaveOccurred())
		// pyzmq's cells with libzmq vanished too: those are pyzmq's own.
		Expect(d.Vanished).NotTo(BeEmpty())
		for _, c := range d.Vanished {
			Expect([]string{c.Bind, c.Connect}).To(ContainElement("pyzmq"))
		}
		Expect(d.Removed).NotTo(BeEmpty())
		for _, c := range d.Removed {
			Expect([]string{c.Bind, c.Connect}).NotTo(ContainElement("pyzmq"))
		}
	})

	It("passes a current run that keeps every cell of the implementation under test", func() {
		d, err := reports.Compare(gateable(1), withoutImpl(gateable(1), "libzmq"), 0.1, "gozmq")
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Vanished).NotTo(BeEmpty(), "gozmq's cells with libzmq are gone")
		d, err = reports.Compare(withoutImpl(gateable(1), "libzmq"), withoutImpl(gateable(1), "libzmq"), 0.1, "gozmq")
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Failed()).To(BeFalse(), text(d))
	})

	It("refuses a current run with no cell or figure of the implementation under test", func() {
		_, err := reports.Compare(gateable(1), withoutImpl(gateable(1), "gozmq"), 0.1, "gozmq")
		Expect(err).To(MatchError(ContainSubstring("the current run holds no cells and no figures of gozmq")))
	})

	It("exits 2 on two runs with no cells and no figures", func() {
		dir := GinkgoT().TempDir()
		empty := harness.Results{Schema: harness.ResultsSchema, Env: env(),
			Suites: map[string]*harness.SuiteResults{"conformance": {Schema: harness.SuiteSchema, Suite: "conformance", Env: env()}}}
		a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
		Expect(harness.WriteJSON(a, empty)).To(Succeed())
		Expect(harness.WriteJSON(b, empty)).To(Succeed())
		var out, errw bytes.Buffer
		Expect(reports.RunGate(reports.GateInput{Baseline: a, Current: b, Threshold: 0.1}, &out, &errw)).To(Equal(reports.ExitUnusable))
		Expect(errw.String()).To(ContainSubstring("holds no cells and no figures"))
		Expect(out.String()).NotTo(ContainSubstring("PASS"))
	})

	It("reads a baseline of the previous schema (results/v1) and still compares it", func() {
		dir := GinkgoT().TempDir()
		v1 := filepath.Join(dir, "v1.json")
		Expect(os.WriteFile(v1, []byte(`{"schema":"zmqsuite.results/v1","env":{"os":"linux","arch":"amd64"},
 "conformance":{"schema":"zmqsuite.conformance/v1","env":{"os":"linux","arch":"amd64"},"records":[
  {"case":"PP.1","transport":"tcp","bind":"gozmq","connect":"gozmq","outcome":"xfail"}]},
 "bench":{"schema":"zmqsuite.bench/v1","records":[{"pattern":"push_pull","metric":"throughput","transport":"tcp",
  "bind":"gozmq","connect":"gozmq","size":64,"outcome":"ok","msg_per_sec":{"median":1,"values":[1,1]}}]}}`), 0o644)).To(Succeed())
		r, err := reports.LoadResults(v1)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Suite("conformance").Records[0].ID).To(Equal("PP.1 tcp gozmq→gozmq"))
		Expect(r.Bench.Records[0].Outcome).To(Equal(harness.Pass))
	})
})
