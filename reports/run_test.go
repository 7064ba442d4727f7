package reports_test

import (
	"bytes"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/reports"
)

var _ = Describe("the report verb", func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	run := func(in reports.ReportInput) (int, string, string) {
		var out, errw bytes.Buffer
		code := reports.RunReport(in, &out, &errw)
		return code, out.String(), errw.String()
	}

	It("renders both runs and prints the page's path", func() {
		c, b := filepath.Join(dir, "c.json"), filepath.Join(dir, "b.json")
		Expect(harness.WriteJSON(c, conformance())).To(Succeed())
		Expect(harness.WriteJSON(b, bench(1))).To(Succeed())
		code, out, errs := run(reports.ReportInput{Suites: []string{c}, Bench: b, OutDir: filepath.Join(dir, "report")})
		Expect(code).To(Equal(reports.ExitOK), errs)
		Expect(out).To(Equal(filepath.Join(dir, "report", "index.html") + "\n"))
		Expect(filepath.Join(dir, "report", "report.md")).To(BeAnExistingFile())
		Expect(filepath.Join(dir, "report", "results.json")).To(BeAnExistingFile())
	})

	It("skips a missing input with one line", func() {
		c := filepath.Join(dir, "c.json")
		Expect(harness.WriteJSON(c, conformance())).To(Succeed())
		code, _, errs := run(reports.ReportInput{Suites: []string{c}, Bench: filepath.Join(dir, "none.json"), OutDir: dir})
		Expect(code).To(Equal(reports.ExitOK))
		Expect(errs).To(MatchRegexp(`^zmqsuite report: skipping .*none.json: .*no such file or directory\n$`))
	})

	It("exits 2 when both inputs are missing", func() {
		code, _, errs := run(reports.ReportInput{Suites: []string{filepath.Join(dir, "a")}, Bench: filepath.Join(dir, "b"), OutDir: dir})
		Expect(code).To(Equal(reports.ExitUnusable))
		Expect(errs).To(ContainSubstring("nothing to report"))
	})

	It("exits 2 on an input of the wrong schema", func() {
		c := filepath.Join(dir, "c.json")
		Expect(harness.WriteJSON(c, bench(1))).To(Succeed())
		code, _, errs := run(reports.ReportInput{Suites: []string{c}, Bench: filepath.Join(dir, "b"), OutDir: dir})
		Expect(code).To(Equal(reports.ExitUnusable))
		Expect(errs).To(ContainSubstring(c))
	})
})
