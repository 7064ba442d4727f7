// Package selftest is a tiny suite on the cell engine, for the engine's own integration tests
// (harness/matrix/runner_test.go): one case that passes, one that fails, one that skips. It
// lives under testdata so that `go test ./...` and the Makefile's suites never run it.
package selftest

import (
	"errors"
	"os"
	"testing"

	// The Ginkgo CLI treats a package as a Ginkgo suite (passing it --label-filter and the
	// parallel settings) only if its test files import Ginkgo.
	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	h "github.com/zmqsuite/zmqsuite/harness"
	"github.com/zmqsuite/zmqsuite/harness/matrix"
	"github.com/zmqsuite/zmqsuite/scenarios"
)

var suite = matrix.NewSuite("selftest")

var _ = ginkgo.Label // see the import

var _ = suite.Case("ST.1", scenarios.Must, "selftest", "a message crosses a PAIR pair",
	func(ctx matrix.SpecContext, cell *h.Cell) {
		a := cell.Bind(ctx, h.PAIR)
		b := cell.Connect(ctx, h.PAIR, a)
		b.Send(ctx, "hello")
		Expect(a.RecvStrings(ctx)).To(Equal([]string{"hello"}))
	}, matrix.On(h.TCP))

var _ = suite.Case("ST.2", scenarios.Must, "selftest", "a check that fails on purpose",
	func(ctx matrix.SpecContext, cell *h.Cell) {
		Expect(1).To(Equal(2), "one is not two")
	}, matrix.On(h.TCP))

var _ = suite.Case("ST.3", scenarios.Option, "selftest", "a socket type nobody has",
	func(ctx matrix.SpecContext, cell *h.Cell) {
		cell.Require(ctx, h.BindSide, []string{"NOSUCH"})
	}, matrix.On(h.TCP))

// SELFTEST_PROBE gives the run a probe of its own for interop entries: "holds" fails (the
// entry's claim holds), "stale" passes.
var probeMode = os.Getenv("SELFTEST_PROBE")

func TestSelftest(t *testing.T) {
	matrix.Main(t, suite, func(r *matrix.Run) {
		if probeMode == "" {
			return
		}
		r.Probe = &matrix.Probe{Name: "the selftest probe", Body: func(ctx matrix.SpecContext, cell *h.Cell) {
			cell.Hello(ctx, h.BindSide) // a probe may use the cell's peers
			if probeMode == "holds" {
				panic(&h.StepError{Step: "compare protocols", Err: errors.New("no common protocol")})
			}
		}}
	})
}
