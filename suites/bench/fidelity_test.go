package bench_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/suites/bench"
)

// The suite must measure the implementation, not itself (DESIGN decision 3). This check runs
// the suite's libzmq↔libzmq tcp 64 B figures and a minimal native pebbe loop (suites/bench/
// native) alternately in the same run, and requires the medians of the per-pair ratios to be
// within 10 %. Pairing the runs cancels most of this machine's ±20–40 % drift.
var _ = Describe("benchmark fidelity", Label("kind:fidelity"), Serial, func() {
	const (
		pairs  = 11
		window = time.Second
		size   = 64
	)

	It("matches a native pebbe loop within 10 % for libzmq↔libzmq tcp 64 B", func(ctx SpecContext) {
		lib, err := mustImpl(harness.LibZMQ)
		if err != nil {
			Skip("libzmq peer unavailable: " + err.Error())
		}
		native := buildNative()
		pool := harness.NewPool()
		DeferCleanup(pool.Close)
		var thr, lat []float64
		for i := 0; i < pairs; i++ {
			suiteFirst := i%2 == 0
			var s, n float64
			measureThr := func() {
				m := bench.Measure(ctx, pool, bench.Key{Pattern: bench.PushPull, Transport: harness.TCP, Bind: lib.Name, Connect: lib.Name, Size: size}, lib, lib, window)
				Expect(m.Outcome).To(Equal(harness.Pass), m.Reason)
				s = m.MsgPS
			}
			nativeThr := func() { n = runNativeThr(ctx, native, size, window) }
			inOrder(suiteFirst, measureThr, nativeThr)
			thr = append(thr, s/n)
			GinkgoWriter.Printf("pair %d throughput: suite %.0f msg/s, native %.0f msg/s, ratio %.3f\n", i+1, s, n, s/n)

			measureLat := func() {
				m := bench.Measure(ctx, pool, bench.Key{Pattern: bench.ReqRep, Transport: harness.TCP, Bind: lib.Name, Connect: lib.Name, Size: size}, lib, lib, window)
				Expect(m.Outcome).To(Equal(harness.Pass), m.Reason)
				s = m.Latency.P50
			}
			nativeLat := func() { n = runNativeLat(ctx, native, size, window) }
			inOrder(suiteFirst, measureLat, nativeLat)
			lat = append(lat, s/n)
			GinkgoWriter.Printf("pair %d latency p50: suite %.1f µs, native %.1f µs, ratio %.3f\n", i+1, s/1e3, n/1e3, s/n)
		}
		cost, err := bench.ControlRTT(ctx, pool, lib, 300)
		Expect(err).NotTo(HaveOccurred())
		thrRatio, latRatio := median(thr), median(lat)
		summary := fmt.Sprintf("fidelity: libzmq↔libzmq tcp 64 B, %d interleaved pairs: throughput suite/native median %.3f (%v), "+
			"p50 latency suite/native median %.3f (%v); harness control round trip %.1f µs (never inside a timed loop)",
			pairs, thrRatio, round(thr), latRatio, round(lat), cost/1e3)
		fmt.Fprintln(os.Stderr, summary)
		AddReportEntry("fidelity", summary)
		Expect(math.Abs(thrRatio-1)).To(BeNumerically("<=", 0.10), summary)
		Expect(math.Abs(latRatio-1)).To(BeNumerically("<=", 0.10), summary)
	}, SpecTimeout(10*time.Minute))
})

func mustImpl(name string) (*harness.Impl, error) {
	reg, err := harness.DefaultRegistry()
	if err != nil {
		return nil, err
	}
	im, err := reg.Get(name)
	if err != nil {
		return nil, err
	}
	if im.Unavailable != "" {
		return nil, fmt.Errorf("%s", im.Unavailable)
	}
	return im, nil
}

func inOrder(first bool, a, b func()) {
	if first {
		a()
		b()
	} else {
		b()
		a()
	}
}

func buildNative() string {
	exe := filepath.Join(GinkgoT().TempDir(), "native")
	cmd := exec.Command("go", "build", "-tags", "libzmq", "-o", exe, "./suites/bench/native")
	cmd.Dir = harness.RepoRoot()
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "build suites/bench/native: %s", out)
	return exe
}

// startNative starts a binding native loop and returns its endpoint and a reader of its output.
func startNative(ctx context.Context, exe string, args ...string) (*exec.Cmd, string, *bufio.Scanner) {
	cmd := exec.CommandContext(ctx, exe, args...)
	out, err := cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	cmd.Stderr = GinkgoWriter
	Expect(cmd.Start()).To(Succeed())
	sc := bufio.NewScanner(out)
	Expect(sc.Scan()).To(BeTrue(), "native %v printed no endpoint", args)
	ep, ok := strings.CutPrefix(sc.Text(), "endpoint ")
	Expect(ok).To(BeTrue(), "native: %q", sc.Text())
	return cmd, ep, sc
}

func result(sc *bufio.Scanner) (n, elapsed, p50 float64) {
	Expect(sc.Scan()).To(BeTrue(), "native printed no result")
	_, err := fmt.Sscanf(sc.Text(), "result %g %g %g", &n, &elapsed, &p50)
	Expect(err).NotTo(HaveOccurred(), "native result %q", sc.Text())
	return
}

func ms(d time.Duration) string { return fmt.Sprint(d.Milliseconds()) }

func runNativeThr(ctx context.Context, exe string, size int, window time.Duration) float64 {
	recv, ep, sc := startNative(ctx, exe, "thr-recv", "tcp://127.0.0.1:*", fmt.Sprint(size), ms(window))
	send := exec.CommandContext(ctx, exe, "thr-send", ep, fmt.Sprint(size), ms(window+15*time.Second))
	send.Stderr = GinkgoWriter
	Expect(send.Start()).To(Succeed())
	n, elapsed, _ := result(sc)
	_ = send.Process.Kill()
	_ = send.Wait()
	_ = recv.Wait()
	return n / (elapsed / 1e9)
}

func runNativeLat(ctx context.Context, exe string, size int, window time.Duration) float64 {
	pong, ep, _ := startNative(ctx, exe, "lat-pong", "tcp://127.0.0.1:*", fmt.Sprint(size), ms(window+15*time.Second))
	ping := exec.CommandContext(ctx, exe, "lat-ping", ep, fmt.Sprint(size), ms(window))
	out, err := ping.Output()
	Expect(err).NotTo(HaveOccurred())
	var n, elapsed, p50 float64
	_, err = fmt.Sscanf(strings.TrimSpace(string(out)), "result %g %g %g", &n, &elapsed, &p50)
	Expect(err).NotTo(HaveOccurred(), "native lat-ping %q", out)
	_ = pong.Process.Kill()
	_ = pong.Wait()
	return p50
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func round(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Round(x*1000) / 1000
	}
	return out
}
