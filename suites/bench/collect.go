package bench

import (
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
)

// OutDir is where benchmark results go: $ZMQSUITE_OUT/bench, else out/bench at the root;
// across hosts $ZMQSUITE_OUT/bench-hosts (or what ZMQSUITE_SUITE_NAME says).
func OutDir() string { return matrix.OutDir(Name()) }

// Name is the name the run's results go under: bench, or bench-hosts across hosts (the
// runner says so in ZMQSUITE_SUITE_NAME; a placement alone implies it).
func Name() string {
	if n := os.Getenv(matrix.SuiteNameEnv); n != "" {
		return n
	}
	if p, _ := harness.CurrentPlacement(); p != nil {
		return matrix.NetSuiteName("bench")
	}
	return "bench"
}

// Summarise groups measurements by figure into records with median, min and max. A figure
// with any failed repetition keeps its successful ones and says why the others failed.
func Summarise(ms []Measurement) []harness.BenchRecord {
	groups := map[Key][]Measurement{}
	var keys []Key
	for _, m := range ms {
		if _, ok := groups[m.Key]; !ok {
			keys = append(keys, m.Key)
		}
		groups[m.Key] = append(groups[m.Key], m)
	}
	var out []harness.BenchRecord
	for _, k := range keys {
		g := groups[k]
		sort.Slice(g, func(i, j int) bool { return g[i].Rep < g[j].Rep })
		r := harness.BenchRecord{Pattern: k.Pattern, Transport: k.Transport, Scenario: k.Scenario, Bind: k.Bind, Connect: k.Connect,
			Size: k.Size, Subscribers: k.Subscribers, Metric: "throughput", Outcome: harness.Pass}
		if k.Pattern == ReqRep {
			r.Metric = "latency"
		}
		var msg, mb, p50, p90, p99, p999, max []float64
		for _, m := range g {
			if m.Outcome != harness.Pass {
				if r.Outcome == harness.Pass {
					r.Outcome, r.Reason, r.Blame = m.Outcome, fmt.Sprintf("repetition %d: %s", m.Rep, m.Reason), m.Blame
					if m.Outcome == harness.XFail {
						r.Reason = m.Reason // not measured at all: no repetition to name
					}
					r.Expectation = m.Expectation
				}
				continue
			}
			if m.Latency != nil {
				us := func(ns float64) float64 { return ns / 1e3 }
				p50, p90, p99 = append(p50, us(m.Latency.P50)), append(p90, us(m.Latency.P90)), append(p99, us(m.Latency.P99))
				p999, max = append(p999, us(m.Latency.P999)), append(max, us(m.Latency.Max))
			} else {
				msg, mb = append(msg, m.MsgPS), append(mb, m.MBPS)
			}
		}
		r.MsgPerSec, r.MBPerSec = stat(msg), stat(mb)
		r.P50US, r.P90US, r.P99US, r.P999US, r.MaxUS = stat(p50), stat(p90), stat(p99), stat(p999), stat(max)
		r.Repetitions = len(g)
		r.CI = confidence(gatedValues(g))
		out = append(out, r)
	}
	return out
}

func stat(v []float64) *harness.Stat {
	if len(v) == 0 {
		return nil
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &harness.Stat{Median: med, Min: s[0], Max: s[len(s)-1], Values: v}
}

// gatedValues are the repetitions of the figure the gate judges first: msg/s for throughput,
// the p50 half round trip for latency.
func gatedValues(ms []Measurement) []float64 {
	var v []float64
	for _, m := range ms {
		switch {
		case m.Outcome != harness.Pass:
		case m.Latency != nil:
			v = append(v, m.Latency.P50)
		default:
			v = append(v, m.MsgPS)
		}
	}
	return v
}

// tQuantile975 is Student's t 97.5 % quantile by degrees of freedom (1–30; beyond, 1.96).
var tQuantile975 = []float64{0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
	2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

// confidence is the 95 % confidence interval of the geometric mean of positive values: a t
// interval on their logarithms, since noise on a shared machine scales with the figure. Fewer
// than two values have none.
func confidence(v []float64) *harness.CI {
	var logs []float64
	for _, x := range v {
		if x > 0 {
			logs = append(logs, math.Log(x))
		}
	}
	n := len(logs)
	if n < 2 {
		return nil
	}
	mean := 0.0
	for _, l := range logs {
		mean += l
	}
	mean /= float64(n)
	ss := 0.0
	for _, l := range logs {
		ss += (l - mean) * (l - mean)
	}
	sd := math.Sqrt(ss / float64(n-1))
	t := 1.96
	if n-1 < len(tQuantile975) {
		t = tQuantile975[n-1]
	}
	h := t * sd / math.Sqrt(float64(n))
	return &harness.CI{Low: math.Exp(mean - h), High: math.Exp(mean + h), Rel: math.Exp(h) - 1}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// WriteBenchFmt writes the measurements in the Go benchmark format, one line per repetition,
// with the config keys impl (bind side), peer (connect side), transport, pattern, size and
// goos, so that `benchstat old.txt new.txt` compares two runs.
func WriteBenchFmt(w io.Writer, env harness.Env, ms []Measurement) error {
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\ncpu: %s\npkg: github.com/zmqsuite/zmqsuite/suites/bench\n", env.OS, env.Arch, env.CPU)
	for _, m := range ms {
		if m.Outcome != harness.Pass {
			continue
		}
		k := m.Key
		pattern := k.Pattern
		if k.Subscribers > 0 {
			pattern = fmt.Sprintf("%s%d", k.Pattern, k.Subscribers)
		}
		name := fmt.Sprintf("BenchmarkZMQ/pattern=%s/impl=%s/peer=%s/transport=%s/size=%d/goos=%s",
			pattern, unsafeName.ReplaceAllString(k.Bind, "_"), unsafeName.ReplaceAllString(k.Connect, "_"), k.Transport, k.Size, env.OS)
		if k.Scenario != "" {
			// benchstat's configuration key for the path across hosts.
			name += "/net=" + unsafeName.ReplaceAllString(k.Scenario, "_")
		}
		var err error
		if m.Latency != nil {
			_, err = fmt.Fprintf(w, "%s\t%d\t%.0f ns/op\t%.0f p50-ns\t%.0f p90-ns\t%.0f p99-ns\t%.0f p99.9-ns\n", name,
				m.Latency.Count, m.Latency.Mean, m.Latency.P50, m.Latency.P90, m.Latency.P99, m.Latency.P999)
		} else {
			_, err = fmt.Fprintf(w, "%s\t1\t%.2f ns/op\t%.2f MB/s\t%.0f msg/s\n", name, 1e9/m.MsgPS, m.MBPS, m.MsgPS)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sizeLabel renders a size as the report does: 64B, 1KiB, 1MiB.
func sizeLabel(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func fmtRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// FigureLine is a finished figure's line on the terminal: its median, repetitions and the
// confidence reached, or why it has none.
func FigureLine(r harness.BenchRecord) string {
	who := fmt.Sprintf("%s→%s", r.Bind, r.Connect)
	what := fmt.Sprintf("%s %s %s", r.Pattern, transportLabel(r.Transport, r.Scenario), sizeLabel(r.Size))
	if r.Subscribers > 0 {
		what += fmt.Sprintf(" ×%d", r.Subscribers)
	}
	ci := ""
	if r.CI != nil {
		ci = fmt.Sprintf(", 95%% CI ±%.0f%%", 100*r.CI.Rel)
	}
	switch {
	case r.Outcome != harness.Pass:
		return fmt.Sprintf("%s %s %s: %s", r.Outcome, what, who, firstLine(r.Reason))
	case r.P50US != nil:
		return fmt.Sprintf("%s %s: p50 %.1f µs, p99 %.1f µs (median of %d%s)", what, who, r.P50US.Median, r.P99US.Median, r.Repetitions, ci)
	case r.MsgPerSec != nil:
		return fmt.Sprintf("%s %s: %s msg/s, %.1f MB/s (median of %d%s)", what, who, strings.TrimSpace(fmtRate(r.MsgPerSec.Median)), r.MBPerSec.Median, r.Repetitions, ci)
	}
	return fmt.Sprintf("%s %s: no figure", what, who)
}

// Line is the progress line of one measurement.
func Line(m Measurement) string {
	k := m.Key
	who := fmt.Sprintf("%s→%s", k.Bind, k.Connect)
	what := fmt.Sprintf("%s %s %s", k.Pattern, transportLabel(k.Transport, k.Scenario), sizeLabel(k.Size))
	if k.Subscribers > 0 {
		what += fmt.Sprintf(" ×%d", k.Subscribers)
	}
	switch {
	case m.Outcome != harness.Pass:
		return fmt.Sprintf("%s %s rep %d: %s: %s", what, who, m.Rep, m.Outcome, firstLine(m.Reason))
	case m.Latency != nil:
		return fmt.Sprintf("%s %s rep %d: p50 %.1f µs, p99 %.1f µs", what, who, m.Rep, m.Latency.P50/1e3, m.Latency.P99/1e3)
	}
	return fmt.Sprintf("%s %s rep %d: %smsg/s, %.1f MB/s", what, who, m.Rep, fmtRate(m.MsgPS), m.MBPS)
}

// transportLabel is a figure's transport as cell ids write it: "tcp", "tcp@20ms-1%".
func transportLabel(transport, scenario string) string {
	if scenario != "" {
		return transport + "@" + scenario
	}
	return transport
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
