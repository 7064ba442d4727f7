package reports_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/reports"
)

// render runs both renderers and returns their output.
func render(r harness.Results) (md, page string) {
	GinkgoHelper()
	var m, h bytes.Buffer
	Expect(reports.Markdown(&m, r)).To(Succeed())
	Expect(reports.HTML(&h, r)).To(Succeed())
	return m.String(), h.String()
}

var (
	urlRef    = regexp.MustCompile(`https?://[^\s"'<>)]*`)
	anchorRef = regexp.MustCompile(`<a href="(https?://[^"]*)"`)
)

var _ = Describe("rendering", func() {
	It("shows every section, outcome and figure of a full run", func() {
		md, page := render(synthetic(1))

		for _, s := range []string{"## Environment", "## Implementations", "## Conformance summary",
			"## Conformance grid", "### tcp", "### ipc", "### inproc", "## Conformance: non-pass cells", "## ipc availability", "## Scorecard",
			"## Benchmarks", "#### push\\_pull over tcp", "#### req\\_rep over ipc"} {
			Expect(md).To(ContainSubstring(s))
		}
		By("linking known failures to their upstream issue in the grid")
		Expect(md).To(ContainSubstring("[xf](" + upstream + ")"))
		By("showing a failing cell's wire transcript")
		Expect(md).To(ContainSubstring("<details><summary>wire transcript</summary>"))
		Expect(md).To(ContainSubstring("→ READY Socket-Type=PULL"))
		Expect(page).To(ContainSubstring("wire transcript</summary><pre>← greeting 3.0 NULL as-server=0"))
		By("listing reasons, blame and stderr of non-pass cells")
		Expect(md).To(ContainSubstring("PULL 3 got 10 of 10, expected 2 \\| not round-robin"))
		Expect(md).To(ContainSubstring("Blame: `bind:gozmq`"))
		Expect(md).To(ContainSubstring("index out of range [3]"))
		By("comparing the ipc a binding declares with the probe")
		Expect(md).To(ContainSubstring("| **pyzmq** | yes | no | declared, but the probe failed |"))
		Expect(md).To(ContainSubstring("| **gozmq** | not reported | yes | works |"))
		By("showing the ceiling as its own row and figures as a percentage of it")
		Expect(md).To(MatchRegexp(`\| 64 B \| \*raw\* \| [0-9.]+M \[[0-9.]+M–[0-9.]+M\] \| 100% \|`))
		Expect(md).To(MatchRegexp(`\| 64 B \| libzmq→libzmq \| [0-9.]+M \[[^]]+\] \| [0-9]+% \|`))
		Expect(md).To(ContainSubstring("crash: peer exited (blame bind:gozmq)"))
		By("leaving the percentage columns out of a group without a ceiling row (fan-out)")
		Expect(md).To(ContainSubstring("#### pub\\_sub over tcp, 1 subscriber\n\n| size | pairing | msg/s | MB/s | 95% CI |\n"))
		By("putting a scorecard first: cells per implementation, known failures by upstream issue, standing")
		Expect(strings.Index(md, "## Scorecard")).To(BeNumerically("<", strings.Index(md, "## Environment")))
		Expect(md).To(MatchRegexp(`\| \*\*gozmq\*\* \| [^|]+ \| [^|]* \| [0-9]+ \| [0-9]+ \| [0-9]+ \|`))
		Expect(md).To(MatchRegexp(`- \[[^]]+\]\(` + regexp.QuoteMeta(upstream) + `\): [0-9]+ cells`))
		Expect(md).To(MatchRegexp(`\| [0-9.]+k msg/s \([0-9]+ % of libzmq, [0-9]+ % of raw\) \|`))
		Expect(page).To(ContainSubstring("(this group has no ceiling row)"))

		for _, s := range []string{"<svg", "o-crash", "o-hang", "o-xpass", "o-xfail", "o-nonstrict", "o-skip",
			"o-fail", "<details>", `title="PP.1 tcp gozmq→libzmq: fail`, "Latency: req_rep over tcp"} {
			Expect(page).To(ContainSubstring(s))
		}
	})

	It("sets each cross-host figure beside the same run's loopback one, with its own ceiling", func() {
		r := synthetic(1)
		r.BenchHosts = benchHosts()
		md, page := render(r)
		Expect(md).To(ContainSubstring("## Benchmarks across hosts"))
		Expect(md).To(ContainSubstring("Benchmarks: 72 figures. Benchmarks across hosts: 18 figures.**"))
		Expect(strings.Index(md, "## Benchmarks\n")).To(BeNumerically("<", strings.Index(md, "## Benchmarks across hosts")))
		By("a column per scenario, loopback first, the ceiling's row first")
		Expect(md).To(ContainSubstring("#### push\\_pull over tcp, 64 B: throughput\n\n| pairing | loopback | 20ms | 20ms-1% |\n|---|---|---|---|\n" +
			"| *raw* | 1.00M msg/s | 500k msg/s (50 %) | 100k msg/s (10 %) |\n"))
		By("latency with what the path added to loopback's, a lost figure as its outcome")
		Expect(md).To(ContainSubstring("| libzmq→gozmq | 50.0 µs | 20.0k µs (+19.9k) | 25.0k µs (+24.9k) |"))
		Expect(md).To(ContainSubstring("| libzmq→gozmq | 1.00M msg/s | 500k msg/s (50 %) | hang |"))
		By("each scenario's detailed tables measured against the ceiling over the same path")
		Expect(md).To(ContainSubstring("#### push\\_pull over tcp@20ms\n"))
		Expect(md).To(MatchRegexp(`\| 64 B \| libzmq→libzmq \| 500k \[500k–500k\] \| 100% \|`))
		By("ids of their own in the page, so the two runs' tcp tables do not collide")
		Expect(page).To(ContainSubstring(`<section id="bench-hosts">`))
		Expect(page).To(ContainSubstring(`<h3 id="bench-hosts-tcp@20ms">`))
		Expect(page).To(ContainSubstring(`<h3 id="bench-tcp">`))
		Expect(page).To(ContainSubstring("<caption>push_pull over tcp, 64 B: throughput</caption>"))
		ids := regexp.MustCompile(` id="([^"]+)"`).FindAllStringSubmatch(page, -1)
		seen := map[string]bool{}
		for _, m := range ids {
			Expect(seen).NotTo(HaveKey(m[1]), "id %q twice", m[1])
			seen[m[1]] = true
		}
	})

	It("says what each suite's run selected, so that a slice never reads as the whole suite", func() {
		r := synthetic(1)
		md, _ := render(r)
		Expect(md).To(ContainSubstring("## Conformance summary\n\nRun: every cell of the catalogue; ended "))
		c := r.Suites["conformance"]
		c.Selection.Filter, c.Selection.Total = "transport:tcp && case:DLR.4", 50
		c.Selection.Shard, c.Selection.Cells = "2/4", 13
		md, page := render(r)
		Expect(md).To(ContainSubstring(`Run: filter "transport:tcp && case:DLR.4": 50 cells selected; shard 2/4 (13 cells); ended `))
		Expect(page).To(ContainSubstring(`<p class="muted">Run: filter &#34;transport:tcp &amp;&amp; case:DLR.4&#34;: 50 cells selected; shard 2/4 (13 cells); ended `))
	})

	It("quotes the same record in a security grid cell every time, whatever the map order", func() {
		r := synthetic(1)
		c := *r.Suites["conformance"]
		c.Records = append([]harness.Record(nil), c.Records...)
		for _, tr := range []string{"ipc", "inproc", "tcp"} {
			c.Records = append(c.Records, harness.Record{Suite: "conformance", Case: "PLN.2", Pattern: "security",
				Transport: tr, Bind: "libzmq", Connect: "gozmq", Outcome: harness.XFail, Reason: "refused late over " + tr})
		}
		r.Suites["conformance"] = &c
		_, first := render(r)
		Expect(first).To(ContainSubstring(`title="PLN.2 tcp: xfail — refused late over tcp"`), "ties go to the first transport in reading order")
		for i := 0; i < 10; i++ {
			_, again := render(r)
			Expect(again).To(Equal(first), "rendering %d of one run differed", i+2)
		}
	})

	It("escapes text from the results", func() {
		md, page := render(synthetic(1))
		Expect(page).NotTo(ContainSubstring("<script>"))
		Expect(page).To(ContainSubstring("&lt;script&gt;"))
		Expect(page).To(ContainSubstring("REP routes the reply to the requester &lt;b&gt;"))
		Expect(md).To(ContainSubstring("requester &lt;b&gt;"))
	})

	It("makes a self-contained page whose only URLs are upstream links", func() {
		_, page := render(synthetic(1))
		Expect(strings.Count(page, "<svg")).To(BeNumerically(">=", 8), "4 charts per transport")
		Expect(page).NotTo(MatchRegexp(`(?i)<(script|link|img|iframe)\b`))
		Expect(page).NotTo(MatchRegexp(`(?i)url\(|@import`))
		links := map[string]bool{}
		for _, m := range anchorRef.FindAllStringSubmatch(page, -1) {
			links[m[1]] = true
		}
		for _, u := range urlRef.FindAllString(page, -1) {
			Expect(links).To(HaveKey(u), "a URL outside an <a href>: %s", u)
		}
		Expect(links).To(HaveKey(upstream))
	})

	DescribeTable("renders partial and empty results",
		func(r harness.Results, mdWants, htmlWants string) {
			md, page := render(r)
			Expect(md).To(ContainSubstring(mdWants))
			Expect(page).To(ContainSubstring(htmlWants))
			Expect(page).To(HaveSuffix("</html>\n"))
		},
		Entry("conformance only", reports.Merge([]*harness.SuiteResults{conformance()}, nil), "No benchmark results.", "No benchmark results."),
		Entry("bench only", reports.Merge(nil, bench(1)), "No conformance results.", "<svg"),
		Entry("empty record lists", reports.Merge(
			[]*harness.SuiteResults{{Schema: harness.SuiteSchema, Suite: "conformance", Env: env()}},
			&harness.Bench{Schema: harness.BenchSchema, Env: env()}),
			"The conformance run recorded no cells.", "The benchmark run recorded no figures."),
		Entry("nothing at all", harness.Results{Schema: harness.ResultsSchema}, "No conformance results.", "No benchmark results."),
	)

	It("writes index.html, report.md and a results.json that reads back", func() {
		dir := GinkgoT().TempDir()
		files, err := reports.Write(dir, synthetic(1))
		Expect(err).NotTo(HaveOccurred())
		Expect(files.HTML).To(Equal(filepath.Join(dir, "index.html")))
		for _, f := range []string{files.HTML, files.Markdown, files.JSON} {
			Expect(f).To(BeAnExistingFile())
		}
		back, err := reports.LoadResults(files.JSON)
		Expect(err).NotTo(HaveOccurred())
		// Compared as JSON: a record's transcripts are raw JSON, which indenting reflows.
		want, err := json.Marshal(synthetic(1))
		Expect(err).NotTo(HaveOccurred())
		got, err := json.Marshal(back)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(MatchJSON(want))
	})
})

var _ = Describe("loading", func() {
	It("merges a conformance and a bench run, keeping the later timestamp", func() {
		dir := GinkgoT().TempDir()
		c, b := filepath.Join(dir, "c.json"), filepath.Join(dir, "b.json")
		Expect(harness.WriteJSON(c, conformance())).To(Succeed())
		Expect(harness.WriteJSON(b, bench(1))).To(Succeed())
		lc, err := reports.LoadSuite(c)
		Expect(err).NotTo(HaveOccurred())
		lb, err := reports.LoadBench(b)
		Expect(err).NotTo(HaveOccurred())
		r := reports.Merge([]*harness.SuiteResults{lc}, lb)
		Expect(r.Schema).To(Equal(harness.ResultsSchema))
		Expect(r.Generated).To(Equal("2026-03-01T11:00:00Z"))
		Expect(r.Env.OS).To(Equal("linux"))
	})

	It("refuses a file of the wrong schema, naming it", func() {
		dir := GinkgoT().TempDir()
		p := filepath.Join(dir, "bench.json")
		Expect(harness.WriteJSON(p, bench(1))).To(Succeed())
		_, err := reports.LoadSuite(p)
		Expect(err).To(MatchError(ContainSubstring(p)))
		Expect(err).To(MatchError(ContainSubstring(harness.SuiteSchema)))
	})

	It("reports a missing file as not existing", func() {
		_, err := reports.LoadBench(filepath.Join(GinkgoT().TempDir(), "none.json"))
		Expect(err).To(MatchError(os.ErrNotExist))
	})
})
